"""File URLs follow access (issue 11, finding 3): a URL learned before a change is
fetched after it. Whenever a change takes a photo away from anyone (a visibility change
towards private at any step, a contact removed or demoted, the photo deleted) its old
URLs answer 404 for everyone and the URLs learned afresh work for exactly those still
allowed; a change that only widens the audience leaves every old URL working."""

from __future__ import annotations

import io
import itertools

import feedparser
import httpx
import pytest
from PIL import Image

from photohub.actions import photos as photo_actions
from photohub.domain.file_access import SERVED_FILES_CARRY_LOCATION, visibility_shrinks
from photohub.domain.privacy import (
    FRIENDS,
    PRIVATE,
    PUBLIC,
    STRANGER,
    VISIBILITIES,
    Relation,
    Viewer,
    flags_of,
    visible_to,
)
from photohub.site import Site
from photohub.store import events
from photohub.store import photos as photo_store
from tests import factories
from tests.api.privacy_matrix import (
    RELATION_OF,
    assert_new_urls,
    assert_old_urls,
    fetch_status,
    learn_all,
    learn_urls,
    make_world,
    write_files,
)
from tests.images import jpeg
from tests.web.helpers import ok, upload, visit

pytestmark = pytest.mark.anyio

PAIRS = [(b, a) for b, a in itertools.product(VISIBILITIES, VISIBILITIES) if b != a]


async def set_visibility(site: Site, owner_id: int, photo_id: int, visibility: str) -> None:
    """As the owner would: through flickr.photos.setPerms where its flags can say it,
    else (contacts only) through the action it calls."""
    await photo_actions.set_perms(site, Viewer(user_id=owner_id), photo_id, visibility)


async def test_every_visibility_change_keeps_or_withdraws_old_urls(
    site: Site, client: httpx.AsyncClient
) -> None:
    world = await make_world(site, client)
    owner = world.owner
    async with site.db.write() as conn:
        pair_of = {
            await factories.photo(conn, owner, title=f"{b}->{a}", visibility=b): (b, a)
            for b, a in PAIRS
        }
    ids = list(pair_of)
    await write_files(world, ids)
    before = await learn_all(world, ids)
    api = await world.api("owner")
    for photo_id, (_, after) in pair_of.items():
        if after == "contacts":  # no flag combination says "all contacts"
            await set_visibility(site, int(owner["id"]), photo_id, after)
        else:
            public, friend, family = flags_of(after)
            await api.ok(
                "flickr.photos.setPerms",
                photo_id=photo_id,
                is_public=int(public),
                is_friend=int(friend),
                is_family=int(family),
            )
    gone = {p for p, (b, a) in pair_of.items() if visibility_shrinks(b, a)}
    assert len(gone) == 16  # 16 of the 30 changes shrink the audience (domain tests)
    await assert_old_urls(world, before, gone)
    await assert_new_urls(world, {p: a for p, (_, a) in pair_of.items()}, RELATION_OF)


CONTACT_CHANGES = {
    # name: (viewer whose marks change, new marks or None for removed)
    "friend removed": ("friend", None),
    "friend demoted to contact": ("friend", (False, False)),
    "family removed": ("family", None),
    "family mark removed": ("family", (False, False)),
    "family becomes friend": ("family", (True, False)),
    "contact removed": ("contact", None),
    # widening: nothing is taken away
    "contact promoted to friend": ("contact", (True, False)),
    "friend also family": ("friend", (True, True)),
}


@pytest.mark.parametrize("change", CONTACT_CHANGES)
async def test_contact_changes_keep_or_withdraw_old_urls(
    site: Site, client: httpx.AsyncClient, change: str
) -> None:
    world = await make_world(site, client)
    ids = list(world.photos.values())
    await write_files(world)
    before = await learn_all(world, ids)
    name, marks = CONTACT_CHANGES[change]
    person = world.people[name]
    api = await world.api("owner")
    if marks is None:
        await api.ok("flickr.contacts.remove", user_id=person["nsid"])
        after = STRANGER
    else:
        friend, family = marks
        await api.ok(
            "flickr.contacts.add", user_id=person["nsid"], friend=int(friend), family=int(family)
        )
        after = Relation(is_contact=True, is_friend=friend, is_family=family)
    lost = visible_to(RELATION_OF[name]) - visible_to(after)
    gone = {world.photos[v] for v in lost}
    await assert_old_urls(world, before, gone)
    relations = {**RELATION_OF, name: after}
    await assert_new_urls(world, {p: v for v, p in world.photos.items()}, relations)


async def test_a_deleted_photo_s_urls_are_gone_for_everyone(
    site: Site, client: httpx.AsyncClient
) -> None:
    world = await make_world(site, client)
    ids = list(world.photos.values())
    await write_files(world)
    before = await learn_all(world, ids)
    api = await world.api("owner")
    for visibility in (PUBLIC, FRIENDS):
        await api.ok("flickr.photos.delete", photo_id=world.photos[visibility])
    await assert_old_urls(world, before, {world.photos[PUBLIC], world.photos[FRIENDS]})


async def test_urls_published_after_a_rotation_are_the_new_ones(
    site: Site, client: httpx.AsyncClient
) -> None:
    """Public -> friends -> private -> public: the wall event and the Atom entry made after
    carry the current secret (their URL works), and the URL a friend learned while the
    photo was friends-only is gone."""
    world = await make_world(site, client)
    photo_id = world.photos[PUBLIC]
    owner = Viewer(user_id=int(world.owner["id"]))
    await photo_actions.set_perms(site, owner, photo_id, FRIENDS)
    await write_files(world, [photo_id])
    friends_only = await learn_urls(world, "friend", [photo_id])
    assert await fetch_status(world, friends_only[photo_id]) == 200
    await photo_actions.set_perms(site, owner, photo_id, PRIVATE)
    await photo_actions.set_perms(site, owner, photo_id, PUBLIC)
    assert await fetch_status(world, friends_only[photo_id]) == 404
    async with site.db.read() as conn:
        row = await photo_store.get(conn, photo_id)
        stored = await events.since(conn, 0)
    assert row is not None
    current = f"/media/{photo_id}_{row['secret']}_256.webp"
    [published] = [e for e in stored if e.kind == "photo.published" and e.photo_id == photo_id]
    assert published.data["sizes"][0]["url"] == current
    assert await fetch_status(world, current) == 200
    feed = await client.get(f"/push/topics/my_photos?user_id={world.owner['nsid']}")
    assert feed.status_code == 200
    [entry] = [e for e in feedparser.parse(feed.content).entries if e.title == PUBLIC]
    urls = {c["url"] for c in entry.media_content} | {entry.media_thumbnail[0]["url"]}
    assert all(f"/media/{photo_id}_{row['secret']}_" in url for url in urls), urls


async def test_a_narrower_geo_permission_keeps_the_file_urls(
    site: Site, client: httpx.AsyncClient
) -> None:
    """Served files carry no location (``domain.file_access.SERVED_FILES_CARRY_LOCATION``,
    checked below on a real upload), so narrowing who sees a location takes nothing from
    a holder of a file URL: the URLs keep working."""
    world = await make_world(site, client, latitude=48.8584, longitude=2.2945, geo_perm=1)
    ids = list(world.photos.values())
    await write_files(world)
    before = await learn_all(world, ids)
    api = await world.api("owner")
    for photo_id in ids:
        await api.ok(
            "flickr.photos.geo.setPerms",
            photo_id=photo_id,
            is_public=0,
            is_contact=0,
            is_friend=0,
            is_family=0,
        )
    await assert_old_urls(world, before, set())


async def test_served_files_carry_no_location(site: Site, client: httpx.AsyncClient) -> None:
    """Renditions hold no EXIF at all; the original, which keeps the camera's GPS, has no
    URL. If either changes, ``SERVED_FILES_CARRY_LOCATION`` must become True."""
    csrf = await visit(client)
    body = ok(await upload(client, csrf, jpeg(gps=(48.8584, 2.2945))), 201)
    photo_id = int(body["photo"]["id"])
    await site.runner.run_due()
    async with site.db.read() as conn:
        row = await photo_store.get(conn, photo_id)
    assert row is not None and row["state"] == "ready" and row["latitude"] is not None
    assert not SERVED_FILES_CARRY_LOCATION
    for rendition in row["renditions"]:
        served = await client.get(f"/media/{photo_id}_{row['secret']}_{rendition['size']}.webp")
        assert served.status_code == 200
        with Image.open(io.BytesIO(served.content)) as image:
            assert not image.getexif() and "exif" not in image.info and "xmp" not in image.info
    original = site.media.original_path(photo_id, row["secret"], row["ext"])
    with Image.open(original) as kept:
        assert kept.getexif().get_ifd(0x8825)  # the original has GPS...
    response = await client.get(f"/media/{original.name}")
    assert response.status_code == 404  # ...and no URL
