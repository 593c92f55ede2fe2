"""A Redis restart loses no event: the outbox fills the gap, the subscription comes back."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from photohub.config import Settings
from photohub.domain.privacy import Viewer
from photohub.live.hub import CHANNEL, Listener
from photohub.site import Site
from photohub.store import events
from tests.processes import PrivateRedis, own_redis
from tests.waiting import bounded, eventually

pytestmark = [pytest.mark.redis, pytest.mark.anyio]


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    with own_redis(tmp_path) as server:
        yield server


async def _wait_redis(url: str) -> None:
    client = aioredis.Redis.from_url(url, socket_timeout=2)

    async def answers() -> bool:
        with contextlib.suppress(aioredis.ConnectionError, aioredis.TimeoutError, OSError):
            return bool(await client.ping())
        return False

    try:
        await eventually(answers, 15, f"redis-server at {url} to answer", interval=0.05)
    finally:
        await client.aclose()


@pytest.fixture
async def redis_site(tmp_path: Path, private_redis: PrivateRedis) -> AsyncIterator[Site]:
    await _wait_redis(private_redis.url)
    site = Site(
        Settings(
            data_dir=tmp_path / "data",
            redis_url=private_redis.url,
            admin_token="t",
            event_poll_interval=1.0,
        )
    )
    await site.start(run_tasks=False)
    try:
        yield site
    finally:
        await bounded(site.close(), 30, "the site to close")


async def _next_kind(listener: Listener) -> str:
    live = await bounded(listener.queue.get(), 15, "the next event on the wall's listener")
    assert live is not None
    return live.event.kind


async def _publish(site: Site, kind: str) -> None:
    async with site.db.write() as conn:
        event = await events.append(conn, kind, {})
    await site.announce([event])


async def test_events_survive_a_redis_restart(
    redis_site: Site, private_redis: PrivateRedis
) -> None:
    listener = redis_site.hub.connect(Viewer())
    await asyncio.sleep(0.3)  # let the subscription settle
    await _publish(redis_site, "before")
    assert await _next_kind(listener) == "before"

    private_redis.stop()
    await _publish(redis_site, "during")  # the broker is down: publishing only logs
    assert await _next_kind(listener) == "during"  # ... and the outbox poll delivers it

    private_redis.start()
    await _wait_redis(private_redis.url)
    # A message that exists only in Redis (not in the outbox) proves the hub's
    # subscription came back by itself.
    client = aioredis.Redis.from_url(private_redis.url, socket_timeout=5)
    try:
        message = '{"id": 999999, "kind": "via-redis", "audience": "public", "data": {}}'
        for _ in range(100):
            await client.publish("photohub:" + CHANNEL, message)
            if not listener.queue.empty():
                break
            await asyncio.sleep(0.1)
    finally:
        await client.aclose()
    assert await _next_kind(listener) == "via-redis"
