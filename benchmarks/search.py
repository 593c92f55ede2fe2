"""Search over many synthetic photos: flickr.photos.search per query kind, SQLite and PostgreSQL.

    python benchmarks/search.py [--photos 1000000] [--backends sqlite,postgres] [--queries 100]

Builds a site with N photos from 10,000 accounts (90% public, the rest split over the other
visibilities), each with 3 plain tags drawn from a Zipf-like vocabulary of 20,000 words, 30%
with a machine tag (``ns<a>:pred<b>=<value>``: 10 namespaces x 10 predicates x 10,000
values), 60% geotagged around 40 cities (Gaussian, sigma 0.1 degree, 70% of them with public
geo permission; places named once per city by the gazetteer). Rows are bulk-loaded (sqlite3
``executemany``; asyncpg ``COPY``) into the schema the migrations make, then ``ANALYZE``.

Each query is a real ``flickr.photos.search`` through the ASGI app in-process (API key
check, argument validation, privacy conditions, the count for ``total``, one page of 100,
JSON), anonymous. Kinds: ``tags`` (one tag drawn from the same Zipf law), ``machine_tags``
(``ns:pred=`` or ``*:pred=value`` wildcards), ``bbox`` (0.5 x 0.5 degrees around a city),
``radius`` (5 km around a city) and ``place`` (a city's place_id). The baseline is the
database floor in the same run: the bare SQL of the same filter (ids only, newest 100, no
count, no privacy), so the table shows what the API adds to the query itself.

PostgreSQL: ``PHOTOHUB_TEST_POSTGRES_URL`` (default postgresql://postgres@127.0.0.1:5432/test)
names an admin connection; the script creates and drops its own database.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import platform
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from photohub.app import create_app
from photohub.config import Settings
from photohub.domain.people import nsid_for
from photohub.domain.tags import clean_tag
from photohub.places import gazetteer
from photohub.site import Site
from photohub.store import apps
from photohub.store import photo_filters as f
from photohub.store.schema import photos
from photohub.store.tags import machine_tag_condition, tag_condition

USERS = 10_000
WORDS = 20_000
CITIES = [
    (48.8566, 2.3522), (51.5074, -0.1278), (40.7128, -74.0060), (35.6762, 139.6503),
    (-33.8688, 151.2093), (55.7558, 37.6173), (-23.5505, -46.6333), (19.4326, -99.1332),
    (28.6139, 77.2090), (39.9042, 116.4074), (30.0444, 31.2357), (-34.6037, -58.3816),
    (41.9028, 12.4964), (52.5200, 13.4050), (40.4168, -3.7038), (37.7749, -122.4194),
    (34.0522, -118.2437), (41.8781, -87.6298), (43.6532, -79.3832), (-1.2921, 36.8219),
    (1.3521, 103.8198), (13.7563, 100.5018), (37.5665, 126.9780), (-37.8136, 144.9631),
    (59.3293, 18.0686), (60.1699, 24.9384), (64.1466, -21.9426), (-41.2865, 174.7762),
    (21.3069, -157.8583), (-17.7134, 178.0650), (6.5244, 3.3792), (33.5731, -7.5898),
    (45.4642, 9.1900), (50.0755, 14.4378), (47.4979, 19.0402), (38.7223, -9.1393),
    (25.2048, 55.2708), (31.2304, 121.4737), (22.3193, 114.1694), (-22.9068, -43.1729),
]  # fmt: skip
VISIBILITIES = ["contacts", "friends", "family", "friends_family", "private"]
KINDS = ("tags", "machine_tags", "bbox", "radius", "place")


def zipf_index(rng: random.Random, n: int) -> int:
    """0..n-1 with P(k) ~ 1/(k+1): a few tags are everywhere, most are rare."""
    return min(n - 1, int(n ** rng.random()) - 1)


def city_places() -> list[tuple[int | None, int | None, int | None, str | None]]:
    named = []
    for lat, lon in CITIES:
        found = gazetteer.reverse(lat, lon)
        city, region, country = found.city, found.region, found.country
        named.append(
            (
                city.woe_id if city else None,
                region.woe_id if region else None,
                country.woe_id if country else None,
                city.place_id if city else None,
            )
        )
    return named


def generate(
    count: int, places: list[tuple[int | None, int | None, int | None, str | None]]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    rng = random.Random(7)
    start = datetime(2021, 1, 1)
    photo_rows: list[tuple[Any, ...]] = []
    tag_rows: list[tuple[Any, ...]] = []
    for photo_id in range(1, count + 1):
        owner = rng.randrange(1, USERS + 1)
        created = start + timedelta(seconds=photo_id * 150)
        located = rng.random() < 0.6
        lat = lon = None
        city_id = region_id = country_id = None
        geo_perm = 6
        if located:
            c = rng.randrange(len(CITIES))
            lat = max(-90.0, min(90.0, CITIES[c][0] + rng.gauss(0, 0.1)))
            lon = CITIES[c][1] + rng.gauss(0, 0.1)
            lon = (lon + 180.0) % 360.0 - 180.0
            city_id, region_id, country_id, _ = places[c]
            geo_perm = 1 if rng.random() < 0.7 else 6
        visibility = "public" if rng.random() < 0.9 else rng.choice(VISIBILITIES)
        photo_rows.append(
            (
                photo_id, "0123456789abcdef01234567", owner, f"photo {photo_id}", "",
                "ready", True, visibility, 1, 1, False, rng.randrange(1000),
                "jpeg", "jpg", 1000, 4000, 3000, created, lat, lon,
                16 if located else None, geo_perm, city_id, region_id, country_id,
                '[{"size": 256, "width": 256, "height": 192}]', created, created,
            )
        )  # fmt: skip
        words = {zipf_index(rng, WORDS) for _ in range(3)}
        for word in words:
            tag_rows.append((photo_id, owner, f"tag{word}", f"tag{word}", None, None, None))
        if rng.random() < 0.3:
            ns, pred, value = rng.randrange(10), rng.randrange(10), rng.randrange(10_000)
            raw = f"ns{ns}:pred{pred}={value}"
            tag_rows.append(
                (photo_id, owner, raw, clean_tag(raw), f"ns{ns}", f"pred{pred}", str(value))
            )
    return photo_rows, tag_rows


PHOTO_COLUMNS = (
    "id", "secret", "user_id", "title", "description", "state", "approved", "visibility",
    "safety_level", "content_type", "hidden", "views", "format", "ext", "bytes", "width",
    "height", "taken_at", "latitude", "longitude", "accuracy", "geo_perm", "place_city",
    "place_region", "place_country", "renditions", "created_at", "updated_at",
)  # fmt: skip
TAG_COLUMNS = ("photo_id", "author_id", "raw", "tag", "namespace", "predicate", "value")
USER_COLUMNS = ("id", "nsid", "username", "username_key", "password_hash", "created_at")


def user_rows() -> list[tuple[Any, ...]]:
    now = datetime(2021, 1, 1)
    return [(i, nsid_for(i), f"user{i}", f"user{i}", "-", now) for i in range(1, USERS + 1)]


def chunks(rows: list[tuple[Any, ...]], size: int = 50_000) -> Iterator[list[tuple[Any, ...]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def load_sqlite(
    path: Path,
    users_: list[tuple[Any, ...]],
    photo_rows: list[tuple[Any, ...]],
    tag_rows: list[tuple[Any, ...]],
) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    for table, columns, rows in (
        ("users", USER_COLUMNS, users_),
        ("photos", PHOTO_COLUMNS, photo_rows),
        ("photo_tags", TAG_COLUMNS, tag_rows),
    ):
        marks = ",".join("?" * len(columns))
        sql = f"INSERT INTO {table} ({','.join(columns)}) VALUES ({marks})"
        for part in chunks(rows):
            db.executemany(sql, part)
        db.commit()
    db.execute("ANALYZE")
    db.commit()
    db.close()


async def load_postgres(
    url: str,
    users_: list[tuple[Any, ...]],
    photo_rows: list[tuple[Any, ...]],
    tag_rows: list[tuple[Any, ...]],
) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.copy_records_to_table("users", records=users_, columns=USER_COLUMNS)
        await conn.copy_records_to_table("photos", records=photo_rows, columns=PHOTO_COLUMNS)
        await conn.copy_records_to_table("photo_tags", records=tag_rows, columns=TAG_COLUMNS)
        await conn.execute(
            "SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users))"
        )
        await conn.execute(
            "SELECT setval(pg_get_serial_sequence('photos', 'id'), (SELECT max(id) FROM photos))"
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def queries(
    rng: random.Random,
    kind: str,
    places: list[tuple[int | None, int | None, int | None, str | None]],
) -> tuple[dict[str, str], Any]:
    """One query of a kind: (API parameters, the bare SQL condition of the same filter)."""
    if kind == "tags":
        tag = f"tag{zipf_index(rng, WORDS)}"
        return {"tags": tag}, tag_condition([tag])
    if kind == "machine_tags":
        from photohub.domain.machinetags import parse_machine_tags

        text = rng.choice(
            [
                f"ns{rng.randrange(10)}:pred{rng.randrange(10)}=",
                f"*:pred{rng.randrange(10)}={rng.randrange(10_000)}",
            ]
        )
        return {"machine_tags": text}, machine_tag_condition(parse_machine_tags(text))
    lat, lon = CITIES[rng.randrange(len(CITIES))]
    if kind == "bbox":
        box = f"{lon - 0.25},{lat - 0.25},{lon + 0.25},{lat + 0.25}"
        from photohub.domain.geo import bbox_ranges, parse_bbox

        return {"bbox": box}, f.in_ranges(bbox_ranges(parse_bbox(box)))
    if kind == "radius":
        return {"lat": str(lat), "lon": str(lon), "radius": "5"}, f.within_km(lat, lon, 5.0)
    city = places[CITIES.index((lat, lon))]
    assert city[3] is not None and city[0] is not None
    return {"place_id": city[3]}, f.in_place(city[0], "locality")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(
    site: Site, n: int, places: list[tuple[int | None, int | None, int | None, str | None]]
) -> dict[str, tuple[list[float], list[float], float]]:
    async with site.db.write() as conn:
        app_row = await apps.create(conn, 1, "bench")
    app = create_app(site=site, manage_site=False)
    results: dict[str, tuple[list[float], list[float], float]] = {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench"
    ) as http:
        for kind in KINDS:
            rng = random.Random(kind)
            api_ms: list[float] = []
            sql_ms: list[float] = []
            totals: list[int] = []
            for i in range(n + 5):
                params, condition = queries(rng, kind, places)
                started = time.perf_counter()
                response = await http.get(
                    "/services/rest/",
                    params={
                        "method": "flickr.photos.search",
                        "api_key": app_row["api_key"],
                        "format": "json",
                        "nojsoncallback": "1",
                        **params,
                    },
                )
                elapsed = (time.perf_counter() - started) * 1000
                body = response.json()
                assert body["stat"] == "ok", body
                started = time.perf_counter()
                async with site.db.read() as conn:
                    await conn.execute(
                        sa.select(photos.c.id)
                        .where(condition)
                        .order_by(photos.c.id.desc())
                        .limit(100)
                    )
                floor = (time.perf_counter() - started) * 1000
                if i >= 5:  # warm-up
                    api_ms.append(elapsed)
                    sql_ms.append(floor)
                    totals.append(int(body["photos"]["total"]))
            results[kind] = (api_ms, sql_ms, statistics.median(totals))
    return results


async def run_backend(
    backend: str,
    count: int,
    n: int,
    folder: Path,
    data: Callable[[], tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]],
    places: list[tuple[int | None, int | None, int | None, str | None]],
) -> tuple[float, dict[str, tuple[list[float], list[float], float]]]:
    admin = os.environ.get(
        "PHOTOHUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
    )
    name = "photohub_bench_" + secrets.token_hex(4)
    database_url = ""
    if backend == "postgres":
        import asyncpg

        conn = await asyncpg.connect(admin)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        database_url = admin.rsplit("/", 1)[0] + "/" + name
    settings = Settings(data_dir=folder / backend, database_url=database_url, admin_token="bench")
    site = Site(settings)
    try:
        await site.start(run_tasks=False, live=False)
        started = time.perf_counter()
        if backend == "sqlite":
            db_path = Path(sa.make_url(settings.db_url).database or "")
            async with site.db.read() as conn:
                loaded = await conn.scalar(sa.select(sa.func.count()).select_from(photos))
            if loaded != count:  # --keep: a folder loaded by an earlier run is reused
                await asyncio.to_thread(load_sqlite, db_path, *data())
        else:
            await load_postgres(database_url, *data())
        load_s = time.perf_counter() - started
        return load_s, await measure(site, n, places)
    finally:
        await site.close()
        if backend == "postgres":
            import asyncpg

            conn = await asyncpg.connect(admin)
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--queries", type=int, default=100, help="measured queries per kind")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the SQLite data here")
    options = parser.parse_args()
    places = city_places()

    @functools.cache
    def data() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        started = time.perf_counter()
        photo_rows, tag_rows = generate(options.photos, places)
        elapsed = time.perf_counter() - started
        print(f"generated {len(photo_rows):,} photos, {len(tag_rows):,} tags in {elapsed:.0f} s")
        return user_rows(), photo_rows, tag_rows

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = options.keep or Path(scratch)
        for backend in options.backends.split(","):
            load_s, results = asyncio.run(
                run_backend(backend, options.photos, options.queries, folder, data, places)
            )
            print(f"{backend}: loaded in {load_s:.0f} s", file=sys.stderr)
            for kind, (api_ms, sql_ms, total) in results.items():
                rows.append((backend, kind, total, api_ms, sql_ms))
    print(
        f"flickr.photos.search over {options.photos:,} photos, {options.queries} queries "
        "per kind, anonymous, per_page 100"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.machine()}, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print()
    print(
        "| backend | query | median total | API p50 ms | API p99 ms | bare SQL p50 ms "
        "| bare SQL p99 ms | API / SQL (p50) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for backend, kind, total, api_ms, sql_ms in rows:
        a50, a99 = percentile(api_ms, 0.5), percentile(api_ms, 0.99)
        s50, s99 = percentile(sql_ms, 0.5), percentile(sql_ms, 0.99)
        print(
            f"| {backend} | {kind} | {total:,.0f} | {a50:.1f} | {a99:.1f} | {s50:.1f} "
            f"| {s99:.1f} | {a50 / s50:.1f}x |"
        )


if __name__ == "__main__":
    main()
