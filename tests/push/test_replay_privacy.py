"""Stored entries re-checked against the photo as it is *now* (issue 11, finding 2).

Every photo here was public, safe, titled and located in Paris for the public when its
entry was stored; then its owner withdrew something. Whatever reads the entry later
must not send what was withdrawn: a topic stream opened with ``last_event_id=0``, a
stream resuming with ``Last-Event-ID`` from before the entry, and a WebSub subscriber
whose callback was down during the change and comes back. A tags topic (the photo's
content) and a geo circle (its location: an entry that reached the circle by where the
photo was tells that place even without ``georss:point``) each way.

SQLite and PostgreSQL with the queues in the database, PostgreSQL with Redis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from lxml import etree

from photohub.actions import geo as geo_actions
from photohub.actions import photos as photo_actions
from photohub.domain.atom import ATOM, TOMBSTONES
from photohub.domain.privacy import PUBLIC, VISIBILITIES, Relation, Viewer
from photohub.domain.topics import make_topic
from photohub.push.dispatch import follow_outbox
from photohub.site import Site
from photohub.store import photos as photo_store
from photohub.store import push_entries
from photohub.store.schema import users
from tests.api.privacy_matrix import VIEWERS, make_world
from tests.push.hubs import (
    account,
    changed,
    make_due,
    new_photo,
    pump,
    receiver,
    settings,
    subscribe,
)
from tests.push.receiver import Receiver
from tests.push.test_streams import oauth_headers, on, read_until, ready, stream_url
from tests.servers import SSE, running

__all__ = ["receiver", "settings"]  # fixtures

pytestmark = pytest.mark.anyio

PARIS = {"latitude": 48.8566, "longitude": 2.3522, "accuracy": 16}
POINT = "48.8566 2.3522"
CIRCLE = {"lat": "48.86", "lon": "2.35", "radius": "5"}
# Withdrawn from the public: nothing of the photo but a tombstone may go out.
WITHDRAWN = ("private", "friends", "deleted", "restricted", "retitled_private", "opted_out")
# Still public, location no longer: the entry without georss, and never by location.
UNLOCATED = ("geo_hidden", "location_removed")
HIDDEN = ("hidden",)  # hidden from public searches: off every public topic
SCENARIOS = (*WITHDRAWN, *UNLOCATED, *HIDDEN)
KEPT = "kept"  # the control: unchanged, it must arrive whole


def ref(photo_id: int) -> str:
    return f"tag:photos.test,2026:photo/{photo_id}"


@dataclass(frozen=True)
class Item:
    """One entry as a reader got it: ``entry`` or ``deleted``, its id (or ref), XML."""

    kind: str
    ref: str
    xml: str


def from_sse(seen: list[SSE]) -> list[Item]:
    items = []
    for event in seen:
        if event.event not in ("entry", "deleted"):
            continue
        root = etree.fromstring(event.data.encode())
        ident = root.get("ref") if event.event == "deleted" else root.findtext(f"{{{ATOM}}}id")
        items.append(Item(event.event, str(ident), event.data))
    return items


def from_posts(bodies: list[bytes]) -> list[Item]:
    items = []
    for body in bodies:
        for child in etree.fromstring(body):
            xml = etree.tostring(child, encoding="unicode")
            if child.tag == f"{{{ATOM}}}entry":
                items.append(Item("entry", str(child.findtext(f"{{{ATOM}}}id")), xml))
            elif child.tag == f"{{{TOMBSTONES}}}deleted-entry":
                items.append(Item("deleted", str(child.get("ref")), xml))
    return items


@dataclass
class World:
    site: Site
    photos: dict[str, int]  # scenario -> photo id
    owners: dict[str, Any]


async def world(site: Site) -> World:
    """One public, located photo per scenario (and the control), dispatched: each has
    its entry in the log (and in the queues of subscriptions made before)."""
    ann = await account(site, "ann")
    olga = await account(site, "olga")  # opts out of push: all of her photos go
    photos = {}
    for name in (*SCENARIOS, KEPT):
        owner = olga if name == "opted_out" else ann
        photos[name] = await new_photo(
            site,
            owner,
            title=f"secret-{name}",
            description=f"about-{name}",
            tags="cats",
            geo_perm=1,
            **PARIS,
        )
        await changed(site, photos[name])
    await pump(site)
    return World(site, photos, {"ann": ann, "olga": olga})


async def withdraw(w: World) -> None:
    """Each scenario's change, by the owner's own actions (as the API makes them)."""
    site, p = w.site, w.photos
    ann = Viewer(user_id=int(w.owners["ann"]["id"]))
    await photo_actions.set_perms(site, ann, p["private"], "private")
    await photo_actions.set_perms(site, ann, p["friends"], "friends")
    await photo_actions.delete(site, ann, p["deleted"])
    await photo_actions.set_safety(site, ann, p["restricted"], safety_level=3, hidden=None)
    await photo_actions.edit(site, ann, p["retitled_private"], title="renamed-retitled_private")
    await pump(site)  # the new title's entry is stored too
    await photo_actions.set_perms(site, ann, p["retitled_private"], "private")
    async with site.db.write() as conn:
        await conn.execute(
            users.update().where(users.c.id == w.owners["olga"]["id"]).values(push_opt_out=True)
        )
    await geo_actions.set_geo_perm(site, ann, p["geo_hidden"], 6)
    await geo_actions.remove_location(site, ann, p["location_removed"])
    await photo_actions.set_safety(site, ann, p["hidden"], safety_level=None, hidden=True)
    await pump(site)


def leaks(w: World, items: list[Item], *, by_location: bool) -> list[str]:
    """What a reader got that it must not have; empty when all is well. The control
    must have arrived whole (else the reader read nothing and proves nothing)."""
    wrong = []
    for name, photo_id in w.photos.items():
        mine = [i for i in items if i.ref == ref(photo_id)]
        sent = [i for i in mine if i.kind == "entry"]
        if name == KEPT:
            if not any(POINT in i.xml for i in sent):
                wrong.append(f"{name}: the unchanged photo did not arrive with its location")
            continue
        withdrawn = name in WITHDRAWN or name in HIDDEN or (name in UNLOCATED and by_location)
        if withdrawn and sent:
            wrong.append(f"{name}: {len(sent)} entries sent")
        if any("georss:point" in i.xml or "48.8566" in i.xml for i in mine):
            wrong.append(f"{name}: its former location sent")
    for item in items:
        for name in (*WITHDRAWN, *HIDDEN):
            if f"secret-{name}" in item.xml or f"renamed-{name}" in item.xml:
                wrong.append(f"{name}: its former title sent (entry {item.ref})")
    return sorted(set(wrong))


async def streams_after(
    site: Site, client: httpx.AsyncClient, w: World, headers: dict[str, str], query: str
) -> dict[str, list[Item]]:
    """What a tags stream and a geo stream replay up to their ``ready``."""
    ann = w.owners["ann"]
    urls = {
        "tags": await stream_url(site, client, ann, topic="tags", tags="cats"),
        "geo": await stream_url(site, client, ann, topic="geo", **CIRCLE),
    }
    got = {}
    async with running(site) as base, httpx.AsyncClient(timeout=10) as http:
        for name, url in urls.items():
            seen = await read_until(http, on(base, url) + query, ready, headers=headers)
            got[name] = from_sse(seen)
    return got


@pytest.mark.parametrize("mode", ["last_event_id=0", "Last-Event-ID"])
async def test_a_topic_stream_replays_nothing_withdrawn(
    site: Site, client: httpx.AsyncClient, mode: str
) -> None:
    await follow_outbox(site)
    marker = await new_photo(site, None, tags="cats", geo_perm=1, **PARIS)
    await changed(site, marker)
    await pump(site)
    async with site.db.read() as conn:
        resumed_after = await push_entries.newest_entry_id(conn)
    w = await world(site)
    await withdraw(w)
    if mode == "Last-Event-ID":  # a client that saw the marker, then was away
        got = await streams_after(site, client, w, {"Last-Event-ID": str(resumed_after)}, "")
        assert all(i.ref != ref(marker) for items in got.values() for i in items)
    else:
        got = await streams_after(site, client, w, {}, "&last_event_id=0")
        assert any(i.ref == ref(marker) for i in got["tags"])
    problems = {name: leaks(w, items, by_location=name == "geo") for name, items in got.items()}
    assert problems == {"tags": [], "geo": []}


async def test_a_subscriber_back_after_the_change_gets_nothing_withdrawn(
    site: Site, receiver: Receiver
) -> None:
    paths = {"/tags": make_topic("tags", {"tags": "cats"}), "/geo": make_topic("geo", CIRCLE)}
    ids = [await subscribe(site, receiver, path, topic) for path, topic in paths.items()]
    receiver.post_status_by_path = {path: 503 for path in paths}  # the callback is down
    w = await world(site)
    assert {p.path for p in receiver.posts} == set(paths)  # tried, failed, kept queued
    await withdraw(w)
    back = len(receiver.posts)
    receiver.post_status_by_path = {}  # up again
    for subscription_id in ids:
        await make_due(site, subscription_id)
    await pump(site)
    problems = {
        path: leaks(
            w,
            from_posts([p.body for p in receiver.posts[back:] if p.path == path]),
            by_location=path == "/geo",
        )
        for path in paths
    }
    assert problems == {"/tags": [], "/geo": []}


def push_rule(visibility: str, relation: Relation) -> bool:
    """Push carries public photos only, whoever follows (DESIGN §6)."""
    return visibility == PUBLIC


async def test_the_privacy_matrix_holds_for_a_stream_replayed_from_0(
    site: Site, client: httpx.AsyncClient
) -> None:
    """tests.api.privacy_matrix with a replay dimension: each photo was public (its
    entry stored) and then got its visibility; every viewer then opens a stream with
    ``last_event_id=0`` (anonymous: a signed URL, a bearer token; the others: their own
    OAuth signature; the owner: their ``my_photos`` too) and gets exactly what push
    allows now, whatever they may see elsewhere."""
    await follow_outbox(site)
    world = await make_world(site, client, tags="matrix")
    owner = Viewer(user_id=int(world.owner["id"]))
    async with site.db.write() as conn:
        for photo_id in world.photos.values():
            await photo_store.update(conn, photo_id, visibility=PUBLIC)
    for photo_id in world.photos.values():
        await changed(site, photo_id)
    await pump(site)
    for visibility, photo_id in world.photos.items():
        await photo_actions.set_perms(site, owner, photo_id, visibility)
    await pump(site)
    signed = await stream_url(site, client, world.owner, topic="tags", tags="matrix")
    wrong = []
    async with running(site) as base, httpx.AsyncClient(timeout=10) as http:
        for viewer in VIEWERS:
            urls = [f"{base}/push/topics/tags?tags=matrix&last_event_id=0"]
            if viewer == "owner":
                urls.append(
                    f"{base}/push/topics/my_photos?user_id={world.owner['nsid']}&last_event_id=0"
                )
            for url in urls:
                if viewer == "anonymous":
                    url, headers = on(base, signed) + "&last_event_id=0", {}
                else:
                    headers = oauth_headers(await world.api(viewer), url)
                items = from_sse(await read_until(http, url, ready, headers=headers))
                got = {
                    p
                    for p in world.photos.values()
                    for i in items
                    if i.kind == "entry" and i.ref == ref(p)
                }
                want = world.expected(viewer, push_rule)
                topic = url.split("?")[0].rsplit("/", 1)[1]
                for visibility, photo_id in world.photos.items():
                    if (photo_id in got) != (photo_id in want):
                        shown = "shown" if photo_id in got else "not shown"
                        wrong.append(f"{viewer} / {visibility} ({topic}): {shown}")
                titles = [
                    v
                    for v in VISIBILITIES
                    if v != PUBLIC and any(f"<title>{v}</title>" in i.xml for i in items)
                ]
                wrong += [f"{viewer}: the title of the {v} photo" for v in titles]
    assert not wrong, "replay privacy matrix mismatches:\n" + "\n".join(wrong)
