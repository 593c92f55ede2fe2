"""Putting rendered entries into subscriptions' queues, whichever backend holds them.

With queues in the database (``in_transaction``) the entry and its queue rows commit
together with the dispatch. With queues in Redis, the dispatch transaction writes the
entry with the subscriptions it is owed to (``push_entries.targets``, a journal); after
the commit :func:`publish` pushes it to Redis and clears the journal. A crash or a Redis
outage in between leaves the journal set, and :func:`republish_stale` (run by the
delivery loop) pushes it again later: at-least-once, and no worker ever sees an entry
whose row is not committed yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.store import push_entries
from photohub.store.db import utcnow

if TYPE_CHECKING:
    from photohub.site import Site

STALE_AFTER = timedelta(seconds=30)  # a journal older than this was left by a crash
STREAM_CHANNEL = "push-entries"  # the broker channel topic streams listen to


async def add(
    site: Site,
    conn: AsyncConnection,
    photo_id: int | None,
    body: bytes,
    targets: set[int],
    *,
    keys: Sequence[str],
    geo: dict[str, float] | None = None,
) -> int:
    """Store a change's entry (with the ``keys`` and public ``geo`` topic streams match
    it on) and queue it for ``targets`` (or journal it, see the module docstring);
    returns its id, to :func:`publish` after the commit."""
    journal = sorted(targets) if targets and not site.queues.in_transaction else None
    entry_id = await push_entries.add_entry(
        conn, photo_id, body, targets=journal, keys=keys, geo=geo
    )
    if targets and site.queues.in_transaction:
        await site.queues.add(conn, entry_id, sorted(targets), utcnow())
    return entry_id


async def publish(site: Site, entry_ids: Sequence[int]) -> None:
    """After the commit: push journalled entries to the queue backend, and announce the
    entries to every process's topic streams (through the broker)."""
    if not entry_ids:
        return
    async with site.db.read() as conn:
        owed = await push_entries.owed(conn, entry_ids=entry_ids)
        logged = await push_entries.entry_log(conn, entry_ids=entry_ids)
    await _push(site, owed)
    if owed:
        site.wake_delivery()
    for entry in logged:
        await site.broker.publish(STREAM_CHANNEL, stream_message(entry))


def stream_message(entry: push_entries.Logged) -> dict[str, Any]:
    return {"id": entry.id, "keys": entry.keys, "geo": entry.geo, "body": entry.body.decode()}


async def republish_stale(site: Site) -> int:
    """Push what a crash or an outage left in the journal; returns how many entries."""
    if site.queues.in_transaction:
        return 0
    async with site.db.read() as conn:
        owed = await push_entries.owed(conn, before=utcnow() - STALE_AFTER)
    await _push(site, owed)
    return len(owed)


async def _push(site: Site, owed: list[tuple[int, list[int], datetime]]) -> None:
    done = []
    for entry_id, targets, created in owed:
        await site.queues.add(None, entry_id, targets, created)
        done.append(entry_id)
    if done:
        async with site.db.write() as conn:
            await push_entries.settle(conn, done)
