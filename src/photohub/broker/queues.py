"""Delivery queues: the interface both backends satisfy.

A subscription's queue holds references to rendered entries (``push_entries`` rows, in
SQL whatever the backend: one row per change, however many subscribers), in the order
they were added. The due-set says which queues a worker should serve and when:

* :meth:`DeliveryQueues.add` appends an entry to queues and makes idle queues due now.
  A backend whose queues live in the database (``in_transaction``) does it inside the
  dispatch transaction. One that does not (Redis) is told after the commit, from a
  journal written in that transaction (``push_entries.targets``, ``push.fanout``), so
  a crash in between is repaired by a sweep: at worst a subscriber hears of a change
  twice, never not at all, and no worker sees an entry before its row is committed;
* :meth:`~DeliveryQueues.claim` takes due queues for a while (a lease: a worker that dies
  lets it lapse, and another takes the queue with nothing removed; one that stops gives
  its claims back with :meth:`~DeliveryQueues.release`);
* :meth:`~DeliveryQueues.peek` reads the first entries of many claimed queues at once;
* :meth:`~DeliveryQueues.finish` records how many POSTs ended, in one transaction (a
  delivery worker gathers them): a delivered one's entries leave its queue (a 2xx), a
  failed one's stay and its queue is due again after a backoff.

Implementations: ``store.push_queue.SqlQueues`` (the embedded default: rows in
``push_queue``, the due-set in ``push_subscriptions.due_at``) and
``broker.queues_redis.RedisQueues`` (Redis lists and a sorted set, for several workers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True, slots=True)
class QueuedRef:
    """One queued entry: the backend's handle for it, the entry's id, and when the
    change that made it was committed (commit-to-delivery time counts from it)."""

    handle: int
    entry_id: int
    committed: datetime


@dataclass(frozen=True, slots=True)
class QueueState:
    """What getSubscriptions and the admin page show of a subscription's deliveries."""

    depth: int = 0
    attempts: int = 0  # failed attempts since the last success
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_failure: str | None = None
    due_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one POST of a claimed queue ended. Delivered (``failure`` None): ``sent``,
    the first entries of the queue, leave it; with ``hold`` (a rate limit) the queue is
    due again in ``hold`` seconds even if empty, so entries added meanwhile wait,
    without it due at once if more wait, else idle. Failed: the queue is kept, the
    attempt counted and ``failure`` (why, in words) recorded."""

    subscription_id: int
    sent: Sequence[QueuedRef] = ()
    hold: float = 0.0
    failure: str | None = None


Backoff = Callable[[int], float]  # failed attempts so far -> seconds to wait


class DeliveryQueues(Protocol):
    in_transaction: bool  # add() joins the dispatch transaction (else: after commit)

    async def start(self) -> None:
        """Connect; called once before use."""

    async def close(self) -> None: ...

    async def add(
        self,
        conn: AsyncConnection | None,
        entry_id: int,
        subscription_ids: Sequence[int],
        committed: datetime,
    ) -> None:
        """Append the entry to each queue (``conn``: the dispatch transaction when
        ``in_transaction``, else None, after the commit)."""

    async def extend(
        self,
        conn: AsyncConnection | None,
        subscription_id: int,
        entry_ids: Sequence[int],
        committed: datetime,
    ) -> None:
        """Append many entries to one queue, in order (backfill)."""

    async def claim(self, limit: int, lease: timedelta) -> list[int]:
        """Up to ``limit`` due subscriptions, oldest due first, held for ``lease``."""
        ...

    async def peek(self, subscription_ids: Sequence[int], limit: int) -> dict[int, list[QueuedRef]]:
        """The first ``limit`` entries of each queue, in order (an empty list for an
        empty queue)."""
        ...

    async def finish(self, outcomes: Sequence[Outcome], backoff: Backoff) -> None:
        """Record the outcomes (of claimed queues, one each): a failed queue is due
        again after ``backoff(attempts)`` seconds."""

    async def release(self, subscription_ids: Sequence[int]) -> None:
        """Claimed queues whose POSTs were stopped (the worker is shutting down): due
        again now, nothing removed and no failure counted."""

    async def drop(self, subscription_id: int) -> None:
        """The subscription ended: its queue and state go."""

    async def states(self, subscription_ids: Sequence[int]) -> dict[int, QueueState]:
        """Each subscription's delivery state (a default one where nothing is known)."""
        ...
