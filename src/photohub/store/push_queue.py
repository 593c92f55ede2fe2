"""Delivery queues in SQL (the embedded backend of ``broker.queues.DeliveryQueues``).

The entries themselves are rendered once per change (``store.push_entries``).
:class:`SqlQueues` keeps a queue row per (subscription, entry) in ``push_queue`` and the
due-set in ``push_subscriptions.due_at``: set when entries are queued, pushed forward by
a claim (the lease) or a backoff, cleared when the queue is empty. A queue row is deleted only
once its entry was delivered (a 2xx), so a worker that dies mid-POST leaves it queued
and another worker sends it again once the claim lapses (at-least-once; entries keep
their ids). Claims take rows with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` serialises claimers.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.broker.queues import Backoff, Outcome, QueuedRef, QueueState
from photohub.store.db import Database, utcnow
from photohub.store.push_schema import push_queue, push_subscriptions

subs = push_subscriptions
_PEEK_CHUNK = 100  # queues per statement (SQLite allows 500 terms in a UNION)
_DELETE_CHUNK = 5000


async def _lock(conn: AsyncConnection, subscription_ids: Sequence[int]) -> None:
    """Lock the subscriptions' rows (PostgreSQL; SQLite's writers are serial), in id
    order, so that adding to a queue and finishing a delivery take turns: the one that
    finishes a delivery then sees what was added, or leaves the queue idle for the
    adder to make due (see ``delivered``)."""
    if conn.dialect.name == "postgresql":
        query = sa.select(subs.c.id).where(subs.c.id.in_(list(subscription_ids)))
        await conn.execute(query.order_by(subs.c.id).with_for_update())


async def _due_if_idle(conn: AsyncConnection, ids: Sequence[int], when: datetime) -> None:
    """An idle queue (no claim, no backoff) that got entries is due at ``when``."""
    await conn.execute(
        subs.update().where(subs.c.id.in_(list(ids)), subs.c.due_at.is_(None)).values(due_at=when)
    )


@functools.cache
def _heads(count: int) -> sa.TextualSelect:
    """The first ``:limit`` queue rows of each of ``count`` subscriptions (``:s0``...),
    one UNION ALL of index range scans (a window over the queues would read all of a
    long one). Text, as SQLAlchemy takes longer to build the union than to run it."""
    term = (
        "SELECT * FROM (SELECT id, subscription_id, entry_id, created_at FROM push_queue "
        "WHERE subscription_id = :s{0} ORDER BY id LIMIT :limit) AS head{0}"
    )
    query = sa.text(" UNION ALL ".join(term.format(i) for i in range(count)))
    q = push_queue.c
    return query.columns(q.id, q.subscription_id, q.entry_id, q.created_at)


async def _record_failures(
    conn: AsyncConnection, failed: Sequence[Outcome], backoff: Backoff, now: datetime
) -> None:
    """Count a failed attempt of each queue and make it due after its backoff (the rows
    are locked by the caller)."""
    ids = [o.subscription_id for o in failed]
    query = sa.select(subs.c.id, subs.c.delivery_attempts).where(subs.c.id.in_(ids))
    attempts = {int(i): int(n) + 1 for i, n in await conn.execute(query)}
    rows = [
        {
            "sid": o.subscription_id,
            "attempts": attempts[o.subscription_id],
            "reason": (o.failure or "")[:1000],
            "due": now + timedelta(seconds=backoff(attempts[o.subscription_id])),
        }
        for o in failed
        if o.subscription_id in attempts
    ]
    if rows:
        await conn.execute(
            subs.update()
            .where(subs.c.id == sa.bindparam("sid"))
            .values(
                last_failure_at=now,
                last_failure=sa.bindparam("reason"),
                delivery_attempts=sa.bindparam("attempts"),
                due_at=sa.bindparam("due"),
            ),
            rows,
        )


async def _append(
    conn: AsyncConnection | None, pairs: Sequence[tuple[int, int]], committed: datetime
) -> None:
    """Queue rows (subscription, entry), in order, inside the caller's transaction; the
    subscriptions' rows are locked first (see ``_lock``) and idle queues become due."""
    if conn is None:
        raise ValueError("SQL queues are added to inside the transaction that writes them")
    ids = sorted({subscription_id for subscription_id, _ in pairs})
    await _lock(conn, ids)
    rows = [{"subscription_id": s, "entry_id": e, "created_at": committed} for s, e in pairs]
    await conn.execute(push_queue.insert(), rows)
    await _due_if_idle(conn, ids, committed)


class SqlQueues:
    """Queues and due-set in the site's database (see the module docstring)."""

    in_transaction = True

    def __init__(self, db: Database) -> None:
        self.db = db

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def add(
        self,
        conn: AsyncConnection | None,
        entry_id: int,
        subscription_ids: Sequence[int],
        committed: datetime,
    ) -> None:
        ids = sorted(set(subscription_ids))
        if not ids:
            return
        await _append(conn, [(s, entry_id) for s in ids], committed)

    async def extend(
        self,
        conn: AsyncConnection | None,
        subscription_id: int,
        entry_ids: Sequence[int],
        committed: datetime,
    ) -> None:
        if not entry_ids:
            return
        await _append(conn, [(subscription_id, e) for e in entry_ids], committed)

    async def claim(self, limit: int, lease: timedelta) -> list[int]:
        now = utcnow()
        pick = (
            sa.select(subs.c.id)
            .where(subs.c.due_at <= now, subs.c.state == "active")
            .order_by(subs.c.due_at)
            .limit(limit)
        )
        if self.db.is_postgres:
            pick = pick.with_for_update(skip_locked=True)
        async with self.db.write() as conn:
            ids = [int(i) for i in (await conn.execute(pick)).scalars()]
            if ids:
                await conn.execute(
                    subs.update().where(subs.c.id.in_(ids)).values(due_at=now + lease)
                )
        return ids

    async def peek(self, subscription_ids: Sequence[int], limit: int) -> dict[int, list[QueuedRef]]:
        ids = sorted(set(subscription_ids))
        found: dict[int, list[QueuedRef]] = {i: [] for i in ids}
        async with self.db.read() as conn:
            for start in range(0, len(ids), _PEEK_CHUNK):
                chunk = ids[start : start + _PEEK_CHUNK]
                params: dict[str, int] = {f"s{n}": i for n, i in enumerate(chunk)}
                params["limit"] = limit
                for r in await conn.execute(_heads(len(chunk)), params):
                    found[int(r.subscription_id)].append(
                        QueuedRef(int(r.id), int(r.entry_id), r.created_at)
                    )
        for refs in found.values():
            refs.sort(key=lambda ref: ref.handle)
        return found

    async def finish(self, outcomes: Sequence[Outcome], backoff: Backoff) -> None:
        if not outcomes:
            return
        now = utcnow()
        done = [o for o in outcomes if o.failure is None]
        failed = [o for o in outcomes if o.failure is not None]
        async with self.db.write() as conn:
            await _lock(conn, sorted({o.subscription_id for o in outcomes}))
            handles = [ref.handle for o in done for ref in o.sent]
            for start in range(0, len(handles), _DELETE_CHUNK):
                chunk = handles[start : start + _DELETE_CHUNK]
                await conn.execute(push_queue.delete().where(push_queue.c.id.in_(chunk)))
            success = {"last_success_at": now, "delivery_attempts": 0}
            idle = [o.subscription_id for o in done if o.hold <= 0]
            if idle:
                # A statement after the lock: on PostgreSQL (READ COMMITTED) it sees
                # every entry an add() committed before we got the lock; one that comes
                # after finds the queue idle and makes it due itself. No entry waits
                # unseen.
                more = sa.exists().where(push_queue.c.subscription_id == subs.c.id)
                await conn.execute(
                    subs.update()
                    .where(subs.c.id.in_(idle))
                    .values(**success, due_at=sa.case((more, now), else_=None))
                )
            held = [o for o in done if o.hold > 0]
            if held:
                # A rated queue stays due at its next slot even when empty, so that
                # entries arriving meanwhile wait for it.
                await conn.execute(
                    subs.update()
                    .where(subs.c.id == sa.bindparam("sid"))
                    .values(**success, due_at=sa.bindparam("due")),
                    [
                        {"sid": o.subscription_id, "due": now + timedelta(seconds=o.hold)}
                        for o in held
                    ],
                )
            if failed:
                await _record_failures(conn, failed, backoff, now)

    async def release(self, subscription_ids: Sequence[int]) -> None:
        ids = sorted(set(subscription_ids))
        if not ids:
            return
        async with self.db.write() as conn:
            await conn.execute(
                subs.update()
                .where(subs.c.id.in_(ids), subs.c.due_at.is_not(None))
                .values(due_at=utcnow())
            )

    async def drop(self, subscription_id: int) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                push_queue.delete().where(push_queue.c.subscription_id == subscription_id)
            )
            await conn.execute(
                subs.update().where(subs.c.id == subscription_id).values(due_at=None)
            )

    async def states(self, subscription_ids: Sequence[int]) -> dict[int, QueueState]:
        ids = sorted(set(subscription_ids))
        found = {i: QueueState() for i in ids}
        if not ids:
            return found
        # One statement, so one snapshot: under PostgreSQL's read committed, a count and
        # a row read apart could show a success recorded with its entry still queued.
        depth = (
            sa.select(sa.func.count())
            .where(push_queue.c.subscription_id == subs.c.id)
            .scalar_subquery()
        )
        async with self.db.read() as conn:
            rows = await conn.execute(
                sa.select(
                    subs.c.id,
                    depth.label("depth"),
                    subs.c.delivery_attempts,
                    subs.c.last_success_at,
                    subs.c.last_failure_at,
                    subs.c.last_failure,
                    subs.c.due_at,
                ).where(subs.c.id.in_(ids))
            )
            for r in rows:
                found[int(r.id)] = QueueState(
                    depth=int(r.depth),
                    attempts=int(r.delivery_attempts),
                    last_success_at=r.last_success_at,
                    last_failure_at=r.last_failure_at,
                    last_failure=r.last_failure,
                    due_at=r.due_at if r.depth else None,
                )
        return found


DELIVERY_COLUMNS = (
    subs.c.id,
    subs.c.state,
    subs.c.dialect,
    subs.c.topic,
    subs.c.topic_name,
    subs.c.callback,
    subs.c.secret,
    subs.c.max_rate,
)


async def delivery_rows(conn: AsyncConnection, subscription_ids: Sequence[int]) -> list[RowMapping]:
    """What a delivery needs of these subscriptions (those that still exist)."""
    ids = sorted(set(subscription_ids))
    if not ids:
        return []
    query = sa.select(*DELIVERY_COLUMNS).where(subs.c.id.in_(ids)).order_by(subs.c.id)
    return list((await conn.execute(query)).mappings())


async def end(conn: AsyncConnection, subscription_id: int, state: str, reason: str) -> None:
    """The hub stops delivering to the subscription (``gone``: its callback said 410)."""
    await conn.execute(
        subs.update()
        .where(subs.c.id == subscription_id)
        .values(state=state, due_at=None, last_failure=reason[:1000], last_failure_at=utcnow())
    )
