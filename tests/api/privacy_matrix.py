"""The privacy matrix every photo list must pass: one photo per visibility (public,
contacts, friends, family, friends_family, private) and one caller per standing with
their owner (anonymous, the owner, a contact, a friend, a family member, anyone else).
Each caller must get exactly the photos ``domain.privacy.may_see`` allows them (or what
a list's own ``rule`` allows, such as "public only"), no more and no fewer, and the
list's ``total`` must count exactly those.

A path plugs in with a ``Lister``: given the world and one caller's API client, it asks
its method and returns the photo ids it got (``listed_ids`` reads a standard answer).

File URLs add a dimension: a URL a caller learned *before* a change is fetched *after*
it (``learn_urls``, ``assert_old_urls``). After a change that takes a photo away from
anyone its old URLs answer 404 for everyone; after one that only widens, they still
work; and the URLs learned afresh work for exactly the callers allowed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.engine import RowMapping

from photohub.domain.photos import media_url
from photohub.domain.privacy import OWNER, STRANGER, VISIBILITIES, Relation, may_see
from photohub.site import Site
from photohub.store import photos as photo_store
from tests import factories
from tests.api.client import Api, api_for

VIEWERS = ("anonymous", "owner", "contact", "friend", "family", "other")
RELATION_OF: dict[str, Relation] = {
    "anonymous": STRANGER,
    "owner": OWNER,
    "contact": Relation(is_contact=True),
    "friend": Relation(is_contact=True, is_friend=True),
    "family": Relation(is_contact=True, is_family=True),
    "other": STRANGER,
}
START = datetime(2026, 3, 1, 12, 0, 0)

Rule = Callable[[str, Relation], bool]


@dataclass
class World:
    """The owner, the people who look at their photos, and one photo per visibility.

    Photos are uploaded oldest-private to newest-public, so a date that leaks from a
    hidden photo shows too."""

    site: Site
    http: httpx.AsyncClient
    owner: RowMapping
    people: dict[str, RowMapping]  # every viewer but "anonymous"
    photos: dict[str, int]  # visibility -> photo id
    created: dict[str, datetime]  # visibility -> upload time
    _apis: dict[str, Api] = field(default_factory=dict)

    async def api(self, viewer: str) -> Api:
        """The API as ``viewer`` (OAuth-signed; anonymous: an API key alone)."""
        if viewer not in self._apis:
            user = None if viewer == "anonymous" else self.people[viewer]
            self._apis[viewer] = await api_for(self.site, self.http, user)
        return self._apis[viewer]

    def expected(self, viewer: str, rule: Rule = may_see) -> set[int]:
        return {self.photos[v] for v in VISIBILITIES if rule(v, RELATION_OF[viewer])}


async def make_world(site: Site, http: httpx.AsyncClient, **photo_values: Any) -> World:
    async with site.db.write() as conn:
        owner = await factories.user(conn, "owner")
        people = {"owner": owner}
        for name in VIEWERS[2:]:
            people[name] = await factories.user(conn, name)
        await factories.contact(conn, owner, people["contact"])
        await factories.contact(conn, owner, people["friend"], friend=True)
        await factories.contact(conn, owner, people["family"], family=True)
        # Marks the *viewers* make count for nothing: only the owner's decide.
        await factories.contact(conn, people["other"], owner, friend=True, family=True)
        await factories.contact(conn, people["contact"], owner, friend=True, family=True)
        created = {
            vis: START + timedelta(days=len(VISIBILITIES) - i) for i, vis in enumerate(VISIBILITIES)
        }
        photos = {  # uploaded in time order (ids follow upload order), the oldest first
            vis: await factories.photo(
                conn, owner, title=vis, visibility=vis, created_at=created[vis], **photo_values
            )
            for vis in reversed(VISIBILITIES)
        }
    return World(site, http, owner, people, photos, created)


def listed_ids(body: dict[str, Any], key: str = "photos") -> set[int]:
    """The photo ids of one page of a standard photo list, checking that its ``total``
    counts exactly the photos listed (the matrix pages fit on one page)."""
    listing = body[key]
    ids = {int(p["id"]) for p in listing["photo"]}
    assert len(ids) == len(listing["photo"]), "a photo is listed twice"
    assert int(listing["total"]) == len(ids), f"total {listing['total']} but {len(ids)} listed"
    return ids


Lister = Callable[[World, Api], Awaitable[set[int]]]


async def assert_matrix(world: World, list_ids: Lister, *, rule: Rule = may_see) -> None:
    """Every viewer gets exactly the photos ``rule`` allows; all mismatches reported."""
    wrong: list[str] = []
    everything = set(world.photos.values())
    for viewer in VIEWERS:
        got = await list_ids(world, await world.api(viewer))
        want = world.expected(viewer, rule)
        for vis, photo_id in world.photos.items():
            if (photo_id in got) != (photo_id in want):
                shown = "shown" if photo_id in got else "not shown"
                wrong.append(f"{viewer} / {vis}: {shown}")
        if got - everything:
            wrong.append(f"{viewer}: unexpected photos {sorted(got - everything)}")
    assert not wrong, "privacy matrix mismatches:\n" + "\n".join(wrong)


# A caller's file URLs: photo id -> the URL of its smallest rendition.
Urls = dict[int, str]


async def write_files(world: World, photo_ids: list[int] | None = None) -> None:
    """Rendition files for the world's photos (factory rows have none), under their
    current secrets: the bytes name the photo, so a wrong file shows."""
    async with world.site.db.read() as conn:
        for photo_id in photo_ids or list(world.photos.values()):
            row = await photo_store.get(conn, photo_id)
            assert row is not None
            for rendition in row["renditions"]:
                path = world.site.media.rendition_path(photo_id, row["secret"], rendition["size"])
                path.write_bytes(file_bytes(photo_id))


def file_bytes(photo_id: int) -> bytes:
    return b"RIFF\x00\x00\x00\x00WEBP" + str(photo_id).encode()


async def learn_urls(world: World, viewer: str, photo_ids: list[int]) -> Urls:
    """The file URLs ``viewer`` learns from the API, built from ``getInfo``'s secret as
    Flickr clients build them; photos they may not see give none."""
    api = await world.api(viewer)
    learned: Urls = {}
    for photo_id in photo_ids:
        body = await api.call("flickr.photos.getInfo", photo_id=photo_id)
        if body["stat"] == "ok":
            learned[photo_id] = media_url(photo_id, body["photo"]["secret"], 256)
    return learned


async def learn_all(world: World, photo_ids: list[int]) -> dict[str, Urls]:
    return {viewer: await learn_urls(world, viewer, photo_ids) for viewer in VIEWERS}


async def fetch_status(world: World, url: str) -> int:
    """What anyone holding the URL gets: no cookie, no key, just the URL."""
    response = await world.http.get(url)
    if response.status_code == 200:
        photo_id = int(url.rsplit("/", 1)[1].split("_", 1)[0])
        assert response.content == file_bytes(photo_id), url
    return response.status_code


async def assert_old_urls(world: World, learned: dict[str, Urls], gone: set[int]) -> None:
    """Every URL learned before a change: 404 if its photo is in ``gone`` (its audience
    shrank), else still 200; all mismatches reported."""
    wrong: list[str] = []
    for viewer, urls in learned.items():
        for photo_id, url in urls.items():
            want = 404 if photo_id in gone else 200
            got = await fetch_status(world, url)
            if got != want:
                wrong.append(f"{viewer} / photo {photo_id}: old URL answered {got}, not {want}")
    assert not wrong, "old file URLs:\n" + "\n".join(wrong)


async def assert_new_urls(
    world: World, visibility_of: dict[int, str], relation_of: dict[str, Relation]
) -> None:
    """URLs learned now: each caller learns exactly the photos their current standing
    lets them see (``may_see``), and each such URL works."""
    wrong: list[str] = []
    for viewer in VIEWERS:
        urls = await learn_urls(world, viewer, list(visibility_of))
        want = {p for p, vis in visibility_of.items() if may_see(vis, relation_of[viewer])}
        if set(urls) != want:
            wrong.append(f"{viewer}: learned {sorted(urls)}, want {sorted(want)}")
        for photo_id, url in urls.items():
            if (got := await fetch_status(world, url)) != 200:
                wrong.append(f"{viewer} / photo {photo_id}: new URL answered {got}")
    assert not wrong, "new file URLs:\n" + "\n".join(wrong)
