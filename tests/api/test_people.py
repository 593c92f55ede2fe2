"""flickr.people.*, flickr.photos.people.* and flickr.commons.*: shapes, privacy, errors."""

from __future__ import annotations

import calendar

import httpx
import pytest

from photohub.domain.privacy import PUBLIC, VISIBILITIES, Relation
from photohub.site import Site
from photohub.store import users
from tests import factories
from tests.api.client import Api, api_for
from tests.api.privacy_matrix import VIEWERS, World, assert_matrix, listed_ids, make_world

pytestmark = pytest.mark.anyio


def unix(world: World, visibility: str) -> str:
    return str(calendar.timegm(world.created[visibility].utctimetuple()))


async def test_people_get_photos_privacy_matrix(site: Site, client: httpx.AsyncClient) -> None:
    world = await make_world(site, client)

    async def stream(world: World, api: Api) -> set[int]:
        body = await api.ok("flickr.people.getPhotos", user_id=world.owner["nsid"])
        return listed_ids(body)

    await assert_matrix(world, stream)


async def test_people_get_public_photos_is_public_only_even_for_the_owner(
    site: Site, client: httpx.AsyncClient
) -> None:
    world = await make_world(site, client)

    async def public(world: World, api: Api) -> set[int]:
        body = await api.ok("flickr.people.getPublicPhotos", user_id=world.owner["nsid"])
        return listed_ids(body)

    def public_only(visibility: str, relation: Relation) -> bool:
        return visibility == PUBLIC

    await assert_matrix(world, public, rule=public_only)
    anonymous = await world.api("anonymous")
    await anonymous.fail("flickr.people.getPublicPhotos", 1, user_id="99999999@N01")
    await anonymous.fail("flickr.people.getPublicPhotos", 99, user_id="me")


async def test_get_photos_filters_safety_dates_and_own_privacy(
    site: Site, client: httpx.AsyncClient
) -> None:
    world = await make_world(site, client)
    async with site.db.write() as conn:
        moderate = await factories.photo(conn, world.owner, safety_level=2)
    owner_id = world.owner["nsid"]
    anonymous, other, owner = [await world.api(v) for v in ("anonymous", "other", "owner")]
    # Un-authed calls see safe photos only, whatever they ask; others choose; owners see all.
    body = await anonymous.ok("flickr.people.getPhotos", user_id=owner_id, safe_search=3)
    assert moderate not in listed_ids(body)
    assert moderate not in listed_ids(await other.ok("flickr.people.getPhotos", user_id=owner_id))
    body = await other.ok("flickr.people.getPhotos", user_id=owner_id, safe_search=2)
    assert moderate in listed_ids(body)
    assert moderate in listed_ids(await owner.ok("flickr.people.getPhotos", user_id="me"))
    private = await owner.ok("flickr.people.getPhotos", user_id="me", privacy_filter=5)
    assert listed_ids(private) == {world.photos["private"], world.photos["contacts"]}
    # privacy_filter is for one's own photos only: others get what they may see.
    body = await other.ok("flickr.people.getPhotos", user_id=owner_id, privacy_filter=5)
    assert listed_ids(body) == {world.photos["public"]}
    recent = await owner.ok(
        "flickr.people.getPhotos",
        user_id="me",
        min_upload_date=unix(world, "friends"),
        max_upload_date=unix(world, "public"),
    )
    assert listed_ids(recent) == {world.photos[v] for v in ("public", "contacts", "friends")}
    paged = await owner.ok("flickr.people.getPhotos", user_id="me", per_page=2, page=2)
    assert (paged["photos"]["page"], paged["photos"]["pages"], paged["photos"]["total"]) == (
        2,
        4,
        7,
    )
    await other.fail("flickr.people.getPhotos", 2, user_id="99999999@N01")
    await other.fail("flickr.people.getPhotos", 90)
    await other.fail("flickr.people.getPhotos", 91, user_id="alice")
    await other.fail("flickr.people.getPhotos", 91, user_id=owner_id, safe_search=4)
    await other.fail("flickr.people.getPhotos", 91, user_id=owner_id, min_upload_date="soon")
    await anonymous.fail("flickr.people.getPhotos", 99, user_id="me")


async def test_get_info_counts_only_what_the_caller_may_see(
    site: Site, client: httpx.AsyncClient
) -> None:
    world = await make_world(site, client, taken_at=None)
    for viewer in VIEWERS:
        api = await world.api(viewer)
        person = (await api.ok("flickr.people.getInfo", user_id=world.owner["nsid"]))["person"]
        seen = world.expected(viewer)
        assert person["photos"]["count"]["_content"] == len(seen), viewer
        oldest = min(seen, key=lambda pid: world.created[_vis(world, pid)])
        assert person["photos"]["firstdate"]["_content"] == unix(world, _vis(world, oldest))
        assert person["photos"]["firstdatetaken"]["_content"] == ""  # none has a taken date


def _vis(world: World, photo_id: int) -> str:
    return next(v for v, pid in world.photos.items() if pid == photo_id)


async def test_get_info_shape_icon_institution_and_contact_flags(
    site: Site, client: httpx.AsyncClient
) -> None:
    world = await make_world(site, client)
    anonymous = await world.api("anonymous")
    info = (await anonymous.ok("flickr.people.getInfo", user_id=world.owner["nsid"]))["person"]
    assert info["nsid"] == info["id"] == world.owner["nsid"]
    assert info["username"] == {"_content": "owner"}
    assert (info["ispro"], info["is_institution"], info["iconserver"], info["iconfarm"]) == (
        0,
        0,
        "0",
        0,
    )
    assert info["buddyicon"] == {"_content": "http://testserver/static/buddyicon.jpg"}
    assert "contact" not in info  # anonymous calls get no relation flags
    async with site.db.write() as conn:
        await users.update(
            conn, int(world.owner["id"]), buddyicon="11_0123456789abcdef.jpg", is_institution=True
        )
    friend = await world.api("friend")
    info = (await friend.ok("flickr.people.getInfo", user_id=world.owner["nsid"]))["person"]
    assert (info["iconserver"], info["iconfarm"], info["is_institution"]) == ("1", 1, 1)
    assert info["buddyicon"]["_content"] == "http://testserver/buddyicons/11_0123456789abcdef.jpg"
    # friend has not listed the owner; the owner lists friend as a friend.
    flags = {k: info[k] for k in ("contact", "friend", "family", "revcontact", "revfriend")}
    assert flags == {"contact": 0, "friend": 0, "family": 0, "revcontact": 1, "revfriend": 1}
    contact = await world.api("contact")
    info = (await contact.ok("flickr.people.getInfo", user_id=world.owner["nsid"]))["person"]
    assert (info["contact"], info["friend"], info["family"], info["revcontact"]) == (1, 1, 1, 1)
    assert info["revfriend"] == 0
    own = (await (await world.api("owner")).ok("flickr.people.getInfo", user_id="me"))["person"]
    assert own["nsid"] == world.owner["nsid"] and "revcontact" not in own
    await anonymous.fail("flickr.people.getInfo", 1, user_id="99999999@N01")
    await anonymous.fail("flickr.people.getInfo", 99, user_id="me")
    await anonymous.fail("flickr.people.getInfo", 90)


async def test_find_by_username(site: Site, client: httpx.AsyncClient) -> None:
    async with site.db.write() as conn:
        alice = await factories.user(conn, "Alice Smith")
    api = await api_for(site, client)
    body = await api.ok("flickr.people.findByUsername", username="alice smith")
    assert body["user"] == {
        "id": alice["nsid"],
        "nsid": alice["nsid"],
        "username": {"_content": "Alice Smith"},
    }
    await api.fail("flickr.people.findByUsername", 1, username="nobody")
    await api.fail("flickr.people.findByUsername", 90, username="")
    await api.fail("flickr.people.findByUsername", 91, username="x" * 65)


async def test_commons_institutions(site: Site, client: httpx.AsyncClient) -> None:
    async with site.db.write() as conn:
        museum = await factories.user(conn, "museum", realname="The Museum", is_institution=True)
        await factories.user(conn, "person")
    api = await api_for(site, client)
    body = await api.ok("flickr.commons.getInstitutions")
    assert body["institutions"]["institution"] == [
        {
            "nsid": museum["nsid"],
            "date_launch": str(calendar.timegm(museum["created_at"].utctimetuple())),
            "name": {"_content": "The Museum"},
            "urls": {"url": []},
        }
    ]
    xml = await client.get(
        "/services/rest/",
        params={"method": "flickr.commons.getInstitutions", "api_key": api.api_key},
    )
    assert f'<institution nsid="{museum["nsid"]}"' in xml.text
    assert "<name>The Museum</name>" in xml.text


async def test_photos_people_add_delete_and_list(site: Site, client: httpx.AsyncClient) -> None:
    world = await make_world(site, client)
    owner, friend, other, anonymous = [
        await world.api(v) for v in ("owner", "friend", "other", "anonymous")
    ]
    public, friends_only, private = (world.photos[v] for v in ("public", "friends", "private"))
    people = {name: world.people[name]["nsid"] for name in world.people}
    # The owner may add anyone, to any of their photos.
    await owner.ok("flickr.photos.people.add", photo_id=private, user_id=people["other"])
    await owner.ok("flickr.photos.people.add", photo_id=public, user_id=people["family"])
    await owner.ok("flickr.photos.people.add", photo_id=public, user_id=people["family"])  # again
    # Anyone else adds only themselves, to a photo they may see.
    await friend.ok("flickr.photos.people.add", photo_id=friends_only, user_id="me")
    await friend.fail("flickr.photos.people.add", 4, photo_id=public, user_id=people["other"])
    await other.fail("flickr.photos.people.add", 2, photo_id=friends_only, user_id="me")
    await other.fail("flickr.photos.people.add", 2, photo_id=10**9, user_id="me")
    await other.fail("flickr.photos.people.add", 1, photo_id=public, user_id="99999999@N01")
    await anonymous.fail("flickr.photos.people.add", 99, photo_id=public, user_id="me")
    listed = (await anonymous.ok("flickr.photos.people.getList", photo_id=public))["people"]
    assert listed["total"] == 1
    (person,) = listed["person"]
    assert person["nsid"] == people["family"] and person["added_by"] == world.owner["nsid"]
    assert person["username"] == "family" and person["iconserver"] == "0"
    friends = await friend.ok("flickr.photos.people.getList", photo_id=friends_only)
    assert [p["added_by"] for p in friends["people"]["person"]] == [people["friend"]]
    # The private photo, and who is in it, stay the owner's: missing and hidden alike.
    await other.fail("flickr.photos.people.getList", 1, photo_id=private)
    await anonymous.fail("flickr.photos.people.getList", 1, photo_id=10**9)
    mine = await owner.ok("flickr.photos.people.getList", photo_id=private)
    assert [p["nsid"] for p in mine["people"]["person"]] == [people["other"]]
    # Removing: the owner anyone, a person themselves, nobody else.
    await other.fail("flickr.photos.people.delete", 3, photo_id=public, user_id=people["family"])
    await other.fail("flickr.photos.people.delete", 1, photo_id=public, user_id="me")
    await friend.ok("flickr.photos.people.delete", photo_id=friends_only, user_id="me")
    await owner.ok("flickr.photos.people.delete", photo_id=public, user_id=people["family"])
    await owner.fail("flickr.photos.people.delete", 1, photo_id=public, user_id=people["family"])
    for photo_id in (public, friends_only):
        body = await owner.ok("flickr.photos.people.getList", photo_id=photo_id)
        assert body["people"] == {"total": 0, "person": []}
    info = await owner.ok("flickr.photos.getInfo", photo_id=private)
    assert info["photo"]["people"] == {"haspeople": 1}
    assert len(VISIBILITIES) == len(world.photos)
