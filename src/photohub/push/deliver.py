"""Delivery: drain each subscription's queue in signed Atom POSTs (WebSub §7).

A :class:`Deliverer` claims due subscriptions (``store.push_queue.claim_due``: a claim
is a lease, so a worker that dies lets another one take over), and for each one sends
the first entries of its queue as one Atom document of at most ``push_batch_bytes``:

* ``Content-Type: application/atom+xml; charset=utf-8`` and the Link headers WebSub
  §7 requires (``rel=hub``, and ``rel=self`` the topic URL);
* ``X-Hub-Signature`` when the subscriber gave a secret (``sha256=`` for WebSub,
  ``sha1=`` for PubSubHubbub 0.3, ``domain.signatures``);
* the whole exchange within ``push_timeout``; the answer's body is not read beyond a
  few KiB; redirects are not followed (they are failures, as WebSub says).

Only a 2xx deletes the entries from the queue. A 410 ends the subscription (state
``gone``). Anything else, a timeout or a refused address is a failure: the queue is
kept, the reason recorded, and the subscription is due again after a full-jitter
exponential backoff (``domain.signatures.full_jitter``). Each subscription has at most
one POST in flight and up to ``push_concurrency`` subscriptions are served at once, so
a slow or failing callback holds one slot, never the others' queues.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING

import httpcore
from sqlalchemy.engine import RowMapping

from photohub.domain import atom
from photohub.domain.signatures import delivery_outcome, full_jitter, signature_header
from photohub.domain.topics import DISPLAY_NAMES, TopicName
from photohub.push import fanout, firehose
from photohub.push.limits import allow_list
from photohub.push.loop import Loop
from photohub.push.verify import AddressRefused, CheckedBackend
from photohub.store import push_queue
from photohub.store.db import utcnow

if TYPE_CHECKING:
    from photohub.site import Site

log = logging.getLogger("photohub.push")

USER_AGENT = b"photohub-hub/1 (+content distribution)"
ENTRIES_PER_POST = 200
MAX_ANSWER_BYTES = 4096
RETRY_BASE_SECONDS = 2.0
RETRY_CAP_SECONDS = 3600.0
POLL_SECONDS = 0.5
MAINTENANCE_SECONDS = 10.0
ENTRY_RETENTION = timedelta(days=7)  # an entry undelivered this long is dropped


def backoff(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failures in a row."""
    return full_jitter(attempts, base=RETRY_BASE_SECONDS, cap=RETRY_CAP_SECONDS)


def claim_lease(timeout: float) -> timedelta:
    """How long a claim holds a subscription: longer than one POST can take."""
    return timedelta(seconds=timeout * 2 + 5)


class Deliverer:
    """The delivery worker of one process (see the module docstring)."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.loop = Loop("push delivery", self.step, POLL_SECONDS)
        self._running: set[asyncio.Task[None]] = set()
        self._pool: httpcore.AsyncConnectionPool | None = None
        self._next_maintenance = 0.0

    def wake(self) -> None:
        self.loop.wake()

    @property
    def pool(self) -> httpcore.AsyncConnectionPool:
        if self._pool is None:
            concurrency = max(1, self.site.settings.push_concurrency)
            self._pool = httpcore.AsyncConnectionPool(
                network_backend=CheckedBackend(allow_list(self.site)),
                max_connections=concurrency,
                max_keepalive_connections=concurrency,
                keepalive_expiry=30.0,
                retries=0,
            )
        return self._pool

    async def close(self) -> None:
        for task in list(self._running):
            task.cancel()
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None

    async def step(self) -> bool:
        """Claim as many due subscriptions as there are free slots and start them.
        True when it started some or all slots are busy (come back soon)."""
        await self._maintain()
        free = max(1, self.site.settings.push_concurrency) - len(self._running)
        if free <= 0:
            await asyncio.wait(self._running, return_when=asyncio.FIRST_COMPLETED)
            return True
        claimed = await self._claim(free)
        for subscription in claimed:
            task = asyncio.create_task(self._deliver_logged(subscription))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return bool(claimed)

    async def _maintain(self) -> None:
        """Now and then: push journalled entries a crash left, sweep old entries."""
        now = time.monotonic()
        if now < self._next_maintenance:
            return
        self._next_maintenance = now + MAINTENANCE_SECONDS
        await fanout.republish_stale(self.site)
        async with self.site.db.write() as conn:
            await push_queue.sweep_entries(
                conn,
                utcnow() - ENTRY_RETENTION,
                held=self.site.queues.in_transaction,
            )

    async def _claim(self, limit: int) -> list[RowMapping]:
        """Claim due queues; those whose subscription is gone or no longer active lose
        their queue. Returns the active subscriptions' rows."""
        queues = self.site.queues
        ids = await queues.claim(limit, claim_lease(self.site.settings.push_timeout))
        if not ids:
            return []
        async with self.site.db.read() as conn:
            rows = await push_queue.delivery_rows(conn, ids)
        active = [row for row in rows if row["state"] == "active"]
        for missing in set(ids) - {int(row["id"]) for row in active}:
            await queues.drop(missing)
        return active

    async def run_until_idle(self) -> int:
        """Deliver until no queue is due (tests, backfill, the CLI); returns how many
        subscriptions were served."""
        served = 0
        while True:
            claimed = await self._claim(64)
            if not claimed:
                return served
            await asyncio.gather(*(self._deliver_logged(s) for s in claimed))
            served += len(claimed)

    async def _deliver_logged(self, subscription: RowMapping) -> None:
        try:
            await self.deliver(subscription)
        except asyncio.CancelledError:
            raise
        except Exception:  # the claim lapses and another attempt follows
            log.exception("delivery to subscription %s failed", subscription["id"])

    def document(self, subscription: RowMapping, parts: list[bytes]) -> tuple[int, bytes]:
        """The first Atom document of the queue: how many entries it holds, its bytes."""
        base = self.site.base_url
        topic_url = base + subscription["topic"]
        name: TopicName = subscription["topic_name"]
        title = DISPLAY_NAMES.get(name, firehose.TITLE)
        start = atom.head(topic_url, title, topic_url, base + "/hub", utcnow())
        return next(atom.pack(start, parts, self.site.settings.push_batch_bytes))

    async def deliver(self, subscription: RowMapping) -> None:
        """One POST of the subscription's oldest entries, and its outcome recorded."""
        subscription_id = int(subscription["id"])
        queues = self.site.queues
        refs = await queues.peek(subscription_id, ENTRIES_PER_POST)
        async with self.site.db.read() as conn:
            found = await push_queue.bodies(conn, [ref.entry_id for ref in refs])
        # An entry swept after its retention time is skipped, not waited for.
        kept = [ref for ref in refs if ref.entry_id in found]
        if not kept:
            await queues.delivered(subscription_id, refs)
            return
        count, body = self.document(subscription, [found[ref.entry_id] for ref in kept])
        sent = refs[: refs.index(kept[count - 1]) + 1]
        status, reason = await self.post(subscription, body)
        outcome = delivery_outcome(status) if status is not None else "failed"
        if outcome == "delivered":
            rate = subscription["max_rate"]
            await queues.delivered(subscription_id, sent, hold=len(sent) / rate if rate else 0.0)
            self.wake()  # its queue may hold more; it is due again (now, unless rated)
        elif outcome == "gone":
            await queues.drop(subscription_id)
            async with self.site.db.write() as conn:
                await push_queue.end(conn, subscription_id, "gone", "the callback answered 410")
        else:
            why = reason or f"the callback answered HTTP {status}"
            await queues.failed(subscription_id, why, backoff)

    def headers(self, subscription: RowMapping, body: bytes) -> list[tuple[bytes, bytes]]:
        base = self.site.base_url
        links = f'<{base}/hub>; rel="hub", <{base}{subscription["topic"]}>; rel="self"'
        headers = [
            (b"Content-Type", f"{atom.MEDIA_TYPE}; charset=utf-8".encode()),
            (b"Link", links.encode()),
            (b"User-Agent", USER_AGENT),
        ]
        if subscription["secret"]:
            name, value = signature_header(subscription["dialect"], subscription["secret"], body)
            headers.append((name.encode(), value.encode()))
        return headers

    async def post(self, subscription: RowMapping, body: bytes) -> tuple[int | None, str | None]:
        """POST ``body`` to the callback: (status, None), or (None, why it failed)."""
        wait = self.site.settings.push_timeout
        extensions = {"timeout": dict.fromkeys(("connect", "read", "write", "pool"), wait)}
        try:
            async with asyncio.timeout(wait):
                async with self.pool.stream(
                    "POST",
                    subscription["callback"],
                    headers=self.headers(subscription, body),
                    content=body,
                    extensions=extensions,
                ) as response:
                    read = 0
                    async for chunk in response.aiter_stream():
                        read += len(chunk)
                        if read > MAX_ANSWER_BYTES:
                            break
                    return response.status, None
        except AddressRefused as exc:
            return None, str(exc)
        except (TimeoutError, httpcore.TimeoutException):
            return None, f"the callback did not answer within {wait:g} s"
        except httpcore.UnsupportedProtocol:
            return None, "the callback's scheme is not http or https"
        except (httpcore.NetworkError, httpcore.ProtocolError, OSError) as exc:
            return None, f"the callback could not be reached: {exc}"
