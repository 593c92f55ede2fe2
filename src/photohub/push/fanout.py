"""Putting rendered entries into subscriptions' queues, whichever backend holds them.

With queues in the database (``in_transaction``) the entry and its queue rows commit
together with the dispatch. With queues in Redis, the dispatch transaction writes the
entry with the subscriptions it is owed to (``push_entries.targets``, a journal); after
the commit :func:`publish` pushes it to Redis and clears the journal. A crash or a Redis
outage in between leaves the journal set, and :func:`republish_stale` (run by the
delivery loop) pushes it again later: at-least-once, and no worker ever sees an entry
whose row is not committed yet.

Exactly once into each queue: an entry is written once per change (``push.dispatch``
names it), and pushing it to Redis is idempotent (``RedisQueues.add`` remembers the
entries it queued), so a publish and a sweep racing, or a push whose answer was lost,
queue it once. A failed push after the commit is not the change's failure: it is logged
once per outage and left to the sweep, so the task does not run (and render) again.
The sweep never sends an entry to a subscriber that a newer entry of the same photo is
owed to (an update or a tombstone): late, it would arrive after what replaced it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.outage import Outage
from photohub.store import push_entries
from photohub.store.db import utcnow

if TYPE_CHECKING:
    from photohub.site import Site

log = logging.getLogger("photohub.push")

# A journal older than this was left by a crash or an outage (a younger one is still
# being pushed by its writer; pushing it twice would be harmless, only wasted).
STALE_AFTER = timedelta(seconds=5)
STREAM_CHANNEL = "push-entries"  # the broker channel topic streams listen to
_outage = Outage(log, "push fan-out to the queues")


@dataclass
class Added:
    """Entries a dispatch transaction wrote (``new``) or found written by an earlier run
    of the same change (``found``: only their journal may still be owed)."""

    new: list[int] = field(default_factory=list)
    found: list[int] = field(default_factory=list)

    def __iadd__(self, other: Added) -> Added:
        self.new += other.new
        self.found += other.found
        return self


async def add(
    site: Site,
    conn: AsyncConnection,
    photo_id: int | None,
    body: bytes,
    targets: set[int],
    *,
    keys: Sequence[str],
    geo: dict[str, float] | None = None,
    change: str | None = None,
) -> Added:
    """Store a change's entry (with the ``keys`` and public ``geo`` topic streams match
    it on) and queue it for ``targets`` (or journal it, see the module docstring), unless
    an earlier run of ``change`` stored it; what to :func:`publish` after the commit."""
    journal = sorted(targets) if targets and not site.queues.in_transaction else None
    entry_id, new = await push_entries.add_change(
        conn, change, photo_id, body, targets=journal, keys=keys, geo=geo
    )
    if not new:
        return Added(found=[entry_id])
    if targets and site.queues.in_transaction:
        await site.queues.add(conn, entry_id, sorted(targets), utcnow())
    return Added(new=[entry_id])


async def publish(site: Site, added: Added) -> None:
    """After the commit: push journalled entries to the queue backend, and announce the
    new entries to every process's topic streams (through the broker). Neither may fail
    the change, which is committed: what Redis did not take, the sweep pushes later;
    topic streams read what the broker did not bring from the entry log."""
    entry_ids = [*added.new, *added.found]
    if not entry_ids:
        return
    try:
        async with site.db.read() as conn:
            owed = await push_entries.owed(conn, entry_ids=entry_ids)
            logged = await push_entries.entry_log(conn, entry_ids=added.new) if added.new else []
        await _push(site, owed)
        for entry in logged:
            await site.broker.publish(STREAM_CHANNEL, stream_message(entry))
    except Exception as exc:  # any backend error: the sweep repairs it
        _outage.failed(exc)
        site.deliverer.maintain_soon(STALE_AFTER.total_seconds() + 1)
        return
    _outage.recovered()
    if owed:
        site.wake_delivery()


def stream_message(entry: push_entries.Logged) -> dict[str, Any]:
    return {"id": entry.id, "keys": entry.keys, "geo": entry.geo, "body": entry.body.decode()}


async def republish_stale(site: Site) -> int:
    """Push what a crash or an outage left in the journal, except to the subscribers a
    newer entry of the same photo is owed to; returns how many entries."""
    if site.queues.in_transaction:
        return 0
    async with site.db.read() as conn:
        owed = await push_entries.owed(conn, before=utcnow() - STALE_AFTER)
        replaced = await push_entries.superseded(conn, [entry_id for entry_id, _, _ in owed])
    owed = [(e, [t for t in ts if t not in replaced.get(e, set())], c) for e, ts, c in owed]
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
