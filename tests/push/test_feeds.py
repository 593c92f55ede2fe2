"""GET of a topic URL (WebSub §4): each of the nine topics serves exactly the photos its
subscribers would be sent, never one that is not public, safe, ready and approved or
whose owner opted out; locations only where public; Link, ETag, Last-Modified, 304,
JSON Feed, HEAD and the errors of a bad topic URL. Read with feedparser, as a feed
reader would, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import feedparser
import httpx
import pytest
from sqlalchemy.engine import RowMapping

from photohub.config import Settings
from photohub.domain.geo import haversine_km
from photohub.domain.privacy import (
    GEO_CONTACTS,
    GEO_PUBLIC,
    VISIBILITIES,
    location_public,
    pushable,
)
from photohub.domain.push_match import PhotoFacts, admits, fave_keys, photo_keys, topic_keys
from photohub.domain.topics import PERSONAL_TOPICS, make_topic
from photohub.places.ids import decode_place_id, encode_place_id
from photohub.site import Site
from photohub.store import photo_people
from photohub.store import photos as photo_store
from photohub.store.schema import users
from tests import factories

pytestmark = pytest.mark.anyio

START = datetime(2026, 5, 1, 12, 0, 0)
PARIS = (48.8566, 2.3522)
PARIS_WOE = 2988507  # the city (GeoNames id)
ILE_DE_FRANCE_WOE = 3012874  # its region
LYON_WOE = 2996944
KM_PER_DEGREE = 111.19492664455873  # haversine_km's earth, one degree of latitude


def photo_id_of(entry_id: str) -> int:
    """The photo id in an entry id ``tag:HOST,2026:photo/ID``."""
    assert entry_id.startswith("tag:") and ":photo/" in entry_id, entry_id
    return int(entry_id.rsplit("/", 1)[1])


async def read(client: httpx.AsyncClient, url: str, **headers: str) -> Any:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    return parsed


async def listed(client: httpx.AsyncClient, url: str) -> list[int]:
    parsed = await read(client, url)
    return [photo_id_of(entry.id) for entry in parsed.entries]


def personal(name: str, user: RowMapping) -> str:
    return f"/push/topics/{name}?user_id={user['nsid']}"


async def set_user(site: Site, user: RowMapping, **values: Any) -> None:
    async with site.db.write() as conn:
        await conn.execute(users.update().where(users.c.id == user["id"]).values(**values))


def located(lat: float, lon: float, **values: Any) -> dict[str, Any]:
    """A public location in Paris (city, region and country columns)."""
    return {
        "latitude": lat,
        "longitude": lon,
        "accuracy": 16,
        "geo_perm": GEO_PUBLIC,
        "place_city": PARIS_WOE,
        "place_region": ILE_DE_FRANCE_WOE,
        "place_country": 3017382,
        **values,
    }


def offset(north_km: float, east_km: float) -> tuple[float, float]:
    lat = PARIS[0] + north_km / KM_PER_DEGREE
    lon = PARIS[1] + east_km / (KM_PER_DEGREE * math.cos(math.radians(PARIS[0])))
    return lat, lon


# --- the nine topics ------------------------------------------------------------------


@dataclass
class Town:
    ann: RowMapping  # the subscriber of the personal topics
    bob: RowMapping  # listed by Ann as a contact
    cat: RowMapping  # a stranger
    museum: RowMapping  # an institution
    archive: RowMapping  # another institution
    photos: dict[str, int]


async def make_town(site: Site) -> Town:
    async with site.db.write() as conn:
        ann = await factories.user(conn, "ann")
        bob = await factories.user(conn, "bob")
        cat = await factories.user(conn, "cat")
        museum = await factories.user(conn, "museum", is_institution=True)
        archive = await factories.user(conn, "archive", is_institution=True)
        await factories.contact(conn, ann, bob)
        await factories.contact(conn, bob, cat)  # Bob's contacts are not Ann's
        p: dict[str, int] = {}

        async def add(key: str, owner: RowMapping, **values: Any) -> None:
            at = START + timedelta(minutes=len(p))
            p[key] = await factories.photo(conn, owner, title=key, created_at=at, **values)

        await add("ann", ann, tags="Cats")
        await add("bob", bob, tags="dogs")
        await add("cat_paris", cat, tags="cats birds", **located(*PARIS))
        await add("museum", museum)
        await add("archive", archive)
        await add("ann_in", cat)
        await add("bob_in", cat)
        await add("cat_in", cat)
        await add("ann_in_hidden", cat, tags="cats", hidden=True, **located(*PARIS))
        await add("faved_by_cat", cat)
        for key, person in (("ann_in", ann), ("ann_in_hidden", ann), ("bob_in", bob)):
            await photo_people.add(conn, p[key], int(person["id"]), int(cat["id"]))
        await photo_people.add(conn, p["cat_in"], int(cat["id"]), int(cat["id"]))
        # Ann faves the Paris photo after Bob's (fave order, not photo order).
        await factories.fave(conn, ann, p["bob"], at=START + timedelta(days=1))
        await factories.fave(conn, ann, p["cat_paris"], at=START + timedelta(days=2))
        await factories.fave(conn, bob, p["museum"], at=START + timedelta(days=1))
        await factories.fave(conn, cat, p["faved_by_cat"], at=START + timedelta(days=1))
    return Town(ann, bob, cat, museum, archive, p)


async def test_each_topic_serves_exactly_its_photos_newest_first(
    site: Site, client: httpx.AsyncClient
) -> None:
    town = await make_town(site)
    p, ann = town.photos, town.ann
    expected = {
        personal("my_photos", ann): ["ann"],
        personal("contacts_photos", ann): ["bob"],
        personal("photos_of_me", ann): ["ann_in_hidden", "ann_in"],
        personal("photos_of_contacts", ann): ["bob_in"],
        personal("my_faves", ann): ["cat_paris", "bob"],
        personal("contacts_faves", ann): ["museum"],
        "/push/topics/tags?tags=cats": ["cat_paris", "ann"],
        "/push/topics/tags?tags=dogs,birds": ["cat_paris", "bob"],
        "/push/topics/commons": ["archive", "museum"],
        f"/push/topics/commons?nsids={town.museum['nsid']}": ["museum"],
        f"/push/topics/geo?woe_ids={PARIS_WOE}": ["cat_paris"],
        f"/push/topics/geo?woe_ids={ILE_DE_FRANCE_WOE},{LYON_WOE}": ["cat_paris"],
        f"/push/topics/geo?place_ids={encode_place_id(PARIS_WOE)}": ["cat_paris"],
        "/push/topics/geo?lat=48.86&lon=2.35&radius=2": ["cat_paris"],
        f"/push/topics/geo?woe_ids={LYON_WOE}": [],
        "/push/topics/geo?lat=45.76&lon=4.83": [],  # Lyon, 5 km
    }
    for url, keys in expected.items():
        assert await listed(client, url) == [p[key] for key in keys], url


async def test_fave_topics_name_who_faved_as_contributors(
    site: Site, client: httpx.AsyncClient
) -> None:
    town = await make_town(site)
    async with site.db.write() as conn:
        # Cat is no contact of Ann: her fave of the museum photo does not show.
        await factories.fave(conn, town.cat, town.photos["museum"], at=START + timedelta(days=5))
        dan = await factories.user(conn, "dan")
        await factories.contact(conn, town.ann, dan)
        await factories.fave(conn, dan, town.photos["museum"], at=START + timedelta(days=3))
        await factories.fave(conn, dan, town.photos["ann"], at=START + timedelta(days=2))
    feed = await read(client, personal("contacts_faves", town.ann))
    got = [
        (photo_id_of(e.id), [c["name"] for c in e.get("contributors", [])]) for e in feed.entries
    ]
    # One entry per photo, by its newest fave among Ann's contacts, newest faver first.
    assert got == [(town.photos["museum"], ["dan", "bob"]), (town.photos["ann"], ["dan"])]
    mine = await read(client, personal("my_faves", town.ann))
    assert [[c["name"] for c in e.contributors] for e in mine.entries] == [["ann"], ["ann"]]


async def test_a_personal_topic_of_an_unknown_user_is_an_empty_feed(
    site: Site, client: httpx.AsyncClient
) -> None:
    await make_town(site)
    for name, title in (
        ("my_photos", "your photos"),
        ("contacts_faves", "favorites from your contacts"),
    ):
        feed = await read(client, f"/push/topics/{name}?user_id=99999999@N01")
        assert feed.entries == [] and feed.feed.title == title


async def test_a_feed_holds_the_newest_twenty(site: Site, client: httpx.AsyncClient) -> None:
    async with site.db.write() as conn:
        ann = await factories.user(conn, "ann")
        ids = [
            await factories.photo(conn, ann, tags="sea", created_at=START + timedelta(minutes=i))
            for i in range(23)
        ]
    assert await listed(client, "/push/topics/tags?tags=sea") == ids[::-1][:20]


# --- geo --------------------------------------------------------------------------------


async def test_a_circle_is_measured_on_the_sphere_not_by_its_bounding_box(
    site: Site, client: httpx.AsyncClient
) -> None:
    inside, corner = offset(4.9, 0.0), offset(3.8, 3.8)  # 4.9 km; ~5.4 km, in the box
    assert haversine_km(*PARIS, *inside) < 5 < haversine_km(*PARIS, *corner)
    async with site.db.write() as conn:
        ann = await factories.user(conn, "ann")
        near = await factories.photo(conn, ann, created_at=START, **located(*inside))
        # Many newer photos in the box's corner: the feed reads past them.
        far = [
            await factories.photo(
                conn, ann, created_at=START + timedelta(minutes=1 + i), **located(*corner)
            )
            for i in range(45)
        ]
    assert await listed(client, "/push/topics/geo?lat=48.8566&lon=2.3522&radius=5") == [near]
    miles = "/push/topics/geo?lat=48.8566&lon=2.3522&radius=3.5&radius_units=mi"  # 5.6 km
    assert await listed(client, miles) == far[::-1][:20]


async def test_geo_topics_want_a_public_location_accurate_enough(
    site: Site, client: httpx.AsyncClient
) -> None:
    async with site.db.write() as conn:
        ann = await factories.user(conn, "ann")

        async def add(i: int, **values: Any) -> int:
            at = START + timedelta(minutes=i)
            return await factories.photo(conn, ann, created_at=at, **located(*PARIS, **values))

        street = await add(0, accuracy=16)
        unknown = await add(1, accuracy=None)  # counts as street level
        city = await add(2, accuracy=11)
        await add(3, accuracy=10)
        await add(4, geo_perm=GEO_CONTACTS)  # a location only contacts may see
        await add(5, geo_perm=6)
    for form in (f"woe_ids={PARIS_WOE}", "lat=48.8566&lon=2.3522"):
        assert await listed(client, f"/push/topics/geo?{form}&accuracy=11") == [
            city,
            unknown,
            street,
        ]
    assert len(await listed(client, f"/push/topics/geo?woe_ids={PARIS_WOE}")) == 4


async def test_the_location_shows_only_where_the_public_may_see_it(
    site: Site, client: httpx.AsyncClient
) -> None:
    async with site.db.write() as conn:
        ann = await factories.user(conn, "ann")
        shown = await factories.photo(
            conn, ann, tags="cats", created_at=START, **located(48.85, 2.35)
        )
        kept = await factories.photo(
            conn,
            ann,
            tags="cats",
            created_at=START + timedelta(minutes=1),
            **located(48.86, 2.36, geo_perm=GEO_CONTACTS),
        )
    feed = await read(client, "/push/topics/tags?tags=cats")
    by_id = {photo_id_of(e.id): e for e in feed.entries}
    assert set(by_id) == {shown, kept}
    assert by_id[shown].where["coordinates"] == (2.35, 48.85)  # GeoJSON order: lon, lat
    assert "where" not in by_id[kept]
    body = (await client.get("/push/topics/tags?tags=cats")).text
    assert body.count("<georss:point>") == 1 and "48.86" not in body
    # Nor can a geo topic find where the hidden one is.
    assert await listed(client, "/push/topics/geo?lat=48.86&lon=2.36&radius=0.1") == []


# --- privacy ----------------------------------------------------------------------------

VARIANTS: dict[str, dict[str, Any]] = {
    **{f"visibility {v}": {"visibility": v} for v in VISIBILITIES if v != "public"},
    "moderate": {"safety_level": 2},
    "restricted": {"safety_level": 3},
    "processing": {"state": "processing"},
    "failed": {"state": "failed"},
    "unapproved": {"approved": False},
    "owner opted out of push": {},
    "owner opted out of the API": {},
}
OWNER_OPT_OUT = {
    "owner opted out of push": "push_opt_out",
    "owner opted out of the API": "api_opt_out",
}


async def photos_in_every_topic(
    site: Site, values: dict[str, Any]
) -> tuple[RowMapping, RowMapping, set[int]]:
    """Two photos that between them are in all nine topics of Ann (``values`` aside):
    one of hers, one of an institution she lists as a contact; both tagged, located
    in Paris, with Ann and the institution in them, faved by both."""
    async with site.db.write() as conn:
        ann = await factories.user(conn, "ann")
        museum = await factories.user(conn, "museum", is_institution=True)
        await factories.contact(conn, ann, museum)
        ids = set()
        for i, owner in enumerate((ann, museum)):
            photo_id = await factories.photo(
                conn,
                owner,
                tags="cats",
                created_at=START + timedelta(minutes=i),
                **located(*PARIS, **values),
            )
            for person in (ann, museum):
                await photo_people.add(conn, photo_id, int(person["id"]), int(ann["id"]))
                await factories.fave(conn, person, photo_id, at=START + timedelta(days=1 + i))
            ids.add(photo_id)
    return ann, museum, ids


def every_topic(ann: RowMapping) -> list[str]:
    names = ("my_photos", "contacts_photos", "photos_of_me", "photos_of_contacts")
    return [
        *(personal(name, ann) for name in (*names, "my_faves", "contacts_faves")),
        "/push/topics/tags?tags=cats",
        "/push/topics/commons",
        f"/push/topics/geo?woe_ids={PARIS_WOE}",
        f"/push/topics/geo?place_ids={encode_place_id(PARIS_WOE)}",
        "/push/topics/geo?lat=48.8566&lon=2.3522",
    ]


async def test_a_pushable_photo_pair_reaches_all_nine_topics(
    site: Site, client: httpx.AsyncClient
) -> None:
    ann, _, ids = await photos_in_every_topic(site, {})
    for url in every_topic(ann):
        found = set(await listed(client, url))
        assert found and found <= ids, url
    assert set().union(*[set(await listed(client, url)) for url in every_topic(ann)]) == ids


@pytest.mark.parametrize("variant", list(VARIANTS))
async def test_a_photo_not_pushable_is_in_no_topic(
    site: Site, client: httpx.AsyncClient, variant: str
) -> None:
    ann, museum, _ = await photos_in_every_topic(site, VARIANTS[variant])
    if variant in OWNER_OPT_OUT:
        for owner in (ann, museum):
            await set_user(site, owner, **{OWNER_OPT_OUT[variant]: True})
    for url in every_topic(ann):
        response = await client.get(url)
        assert response.status_code == 200
        assert b"<entry" not in response.content, (variant, url)
        as_json = url + ("&" if "?" in url else "?") + "format=json"
        assert (await client.get(as_json)).json()["items"] == [], url


async def test_hidden_photos_reach_personal_topics_only(
    site: Site, client: httpx.AsyncClient
) -> None:
    async with site.db.write() as conn:
        museum = await factories.user(conn, "museum", is_institution=True)
        hidden = await factories.photo(
            conn, museum, tags="cats", hidden=True, created_at=START, **located(*PARIS)
        )
    assert await listed(client, personal("my_photos", museum)) == [hidden]
    for url in (
        "/push/topics/tags?tags=cats",
        "/push/topics/commons",
        f"/push/topics/geo?woe_ids={PARIS_WOE}",
        "/push/topics/geo?lat=48.8566&lon=2.3522",
    ):
        assert await listed(client, url) == [], url
    async with site.db.write() as conn:
        await photo_store.update(conn, hidden, hidden=False)
    assert await listed(client, "/push/topics/commons") == [hidden]


# --- agreement with domain.push_match ---------------------------------------------------


@dataclass
class Shot:
    """A generated photo, as the test wrote it."""

    id: int
    owner: int | None
    values: dict[str, Any]
    tags: tuple[str, ...]
    people: tuple[int, ...]


def _watchers(lists: set[tuple[int, int]], ids: Any) -> tuple[int, ...]:
    """Users who list any of ``ids`` as a contact (``lists`` holds (lister, listed))."""
    wanted = set(ids)
    return tuple(sorted({lister for lister, listed in lists if listed in wanted}))


async def test_every_topic_agrees_with_push_match_on_a_random_world(
    site: Site, client: httpx.AsyncClient
) -> None:
    """Whatever the mix of privacy, flags, tags, places, people and faves, each feed is
    exactly what push_match's keys and admits() would deliver, newest 20 first."""
    rng = random.Random(20261121)
    async with site.db.write() as conn:
        people = [
            await factories.user(
                conn, f"user{i}", is_institution=i >= 4, api_opt_out=i == 3, push_opt_out=i == 5
            )
            for i in range(7)
        ]
        ids = [int(u["id"]) for u in people]
        by_id = {int(u["id"]): u for u in people}
        lists = {(a, b) for a in ids for b in ids if a != b and rng.random() < 0.35}
        for lister, listed in sorted(lists):
            await factories.contact(conn, by_id[lister], by_id[listed])
        shots: list[Shot] = []
        for n in range(120):
            owner = rng.choice([*ids, None])
            values: dict[str, Any] = {
                "visibility": rng.choice(["public"] * 8 + ["contacts", "private"]),
                "safety_level": rng.choice([1] * 8 + [2, 3]),
                "state": rng.choice(["ready"] * 9 + ["processing"]),
                "approved": rng.random() < 0.9,
                "hidden": rng.random() < 0.2,
            }
            if rng.random() < 0.75:
                lat, lon = offset(rng.uniform(-7, 7), rng.uniform(-7, 7))
                city = rng.choice([PARIS_WOE, PARIS_WOE, LYON_WOE, None])
                values |= located(lat, lon, place_city=city, place_country=None)
                values["accuracy"] = rng.choice([None, 3, 11, 16])
                values["geo_perm"] = rng.choice([GEO_PUBLIC] * 4 + [GEO_CONTACTS, 6])
            tags = tuple(sorted(t for t in ("cats", "dogs", "sea") if rng.random() < 0.35))
            at = START + timedelta(minutes=n)
            photo_id = await factories.photo(
                conn,
                None if owner is None else by_id[owner],
                tags=" ".join(tags),
                created_at=at,
                **values,
            )
            inside = tuple(sorted(rng.sample(ids, rng.choice([0, 0, 1, 2]))))
            for person in inside:
                await photo_people.add(conn, photo_id, person, ids[0])
            shots.append(Shot(photo_id, owner, values, tags, inside))
        fave_rows: list[tuple[int, int, datetime]] = []
        for minute, (faver, shot) in enumerate(
            {(rng.choice(ids), rng.choice(shots).id) for _ in range(120)}
        ):
            at = START + timedelta(days=1, minutes=minute)
            await factories.fave(conn, by_id[faver], shot, at=at)
            fave_rows.append((faver, shot, at))
    opted_out = {int(u["id"]) for u in people if u["push_opt_out"] or u["api_opt_out"]}
    institutions = {int(u["id"]) for u in people if u["is_institution"]}

    def is_pushable(shot: Shot) -> bool:
        v = shot.values
        return pushable(
            v["state"],
            v["approved"],
            v["visibility"],
            v["safety_level"],
            owner_opted_out=shot.owner in opted_out,
        )

    def facts(shot: Shot) -> PhotoFacts:
        v = shot.values
        public = "latitude" in v and location_public(v["visibility"], v["geo_perm"])
        places = (v.get("place_city"), v.get("place_region"), v.get("place_country"))
        return PhotoFacts(
            owner_id=shot.owner,
            owner_is_institution=shot.owner in institutions,
            hidden=v["hidden"],
            tags=shot.tags,
            people=shot.people,
            owner_watchers=_watchers(lists, [shot.owner]),
            people_watchers=_watchers(lists, shot.people),
            location=(v["latitude"], v["longitude"]) if public else None,
            accuracy=v.get("accuracy"),
            woe_ids=tuple(p for p in places if p is not None) if public else (),
        )

    topics = [
        *(
            make_topic(name, {}, user=str(by_id[user]["nsid"]))
            for name in PERSONAL_TOPICS
            for user in ids[:3]
        ),
        make_topic("tags", {"tags": "cats"}),
        make_topic("tags", {"tags": "dogs,sea"}),
        make_topic("commons", {}),
        make_topic("commons", {"nsids": str(people[4]["nsid"])}),
        make_topic("geo", {"woe_ids": str(PARIS_WOE)}),
        make_topic("geo", {"woe_ids": str(ILE_DE_FRANCE_WOE), "accuracy": "11"}),
        make_topic("geo", {"place_ids": encode_place_id(PARIS_WOE)}),
        make_topic("geo", {"lat": "48.8566", "lon": "2.3522", "radius": "6"}),
        make_topic("geo", {"lat": "48.9", "lon": "2.3", "radius": "3", "accuracy": "16"}),
    ]
    pushed = {shot.id: shot for shot in shots if is_pushable(shot)}
    # The world tests what SQL alone cannot: photos in a circle's box but not in it.
    circle = topics[-2]
    boxed = [
        shot
        for shot in pushed.values()
        if (where := facts(shot).location) is not None
        and not shot.values["hidden"]
        and haversine_km(*PARIS, *where) > 6
        and abs(where[0] - PARIS[0]) < 6 / KM_PER_DEGREE
        and abs(where[1] - PARIS[1]) < 6 / KM_PER_DEGREE / math.cos(math.radians(PARIS[0]))
    ]
    assert circle.radius == 6 and len(boxed) >= 3
    for topic in topics:
        wanted = set(topic_keys(topic, decode_place_id))
        feed = await read(client, topic.path)
        got = [
            (photo_id_of(e.id), [c["name"] for c in e.get("contributors", [])])
            for e in feed.entries
        ]
        if topic.name in ("my_faves", "contacts_faves"):
            reached: dict[int, list[tuple[datetime, int]]] = {}
            for faver, photo_id, at in fave_rows:
                keys = fave_keys(faver, _watchers(lists, [faver]))
                if photo_id in pushed and wanted & set(keys):
                    reached.setdefault(photo_id, []).append((at, faver))
            order = sorted(reached, key=lambda p: (max(reached[p]), p), reverse=True)
            expected = [
                (p, [str(by_id[f]["username"]) for _, f in sorted(reached[p], reverse=True)])
                for p in order[:20]
            ]
        else:
            matched = [
                shot.id
                for shot in pushed.values()
                if wanted & set(photo_keys(facts(shot))) and admits(topic, facts(shot))
            ]
            expected = [(p, []) for p in sorted(matched, reverse=True)[:20]]
        assert got == expected, topic.path


# --- the HTTP side ----------------------------------------------------------------------


async def tagged_photo(site: Site, title: str = "Harbour") -> int:
    async with site.db.write() as conn:
        ann = await factories.user(conn, "ann")
        return await factories.photo(conn, ann, title=title, tags='"New York!"', created_at=START)


async def test_the_feed_names_its_hub_and_itself(site: Site, client: httpx.AsyncClient) -> None:
    photo_id = await tagged_photo(site)
    base = site.base_url
    # Any spelling of the topic reads as the canonical one.
    response = await client.get("/push/topics/tags?tags=NewYork,cats,newyork")
    self_url = f"{base}/push/topics/tags?tags=cats,newyork"
    assert response.status_code == 200
    assert response.headers["link"] == f'<{base}/hub>; rel="hub", <{self_url}>; rel="self"'
    assert response.headers["cache-control"] == "no-cache"
    parsed = feedparser.parse(response.content)
    links = {link["rel"]: link["href"] for link in parsed.feed.links}
    assert links == {"self": self_url, "hub": f"{base}/hub"}
    assert parsed.feed.id == self_url
    assert parsed.feed.title == "photos with a tag (or tags)"
    [entry] = parsed.entries
    assert photo_id_of(entry.id) == photo_id and entry.title == "Harbour"
    assert [t["term"] for t in entry.tags] == ["newyork"]
    assert entry.author == "ann"
    assert entry.media_content[0]["url"].startswith(base + "/media/")


async def test_etag_and_last_modified_answer_304_until_the_feed_changes(
    site: Site, client: httpx.AsyncClient
) -> None:
    await tagged_photo(site)
    url = "/push/topics/tags?tags=newyork"
    first = await client.get(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert modified == "Fri, 01 May 2026 12:00:00 GMT"
    again = await client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag and "link" in again.headers
    assert (await client.get(url, headers={"If-None-Match": f'"x", W/{etag}'})).status_code == 304
    assert (await client.get(url, headers={"If-Modified-Since": modified})).status_code == 304
    earlier = "Fri, 01 May 2026 11:59:59 GMT"
    assert (await client.get(url, headers={"If-Modified-Since": earlier})).status_code == 200
    # If-None-Match decides when both are sent.
    both = {"If-None-Match": '"other"', "If-Modified-Since": modified}
    assert (await client.get(url, headers=both)).status_code == 200
    async with site.db.write() as conn:
        bob = await factories.user(conn, "bob")
        later = START + timedelta(hours=1)
        await factories.photo(conn, bob, tags="newyork", created_at=later)
    changed = await client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.headers["last-modified"] == "Fri, 01 May 2026 13:00:00 GMT"
    assert len(feedparser.parse(changed.content).entries) == 2


async def test_an_empty_feed_has_an_etag_and_no_last_modified(
    site: Site, client: httpx.AsyncClient
) -> None:
    response = await client.get("/push/topics/commons")
    assert response.status_code == 200 and "last-modified" not in response.headers
    assert feedparser.parse(response.content).entries == []
    again = await client.get("/push/topics/commons", headers={"If-None-Match": "*"})
    assert again.status_code == 304


async def test_json_feed_by_parameter_or_accept_header(
    site: Site, client: httpx.AsyncClient
) -> None:
    photo_id = await tagged_photo(site)
    base = site.base_url
    by_param = await client.get("/push/topics/tags?format=json&tags=newyork")
    by_accept = await client.get(
        "/push/topics/tags?tags=newyork",
        headers={"Accept": "application/atom+xml;q=0.5, application/feed+json"},
    )
    for response in (by_param, by_accept):
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/feed+json"
        # Origin too: the CORS answer depends on it (web/topics.py CORS).
        assert response.headers["vary"] == "Accept, Origin"
        assert "etag" in response.headers and 'rel="hub"' in response.headers["link"]
        document = json.loads(response.content)
        assert document["version"] == "https://jsonfeed.org/version/1.1"
        assert document["feed_url"] == f"{base}/push/topics/tags?tags=newyork"
        assert document["hubs"] == [{"type": "WebSub", "url": f"{base}/hub"}]
        [item] = document["items"]
        assert item["_photohub"]["photo_id"] == photo_id and item["tags"] == ["newyork"]
    assert by_param.content == by_accept.content
    # Atom stays the default, also for a reader that takes anything.
    for accept in ("", "*/*", "application/feed+json;q=0.5, application/atom+xml"):
        response = await client.get("/push/topics/tags?tags=newyork", headers={"Accept": accept})
        assert response.headers["content-type"].startswith("application/atom+xml"), accept
    assert by_param.headers["etag"] != response.headers["etag"]
    forced = await client.get(
        "/push/topics/tags?tags=newyork&format=atom", headers={"Accept": "application/feed+json"}
    )
    assert forced.headers["content-type"] == "application/atom+xml; charset=utf-8"


async def test_head_answers_the_headers_without_the_body(
    site: Site, client: httpx.AsyncClient
) -> None:
    await tagged_photo(site)
    url = "/push/topics/tags?tags=newyork"
    get, head = await client.get(url), await client.head(url)
    assert head.status_code == 200 and head.content == b""
    for name in ("content-type", "etag", "last-modified", "link", "cache-control"):
        assert head.headers[name] == get.headers[name], name
    assert head.headers["content-length"] == str(len(get.content))
    not_modified = await client.head(url, headers={"If-None-Match": get.headers["etag"]})
    assert not_modified.status_code == 304


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/push/topics/kittens", 404, "no topic is called 'kittens'"),
        ("/push/topics/geo", 400, "woe_ids, place_ids or lat and lon"),
        ("/push/topics/geo?lat=48&lon=2&radius=40", 400, "radius"),
        ("/push/topics/tags", 400, "tags is required"),
        ("/push/topics/tags?tags=cats&colour=red", 400, "'colour'"),
        ("/push/topics/tags?tags=cats&tags=dogs", 400, "gives tags twice"),
        ("/push/topics/my_photos", 400, "user_id is required"),
        ("/push/topics/my_photos?user_id=ann", 400, "user_id must be a user id"),
        ("/push/topics/tags?tags=cats&format=rss", 400, "format must be atom or json"),
    ],
)
async def test_a_bad_topic_url_answers_with_the_reason(
    client: httpx.AsyncClient, url: str, status: int, words: str
) -> None:
    response = await client.get(url)
    assert response.status_code == status
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert words in response.text


class TestUnderAPublicURL:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return replace(settings, public_url="https://photos.example/party/")

    async def test_feed_urls_are_under_the_public_url(
        self, site: Site, client: httpx.AsyncClient
    ) -> None:
        await tagged_photo(site)
        response = await client.get("/push/topics/tags?tags=" + quote("New York"))
        assert response.status_code == 200
        self_url = "https://photos.example/party/push/topics/tags?tags=newyork"
        expected = f'<https://photos.example/party/hub>; rel="hub", <{self_url}>; rel="self"'
        assert response.headers["link"] == expected
        [entry] = feedparser.parse(response.content).entries
        assert entry.id.startswith("tag:photos.example,2026:photo/")


async def test_other_origins_may_read_feeds_and_preflight_stream_headers(
    client: httpx.AsyncClient,
) -> None:
    page = "https://reader.example"
    got = await client.get("/push/topics/tags?tags=cats", headers={"Origin": page})
    assert got.status_code == 200 and got.headers["access-control-allow-origin"] == "*"
    exposed = {h.strip().lower() for h in got.headers["access-control-expose-headers"].split(",")}
    assert {"link", "etag", "last-modified"} <= exposed
    assert "access-control-allow-credentials" not in got.headers  # no cookies, ever
    preflight = await client.options(
        "/push/topics/tags?tags=cats",
        headers={
            "Origin": page,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization, last-event-id",
        },
    )
    assert preflight.status_code == 200
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "last-event-id" in allowed
    plain = await client.options("/push/topics/tags?tags=cats")
    assert plain.status_code == 204 and plain.headers["allow"] == "GET, HEAD, OPTIONS"
    refused = await client.options(
        "/push/topics/tags?tags=cats",
        headers={"Origin": page, "Access-Control-Request-Method": "DELETE"},
    )
    assert refused.status_code == 400  # only GET and HEAD are offered
