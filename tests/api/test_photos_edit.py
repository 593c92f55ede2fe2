"""Changing photos through the API: owner only (others get "photo not found"), each
change stored whole, events for the walls, new file URLs when a photo leaves the public."""

from __future__ import annotations

import httpx
import pytest

from photohub.site import Site
from photohub.store import photos as photo_store
from tests import factories
from tests.api.client import api_for
from tests.api.test_photos_read import ids
from tests.web.helpers import event_kinds

pytestmark = pytest.mark.anyio


async def test_only_the_owner_changes_a_photo(site: Site, client: httpx.AsyncClient) -> None:
    async with site.db.write() as conn:
        alice = await factories.user(conn, "alice")
        mallory = await factories.user(conn, "mallory")
        photo_id = await factories.photo(conn, alice, title="mine", tags="one two")
    as_mallory = await api_for(site, client, mallory)
    for method, args in (
        ("flickr.photos.setMeta", {"title": "hacked"}),
        ("flickr.photos.setPerms", {"is_public": 0, "is_friend": 0, "is_family": 0}),
        ("flickr.photos.setSafetyLevel", {"safety_level": 3}),
        ("flickr.photos.setTags", {"tags": "spam"}),
        ("flickr.photos.addTags", {"tags": "spam"}),
        ("flickr.photos.geo.setLocation", {"lat": 1, "lon": 1}),
        ("flickr.photos.delete", {}),
    ):
        await as_mallory.fail(method, 1, photo_id=photo_id, **args)
    async with site.db.read() as conn:
        row = await photo_store.get(conn, photo_id)
    assert row is not None
    assert (row["title"], row["visibility"], row["safety_level"]) == ("mine", "public", 1)
    anonymous = await api_for(site, client)
    assert ids(await anonymous.ok("flickr.photos.search", tags="one")) == {photo_id}
    read_only = await api_for(site, client, alice, perms="read")
    await read_only.fail("flickr.photos.setMeta", 99, photo_id=photo_id, title="x")
    writer = await api_for(site, client, alice, perms="write")
    await writer.fail("flickr.photos.delete", 99, photo_id=photo_id)


async def test_meta_tags_and_safety(site: Site, client: httpx.AsyncClient) -> None:
    async with site.db.write() as conn:
        alice = await factories.user(conn, "alice")
        photo_id = await factories.photo(conn, alice, tags="old")
    api = await api_for(site, client, alice)
    await api.ok("flickr.photos.setMeta", photo_id=photo_id, title="<i>New</i>", description="d")
    await api.ok("flickr.photos.setTags", photo_id=photo_id, tags='"New York" dc:title="A B"')
    await api.ok("flickr.photos.addTags", photo_id=photo_id, tags="extra newyork")
    info = (await api.ok("flickr.photos.getInfo", photo_id=photo_id))["photo"]
    assert info["title"]["_content"] == "<i>New</i>"
    tags = {t["_content"]: t for t in info["tags"]["tag"]}
    assert set(tags) == {"newyork", "dc:title=a b", "extra"}
    assert tags["newyork"]["raw"] == "New York"
    await api.ok("flickr.photos.removeTag", tag_id=tags["extra"]["id"])
    await api.fail("flickr.photos.removeTag", 2, tag_id=tags["extra"]["id"])
    await api.fail("flickr.photos.removeTag", 2, tag_id="garbage")
    await api.fail(
        "flickr.photos.addTags", 2, photo_id=photo_id, tags=" ".join(f"t{i}" for i in range(80))
    )
    await api.fail("flickr.photos.setMeta", 91, photo_id=photo_id)
    await api.fail("flickr.photos.setMeta", 91, photo_id=photo_id, title="x" * 201)
    after = (await api.ok("flickr.photos.getInfo", photo_id=photo_id))["photo"]
    assert {t["_content"] for t in after["tags"]["tag"]} == {"newyork", "dc:title=a b"}
    await api.ok("flickr.photos.setSafetyLevel", photo_id=photo_id, safety_level=3, hidden=1)
    anonymous = await api_for(site, client)
    assert ids(await anonymous.ok("flickr.photos.search", tags="newyork")) == set()
    assert ids(await api.ok("flickr.photos.search", user_id="me", tags="newyork")) == {photo_id}
    assert "photo.updated" in await event_kinds(site)


async def test_leaving_the_public_renames_files_and_leaves_the_wall(
    site: Site, client: httpx.AsyncClient
) -> None:
    async with site.db.write() as conn:
        alice = await factories.user(conn, "alice")
        photo_id = await factories.photo(conn, alice)
        row = await photo_store.get(conn, photo_id)
    assert row is not None
    old = site.media.rendition_path(photo_id, row["secret"], 256)
    old.write_bytes(b"RIFF....WEBP")
    old_url = f"/media/{old.name}"
    assert (await client.get(old_url)).status_code == 200
    api = await api_for(site, client, alice)
    await api.ok("flickr.photos.setPerms", photo_id=photo_id, is_public=0, is_friend=1, is_family=0)
    assert (await client.get(old_url)).status_code == 404
    async with site.db.read() as conn:
        moved = await photo_store.get(conn, photo_id)
    assert moved is not None and moved["secret"] != row["secret"]
    assert moved["visibility"] == "friends"
    new = site.media.rendition_path(photo_id, moved["secret"], 256)
    assert new.read_bytes() == b"RIFF....WEBP"
    assert "photo.deleted" in await event_kinds(site)
    wall = (await client.get("/api/wall")).json()
    assert photo_id not in {p["id"] for p in wall["photos"]}
    await api.ok("flickr.photos.setPerms", photo_id=photo_id, is_public=1, is_friend=0, is_family=0)
    assert (await event_kinds(site))[-2:] == ["photo.published", "photo.updated"]
    wall = (await client.get("/api/wall")).json()
    assert photo_id in {p["id"] for p in wall["photos"]}


async def test_delete(site: Site, client: httpx.AsyncClient) -> None:
    async with site.db.write() as conn:
        alice = await factories.user(conn, "alice")
        photo_id = await factories.photo(conn, alice, tags="gone")
    api = await api_for(site, client, alice)
    await api.ok("flickr.photos.delete", photo_id=photo_id)
    await api.fail("flickr.photos.getInfo", 1, photo_id=photo_id)
    await api.fail("flickr.photos.delete", 1, photo_id=photo_id)
    assert "photo.deleted" in await event_kinds(site)
