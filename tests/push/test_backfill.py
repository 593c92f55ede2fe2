"""Backfill: a subscription receives its topic's history through its own queue, in
order, only what the topic carries, without holding live entries back for long; and
``photohub push backfill`` does it from the command line."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from click.testing import CliRunner

from photohub.cli import main
from photohub.config import Settings
from photohub.push import backfill as backfill_module
from photohub.push.backfill import BackfillError, backfill
from photohub.site import Site
from photohub.store.db import utcnow
from tests.processes import COMMAND, clean_env
from tests.push.hubs import (
    changed,
    entries,
    new_photo,
    pump,
    receiver,
    settings,
    subscribe,
    tags_topic,
)
from tests.push.receiver import Receiver
from tests.waiting import bounded, cancelled, stop_process_async

__all__ = ["receiver", "settings"]  # fixtures

pytestmark = pytest.mark.anyio


def titles(receiver: Receiver) -> list[str]:
    return [str(e.title) for post in receiver.posts for e in entries(post)]


async def test_history_arrives_in_order_and_only_what_the_topic_carries(
    site: Site, receiver: Receiver
) -> None:
    subscription_id = await subscribe(site, receiver, "/cats", tags_topic("cats"))
    for n in range(25):
        await new_photo(site, None, tags="cats", title=f"old{n}")
    await new_photo(site, None, tags="dogs", title="not-cats")
    await new_photo(site, None, tags="cats", title="private", visibility="private")
    await new_photo(site, None, tags="cats", title="unsafe", safety_level=3)
    done = await backfill(site, subscription_id)
    await bounded(site.deliverer.run_until_idle(), 60, "the deliveries to run dry")
    assert done.queued == 25
    assert titles(receiver) == [f"old{n}" for n in range(25)]


async def test_since_limits_the_history(site: Site, receiver: Receiver) -> None:
    subscription_id = await subscribe(site, receiver, "/cats", tags_topic("cats"))
    long_ago = utcnow() - timedelta(days=30)
    await new_photo(site, None, tags="cats", title="ancient", created_at=long_ago)
    await new_photo(site, None, tags="cats", title="recent")
    await backfill(site, subscription_id, since=utcnow() - timedelta(days=1))
    await bounded(site.deliverer.run_until_idle(), 60, "the deliveries to run dry")
    assert titles(receiver) == ["recent"]


async def test_live_entries_wait_for_one_backlog_at_most(
    site: Site, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backfill_module, "PAGE", 10)
    monkeypatch.setattr(backfill_module, "MAX_BACKLOG", 10)
    subscription_id = await subscribe(site, receiver, "/cats", tags_topic("cats"))
    for n in range(40):
        await new_photo(site, None, tags="cats", title=f"old{n}")
    running = asyncio.create_task(backfill(site, subscription_id))
    delivering: asyncio.Task[None] | None = None
    try:
        for _ in range(100):  # the first page is queued, then it waits for room
            if (await site.queues.states([subscription_id]))[subscription_id].depth:
                break
            await asyncio.sleep(0.01)
        assert not running.done()
        live = await new_photo(site, None, tags="cats", title="live")
        await changed(site, live)
        await pump(site)  # the live entry goes out with the first backlog
        delivering = asyncio.create_task(site.deliverer.loop.run_forever())
        await bounded(running, 30, "the backfill to queue all its pages")
        await bounded(site.deliverer.run_until_idle(), 60, "the deliveries to run dry")
    finally:
        await cancelled(running, what="the backfill", reraise=False)
        if delivering is not None:
            await cancelled(delivering, what="the delivery loop")
    order = titles(receiver)
    assert sorted(order) == sorted([*(f"old{n}" for n in range(40)), "live"])
    assert order.index("live") <= 10


async def test_an_unknown_or_inactive_subscription_is_refused(
    site: Site, receiver: Receiver
) -> None:
    with pytest.raises(BackfillError, match="no subscription"):
        await backfill(site, 999)
    pending = await subscribe(site, receiver, "/p", tags_topic("cats"), verified=False)
    with pytest.raises(BackfillError, match="pending"):
        await backfill(site, pending)


def test_the_command_names_a_missing_subscription(settings: Settings) -> None:
    async def make_site() -> None:  # the command refuses a folder with no site
        made = Site(settings)
        await made.start(run_tasks=False, live=False)
        await made.close()

    asyncio.run(make_site())
    env = {"PHOTOHUB_DATABASE_URL": settings.database_url or None}
    if settings.redis_url:
        env |= {"PHOTOHUB_REDIS_URL": settings.redis_url}
        env |= {"PHOTOHUB_REDIS_PREFIX": settings.redis_prefix}
    result = CliRunner().invoke(
        main, ["push", "backfill", "4242", "--data-dir", str(settings.data_dir)], env=env
    )
    assert result.exit_code != 0
    assert "there is no subscription 4242" in result.output


async def test_the_command_delivers_the_history(
    site: Site, settings: Settings, receiver: Receiver
) -> None:
    subscription_id = await subscribe(site, receiver, "/cats", tags_topic("cats"))
    for n in range(30):
        await new_photo(site, None, tags="cats", title=f"old{n}")
    env = {
        "PHOTOHUB_DATA_DIR": str(settings.data_dir),
        "PHOTOHUB_PUSH_ALLOW": "127.0.0.1",
        "PHOTOHUB_PUBLIC_URL": "http://photos.test",
    }
    if settings.database_url:
        env["PHOTOHUB_DATABASE_URL"] = settings.database_url
    if settings.redis_url:
        env |= {"PHOTOHUB_REDIS_URL": settings.redis_url}
        env |= {"PHOTOHUB_REDIS_PREFIX": settings.redis_prefix}
    process = await asyncio.create_subprocess_exec(
        *COMMAND,
        "push",
        "backfill",
        str(subscription_id),
        env=clean_env(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await bounded(process.communicate(), 90, "photohub push backfill to end")
    finally:
        await stop_process_async(process, "photohub push backfill", interrupt=False)
    assert process.returncode == 0, output.decode()
    assert f"backfilled 30 photos to subscription {subscription_id}" in output.decode()
    assert titles(receiver) == [f"old{n}" for n in range(30)]
