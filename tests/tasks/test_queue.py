"""The task table: delay, de-duplication, retry with backoff, survival across restarts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from photohub.config import Settings
from photohub.store.db import Database, utcnow
from photohub.store.schema import tasks
from photohub.tasks import queue
from photohub.tasks.runner import PermanentError, Runner
from tests.tasks.rows import task_rows

pytestmark = pytest.mark.anyio


async def test_equal_pending_task_is_a_silent_no_op(db: Database) -> None:
    async with db.write() as conn:
        assert await queue.enqueue(conn, "dispatch", {"photo": 1, "kind": "x"})
        assert not await queue.enqueue(conn, "dispatch", {"kind": "x", "photo": 1})
        assert await queue.enqueue(conn, "dispatch", {"photo": 2, "kind": "x"})
        assert await queue.enqueue(conn, "other", {"photo": 1, "kind": "x"})
    assert len(await task_rows(db)) == 3


async def test_a_running_task_does_not_absorb_a_new_insert(db: Database) -> None:
    async with db.write() as conn:
        await queue.enqueue(conn, "dispatch", {"photo": 1})
    [claimed] = await queue.claim(db)
    async with db.write() as conn:
        # The edit that arrives while the first run works must get its own run.
        assert await queue.enqueue(conn, "dispatch", {"photo": 1})
    assert [r["status"] for r in await task_rows(db)] == ["running", "pending"]
    await queue.complete(db, claimed)
    assert [r["status"] for r in await task_rows(db)] == ["pending"]


async def test_delayed_task_is_not_claimed_before_its_time(db: Database) -> None:
    async with db.write() as conn:
        await queue.enqueue(conn, "later", {}, delay=3600)
        await queue.enqueue(conn, "now", {})
    claimed = await queue.claim(db, limit=10)
    assert [t.name for t in claimed] == ["now"]
    # Move the clock: pretend the hour has passed.
    async with db.write() as conn:
        await conn.execute(tasks.update().values(run_at=utcnow() - timedelta(seconds=1)))
    assert [t.name for t in await queue.claim(db, limit=10)] == ["later"]


async def test_failure_retries_with_backoff_then_gives_up(db: Database) -> None:
    async with db.write() as conn:
        await queue.enqueue(conn, "flaky", {"n": 1}, max_attempts=2)
    calls: list[dict[str, Any]] = []

    async def flaky(ctx: None, args: dict[str, Any]) -> None:
        calls.append(args)
        raise RuntimeError("remote said no")

    runner: Runner[None] = Runner(db, {"flaky": flaky}, None)
    assert await runner.run_due() == 1
    [row] = await task_rows(db)
    assert row["status"] == "pending"
    assert row["attempts"] == 1
    assert "remote said no" in row["last_error"]
    assert row["run_at"] > utcnow()  # backed off, not run again at once
    assert await runner.run_due() == 0

    async with db.write() as conn:
        await conn.execute(tasks.update().values(run_at=utcnow()))
    assert await runner.run_due() == 1
    [row] = await task_rows(db)
    assert row["status"] == "failed"
    assert row["attempts"] == 2
    assert len(calls) == 2


async def test_permanent_error_fails_without_retry(db: Database) -> None:
    async with db.write() as conn:
        await queue.enqueue(conn, "doomed", {})

    async def doomed(ctx: None, args: dict[str, Any]) -> None:
        raise PermanentError("bad input")

    await Runner(db, {"doomed": doomed}, None).run_due()
    [row] = await task_rows(db)
    assert row["status"] == "failed"


async def test_success_removes_the_task(db: Database) -> None:
    async with db.write() as conn:
        await queue.enqueue(conn, "ok", {"x": 1})
    seen: list[int] = []

    async def ok(ctx: None, args: dict[str, Any]) -> None:
        seen.append(args["x"])

    await Runner(db, {"ok": ok}, None).run_due()
    assert seen == [1]
    assert await task_rows(db) == []


async def test_tasks_survive_a_restart_and_a_dead_worker(settings: Settings, db: Database) -> None:
    async with db.write() as conn:
        await queue.enqueue(conn, "work", {"id": 1})
        await queue.enqueue(conn, "work", {"id": 2})
    # A worker claims task 1 and dies (SIGKILL): its lease is left behind.
    [dead] = await queue.claim(db)
    await db.dispose()

    restarted = Database(settings.db_url)
    await restarted.migrate()
    done: list[int] = []

    async def work(ctx: None, args: dict[str, Any]) -> None:
        done.append(args["id"])

    runner: Runner[None] = Runner(restarted, {"work": work}, None)
    await runner.run_due()
    assert done == [2]  # the pending one ran; the leased one waits for its lease
    async with restarted.write() as conn:
        await conn.execute(
            tasks.update().where(tasks.c.id == dead.id).values(locked_until=utcnow())
        )
    await runner.run_due()
    assert sorted(done) == [1, 2]
    assert await task_rows(restarted) == []
    await restarted.dispose()


async def test_retry_merges_into_an_equal_pending_task(db: Database) -> None:
    async with db.write() as conn:
        await queue.enqueue(conn, "dispatch", {"photo": 7})
    [running] = await queue.claim(db)
    async with db.write() as conn:
        await queue.enqueue(conn, "dispatch", {"photo": 7})
    assert await queue.fail(db, running, "boom") == "merged"
    rows = await task_rows(db)
    assert [r["status"] for r in rows] == ["pending"]


def test_backoff_grows_and_is_capped() -> None:
    assert 1.0 <= queue.backoff(1) <= 2.0
    assert 16.0 <= queue.backoff(5) <= 32.0
    assert queue.backoff(50) <= 600.0
