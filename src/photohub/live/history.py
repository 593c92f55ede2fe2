"""Outbox reads for resumes older than the ring, shared between connections.

A stream that resumes from before the ring's ``floor`` reads the gap from the outbox, a
page at a time. Reads are coalesced: while one is in flight, every stream that needs a
range starting at or after its start waits for that same read instead of querying again,
so a thousand walls that went offline together cost one query, not a thousand. Each page
is re-checked against the photos as they are now, in the same query
(``store.events.since_now``): an event about a photo since deleted, made non-public or
raised above safe comes back as a tombstone, never as it was written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from photohub.domain.privacy import PUSH, still_shown
from photohub.live.frames import TOMBSTONE, LiveEvent, encode, tombstone
from photohub.store import events as outbox
from photohub.store.db import Database
from photohub.store.events import Stored

PAGE = 1000


def judged(stored: Iterable[Stored]) -> list[LiveEvent]:
    """Stored events as they may be replayed today: as written, or as tombstones."""
    found = []
    for item in stored:
        event = item.event
        if event.audience == PUSH:
            continue
        withdrawn = (
            event.photo_id is not None
            and event.kind != TOMBSTONE
            and not still_shown(event.audience, item.photo)
        )
        found.append(tombstone(event) if withdrawn else encode(event))
    return found


@dataclass(frozen=True)
class Page:
    events: list[LiveEvent]  # ascending ids, each judged now
    upto: int  # every event up to here was read (the page's last id when it was full)


@dataclass
class _Read:
    after: int
    upto: int
    result: asyncio.Future[Page]
    task: asyncio.Task[None] | None = None


class History:
    def __init__(self, db: Database, page_size: int = PAGE) -> None:
        self.db = db
        self.page_size = page_size
        self._reads: list[_Read] = []

    async def page(self, after: int, upto: int) -> Page:
        """Events in (``after``, ``upto``], at most one page of them, judged now. Takes
        part in a read already under way when that read starts no later than ``after``
        and reaches beyond it; the caller reads on from ``Page.upto``."""
        for read in self._reads:
            if read.after <= after < read.upto:
                return await asyncio.shield(read.result)
        read = _Read(after, upto, asyncio.get_running_loop().create_future())
        self._reads.append(read)
        # Its own task: a stream that goes away mid-read does not cancel the others' read.
        read.task = asyncio.ensure_future(self._read(read))
        return await asyncio.shield(read.result)

    async def _read(self, read: _Read) -> None:
        try:
            async with self.db.read() as conn:
                stored = await outbox.since_now(conn, read.after, read.upto, self.page_size)
            full = len(stored) >= self.page_size
            read.result.set_result(Page(judged(stored), stored[-1].event.id if full else read.upto))
        except asyncio.CancelledError:
            read.result.cancel()
            raise
        except Exception as exc:  # every waiter gets it
            read.result.set_exception(exc)
            read.result.exception()  # no "never retrieved" when every waiter went away
        finally:
            self._reads.remove(read)
