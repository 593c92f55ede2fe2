"""Geotags through the API: setLocation names places; search by bbox, radius and place
never reveals a location the caller may not see; geo permissions; flickr.places.*."""

from __future__ import annotations

import httpx
import pytest

from photohub.site import Site
from tests import factories
from tests.api.client import api_for
from tests.api.test_photos_read import ids

pytestmark = pytest.mark.anyio

PARIS = (48.8566, 2.3522)
FIJI = (-17.8, 179.9)  # just west of the antimeridian
SAMOA_SIDE = (-17.8, -179.9)  # just east of it


async def test_set_location_names_places_and_search_finds_them(
    site: Site, client: httpx.AsyncClient
) -> None:
    async with site.db.write() as conn:
        alice = await factories.user(conn, "alice", default_geo_perm=1)
        photo_id = await factories.photo(conn, alice, geo_perm=1)
    as_alice = await api_for(site, client, alice)
    await as_alice.ok(
        "flickr.photos.geo.setLocation", photo_id=photo_id, lat=PARIS[0], lon=PARIS[1]
    )
    located = await as_alice.ok("flickr.photos.geo.getLocation", photo_id=photo_id)
    location = located["photo"]["location"]
    assert location["locality"]["_content"] == "Paris"
    assert location["country"]["_content"] == "France"
    anonymous = await api_for(site, client)
    assert ids(
        await anonymous.ok("flickr.photos.search", place_id=location["locality"]["place_id"])
    ) == {photo_id}
    assert ids(await anonymous.ok("flickr.photos.search", woe_id=location["country"]["woeid"])) == {
        photo_id
    }
    assert ids(await anonymous.ok("flickr.photos.search", lat=48.86, lon=2.34, radius=2)) == {
        photo_id
    }
    assert ids(await anonymous.ok("flickr.photos.search", lat=48.86, lon=2.6, radius=5)) == set()
    assert ids(await anonymous.ok("flickr.photos.search", bbox="2,48,3,49")) == {photo_id}
    info = await anonymous.ok("flickr.places.getInfo", place_id=location["locality"]["place_id"])
    assert info["place"]["woe_name"] == "Paris" and info["place"]["country"]["_content"] == "France"
    found = await anonymous.ok("flickr.places.findByLatLon", lat=PARIS[0], lon=PARIS[1], accuracy=3)
    assert found["places"]["place"][0]["place_type"] == "country"
    await as_alice.ok("flickr.photos.geo.removeLocation", photo_id=photo_id)
    await as_alice.fail("flickr.photos.geo.getLocation", 2, photo_id=photo_id)
    assert ids(await anonymous.ok("flickr.photos.search", bbox="2,48,3,49")) == set()


async def test_a_new_geotag_is_as_private_as_the_owner_default(
    site: Site, client: httpx.AsyncClient
) -> None:
    async with site.db.write() as conn:
        alice = await factories.user(conn, "alice")  # default geo perm 6: private
        photo_id = await factories.photo(conn, alice, geo_perm=1)
    as_alice = await api_for(site, client, alice)
    assert (await as_alice.ok("flickr.prefs.getGeoPerms"))["person"]["geoperms"] == 6
    await as_alice.ok(
        "flickr.photos.geo.setLocation", photo_id=photo_id, lat=PARIS[0], lon=PARIS[1]
    )
    perms = await as_alice.ok("flickr.photos.geo.getPerms", photo_id=photo_id)
    assert perms["perms"]["ispublic"] == 0
    anonymous = await api_for(site, client)
    await anonymous.fail("flickr.photos.geo.getLocation", 2, photo_id=photo_id)
    await anonymous.fail("flickr.photos.geo.getPerms", 99, photo_id=photo_id)


@pytest.mark.parametrize(
    ("geo_perm", "seen_by"),
    [
        (1, {"anonymous", "stranger", "contact", "friend", "family", "owner"}),
        (2, {"contact", "friend", "family", "owner"}),
        (3, {"friend", "owner"}),
        (4, {"family", "owner"}),
        (5, {"friend", "family", "owner"}),
        (6, {"owner"}),
    ],
)
async def test_location_matrix_for_every_geo_perm(
    site: Site, client: httpx.AsyncClient, geo_perm: int, seen_by: set[str]
) -> None:
    async with site.db.write() as conn:
        owner = await factories.user(conn, "owner")
        people = {
            name: await factories.user(conn, name)
            for name in ("stranger", "contact", "friend", "family")
        }
        await factories.contact(conn, owner, people["contact"])
        await factories.contact(conn, owner, people["friend"], friend=True)
        await factories.contact(conn, owner, people["family"], family=True)
        photo_id = await factories.photo(
            conn, owner, geo_perm=geo_perm, latitude=PARIS[0], longitude=PARIS[1], accuracy=16
        )
    callers = {
        "anonymous": await api_for(site, client),
        "owner": await api_for(site, client, owner),
    }
    for name, person in people.items():
        callers[name] = await api_for(site, client, person)
    for name, api in callers.items():
        sees = name in seen_by
        located = await api.call("flickr.photos.geo.getLocation", photo_id=photo_id)
        assert (located["stat"] == "ok") is sees, name
        info = await api.ok("flickr.photos.getInfo", photo_id=photo_id)
        assert ("location" in info["photo"]) is sees, name
        listed = await api.ok("flickr.photos.search", user_id=owner["nsid"], extras="geo")
        assert (listed["photos"]["photo"][0]["latitude"] != 0) is sees, name
        for query in ({"bbox": "2,48,3,49"}, {"lat": PARIS[0], "lon": PARIS[1]}, {"has_geo": 1}):
            found = await api.ok("flickr.photos.search", user_id=owner["nsid"], **query)
            assert (photo_id in ids(found)) is sees, (name, query)


async def test_antimeridian_boxes_poles_and_bad_geo_arguments(
    site: Site, client: httpx.AsyncClient
) -> None:
    async with site.db.write() as conn:
        alice = await factories.user(conn, "alice")
        west = await factories.photo(conn, alice, geo_perm=1, latitude=FIJI[0], longitude=FIJI[1])
        east = await factories.photo(
            conn, alice, geo_perm=1, latitude=SAMOA_SIDE[0], longitude=SAMOA_SIDE[1]
        )
        pole = await factories.photo(conn, alice, geo_perm=1, latitude=89.99, longitude=120.0)
        paris = await factories.photo(
            conn, alice, geo_perm=1, latitude=PARIS[0], longitude=PARIS[1]
        )
    api = await api_for(site, client)
    assert ids(await api.ok("flickr.photos.search", bbox="179,-19,-179,-17")) == {west, east}
    assert ids(await api.ok("flickr.photos.search", lat=-17.8, lon=180, radius=20)) == {west, east}
    assert ids(await api.ok("flickr.photos.search", lat=89.9, lon=-60, radius=20)) == {pole}
    assert ids(await api.ok("flickr.photos.search", bbox="-180,-90,180,90")) == {
        west,
        east,
        pole,
        paris,
    }
    for bad in ("1,2,3", "a,b,c,d", "0,50,10,40", "0,-91,1,1", "181,0,182,1"):
        await api.fail("flickr.photos.search", 91, bbox=bad)
    await api.fail("flickr.photos.search", 91, lat=10, lon=10, radius=33)
    await api.fail("flickr.photos.search", 91, lat=10, lon=10, radius=21, radius_units="mi")
    await api.fail("flickr.photos.search", 91, lat=10)
    await api.fail("flickr.photos.search", 91, place_id="nowhere!")
    await api.fail("flickr.places.getInfo", 2, woe_id=1)
    await api.fail("flickr.places.findByLatLon", 91, lat=91, lon=0)
