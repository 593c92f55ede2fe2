"""Every process waits for Redis at start as it waits for the database (up to
``start_timeout``, saying once what it waits for), and its loops ride out a Redis
outage: retried with a backoff, logged once per outage, not a traceback per try."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from photohub.config import Settings
from photohub.push.loop import Loop
from photohub.site import Site
from tests.processes import PrivateRedis, own_redis
from tests.push.test_at_least_once import wait_redis
from tests.waiting import bounded, cancelled, eventually

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


@pytest.fixture
def idle_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A Redis of the test's own, not started yet."""
    with own_redis(tmp_path, started=False) as server:
        yield server


def redis_settings(tmp_path: Path, server: PrivateRedis, timeout: float) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", redis_url=server.url, admin_token="t", start_timeout=timeout
    )


async def test_a_site_waits_for_redis_at_start(
    tmp_path: Path, idle_redis: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="photohub")
    site = Site(redis_settings(tmp_path, idle_redis, 30))
    starting = asyncio.create_task(site.start(run_tasks=False, live=False))
    try:
        await eventually(
            lambda: "waiting for Redis" in caplog.text or starting.done(),
            15,
            "the start to say it waits for Redis",
        )
        assert not starting.done(), "the site started, or gave up, without Redis"
        [line] = [r.getMessage() for r in caplog.records if "waiting for Redis" in r.getMessage()]
        assert idle_redis.url in line and "PHOTOHUB_REDIS_URL" in line
        assert all(r.exc_info is None for r in caplog.records)  # calm: no traceback
        idle_redis.start()
        await bounded(asyncio.shield(starting), 20, "the site to start once Redis answers")
    finally:
        await cancelled(starting, what="the site's start", reraise=False)
        await bounded(site.close(), 30, "the site to close")


async def test_a_site_gives_up_on_redis_after_the_start_timeout(
    tmp_path: Path, idle_redis: PrivateRedis
) -> None:
    site = Site(redis_settings(tmp_path, idle_redis, 1))
    try:
        with pytest.raises(Exception, match=r"127\.0\.0\.1"):
            await bounded(site.start(run_tasks=False, live=False), 20, "the start to give up")
    finally:
        await bounded(site.close(), 30, "the site to close")


async def test_a_failing_loop_logs_once_per_outage_and_backs_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="photohub")
    tries = 0
    down = True

    async def step() -> bool:
        nonlocal tries
        tries += 1
        if down:
            raise ConnectionError("Redis is away")
        return False

    loop = Loop("push delivery", step, 0.01)
    running = asyncio.create_task(loop.run_forever())
    try:
        await eventually(lambda: tries >= 4, 20, "four tries of the failing step")
        down = False
        await eventually(lambda: "works again after" in caplog.text, 20, "the recovery line")
    finally:
        await cancelled(running, what="the loop")
    lines = [r for r in caplog.records if r.name == "photohub.push"]
    assert [r.levelname for r in lines] == ["WARNING", "WARNING"]
    assert "Redis is away" in lines[0].getMessage()
    assert all(r.exc_info is None for r in lines)
    assert tries < 30, "retried without a backoff"


async def test_a_redis_restart_while_running_loses_no_loop(
    tmp_path: Path, idle_redis: PrivateRedis
) -> None:
    idle_redis.start()
    await wait_redis(idle_redis)
    site = Site(redis_settings(tmp_path, idle_redis, 5).with_overrides(task_poll_interval=0.05))
    await site.start(run_tasks=True, live=False)
    try:
        idle_redis.stop()
        await asyncio.sleep(1.5)  # every loop fails meanwhile
        idle_redis.start()
        await wait_redis(idle_redis)
        assert all(not task.done() for task in site._background)
        await eventually(
            lambda: not site.deliverer.loop.outage.ongoing, 20, "delivery to work again"
        )
    finally:
        await bounded(site.close(), 30, "the site to close")
