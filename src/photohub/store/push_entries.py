"""The rendered entries every delivery backend shares (``push_entries``): one row per
change, however many subscribers; the fan-out journal a queue backend outside the
database is fed from (``targets``, read by ``push.fanout``); the log topic streams
replay (``keys`` and ``geo``); and their sweep after the retention time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.store.db import utcnow
from photohub.store.push_schema import push_entries, push_queue

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
