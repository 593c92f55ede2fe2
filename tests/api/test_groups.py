"""flickr.groups.* and flickr.groups.pools.*: creating, joining and leaving (Flickr's
admin hand-over), pool rules and codes, sorts, and the privacy matrix of a pool."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from photohub.site import Site
from tests import factories
from tests.api.client import Api, api_for
from tests.api.privacy_matrix import VIEWERS, World, assert_matrix, listed_ids, make_world

pytestmark = pytest.mark.anyio


async def pool_of_everything(world: World) -> str:
    """A group the owner created, with every one of the owner's photos in its pool."""
    owner = await world.api("owner")
    group_id = str((await owner.ok("flickr.groups.create", name="Everything"))["group"]["nsid"])
    for photo_id in world.photos.values():
        await owner.ok("flickr.groups.pools.add", group_id=group_id, photo_id=photo_id)
    return group_id


async def test_pool_privacy_matrix_and_counts(site: Site, client: httpx.AsyncClient) -> None:
    world = await make_world(site, client)
    group_id = await pool_of_everything(world)

    async def pool(world: World, api: Api) -> set[int]:
        return listed_ids(await api.ok("flickr.groups.pools.getPhotos", group_id=group_id))

    await assert_matrix(world, pool)
    for viewer in VIEWERS:
        api = await world.api(viewer)
        info = (await api.ok("flickr.groups.getInfo", group_id=group_id))["group"]
        assert info["pool_count"] == {"_content": str(len(world.expected(viewer)))}, viewer


async def test_create_get_info_join_and_leave(site: Site, client: httpx.AsyncClient) -> None:
    async with site.db.write() as conn:
        ann = await factories.user(conn, "ann")
        ben = await factories.user(conn, "ben")
        cat = await factories.user(conn, "cat")
    as_ann, as_ben, as_cat = [await api_for(site, client, u) for u in (ann, ben, cat)]
    created = (await as_ann.ok("flickr.groups.create", name="Birds", description="Feathers only"))[
        "group"
    ]
    group_id = created["nsid"]
    assert group_id.endswith("@N02") and created["id"] == group_id
    assert created["name"] == {"_content": "Birds"}
    info = (await as_ben.ok("flickr.groups.getInfo", group_id=group_id))["group"]
    assert info["name"] == {"_content": "Birds"}
    assert info["description"] == {"_content": "Feathers only"}
    assert (info["members"], info["pool_count"], info["privacy"]) == (
        {"_content": "1"},
        {"_content": "0"},
        {"_content": "3"},
    )
    assert (info["is_member"], info["is_admin"]) == (0, 0)
    anonymous = await api_for(site, client)
    assert (
        "is_member" not in (await anonymous.ok("flickr.groups.getInfo", group_id=group_id))["group"]
    )
    await as_ben.ok("flickr.groups.join", group_id=group_id)
    await as_ben.fail("flickr.groups.join", 4, group_id=group_id)
    await as_cat.ok("flickr.groups.join", group_id=group_id, accept_rules=1)
    await as_ben.fail("flickr.groups.join", 2, group_id="99999999@N02")
    await as_ben.fail("flickr.groups.join", 91, group_id="birds")
    await as_ben.fail("flickr.groups.getInfo", 1, group_id="99999999@N02")
    await as_ben.fail("flickr.groups.getInfo", 1, group_id=ann["nsid"])  # a user, not a group
    # The only admin leaving makes the longest-standing member admin.
    await as_ann.ok("flickr.groups.leave", group_id=group_id)
    await as_ann.fail("flickr.groups.leave", 3, group_id=group_id)
    ben_info = (await as_ben.ok("flickr.groups.getInfo", group_id=group_id))["group"]
    assert (ben_info["is_member"], ben_info["is_admin"], ben_info["members"]) == (
        1,
        1,
        {"_content": "2"},
    )
    cat_info = (await as_cat.ok("flickr.groups.getInfo", group_id=group_id))["group"]
    assert (cat_info["is_member"], cat_info["is_admin"]) == (1, 0)
    # The last member out deletes the group.
    await as_cat.ok("flickr.groups.leave", group_id=group_id)
    await as_ben.ok("flickr.groups.leave", group_id=group_id)
    await as_ben.fail("flickr.groups.getInfo", 1, group_id=group_id)
    await as_ben.fail("flickr.groups.leave", 2, group_id=group_id)
    await as_ann.fail("flickr.groups.create", 90)
    await as_ann.fail("flickr.groups.create", 91, name="\x01")
    await as_ann.fail("flickr.groups.create", 91, name="x" * 101)
    await anonymous.fail("flickr.groups.create", 99, name="Nope")
    writer = await api_for(site, client, ann, perms="write")
    created_again = await writer.ok("flickr.groups.create", name="Again")
    await writer.fail("flickr.groups.leave", 99, group_id=created_again["group"]["nsid"])


async def test_pool_add_and_remove_rules(site: Site, client: httpx.AsyncClient) -> None:
    async with site.db.write() as conn:
        admin = await factories.user(conn, "admin")
        member = await factories.user(conn, "member")
        outsider = await factories.user(conn, "outsider")
        public = await factories.photo(conn, member)
        private = await factories.photo(conn, member, visibility="private")
        outsiders = await factories.photo(conn, outsider)
        admins = await factories.photo(conn, admin)
    as_admin, as_member, as_outsider = [
        await api_for(site, client, u) for u in (admin, member, outsider)
    ]
    group_id = (await as_admin.ok("flickr.groups.create", name="Pool"))["group"]["nsid"]
    await as_member.ok("flickr.groups.join", group_id=group_id)
    await as_member.ok("flickr.groups.pools.add", group_id=group_id, photo_id=public)
    await as_member.ok("flickr.groups.pools.add", group_id=group_id, photo_id=private)
    await as_admin.ok("flickr.groups.pools.add", group_id=group_id, photo_id=admins)
    await as_member.fail("flickr.groups.pools.add", 3, group_id=group_id, photo_id=public)
    await as_member.fail("flickr.groups.pools.add", 1, group_id=group_id, photo_id=admins)
    await as_member.fail("flickr.groups.pools.add", 1, group_id=group_id, photo_id=10**9)
    await as_outsider.fail("flickr.groups.pools.add", 2, group_id=group_id, photo_id=outsiders)
    await as_member.fail("flickr.groups.pools.add", 2, group_id="99999999@N02", photo_id=public)
    # Removing: the photo's owner or a group admin; a hidden photo is "not in the pool".
    await as_outsider.fail("flickr.groups.pools.remove", 3, group_id=group_id, photo_id=public)
    await as_member.fail("flickr.groups.pools.remove", 3, group_id=group_id, photo_id=admins)
    await as_admin.fail("flickr.groups.pools.remove", 2, group_id=group_id, photo_id=private)
    await as_admin.fail("flickr.groups.pools.remove", 2, group_id=group_id, photo_id=outsiders)
    await as_admin.fail("flickr.groups.pools.remove", 1, group_id="99999999@N02", photo_id=public)
    await as_admin.ok("flickr.groups.pools.remove", group_id=group_id, photo_id=public)
    await as_member.ok("flickr.groups.pools.remove", group_id=group_id, photo_id=private)
    pool = await as_admin.ok("flickr.groups.pools.getPhotos", group_id=group_id)
    assert listed_ids(pool) == {admins}
    # delete_photos takes the leaver's photos out of the pool.
    await as_member.ok("flickr.groups.pools.add", group_id=group_id, photo_id=public)
    await as_member.ok("flickr.groups.leave", group_id=group_id, delete_photos=1)
    pool = await as_admin.ok("flickr.groups.pools.getPhotos", group_id=group_id)
    assert listed_ids(pool) == {admins}


async def test_pool_sorts_filters_and_item_fields(site: Site, client: httpx.AsyncClient) -> None:
    async with site.db.write() as conn:
        ann = await factories.user(conn, "ann")
        ben = await factories.user(conn, "ben")
        older = await factories.photo(
            conn, ann, tags="bird", views=5, created_at=datetime(2026, 1, 1)
        )
        newer = await factories.photo(conn, ann, views=1, created_at=datetime(2026, 2, 1))
        bens = await factories.photo(
            conn, ben, tags="bird", views=3, created_at=datetime(2026, 3, 1)
        )
    as_ann, as_ben = [await api_for(site, client, u) for u in (ann, ben)]
    group_id = (await as_ann.ok("flickr.groups.create", name="Sorts"))["group"]["nsid"]
    await as_ben.ok("flickr.groups.join", group_id=group_id)
    for api, photo_id in ((as_ann, newer), (as_ben, bens), (as_ann, older)):  # added in order
        await api.ok("flickr.groups.pools.add", group_id=group_id, photo_id=photo_id)
    anonymous = await api_for(site, client)

    async def order(**params: object) -> list[int]:
        body = await anonymous.ok("flickr.groups.pools.getPhotos", group_id=group_id, **params)
        return [int(p["id"]) for p in body["photos"]["photo"]]

    assert await order() == [older, bens, newer]  # newest in the pool first
    assert await order(sort="date-posted-desc") == [bens, newer, older]
    assert await order(sort="views-desc") == [older, bens, newer]
    assert await order(sort="interestingness-desc") == [older, bens, newer]
    assert await order(tags="Bird") == [older, bens]
    assert await order(user_id=ben["nsid"]) == [bens]
    body = await anonymous.ok("flickr.groups.pools.getPhotos", group_id=group_id, per_page=1)
    item = body["photos"]["photo"][0]
    assert item["ownername"] == "ann" and int(item["dateadded"]) > 1_700_000_000
    assert (body["photos"]["total"], body["photos"]["pages"]) == (3, 3)
    await anonymous.fail("flickr.groups.pools.getPhotos", 91, group_id=group_id, sort="random")
    await anonymous.fail("flickr.groups.pools.getPhotos", 1, group_id="99999999@N02")
    await anonymous.fail("flickr.groups.pools.getPhotos", 90)
    await anonymous.fail(
        "flickr.groups.pools.getPhotos", 2, group_id=group_id, user_id="99999999@N01"
    )
