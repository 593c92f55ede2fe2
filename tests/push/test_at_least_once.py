"""At-least-once delivery under faults: a worker killed with SIGKILL in the middle of a
batch, and a Redis restart during a run. Afterwards every subscriber holds every entry
(maybe some twice: entries carry stable ids to de-duplicate on)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from photohub.config import Settings
from photohub.domain.topics import make_topic
from photohub.push.dispatch import follow_outbox
from photohub.site import Site
from photohub.store import events
from photohub.store import subscriptions as subs
from photohub.store.db import utcnow
from tests import factories
from tests.processes import COMMAND, PrivateRedis, clean_env, own_redis
from tests.push.receiver import Receiver, receiving
from tests.waiting import bounded, cancelled, eventually, stop_process_async

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]


@pytest.fixture
def backend() -> str:
    """Several worker processes and Redis queues are the scale-out set-up: PostgreSQL."""
    return "postgres"


PATHS = ("/a", "/b", "/c")
TOPIC = make_topic("tags", {"tags": "faults"})


async def subscribe_all(site: Site, receiver: Receiver) -> None:
    async with site.db.write() as conn:
        for path in PATHS:
            subscription_id = await subs.save(
                conn,
                user_id=None,
                dialect="websub",
                topic=TOPIC,
                callback=receiver.url + path,
                lease_seconds=3600,
            )
            assert subscription_id is not None
            await subs.mark_verified(conn, subscription_id, utcnow())


async def commit_photos(site: Site, count: int) -> list[int]:
    photo_ids = []
    for n in range(count):
        async with site.db.write() as conn:
            photo_id = await factories.photo(conn, None, title=f"p{n}", tags="faults")
            await events.append(conn, "photo.published", {"id": photo_id}, photo_id=photo_id)
        photo_ids.append(photo_id)
    return photo_ids


_ATOM_ID = "{http://www.w3.org/2005/Atom}id"
_ENTRY = "{http://www.w3.org/2005/Atom}entry"


def held(receiver: Receiver, path: str) -> set[int]:
    """The photo ids a subscriber holds, from every delivery it got."""
    found: set[int] = set()
    for post in receiver.posts_to(path):
        root = etree.fromstring(post.body)
        for entry in root.iter(_ENTRY):
            found.add(int(str(entry.findtext(_ATOM_ID)).rsplit("/", 1)[1]))
    return found


async def until_all_hold(receiver: Receiver, photo_ids: list[int], seconds: float = 60) -> None:
    for _ in range(int(seconds * 5)):
        if all(held(receiver, path) >= set(photo_ids) for path in PATHS):
            return
        await asyncio.sleep(0.2)
    missing = {path: sorted(set(photo_ids) - held(receiver, path)) for path in PATHS}
    raise AssertionError(f"entries never delivered: {missing}")


def worker_env(settings: Settings) -> dict[str, str]:
    env = {
        "PHOTOHUB_DATA_DIR": str(settings.data_dir),
        "PHOTOHUB_PUSH_ALLOW": "127.0.0.1",
        "PHOTOHUB_PUBLIC_URL": "http://photos.test",
        "PHOTOHUB_PUSH_TIMEOUT": "2",
        "PHOTOHUB_PUSH_COLLAPSE_SECONDS": "0",
        "PHOTOHUB_PUSH_CONCURRENCY": "4",
        "PHOTOHUB_PUSH_BATCH_BYTES": "3000",  # a few entries per POST: many POSTs
        "PHOTOHUB_TASK_POLL_INTERVAL": "0.1",
        "PHOTOHUB_EVENT_POLL_INTERVAL": "0.1",
    }
    if settings.database_url:
        env["PHOTOHUB_DATABASE_URL"] = settings.database_url
    return env


@pytest.fixture
def worker_log(tmp_path: Path) -> Iterator[Path]:
    log = tmp_path / "worker.log"
    yield log
    if log.exists():
        print(log.read_text())


def start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [*COMMAND, "worker"],
            env=clean_env(worker_env(settings)),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def test_a_worker_killed_mid_batch_loses_nothing(
    site: Site, settings: Settings, worker_log: Path
) -> None:
    await follow_outbox(site)
    async with receiving() as receiver:
        receiver.post_delay = 0.3  # every POST is in flight for a while
        await subscribe_all(site, receiver)
        photo_ids = await commit_photos(site, 24)
        first = start_worker(settings, worker_log)
        try:
            await eventually(
                lambda: len(receiver.posts) >= 2 or first.poll() is not None,
                30,
                "the first worker's first two deliveries",
                interval=0.05,
            )
            assert first.poll() is None, "the worker died by itself"
            os.kill(first.pid, signal.SIGKILL)  # mid-batch: other POSTs are in flight
            await stop_process_async(first, "the killed worker", interrupt=False)
            assert not all(held(receiver, p) >= set(photo_ids) for p in PATHS)
        finally:
            await stop_process_async(first, "the first worker", interrupt=False)
        second = start_worker(settings, worker_log)
        try:
            await until_all_hold(receiver, photo_ids)
        finally:
            await stop_process_async(second, "the second worker", grace=20)
    worker_log.unlink()


@pytest.fixture
def persistent_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    with own_redis(tmp_path / "redis", persistent=True) as server:
        yield server


@pytest.fixture
async def redis_hub(settings: Settings, persistent_redis: PrivateRedis) -> AsyncIterator[Site]:
    await wait_redis(persistent_redis)
    hub = Site(
        settings.with_overrides(
            redis_url=persistent_redis.url,
            push_allow="127.0.0.1",
            public_url="http://photos.test",
            push_collapse_seconds=0.0,
            push_batch_bytes=3000,
            push_timeout=2.0,
        )
    )
    await hub.start(run_tasks=False)
    try:
        await follow_outbox(hub)
        yield hub
    finally:
        await bounded(hub.close(), 30, "the hub to close")


async def wait_redis(server: PrivateRedis) -> None:
    import redis.asyncio as aioredis

    client: Any = aioredis.Redis.from_url(server.url, socket_timeout=2)

    async def answers() -> bool:
        try:
            return bool(await client.ping())
        except (aioredis.ConnectionError, aioredis.TimeoutError, OSError):
            return False

    try:
        await eventually(answers, 15, f"redis-server at {server.url} to answer", interval=0.05)
    finally:
        await client.aclose()


@pytest.mark.redis
async def test_a_redis_restart_loses_nothing(
    redis_hub: Site, persistent_redis: PrivateRedis
) -> None:
    async with receiving() as receiver:
        receiver.post_delay = 0.05
        await subscribe_all(redis_hub, receiver)
        loops = [
            asyncio.create_task(loop())
            for loop in (
                redis_hub.runner.run_forever,
                redis_hub.dispatcher.run_forever,
                redis_hub.deliverer.loop.run_forever,
            )
        ]
        try:
            before = await commit_photos(redis_hub, 10)
            await eventually(lambda: receiver.posts, 30, "a first delivery", interval=0.05)
            persistent_redis.stop()  # SIGKILL: only what the append-only file has survives
            during = await commit_photos(redis_hub, 10)
            await asyncio.sleep(1.0)  # dispatch and delivery fail meanwhile
            persistent_redis.start()
            await wait_redis(persistent_redis)
            after = await commit_photos(redis_hub, 5)
            # Journalled fan-outs older than the sweep's threshold are pushed again; do
            # not wait 30 s for it: the sweep runs on the deliverer's next maintenance.
            await until_all_hold(receiver, before + during + after, seconds=90)
        finally:
            await cancelled(*loops, what="the hub's background loops", reraise=False)
