"""The task table: insert with delay and de-duplication, claim, finish, retry.

Semantics follow Flickr's offline task system (``olt::insert``): inserting a task whose
name and arguments equal a *pending* one is a silent no-op, so a burst of edits yields
one run. A running task does not block a new insert: the change that arrives while it
runs gets its own run. Claims take a lease; a task whose worker died is claimed again
once its lease has expired (tasks survive restarts and crashes); a running task's lease
is renewed while it runs. A worker that stops gives its claims back (``release``), so a
restart runs what it interrupted at once.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.store.db import Database, utcnow
from photohub.store.schema import tasks

# A claim holds a task this long (the default of PHOTOHUB_TASK_LEASE_SECONDS); the
# runner renews it every third of a lease while the task runs, so a long task is never
# taken twice, and a task whose worker was killed is claimed again within a LEASE.
LEASE = timedelta(seconds=30)


@dataclass(frozen=True)
class Task:
    id: int
    name: str
    args: dict[str, Any]
    attempts: int
    max_attempts: int


def args_key(args: dict[str, Any]) -> str:
    """Canonical JSON of the arguments: equal arguments give equal keys."""
    return json.dumps(args, sort_keys=True, separators=(",", ":"))


def backoff(attempts: int, *, base: float = 2.0, cap: float = 600.0) -> float:
    """Seconds before retry number ``attempts``: exponential with full jitter."""
    return random.uniform(0.5, 1.0) * min(cap, base**attempts)


async def enqueue(
    conn: AsyncConnection,
    name: str,
    args: dict[str, Any] | None = None,
    *,
    delay: float = 0.0,
    max_attempts: int = 5,
) -> bool:
    """Insert a task in the caller's transaction. Returns False when an equal task was
    already pending (nothing is inserted)."""
    args = args or {}
    now = utcnow()
    values = {
        "name": name,
        "args": args,
        "args_key": args_key(args),
        "status": "pending",
        "run_at": now + timedelta(seconds=delay),
        "max_attempts": max_attempts,
        "created_at": now,
    }
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(tasks).values(**values).on_conflict_do_nothing()
    result = await conn.execute(stmt)
    return bool(result.rowcount)


async def claim(db: Database, limit: int = 1, lease: timedelta = LEASE) -> list[Task]:
    """Take up to ``limit`` due tasks (pending and due, or running with an expired lease),
    each held for ``lease``."""
    now = utcnow()
    due = sa.or_(
        sa.and_(tasks.c.status == "pending", tasks.c.run_at <= now),
        sa.and_(tasks.c.status == "running", tasks.c.locked_until < now),
    )
    pick = sa.select(tasks.c.id).where(due).order_by(tasks.c.run_at).limit(limit)
    if db.is_postgres:
        pick = pick.with_for_update(skip_locked=True)
    async with db.write() as conn:
        # SQLite: BEGIN IMMEDIATE already serialises claimers.
        ids = list((await conn.execute(pick)).scalars())
        if not ids:
            return []
        rows = await conn.execute(
            tasks.update()
            .where(tasks.c.id.in_(ids))
            .values(status="running", locked_until=now + lease, attempts=tasks.c.attempts + 1)
            .returning(
                tasks.c.id, tasks.c.name, tasks.c.args, tasks.c.attempts, tasks.c.max_attempts
            )
        )
        return [Task(int(r.id), r.name, dict(r.args), r.attempts, r.max_attempts) for r in rows]


async def renew(db: Database, task: Task, lease: timedelta = LEASE) -> None:
    """Extend a running task's claim by ``lease`` from now."""
    async with db.write() as conn:
        await conn.execute(
            tasks.update()
            .where(tasks.c.id == task.id, tasks.c.status == "running")
            .values(locked_until=utcnow() + lease)
        )


async def release(db: Database, claimed: list[Task]) -> None:
    """Give back claims of tasks that were stopped before they ended (the process is
    shutting down): each is pending and due now, the interrupted try not counted, so a
    restarted (or another) worker runs it at once rather than after its lease. A task
    with an equal pending twin (inserted while it ran) is merged into it."""
    if not claimed:
        return
    now = utcnow()
    async with db.write() as conn:
        for task in claimed:
            twin = await conn.scalar(
                sa.select(tasks.c.id).where(
                    tasks.c.status == "pending",
                    tasks.c.name == task.name,
                    tasks.c.args_key == args_key(task.args),
                )
            )
            # Still this claim: a worker that took it over after the lease lapsed counted
            # another attempt, and its claim is not ours to give back.
            running = sa.and_(
                tasks.c.id == task.id,
                tasks.c.status == "running",
                tasks.c.attempts == task.attempts,
            )
            if twin is not None:
                await conn.execute(tasks.delete().where(running))
                continue
            await conn.execute(
                tasks.update()
                .where(running)
                .values(
                    status="pending",
                    locked_until=None,
                    run_at=now,
                    attempts=max(task.attempts - 1, 0),
                )
            )


async def complete(db: Database, task: Task) -> None:
    async with db.write() as conn:
        await conn.execute(tasks.delete().where(tasks.c.id == task.id))


async def fail(db: Database, task: Task, error: str) -> str:
    """Record a failure: retry later with backoff, or give up after ``max_attempts``.
    Returns the new status ("pending", "failed" or "merged")."""
    async with db.write() as conn:
        if task.attempts >= task.max_attempts:
            await conn.execute(
                tasks.update()
                .where(tasks.c.id == task.id)
                .values(status="failed", locked_until=None, last_error=error[:2000])
            )
            return "failed"
        twin = await conn.scalar(
            sa.select(tasks.c.id).where(
                tasks.c.status == "pending",
                tasks.c.name == task.name,
                tasks.c.args_key == args_key(task.args),
            )
        )
        if twin is not None:
            # An equal task was inserted while this one ran: it will do the work.
            await conn.execute(tasks.delete().where(tasks.c.id == task.id))
            return "merged"
        await conn.execute(
            tasks.update()
            .where(tasks.c.id == task.id)
            .values(
                status="pending",
                locked_until=None,
                last_error=error[:2000],
                run_at=utcnow() + timedelta(seconds=backoff(task.attempts)),
            )
        )
        return "pending"


async def pending_count(db: Database) -> int:
    async with db.read() as conn:
        value = await conn.scalar(
            sa.select(sa.func.count()).select_from(tasks).where(tasks.c.status != "failed")
        )
        return int(value or 0)
