"""Backfill: how fast ``photohub push backfill`` sends one subscriber its topic's history.

The issue's target: at least 5,000 photos per second into one subscriber's batched
feed. The run:

1. a site (SQLite in a temporary folder by default, ``--database-url`` for PostgreSQL)
   with ``--photos`` ready, public, safe photos tagged ``history`` (and one in ten not
   tagged, so the topic query really filters), inserted in bulk;
2. one active WebSub subscription to ``tags=history`` with a secret, whose callback is
   ``benchmarks/_push_receiver.py`` in its own process (it checks every signature);
3. :func:`photohub.push.backfill.backfill` with this process's delivery worker running
   beside it, timed from its start until the receiver holds every photo.

Printed beside it, in the same run: the **ceiling** of the rendering alone (building
every entry with ``push.entries.photo_entry`` and ``atom.render_entry``, no database, no
network), and the ratio. The receiver's CPU time is reported (it shares the machine).

Usage: ``python benchmarks/push_backfill.py [--photos 20000] [--database-url URL]`` (an
admin URL: the script makes a scratch database of its own there and drops it after).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from photohub.config import Settings
from photohub.domain import atom
from photohub.domain.topics import make_topic
from photohub.push import entries as entry_rendering
from photohub.push.backfill import backfill
from photohub.site import Site
from photohub.store import subscriptions as subs
from photohub.store.db import utcnow
from photohub.store.schema import photos

HERE = Path(__file__).parent
RENDITIONS = [
    {"size": 256, "width": 256, "height": 192},
    {"size": 1024, "width": 1024, "height": 768},
    {"size": 2048, "width": 2048, "height": 1536},
]


def start_receiver() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, str(HERE / "_push_receiver.py"), "--ports", "1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    ports = json.loads(process.stdout.readline())["ports"]
    return process, f"http://127.0.0.1:{ports[0]}"


async def fill(site: Site, count: int) -> None:
    """``count`` pushable photos, nine in ten tagged ``history``, in bulk."""
    from photohub.domain.tags import make_tags
    from photohub.store import tags as tag_store

    now = utcnow()
    row = {
        "secret": "0123456789abcdef01234567",
        "user_id": None,
        "title": "",
        "description": "From the archive, scanned in 2026.",
        "visibility": "public",
        "state": "ready",
        "format": "jpeg",
        "ext": "jpg",
        "bytes": 1_000_000,
        "width": 4000,
        "height": 3000,
        "renditions": RENDITIONS,
        "created_at": now,
        "updated_at": now,
    }
    tagged = make_tags("history archive")
    async with site.db.write() as conn:
        for start in range(0, count, 1000):
            batch = [
                {**row, "title": f"Archive photo {n}"}
                for n in range(start, min(count, start + 1000))
            ]
            result = await conn.execute(
                photos.insert().returning(photos.c.id, sort_by_parameter_order=True), batch
            )
            for index, photo_id in enumerate(result.scalars()):
                if (start + index) % 10 != 9:
                    await tag_store.set_tags(conn, int(photo_id), tagged, None)


async def subscribe(site: Site, callback: str, secret: str) -> int:
    async with site.db.write() as conn:
        subscription_id = await subs.save(
            conn,
            user_id=None,
            dialect="websub",
            topic=make_topic("tags", {"tags": "history"}),
            callback=callback,
            lease_seconds=86_400,
            secret=secret,
        )
        assert subscription_id is not None
        await subs.mark_verified(conn, subscription_id, utcnow())
    return subscription_id


def ceiling(base_url: str, count: int) -> float:
    """Photos per second of the rendering alone (one core, no I/O)."""
    now = utcnow()
    row = {
        "id": 1,
        "secret": "0123456789abcdef01234567",
        "title": "Archive photo",
        "description": "From the archive, scanned in 2026.",
        "visibility": "public",
        "geo_perm": 6,
        "latitude": None,
        "longitude": None,
        "renditions": RENDITIONS,
        "author": "",
        "created_at": now,
        "updated_at": now,
    }
    tags = [{"tag": "history", "raw": "history"}, {"tag": "archive", "raw": "archive"}]
    started = time.perf_counter()
    for n in range(1, count + 1):
        row["id"] = n
        atom.render_entry(entry_rendering.photo_entry(base_url, row, tags))
    return count / (time.perf_counter() - started)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="photohub-backfill-"))
    receiver, url = start_receiver()
    site = Site(
        Settings(
            data_dir=folder,
            database_url=args.database_url,
            push_allow="127.0.0.1",
            public_url="http://photos.bench",
            run_tasks=False,
        )
    )
    try:
        await site.start(run_tasks=False, live=False)
        await fill(site, args.photos)
        expected = sum(1 for n in range(args.photos) if n % 10 != 9)
        from _push_receiver import secret_for  # type: ignore[import-not-found]

        subscription_id = await subscribe(site, url + "/cb/0", secret_for(0))
        delivering = asyncio.create_task(site.deliverer.loop.run_forever())
        started = time.perf_counter()
        queued = await backfill(site, subscription_id)
        async with httpx.AsyncClient() as http:
            while True:
                stats = (await http.get(url + "/_stats")).json()
                if stats["pairs"] >= expected:
                    break
                await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - started
        delivering.cancel()
        return {
            "photos": expected,
            "queued": queued.queued,
            "seconds": elapsed,
            "posts": stats["posts"],
            "bad_signatures": stats.get("bad_signatures", 0),
            "receiver_cpu": stats.get("cpu_seconds", 0.0),
            "ceiling": ceiling("http://photos.bench", min(args.photos, 5000)),
        }
    finally:
        await site.close()
        receiver.terminate()
        receiver.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=20_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from push_delivery import scratch_database  # type: ignore[import-not-found]

    admin_url = args.database_url
    args.database_url, drop = scratch_database(admin_url)
    try:
        result = asyncio.run(run(args))
    finally:
        drop()
    rate = result["photos"] / result["seconds"]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f}; "
        f"database: {'PostgreSQL' if admin_url else 'SQLite'}"
    )
    print()
    print("| case | photos | seconds | photos/s | POSTs | ratio to ceiling |")
    print("|---|---:|---:|---:|---:|---:|")
    print(
        f"| backfill, end to end (queued {result['queued']}) | {result['photos']:,} | "
        f"{result['seconds']:.2f} | {rate:,.0f} | {result['posts']} | "
        f"{rate / result['ceiling']:.0%} |"
    )
    print(f"| ceiling: rendering entries only | - | - | {result['ceiling']:,.0f} | - | 100% |")
    print()
    print(
        f"bad signatures at the receiver: {result['bad_signatures']}; receiver CPU "
        f"{result['receiver_cpu']:.2f} s"
    )


if __name__ == "__main__":
    main()
