"""Backfill: send a subscription every photo its topic already holds, through its own
queue (``photohub push backfill SUBSCRIPTION [--since DATE]``).

The history (the photos that exist when the backfill starts; later ones reach the
subscription live) is read in pages, oldest first, with the same rules as the topic's feed
(``push.feeds.history``: pushable photos the topic carries), rendered once per page and
appended to the subscription's queue in one statement. The queue is fed only while it
holds fewer than :data:`MAX_BACKLOG` entries: the subscription's live entries, queued
behind the backfill, wait at most for that backlog (a few batched POSTs), and other
subscriptions are not touched at all (each queue has its own delivery slot). Entries
carry the photos' usual ids, so a subscriber that already holds some de-duplicates.

With Redis queues a page is pushed after its entries commit; a crash in between loses
that page's place in the queue, never a live entry: run the backfill again (``--since``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from photohub.domain import atom
from photohub.domain.topics import parse_topic_url
from photohub.push import feeds
from photohub.store import push_entries, push_feeds
from photohub.store import subscriptions as subs
from photohub.store.db import utcnow

if TYPE_CHECKING:
    from photohub.site import Site

PAGE = 1000
MAX_BACKLOG = 2000
WAIT_SECONDS = 0.02


class BackfillError(Exception):
    """The subscription cannot be backfilled (unknown, or not active)."""


@dataclass
class Progress:
    queued: int = 0
    pages: int = 0


async def backfill(
    site: Site,
    subscription_id: int,
    *,
    since: datetime | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> Progress:
    """Queue the topic's history for the subscription (see the module docstring).
    Returns what was queued; delivery is the workers' (or the caller's) job."""
    async with site.db.read() as conn:
        row = await subs.get(conn, subscription_id)
    if row is None:
        raise BackfillError(f"there is no subscription {subscription_id}")
    if row["state"] != "active":
        raise BackfillError(f"subscription {subscription_id} is {row['state']}, not active")
    topic = parse_topic_url(row["topic"])
    # History is what exists now: later photos reach the subscription live.
    async with site.db.read() as conn:
        until = await push_feeds.last_photo_id(conn)
    done = Progress()
    after: int | None = 0
    while after is not None:
        await _wait_for_room(site, subscription_id)
        async with site.db.read() as conn:
            photos, after = await feeds.history(
                conn, topic, after_id=after, until_id=until, since=since, limit=PAGE
            )
        bodies = [atom.render_entry(e) for e in feeds.entries(site.base_url, photos)]
        items = [(int(photo[0]["id"]), body) for photo, body in zip(photos, bodies, strict=True)]
        committed = utcnow()
        queues = site.queues
        async with site.db.write() as conn:
            entry_ids = await push_entries.add_entries(conn, items)
            if queues.in_transaction:
                await queues.extend(conn, subscription_id, entry_ids, committed)
        if not queues.in_transaction:
            await queues.extend(None, subscription_id, entry_ids, committed)
        for entry_id, (_, body) in zip(entry_ids, items, strict=True):
            site.deliverer.bodies.keep(entry_id, body)  # this process delivers them too
        site.wake_delivery()
        done.queued += len(entry_ids)
        done.pages += 1
        if progress is not None:
            progress(done)
    return done


async def _wait_for_room(site: Site, subscription_id: int) -> None:
    """Until the queue (drained by this or another process) has room again."""
    while True:
        state = (await site.queues.states([subscription_id]))[subscription_id]
        if state.depth < MAX_BACKLOG:
            return
        await asyncio.sleep(WAIT_SECONDS)


async def drained(site: Site, subscription_id: int, *, give_up_after: int = 3) -> str | None:
    """Wait until the queue is empty: None, or why deliveries keep failing (after
    ``give_up_after`` failures in a row the workers go on retrying, the caller need
    not wait)."""
    while True:
        state = (await site.queues.states([subscription_id]))[subscription_id]
        if state.depth == 0:
            return None
        if state.attempts >= give_up_after:
            return state.last_failure or "deliveries fail"
        await asyncio.sleep(0.1)
