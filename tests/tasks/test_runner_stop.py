"""Stopping the task runner: it stops when cancelled right as it is woken
(tests.cancel_at_wake), and gives back the claims of the tasks it interrupted, so a
restarted runner does them at once, once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import pytest

from photohub.store.db import Database, utcnow
from photohub.store.schema import tasks
from photohub.tasks import queue
from photohub.tasks.runner import Runner
from tests.cancel_at_wake import cancel_as_woken
from tests.tasks.rows import task_rows

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_runner_cancelled_as_it_is_woken_stops(db: Database) -> None:
    def start() -> tuple[Coroutine[Any, Any, None], asyncio.Event, Callable[[], None]]:
        runner: Runner[None] = Runner(db, {}, None, poll_interval=3600)
        return runner.run_forever(), runner._wake, runner.wake

    rounds = await cancel_as_woken(start, 300)
    assert rounds.lost == []
    assert rounds.ran == 600


async def test_a_task_stopped_by_shutdown_runs_again_at_once_after_a_restart(
    db: Database,
) -> None:
    started = asyncio.Event()
    runs: list[dict[str, Any]] = []

    async def long_task(_: None, args: dict[str, Any]) -> None:
        started.set()
        await asyncio.sleep(3600)

    async def quick_task(_: None, args: dict[str, Any]) -> None:
        runs.append(args)

    async with db.write() as conn:
        await queue.enqueue(conn, "work", {"n": 1})
    first: Runner[None] = Runner(db, {"work": long_task}, None, poll_interval=3600)
    running = asyncio.create_task(first.run_forever())
    try:
        await asyncio.wait_for(started.wait(), 10)
    finally:
        running.cancel()
        await asyncio.wait((running,), timeout=10)
    assert running.cancelled()
    [row] = await task_rows(db)
    assert row["status"] == "running" and row["locked_until"] > utcnow()  # still held
    await first.release_claims()
    [row] = await task_rows(db)
    assert (row["status"], row["attempts"], row["locked_until"]) == ("pending", 0, None)
    assert row["run_at"] <= utcnow()
    # The restarted runner does it now, not after the lease, and once.
    second: Runner[None] = Runner(db, {"work": quick_task}, None)
    assert await second.run_due() == 1
    assert runs == [{"n": 1}]
    assert await task_rows(db) == []
    await second.release_claims()  # nothing held: nothing to do


async def test_a_released_task_with_a_pending_twin_merges_into_it(db: Database) -> None:
    async with db.write() as conn:
        await queue.enqueue(conn, "work", {"n": 1})
    [claimed] = await queue.claim(db)
    async with db.write() as conn:  # the same change again while it ran
        assert await queue.enqueue(conn, "work", {"n": 1})
    await queue.release(db, [claimed])
    rows = await task_rows(db)
    assert [(r["status"], r["attempts"]) for r in rows] == [("pending", 0)]
    assert rows[0]["id"] != claimed.id


async def test_a_claim_taken_over_after_its_lease_is_not_given_back(db: Database) -> None:
    async with db.write() as conn:
        await queue.enqueue(conn, "work", {"n": 1})
    [stale] = await queue.claim(db)
    async with db.write() as conn:  # the lease lapsed: another worker claims it
        await conn.execute(tasks.update().values(locked_until=utcnow() - timedelta(seconds=1)))
    [taken] = await queue.claim(db)
    assert taken.id == stale.id and taken.attempts == stale.attempts + 1
    await queue.release(db, [stale])  # the first worker stops: not its claim any more
    [row] = await task_rows(db)
    assert (row["status"], row["attempts"]) == ("running", 2)
