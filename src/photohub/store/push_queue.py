"""Delivery queues in SQL (the embedded backend of ``broker.queues.DeliveryQueues``),
and the rendered entries every backend shares.

``push_entries`` holds each change's rendered Atom entry once. :class:`SqlQueues` keeps
a queue row per (subscription, entry) in ``push_queue`` and the due-set in
``push_subscriptions.due_at``: set when entries are queued, pushed forward by a claim
(the lease) or a backoff, cleared when the queue is empty. A queue row is deleted only
once its entry was delivered (a 2xx), so a worker that dies mid-POST leaves it queued
and another worker sends it again once the claim lapses (at-least-once; entries keep
their ids). Claims take rows with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` serialises claimers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.broker.queues import Backoff, QueuedRef, QueueState
from photohub.store.db import Database, utcnow
from photohub.store.push_schema import push_entries, push_queue, push_subscriptions

subs = push_subscriptions
_ENTRY_LOCK = 7242003


async def add_entry(
    conn: AsyncConnection,
    photo_id: int | None,
    body: bytes,
    *,
    targets: Sequence[int] | None = None,
    keys: Sequence[str] | None = None,
    geo: dict[str, float] | None = None,
) -> int:
    """Store a rendered entry. ``targets``: the fan-out still owed to a queue backend
    outside the database (the journal ``push.fanout`` reads); ``keys`` and ``geo``: what
    topic streams match it against (``entry_log``)."""
    if conn.dialect.name == "postgresql":
        # Held until commit, as for the event outbox: entry ids become visible in id
        # order, so a stream resuming "after id N" skips nothing.
        await conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({_ENTRY_LOCK})"))
    result = await conn.execute(
        push_entries.insert()
        .values(
            photo_id=photo_id,
            body=body,
            targets=sorted(set(targets)) if targets is not None else None,
            keys=sorted(set(keys)) if keys is not None else None,
            geo=geo,
            created_at=utcnow(),
        )
        .returning(push_entries.c.id)
    )
    return int(result.scalar_one())


@dataclass(frozen=True)
class Logged:
    """A change's entry as topic streams see it."""

    id: int
    keys: list[str]
    geo: dict[str, float] | None
    body: bytes


async def newest_entry_id(conn: AsyncConnection) -> int:
    """The newest entry id, 0 when there is none (where a stream "from now" starts)."""
    return int(await conn.scalar(sa.select(sa.func.max(push_entries.c.id))) or 0)


async def entry_log(
    conn: AsyncConnection, *, after_id: int = 0, entry_ids: Sequence[int] = (), limit: int = 1000
) -> list[Logged]:
    """Entries of changes (not backfill) after ``after_id``, oldest first, or those of
    ``entry_ids``: what a topic stream replays or announces."""
    query = sa.select(push_entries.c.id, push_entries.c["keys"], push_entries.c.geo)
    query = query.add_columns(push_entries.c.body).where(push_entries.c["keys"].is_not(None))
    if entry_ids:
        query = query.where(push_entries.c.id.in_(list(entry_ids)))
    else:
        query = query.where(push_entries.c.id > after_id)
    rows = (await conn.execute(query.order_by(push_entries.c.id).limit(limit))).mappings()
    return [Logged(int(r["id"]), list(r["keys"]), r["geo"], bytes(r["body"])) for r in rows]


async def owed(
    conn: AsyncConnection, *, entry_ids: Sequence[int] = (), before: datetime | None = None
) -> list[tuple[int, list[int], datetime]]:
    """Journalled fan-outs, (entry id, subscription ids, created): those of
    ``entry_ids``, or every one made before ``before`` (what a crash left)."""
    query = sa.select(push_entries.c.id, push_entries.c.targets, push_entries.c.created_at)
    query = query.where(push_entries.c.targets.is_not(None)).order_by(push_entries.c.id)
    if before is not None:
        query = query.where(push_entries.c.created_at < before).limit(500)
    else:
        query = query.where(push_entries.c.id.in_(list(entry_ids)))
    rows = await conn.execute(query)
    return [(int(r.id), [int(t) for t in r.targets or []], r.created_at) for r in rows]


async def settle(conn: AsyncConnection, entry_ids: Sequence[int]) -> None:
    """The journalled fan-outs reached their backend."""
    if entry_ids:
        await conn.execute(
            push_entries.update().where(push_entries.c.id.in_(list(entry_ids))).values(targets=None)
        )


async def add_entries(
    conn: AsyncConnection, items: Sequence[tuple[int | None, bytes]]
) -> list[int]:
    """Store many rendered entries (photo id, body) at once (backfill); their ids, in
    order. The ids are taken first (PostgreSQL: from the sequence; SQLite: after the
    largest, under the write lock) so that one executemany inserts them all: a RETURNING
    per row costs more than rendering the entries."""
    if not items:
        return []
    ids = await _new_entry_ids(conn, len(items))
    now = utcnow()
    rows = [
        {"id": i, "photo_id": p, "body": b, "targets": None, "created_at": now}
        for i, (p, b) in zip(ids, items, strict=True)
    ]
    await conn.execute(push_entries.insert(), rows)
    return ids


async def _new_entry_ids(conn: AsyncConnection, count: int) -> list[int]:
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({_ENTRY_LOCK})"))
        query = sa.text(
            "SELECT nextval(pg_get_serial_sequence('push_entries', 'id')) "
            "FROM generate_series(1, :count)"
        )
        return sorted(int(i) for i in (await conn.execute(query, {"count": count})).scalars())
    # SQLite: the caller's transaction holds the write lock (BEGIN IMMEDIATE), and with
    # AUTOINCREMENT an id is never reused: start after the largest ever handed out.
    used = await conn.scalar(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'push_entries'"))
    largest = max(int(used or 0), await newest_entry_id(conn))
    return list(range(largest + 1, largest + 1 + count))


async def bodies(conn: AsyncConnection, entry_ids: Sequence[int]) -> dict[int, bytes]:
    """The rendered entries by id (an id swept meanwhile is missing)."""
    ids = sorted(set(entry_ids))
    if not ids:
        return {}
    query = sa.select(push_entries.c.id, push_entries.c.body).where(push_entries.c.id.in_(ids))
    return {int(i): bytes(b) for i, b in await conn.execute(query)}


async def sweep_entries(conn: AsyncConnection, older_than: datetime, *, held: bool) -> int:
    """Delete entries made before ``older_than``; with ``held``, only those no SQL
    queue refers to any more (Redis queues cannot be asked: they go by age alone)."""
    condition = push_entries.c.created_at < older_than
    if held:
        refs = sa.select(push_queue.c.entry_id).where(push_queue.c.entry_id == push_entries.c.id)
        condition = sa.and_(condition, ~sa.exists(refs))
    result = await conn.execute(push_entries.delete().where(condition))
    return int(result.rowcount)


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

    async def peek(self, subscription_id: int, limit: int) -> list[QueuedRef]:
        query = (
            sa.select(push_queue.c.id, push_queue.c.entry_id, push_queue.c.created_at)
            .where(push_queue.c.subscription_id == subscription_id)
            .order_by(push_queue.c.id)
            .limit(limit)
        )
        async with self.db.read() as conn:
            rows = await conn.execute(query)
            return [QueuedRef(int(r.id), int(r.entry_id), r.created_at) for r in rows]

    async def delivered(
        self, subscription_id: int, refs: Sequence[QueuedRef], *, hold: float = 0.0
    ) -> None:
        now = utcnow()
        again = now + timedelta(seconds=hold)
        async with self.db.write() as conn:
            await _lock(conn, [subscription_id])
            handles = [ref.handle for ref in refs]
            if handles:
                await conn.execute(push_queue.delete().where(push_queue.c.id.in_(handles)))
            # A statement after the lock: on PostgreSQL (READ COMMITTED) it sees every
            # entry an add() committed before we got the lock; one that comes after
            # finds the queue idle and makes it due itself. No entry waits unseen.
            more = sa.exists().where(push_queue.c.subscription_id == subscription_id)
            await conn.execute(
                subs.update()
                .where(subs.c.id == subscription_id)
                .values(
                    last_success_at=now,
                    delivery_attempts=0,
                    # A rated queue stays due at its next slot even when empty, so
                    # that entries arriving meanwhile wait for it.
                    due_at=again if hold > 0 else sa.case((more, now), else_=None),
                )
            )

    async def failed(self, subscription_id: int, reason: str, backoff: Backoff) -> float:
        now = utcnow()
        async with self.db.write() as conn:
            attempts = await conn.scalar(
                subs.update()
                .where(subs.c.id == subscription_id)
                .values(
                    last_failure_at=now,
                    last_failure=reason[:1000],
                    delivery_attempts=subs.c.delivery_attempts + 1,
                )
                .returning(subs.c.delivery_attempts)
            )
            wait = backoff(int(attempts or 1))
            await conn.execute(
                subs.update()
                .where(subs.c.id == subscription_id)
                .values(due_at=now + timedelta(seconds=wait))
            )
        return wait

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
        async with self.db.read() as conn:
            depths = dict.fromkeys(ids, 0)
            counts = await conn.execute(
                sa.select(push_queue.c.subscription_id, sa.func.count())
                .where(push_queue.c.subscription_id.in_(ids))
                .group_by(push_queue.c.subscription_id)
            )
            for subscription_id, count in counts:
                depths[int(subscription_id)] = int(count)
            rows = await conn.execute(
                sa.select(
                    subs.c.id,
                    subs.c.delivery_attempts,
                    subs.c.last_success_at,
                    subs.c.last_failure_at,
                    subs.c.last_failure,
                    subs.c.due_at,
                ).where(subs.c.id.in_(ids))
            )
            for r in rows:
                found[int(r.id)] = QueueState(
                    depth=depths[int(r.id)],
                    attempts=int(r.delivery_attempts),
                    last_success_at=r.last_success_at,
                    last_failure_at=r.last_failure_at,
                    last_failure=r.last_failure,
                    due_at=r.due_at if depths[int(r.id)] else None,
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
