"""flickr.photos.search / getRecent / getInfo: filters, shapes, privacy, errors."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from photohub.site import Site
from tests import factories
from tests.api.client import api_for

pytestmark = pytest.mark.anyio


def ids(body: dict[str, object]) -> set[int]:
    photos = body["photos"]
    assert isinstance(photos, dict)
    return {int(p["id"]) for p in photos["photo"]}


async def test_search_by_tags_machine_tags_text_and_user(
    site: Site, client: httpx.AsyncClient
) -> None:
    async with site.db.write() as conn:
        alice = await factories.user(conn, "alice")
        bob = await factories.user(conn, "bob")
        eiffel = await factories.photo(
            conn,
            alice,
            title="Tower at night",
            tags='paris "Eiffel Tower" pleiades:depicts=440947682',
        )
        louvre = await factories.photo(conn, alice, title="Museum", tags="paris louvre")
        rome = await factories.photo(
            conn, bob, title="Colosseum", tags="rome pleiades:depicts=423025"
        )
    api = await api_for(site, client)
    assert ids(await api.ok("flickr.photos.search", tags="paris")) == {eiffel, louvre}
    assert ids(await api.ok("flickr.photos.search", tags="paris,eiffeltower", tag_mode="all")) == {
        eiffel
    }
    assert ids(await api.ok("flickr.photos.search", tags="paris,-louvre")) == {eiffel}
    assert ids(await api.ok("flickr.photos.search", machine_tags="pleiades:depicts=")) == {
        eiffel,
        rome,
    }
    assert ids(await api.ok("flickr.photos.search", machine_tags="*:depicts=423025")) == {rome}
    assert ids(await api.ok("flickr.photos.search", machine_tags="pleiades:")) == {eiffel, rome}
    assert ids(await api.ok("flickr.photos.search", text="colosseum")) == {rome}
    assert ids(await api.ok("flickr.photos.search", user_id=bob["nsid"])) == {rome}
    await api.fail("flickr.photos.search", 2, user_id="99999999@N01")
    await api.fail("flickr.photos.search", 3)
    await api.fail("flickr.photos.search", 11, machine_tags=":=,1x:y=z")
    await api.fail(
        "flickr.photos.search", 1, tags=",".join(f"t{i}" for i in range(21)), tag_mode="all"
    )


async def test_search_pages_sorts_and_extras(site: Site, client: httpx.AsyncClient) -> None:
    async with site.db.write() as conn:
        alice = await factories.user(conn, "alice", realname="Alice A.")
        made = [
            await factories.photo(
                conn,
                alice,
                title=f"p{i}",
                tags="party",
                created_at=datetime(2026, 1, 1 + i),
                views=i,
            )
            for i in range(5)
        ]
    api = await api_for(site, client)
    body = await api.ok(
        "flickr.photos.search",
        tags="party",
        per_page=2,
        page=2,
        extras="date_upload,owner_name,tags,url_m,url_o,views,geo",
    )
    photos = body["photos"]
    assert (photos["page"], photos["pages"], photos["perpage"], photos["total"]) == (2, 3, 2, 5)
    first = photos["photo"][0]
    assert first["id"] == str(made[2])  # newest first: p4 p3 | p2 p1 | p0
    assert first["owner"] == alice["nsid"] and first["ownername"] == "alice"
    assert first["tags"] == "party" and first["views"] == "2"
    assert first["url_m"].startswith("http://testserver/media/") and first["width_m"] == 1024
    assert first["url_o"] == first["url_m"]  # never the original: it may hold GPS EXIF
    assert first["latitude"] == 0  # no location
    oldest = await api.ok("flickr.photos.search", tags="party", sort="date-posted-asc", per_page=1)
    assert ids(oldest) == {made[0]}
    viewed = await api.ok(
        "flickr.photos.search", tags="party", sort="interestingness-desc", per_page=1
    )
    assert ids(viewed) == {made[4]}
    await api.fail("flickr.photos.search", 91, tags="party", per_page=100000)
    await api.fail("flickr.photos.search", 91, tags="party", extras="url_m,nonsense")
    await api.fail("flickr.photos.search", 91, tags="party", sort="random")
    await api.fail("flickr.photos.search", 91, tags="party", min_upload_date="yesterday")


async def test_anonymous_and_strangers_see_only_public_owner_sees_all(
    site: Site, client: httpx.AsyncClient
) -> None:
    async with site.db.write() as conn:
        alice = await factories.user(conn, "alice")
        friend = await factories.user(conn, "friend")
        stranger = await factories.user(conn, "stranger")
        await factories.contact(conn, alice, friend, friend=True)
        shown = {
            vis: await factories.photo(conn, alice, visibility=vis, tags="mine")
            for vis in ("public", "friends", "family", "private")
        }
        moderate = await factories.photo(conn, alice, tags="mine", safety_level=2)
        hidden = await factories.photo(conn, alice, tags="mine", hidden=True)
    anonymous = await api_for(site, client)
    assert ids(await anonymous.ok("flickr.photos.search", tags="mine")) == {shown["public"]}
    # Un-authed calls only ever see safe content, whatever they ask.
    assert moderate not in ids(
        await anonymous.ok("flickr.photos.search", tags="mine", safe_search=3)
    )
    as_stranger = await api_for(site, client, stranger)
    assert ids(await as_stranger.ok("flickr.photos.search", tags="mine")) == {shown["public"]}
    assert moderate in ids(await as_stranger.ok("flickr.photos.search", tags="mine", safe_search=2))
    as_friend = await api_for(site, client, friend)
    assert ids(await as_friend.ok("flickr.photos.search", tags="mine")) == {
        shown["public"],
        shown["friends"],
    }
    as_alice = await api_for(site, client, alice)
    own = ids(await as_alice.ok("flickr.photos.search", user_id="me"))
    assert own == {*shown.values(), moderate, hidden}
    private_only = await as_alice.ok("flickr.photos.search", user_id="me", privacy_filter=5)
    assert ids(private_only) == {shown["private"]}
    # getInfo: hidden and missing photos look the same to others.
    for photo_id in (shown["private"], 10**9):
        await as_stranger.fail("flickr.photos.getInfo", 1, photo_id=photo_id)
    info = await as_friend.ok("flickr.photos.getInfo", photo_id=shown["friends"])
    assert info["photo"]["visibility"] == {"ispublic": 0, "isfriend": 1, "isfamily": 0}
    assert "geoperms" not in info["photo"]


async def test_get_info_counts_views_and_shows_tags_and_location_by_geo_perm(
    site: Site, client: httpx.AsyncClient
) -> None:
    async with site.db.write() as conn:
        alice = await factories.user(conn, "alice")
        open_geo = await factories.photo(
            conn, alice, tags="x geo:lat=1", latitude=48.85, longitude=2.35, accuracy=16, geo_perm=1
        )
        closed_geo = await factories.photo(conn, alice, latitude=48.85, longitude=2.35, geo_perm=6)
    api = await api_for(site, client)
    first = await api.ok("flickr.photos.getInfo", photo_id=open_geo)
    second = await api.ok("flickr.photos.getInfo", photo_id=open_geo)
    assert (first["photo"]["views"], second["photo"]["views"]) == ("1", "2")
    assert first["photo"]["location"]["latitude"] == 48.85
    tags = first["photo"]["tags"]["tag"]
    assert [(t["_content"], t["machine_tag"]) for t in tags] == [("x", 0), ("geo:lat=1", 1)]
    closed = await api.ok("flickr.photos.getInfo", photo_id=closed_geo)
    assert "location" not in closed["photo"]
    as_alice = await api_for(site, client, alice)
    mine = await as_alice.ok("flickr.photos.getInfo", photo_id=closed_geo)
    assert mine["photo"]["location"]["longitude"] == 2.35
    assert mine["photo"]["geoperms"]["ispublic"] == 0
    assert mine["photo"]["views"] == "1"  # the anonymous look above; the owner's is not a view
    located = await api.ok("flickr.photos.search", user_id=alice["nsid"], has_geo=1)
    assert ids(located) == {open_geo}


async def test_xml_is_the_default_format(site: Site, client: httpx.AsyncClient) -> None:
    async with site.db.write() as conn:
        alice = await factories.user(conn, "alice")
        photo_id = await factories.photo(conn, alice, title="<b>&</b>", tags="x")
    api = await api_for(site, client)
    response = await client.get(
        "/services/rest/",
        params={"method": "flickr.photos.search", "api_key": api.api_key, "tags": "x"},
    )
    assert response.headers["content-type"].startswith("text/xml")
    assert '<rsp stat="ok">' in response.text
    assert f'<photo id="{photo_id}"' in response.text
    assert 'title="&lt;b&gt;&amp;&lt;/b&gt;"' in response.text


async def test_searches_serve_at_most_the_first_results_like_flickr(
    site: Site, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from photohub.api.methods import photos as photo_methods

    monkeypatch.setattr(photo_methods, "MAX_RESULTS", 5)  # Flickr's is 4,000
    async with site.db.write() as conn:
        alice = await factories.user(conn, "alice")
        made = [await factories.photo(conn, alice, tags="many") for _ in range(7)]
    api = await api_for(site, client)
    first = await api.ok("flickr.photos.search", tags="many", per_page=2)
    assert (first["photos"]["total"], first["photos"]["pages"]) == (5, 3)
    assert ids(first) == set(made[-2:])
    third = await api.ok("flickr.photos.search", tags="many", per_page=2, page=3)
    assert ids(third) == {made[-5]}  # the 5th newest: the last one served
    beyond = await api.ok("flickr.photos.search", tags="many", per_page=2, page=4)
    assert ids(beyond) == set()
