"""flickr.photosets.*: owner-only changes, the primary photo, counts and primaries that
never reveal a hidden photo, and the privacy matrix of an album's photos."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from photohub.domain.privacy import VISIBILITIES
from photohub.site import Site
from tests import factories
from tests.api.client import Api, api_for
from tests.api.privacy_matrix import VIEWERS, World, assert_matrix, listed_ids, make_world

pytestmark = pytest.mark.anyio


async def album_of_everything(world: World) -> str:
    """An album of the owner's with one photo per visibility; its primary is private."""
    owner = await world.api("owner")
    first, *rest = (world.photos[v] for v in ("private", *VISIBILITIES[:-1]))
    body = await owner.ok("flickr.photosets.create", title="All of them", primary_photo_id=first)
    set_id = str(body["photoset"]["id"])
    for photo_id in rest:
        await owner.ok("flickr.photosets.addPhoto", photoset_id=set_id, photo_id=photo_id)
    return set_id


async def test_get_photos_privacy_matrix(site: Site, client: httpx.AsyncClient) -> None:
    world = await make_world(site, client)
    set_id = await album_of_everything(world)

    async def album(world: World, api: Api) -> set[int]:
        body = await api.ok("flickr.photosets.getPhotos", photoset_id=set_id)
        return listed_ids(body, "photoset")

    await assert_matrix(world, album)


async def test_counts_and_primaries_show_only_visible_photos(
    site: Site, client: httpx.AsyncClient
) -> None:
    world = await make_world(site, client)
    set_id = await album_of_everything(world)
    for viewer in VIEWERS:
        api = await world.api(viewer)
        seen = world.expected(viewer)
        body = await api.ok("flickr.photosets.getList", user_id=world.owner["nsid"])
        (album,) = body["photosets"]["photoset"]
        assert album["photos"] == len(seen), viewer
        assert int(album["primary"]) in seen, viewer
        photos = (await api.ok("flickr.photosets.getPhotos", photoset_id=set_id))["photoset"]
        assert photos["primary"] == album["primary"], viewer
        primaries = [p["id"] for p in photos["photo"] if p["isprimary"] == 1]
        assert primaries == [album["primary"]], viewer
    # The owner sees the album's own (private) primary; anyone else the first they may see.
    own = await (await world.api("owner")).ok("flickr.photosets.getList", user_id="me")
    assert own["photosets"]["photoset"][0]["primary"] == str(world.photos["private"])
    assert own["photosets"]["cancreate"] == 1
    anonymous = await world.api("anonymous")
    theirs = await anonymous.ok("flickr.photosets.getList", user_id=world.owner["nsid"])
    assert theirs["photosets"]["photoset"][0]["primary"] == str(world.photos["public"])
    assert theirs["photosets"]["cancreate"] == 0


async def test_get_photos_shape_order_and_filters(site: Site, client: httpx.AsyncClient) -> None:
    world = await make_world(site, client)
    set_id = await album_of_everything(world)
    owner = await world.api("owner")
    body = await owner.ok("flickr.photosets.getPhotos", photoset_id=set_id, extras="url_m,tags")
    album = body["photoset"]
    assert album["id"] == set_id and album["title"] == "All of them"
    assert (album["owner"], album["ownername"]) == (world.owner["nsid"], "owner")
    assert (album["page"], album["pages"], album["per_page"], album["perpage"]) == (1, 1, 500, 500)
    order = ["private", *VISIBILITIES[:-1]]
    assert [p["id"] for p in album["photo"]] == [str(world.photos[v]) for v in order]
    assert album["photo"][0]["isprimary"] == 1 and album["photo"][1]["isprimary"] == 0
    assert album["photo"][0]["url_m"].startswith("http://testserver/media/")
    private = await owner.ok("flickr.photosets.getPhotos", photoset_id=set_id, privacy_filter=1)
    assert listed_ids(private, "photoset") == {world.photos["public"]}
    paged = await owner.ok("flickr.photosets.getPhotos", photoset_id=set_id, per_page=4, page=2)
    assert [p["id"] for p in paged["photoset"]["photo"]] == [
        str(world.photos[v]) for v in order[4:]
    ]
    videos = await owner.ok("flickr.photosets.getPhotos", photoset_id=set_id, media="videos")
    assert videos["photoset"]["total"] == 0
    await owner.fail(
        "flickr.photosets.getPhotos", 1, photoset_id=set_id, user_id=world.people["other"]["nsid"]
    )
    await owner.ok("flickr.photosets.getPhotos", photoset_id=set_id, user_id="me")
    await owner.fail("flickr.photosets.getPhotos", 1, photoset_id=10**9)
    await owner.fail("flickr.photosets.getPhotos", 91, photoset_id="x")
    response = await client.get(
        "/services/rest/",
        params={
            "method": "flickr.photosets.getPhotos",
            "api_key": owner.api_key,
            "photoset_id": set_id,
        },
    )
    assert f'<photoset id="{set_id}" primary="{world.photos["public"]}"' in response.text


async def test_create_add_remove_and_delete_are_for_the_owner(
    site: Site, client: httpx.AsyncClient
) -> None:
    async with site.db.write() as conn:
        alice = await factories.user(conn, "alice")
        bob = await factories.user(conn, "bob")
        one, two, three = [await factories.photo(conn, alice, title=f"p{i}") for i in range(3)]
        bobs = await factories.photo(conn, bob)
    as_alice = await api_for(site, client, alice)
    as_bob = await api_for(site, client, bob)
    created = await as_alice.ok(
        "flickr.photosets.create", title="Trip", description="<b>sun</b>", primary_photo_id=one
    )
    set_id = created["photoset"]["id"]
    await as_alice.fail("flickr.photosets.create", 2, title="Theirs", primary_photo_id=bobs)
    await as_alice.fail("flickr.photosets.create", 2, title="None", primary_photo_id=10**9)
    await as_alice.fail("flickr.photosets.create", 1, title="\x01", primary_photo_id=one)
    await as_alice.fail("flickr.photosets.create", 90, primary_photo_id=one)
    await as_alice.fail("flickr.photosets.create", 90, title="   ", primary_photo_id=one)
    await as_alice.fail("flickr.photosets.create", 91, title="x" * 201, primary_photo_id=one)
    await as_alice.ok("flickr.photosets.addPhoto", photoset_id=set_id, photo_id=two)
    await as_alice.ok("flickr.photosets.addPhoto", photoset_id=set_id, photo_id=three)
    await as_alice.fail("flickr.photosets.addPhoto", 3, photoset_id=set_id, photo_id=two)
    await as_alice.fail("flickr.photosets.addPhoto", 2, photoset_id=set_id, photo_id=bobs)
    await as_bob.fail("flickr.photosets.addPhoto", 1, photoset_id=set_id, photo_id=bobs)
    await as_bob.fail("flickr.photosets.removePhoto", 1, photoset_id=set_id, photo_id=two)
    await as_bob.fail("flickr.photosets.delete", 1, photoset_id=set_id)

    async def album() -> dict[str, Any]:
        body = await as_alice.ok("flickr.photosets.getList")
        found: dict[str, Any] = body["photosets"]["photoset"][0]
        return found

    listed = await album()
    assert (listed["title"], listed["description"]) == (
        {"_content": "Trip"},
        {"_content": "<b>sun</b>"},
    )
    assert (listed["photos"], listed["primary"]) == (3, str(one))
    # Removing the primary makes the first remaining photo primary.
    await as_alice.ok("flickr.photosets.removePhoto", photoset_id=set_id, photo_id=one)
    assert ((await album())["photos"], (await album())["primary"]) == (2, str(two))
    await as_alice.fail("flickr.photosets.removePhoto", 3, photoset_id=set_id, photo_id=one)
    await as_alice.ok("flickr.photosets.removePhoto", photoset_id=set_id, photo_id=three)
    await as_alice.ok("flickr.photosets.removePhoto", photoset_id=set_id, photo_id=two)
    # Left empty it stays, for its owner only; the next photo added becomes primary.
    assert ((await album())["photos"], (await album())["primary"]) == (0, str(two))
    assert (await as_bob.ok("flickr.photosets.getList", user_id=alice["nsid"]))["photosets"][
        "total"
    ] == 0
    await as_bob.fail("flickr.photosets.getPhotos", 1, photoset_id=set_id)
    await as_alice.ok("flickr.photosets.addPhoto", photoset_id=set_id, photo_id=three)
    assert ((await album())["photos"], (await album())["primary"]) == (1, str(three))
    await as_alice.ok("flickr.photosets.delete", photoset_id=set_id)
    await as_alice.fail("flickr.photosets.getPhotos", 1, photoset_id=set_id)
    await as_alice.fail("flickr.photosets.delete", 1, photoset_id=set_id)
    # The photos themselves stay.
    await as_alice.ok("flickr.photos.getInfo", photo_id=three)
    anonymous = await api_for(site, client)
    await anonymous.fail("flickr.photosets.create", 99, title="x", primary_photo_id=one)
    await anonymous.fail("flickr.photosets.getList", 99)


async def test_an_album_of_hidden_photos_is_not_there_for_others(
    site: Site, client: httpx.AsyncClient
) -> None:
    world = await make_world(site, client)
    owner = await world.api("owner")
    body = await owner.ok(
        "flickr.photosets.create", title="Secret", primary_photo_id=world.photos["private"]
    )
    set_id = body["photoset"]["id"]
    await owner.ok("flickr.photosets.addPhoto", photoset_id=set_id, photo_id=world.photos["family"])
    for viewer in VIEWERS:
        api = await world.api(viewer)
        listed = await api.ok("flickr.photosets.getList", user_id=world.owner["nsid"])
        visible = viewer in ("owner", "family")
        assert listed["photosets"]["total"] == int(visible), viewer
        if visible:
            await api.ok("flickr.photosets.getPhotos", photoset_id=set_id)
        else:
            await api.fail("flickr.photosets.getPhotos", 1, photoset_id=set_id)


async def test_get_list_pages_and_primary_extras(site: Site, client: httpx.AsyncClient) -> None:
    async with site.db.write() as conn:
        alice = await factories.user(conn, "alice")
        photo_id = await factories.photo(conn, alice, tags="beach", views=7)
    as_alice = await api_for(site, client, alice)
    ids = []
    for i in range(3):
        body = await as_alice.ok(
            "flickr.photosets.create", title=f"Album {i}", primary_photo_id=photo_id
        )
        ids.append(body["photoset"]["id"])
    anonymous = await api_for(site, client)
    page = await anonymous.ok(
        "flickr.photosets.getList",
        user_id=alice["nsid"],
        per_page=2,
        page=1,
        primary_photo_extras="tags,views",
    )
    listing = page["photosets"]
    assert (listing["page"], listing["pages"], listing["perpage"], listing["total"]) == (1, 2, 2, 3)
    assert [s["id"] for s in listing["photoset"]] == [ids[2], ids[1]]  # newest first
    extras = listing["photoset"][0]["primary_photo_extras"]
    assert extras == {"tags": "beach", "views": "7"}
    await anonymous.fail("flickr.photosets.getList", 1, user_id="99999999@N01")
    await anonymous.fail("flickr.photosets.getList", 91, user_id=alice["nsid"], per_page=501)
