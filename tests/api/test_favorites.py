"""flickr.favorites.*: faving rules and codes, fave-date order, and the privacy matrix of
both lists."""

from __future__ import annotations

import calendar
from datetime import datetime

import httpx
import pytest
from sqlalchemy.engine import RowMapping

from photohub.domain.privacy import PUBLIC, Relation, may_see
from photohub.site import Site
from photohub.store.schema import faves
from tests import factories
from tests.api.client import Api, api_for
from tests.api.privacy_matrix import World, assert_matrix, listed_ids, make_world

pytestmark = pytest.mark.anyio


async def fave_directly(site: Site, fan: RowMapping, photo_id: int, when: datetime) -> None:
    """A fave made while the fan could still see the photo (its owner may have made it
    more private since): written to the store, as the API would refuse it now."""
    async with site.db.write() as conn:
        await conn.execute(
            faves.insert().values(user_id=fan["id"], photo_id=photo_id, created_at=when)
        )


async def world_with_fan(site: Site, client: httpx.AsyncClient) -> tuple[World, RowMapping]:
    world = await make_world(site, client)
    async with site.db.write() as conn:
        fan = await factories.user(conn, "fan")
    for day, photo_id in enumerate(world.photos.values(), start=1):
        await fave_directly(site, fan, photo_id, datetime(2026, 5, day))
    return world, fan


async def test_get_list_privacy_matrix(site: Site, client: httpx.AsyncClient) -> None:
    world, fan = await world_with_fan(site, client)

    async def fan_faves(world: World, api: Api) -> set[int]:
        return listed_ids(await api.ok("flickr.favorites.getList", user_id=fan["nsid"]))

    await assert_matrix(world, fan_faves)


async def test_get_public_list_privacy_matrix(site: Site, client: httpx.AsyncClient) -> None:
    world, fan = await world_with_fan(site, client)

    async def fan_public_faves(world: World, api: Api) -> set[int]:
        body = await api.ok("flickr.favorites.getPublicList", user_id=fan["nsid"])
        return listed_ids(body)

    def public_only(visibility: str, relation: Relation) -> bool:
        return visibility == PUBLIC and may_see(visibility, relation)

    await assert_matrix(world, fan_public_faves, rule=public_only)


async def test_add_and_remove_follow_flickr_codes(site: Site, client: httpx.AsyncClient) -> None:
    world = await make_world(site, client)
    friend, other, owner = [await world.api(v) for v in ("friend", "other", "owner")]
    photos = world.photos
    await friend.ok("flickr.favorites.add", photo_id=photos["friends"])
    await friend.fail("flickr.favorites.add", 3, photo_id=photos["friends"])
    await owner.fail("flickr.favorites.add", 2, photo_id=photos["public"])
    # Hidden and missing photos look alike.
    await other.fail("flickr.favorites.add", 1, photo_id=photos["friends"])
    await other.fail("flickr.favorites.add", 1, photo_id=photos["private"])
    await other.fail("flickr.favorites.add", 1, photo_id=10**9)
    await other.fail("flickr.favorites.add", 91, photo_id="abc")
    await other.fail("flickr.favorites.add", 90)
    anonymous = await world.api("anonymous")
    await anonymous.fail("flickr.favorites.add", 99, photo_id=photos["public"])
    reader = await api_for(site, client, world.people["other"], perms="read")
    await reader.fail("flickr.favorites.add", 99, photo_id=photos["public"])
    mine = await friend.ok("flickr.favorites.getList")
    assert listed_ids(mine) == {photos["friends"]}
    await friend.ok("flickr.favorites.remove", photo_id=photos["friends"])
    await friend.fail("flickr.favorites.remove", 1, photo_id=photos["friends"])
    assert listed_ids(await friend.ok("flickr.favorites.getList")) == set()
    await anonymous.fail("flickr.favorites.getList", 99)  # whose? nobody is calling


async def test_lists_are_newest_fave_first_with_fave_dates(
    site: Site, client: httpx.AsyncClient
) -> None:
    async with site.db.write() as conn:
        alice = await factories.user(conn, "alice")
        fan = await factories.user(conn, "fan")
        made = [
            await factories.photo(conn, alice, title=f"p{i}", created_at=datetime(2026, 1, 1 + i))
            for i in range(4)
        ]
    # Faved in another order than uploaded.
    for day, photo_id in zip((3, 1, 4, 2), made, strict=True):
        await fave_directly(site, fan, photo_id, datetime(2026, 6, day, 10, 0, 0))
    api = await api_for(site, client)
    body = await api.ok("flickr.favorites.getPublicList", user_id=fan["nsid"], extras="owner_name")
    listed = body["photos"]["photo"]
    assert [int(p["id"]) for p in listed] == [made[2], made[0], made[3], made[1]]
    june_4 = str(calendar.timegm(datetime(2026, 6, 4, 10).utctimetuple()))
    assert listed[0]["date_faved"] == june_4 and listed[0]["ownername"] == "alice"
    between = await api.ok(
        "flickr.favorites.getList",
        user_id=fan["nsid"],
        min_fave_date="2026-06-02",
        max_fave_date="2026-06-03 23:00:00",
    )
    assert [int(p["id"]) for p in between["photos"]["photo"]] == [made[0], made[3]]
    page = await api.ok("flickr.favorites.getList", user_id=fan["nsid"], per_page=3, page=2)
    assert [int(p["id"]) for p in page["photos"]["photo"]] == [made[1]]
    assert (page["photos"]["pages"], page["photos"]["total"]) == (2, 4)
    await api.fail("flickr.favorites.getList", 1, user_id="99999999@N01")
    await api.fail("flickr.favorites.getPublicList", 90)
    await api.fail("flickr.favorites.getList", 91, user_id=fan["nsid"], min_fave_date="later")


async def test_a_fave_of_a_photo_made_private_stays_out_of_sight(
    site: Site, client: httpx.AsyncClient
) -> None:
    async with site.db.write() as conn:
        alice = await factories.user(conn, "alice")
        fan = await factories.user(conn, "fan")
        photo_id = await factories.photo(conn, alice)
    as_fan = await api_for(site, client, fan)
    as_alice = await api_for(site, client, alice)
    await as_fan.ok("flickr.favorites.add", photo_id=photo_id)
    assert listed_ids(await as_fan.ok("flickr.favorites.getList")) == {photo_id}
    await as_alice.ok(
        "flickr.photos.setPerms", photo_id=photo_id, is_public=0, is_friend=0, is_family=0
    )
    assert listed_ids(await as_fan.ok("flickr.favorites.getList")) == set()
    assert listed_ids(await as_alice.ok("flickr.favorites.getList", user_id=fan["nsid"])) == {
        photo_id
    }
    # The fan can still take the fave back.
    await as_fan.ok("flickr.favorites.remove", photo_id=photo_id)
    assert listed_ids(await as_alice.ok("flickr.favorites.getList", user_id=fan["nsid"])) == set()
