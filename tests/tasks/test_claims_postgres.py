"""Concurrent workers on PostgreSQL never claim the same task (SKIP LOCKED)."""

from __future__ import annotations

import asyncio

import pytest

from photohub.store.db import Database
from photohub.tasks import queue
from tests.waiting import bounded

pytestmark = [pytest.mark.postgres, pytest.mark.anyio]


async def test_concurrent_claimers_take_disjoint_tasks(postgres_url: str) -> None:
    url = postgres_url.replace("postgresql://", "postgresql+asyncpg://")
    db = Database(url)
    await db.migrate()
    async with db.write() as conn:
        for n in range(60):
            await queue.enqueue(conn, "work", {"n": n})
    workers = [Database(url) for _ in range(4)]

    async def drain(worker: Database) -> list[int]:
        got: list[int] = []
        while batch := await queue.claim(worker, limit=3):
            got += [task.args["n"] for task in batch]
        return got

    try:
        draining = asyncio.gather(*(drain(w) for w in workers))
        results = await bounded(draining, 60, "four workers to drain the queue")
    finally:
        for worker in [db, *workers]:
            await bounded(worker.dispose(), 10, "a connection pool to close")
    claimed = [n for result in results for n in result]
    assert sorted(claimed) == list(range(60))  # each exactly once
