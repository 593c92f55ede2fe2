"""The rendered entries every delivery backend shares (``push_entries``): one row per
change, however many subscribers, however often the change's task runs (``change``, a
unique name: :func:`add_change` inserts or finds); the fan-out journal a queue backend
outside the database is fed from (``targets``, owed until ``pushed_at``, read by
``push.fanout``); the log topic streams replay (``keys`` and ``geo``); and their sweep
after the retention time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.store.db import utcnow
from photohub.store.push_schema import push_entries, push_queue
from photohub.store.schema import events

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
    entry_id, _ = await add_change(conn, None, photo_id, body, targets=targets, keys=keys, geo=geo)
    return entry_id


async def add_change(
    conn: AsyncConnection,
    change: str | None,
    photo_id: int | None,
    body: bytes,
    *,
    targets: Sequence[int] | None = None,
    keys: Sequence[str] | None = None,
    geo: dict[str, float] | None = None,
) -> tuple[int, bool]:
    """Store the entry of ``change`` (a name unique to the change, see ``push.dispatch``)
    unless it is stored already: (its id, whether it was added now). A task run again
    after its commit thus finds its entry rather than rendering the change twice; the
    unique index makes that hold between processes too. ``change`` None: always added."""
    if conn.dialect.name == "postgresql":
        # Held until commit, as for the event outbox: entry ids become visible in id
        # order, so a stream resuming "after id N" skips nothing.
        await conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({_ENTRY_LOCK})"))
    if change is not None:
        found = await conn.scalar(
            sa.select(push_entries.c.id).where(push_entries.c.change == change)
        )
        if found is not None:
            return int(found), False
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(push_entries).values(
        photo_id=photo_id,
        body=body,
        targets=sorted(set(targets)) if targets is not None else None,
        keys=sorted(set(keys)) if keys is not None else None,
        geo=geo,
        created_at=utcnow(),
        change=change,
    )
    if change is not None:
        statement = statement.on_conflict_do_nothing(index_elements=[push_entries.c.change])
    added = await conn.scalar(statement.returning(push_entries.c.id))
    if added is not None:
        return int(added), True
    # Lost a race to another writer of the same change (the index said so).
    found = await conn.scalar(sa.select(push_entries.c.id).where(push_entries.c.change == change))
    if found is None:  # cannot be: the conflict was on this change's row
        raise RuntimeError(f"push entry of change {change!r} neither added nor found")
    return int(found), False


async def newest_change(
    conn: AsyncConnection, photo_id: int, *, kinds: Sequence[str] = (), skip: Sequence[str] = ()
) -> int | None:
    """The id of the photo's newest event (of ``kinds`` if given, not of ``skip``): what
    names the change a push renders. Read first in the push's transaction, before the
    photo's data, so that the data read next is at least as new as that event."""
    query = sa.select(sa.func.max(events.c.id)).where(events.c.photo_id == photo_id)
    if kinds:
        query = query.where(events.c.kind.in_(list(kinds)))
    if skip:
        query = query.where(events.c.kind.not_in(list(skip)))
    value = await conn.scalar(query)
    return None if value is None else int(value)


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
    """Journalled fan-outs not pushed yet, (entry id, subscription ids, created): those
    of ``entry_ids``, or every one made before ``before`` (what a crash left)."""
    query = sa.select(push_entries.c.id, push_entries.c.targets, push_entries.c.created_at)
    query = query.where(push_entries.c.targets.is_not(None), push_entries.c.pushed_at.is_(None))
    query = query.order_by(push_entries.c.id)
    if before is not None:
        query = query.where(push_entries.c.created_at < before).limit(500)
    else:
        query = query.where(push_entries.c.id.in_(list(entry_ids)))
    rows = await conn.execute(query)
    return [(int(r.id), [int(t) for t in r.targets or []], r.created_at) for r in rows]


async def superseded(conn: AsyncConnection, entry_ids: Sequence[int]) -> dict[int, set[int]]:
    """For each of ``entry_ids`` (journalled entries of photos), the subscriptions that a
    newer entry of the same photo is also owed to: the newer one (an update, or a
    tombstone) tells them, so the older one must not reach them after it."""
    ids = sorted(set(entry_ids))
    if not ids:
        return {}
    older = push_entries.alias("older")
    newer = push_entries.alias("newer")
    query = (
        sa.select(older.c.id, newer.c.targets)
        .select_from(
            older.join(
                newer, sa.and_(newer.c.photo_id == older.c.photo_id, newer.c.id > older.c.id)
            )
        )
        .where(older.c.id.in_(ids), older.c.photo_id.is_not(None), newer.c.targets.is_not(None))
    )
    found: dict[int, set[int]] = {}
    for entry_id, targets in await conn.execute(query):
        found.setdefault(int(entry_id), set()).update(int(t) for t in targets or [])
    return found


async def settle(conn: AsyncConnection, entry_ids: Sequence[int]) -> None:
    """The journalled fan-outs reached their backend (``targets`` stays: what a newer
    entry covers, see :func:`superseded`)."""
    if entry_ids:
        await conn.execute(
            push_entries.update()
            .where(push_entries.c.id.in_(list(entry_ids)), push_entries.c.pushed_at.is_(None))
            .values(pushed_at=utcnow())
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
        {"id": i, "photo_id": p, "body": b, "targets": None, "created_at": now, "change": None}
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
