"""flickr.contacts.*: adding, marking, listing, removing, and what the marks let a
contact see."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from photohub.site import Site
from tests import factories
from tests.api.client import api_for
from tests.api.privacy_matrix import listed_ids

pytestmark = pytest.mark.anyio


def names(body: dict[str, Any]) -> list[str]:
    return [c["username"] for c in body["contacts"]["contact"]]


async def test_add_marks_and_remove_decide_what_a_contact_sees(
    site: Site, client: httpx.AsyncClient
) -> None:
    async with site.db.write() as conn:
        alice = await factories.user(conn, "alice")
        bob = await factories.user(conn, "bob")
        shown = {
            vis: await factories.photo(conn, alice, visibility=vis)
            for vis in ("public", "contacts", "friends", "family", "private")
        }
    as_alice = await api_for(site, client, alice)
    as_bob = await api_for(site, client, bob)

    async def bob_sees() -> set[int]:
        return listed_ids(await as_bob.ok("flickr.people.getPhotos", user_id=alice["nsid"]))

    assert await bob_sees() == {shown["public"]}
    added = await as_alice.ok("flickr.contacts.add", user_id=bob["nsid"], friend=1)
    assert added["contact"] == {"nsid": bob["nsid"], "friend": 1, "family": 0}
    assert await bob_sees() == {shown["public"], shown["contacts"], shown["friends"]}
    # Adding again replaces the marks.
    await as_alice.ok("flickr.contacts.add", user_id=bob["nsid"], family=1)
    assert await bob_sees() == {shown["public"], shown["contacts"], shown["family"]}
    listed = (await as_alice.ok("flickr.contacts.getList"))["contacts"]
    assert listed["total"] == 1
    (entry,) = listed["contact"]
    assert (entry["nsid"], entry["friend"], entry["family"], entry["ignored"]) == (
        bob["nsid"],
        0,
        1,
        0,
    )
    assert entry["iconserver"] == "0" and entry["realname"] == ""
    # Bob's own list is his: alice's marks do not make alice his contact.
    assert (await as_bob.ok("flickr.contacts.getList"))["contacts"]["total"] == 0
    await as_alice.ok("flickr.contacts.remove", user_id=bob["nsid"])
    assert await bob_sees() == {shown["public"]}
    await as_alice.fail("flickr.contacts.remove", 2, user_id=bob["nsid"])
    await as_alice.fail("flickr.contacts.remove", 1, user_id="99999999@N01")


async def test_add_refuses_bad_input_and_weak_tokens(site: Site, client: httpx.AsyncClient) -> None:
    async with site.db.write() as conn:
        alice = await factories.user(conn, "alice")
        bob = await factories.user(conn, "bob")
    as_alice = await api_for(site, client, alice)
    await as_alice.fail("flickr.contacts.add", 2, user_id=alice["nsid"])
    await as_alice.fail("flickr.contacts.add", 1, user_id="99999999@N01")
    await as_alice.fail("flickr.contacts.add", 91, user_id="bob")
    await as_alice.fail("flickr.contacts.add", 91, user_id=bob["nsid"], friend="maybe")
    await as_alice.fail("flickr.contacts.add", 90)
    reader = await api_for(site, client, alice, perms="read")
    await reader.fail("flickr.contacts.add", 99, user_id=bob["nsid"])
    anonymous = await api_for(site, client)
    await anonymous.fail("flickr.contacts.add", 99, user_id=bob["nsid"])
    await anonymous.fail("flickr.contacts.getList", 99)
    assert (await as_alice.ok("flickr.contacts.getList"))["contacts"]["total"] == 0


async def test_get_list_filters_sorts_and_pages(site: Site, client: httpx.AsyncClient) -> None:
    async with site.db.write() as conn:
        alice = await factories.user(conn, "alice")
        people = {name: await factories.user(conn, name) for name in ("dora", "Carl", "bea", "al")}
    as_alice = await api_for(site, client, alice)
    marks = {"dora": (1, 0), "al": (0, 0), "Carl": (0, 1), "bea": (1, 1)}
    for name, (friend, family) in marks.items():  # added in this order
        await as_alice.ok(
            "flickr.contacts.add", user_id=people[name]["nsid"], friend=friend, family=family
        )
    assert names(await as_alice.ok("flickr.contacts.getList")) == ["al", "bea", "Carl", "dora"]
    by_time = await as_alice.ok("flickr.contacts.getList", sort="time")
    assert names(by_time) == ["bea", "Carl", "al", "dora"]  # the latest added first
    for only, expected in (
        ("friends", ["dora"]),
        ("family", ["Carl"]),
        ("both", ["bea"]),
        ("neither", ["al"]),
    ):
        assert names(await as_alice.ok("flickr.contacts.getList", filter=only)) == expected
    page = (await as_alice.ok("flickr.contacts.getList", per_page=3, page=2))["contacts"]
    assert (page["page"], page["pages"], page["perpage"], page["total"]) == (2, 2, 3, 4)
    assert [c["username"] for c in page["contact"]] == ["dora"]
    await as_alice.fail("flickr.contacts.getList", 91, filter="enemies")
    await as_alice.fail("flickr.contacts.getList", 91, sort="age")
    await as_alice.fail("flickr.contacts.getList", 91, per_page=1001)


async def test_get_public_list_shows_no_marks(site: Site, client: httpx.AsyncClient) -> None:
    async with site.db.write() as conn:
        alice = await factories.user(conn, "alice")
        bob = await factories.user(conn, "bob")
        await factories.contact(conn, alice, bob, friend=True, family=True)
    anonymous = await api_for(site, client)
    body = (await anonymous.ok("flickr.contacts.getPublicList", user_id=alice["nsid"]))["contacts"]
    assert body["total"] == 1
    (entry,) = body["contact"]
    assert entry["nsid"] == bob["nsid"] and entry["username"] == "bob"
    assert not {"friend", "family", "realname"} & set(entry)
    await anonymous.fail("flickr.contacts.getPublicList", 1, user_id="99999999@N01")
    await anonymous.fail("flickr.contacts.getPublicList", 90)
    as_bob = await api_for(site, client, bob)
    mine = await as_bob.ok("flickr.contacts.getPublicList", user_id="me")
    assert mine["contacts"]["total"] == 0
