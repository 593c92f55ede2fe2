"""Delivery: drain each subscription's queue in signed Atom POSTs (WebSub §7).

A :class:`Deliverer` works in steps. Each step records the outcomes of the POSTs that
ended since the last one (``DeliveryQueues.finish``: one transaction for all of them),
claims as many due subscriptions as it has free slots (a claim is a lease, so a worker
that dies lets another one take over), reads their queues' heads and the entries'
bodies in one query each (bodies are immutable, so recent ones are kept in memory), and
starts one POST per subscription: the first entries of its queue as one Atom document
of at most ``push_batch_bytes``, with

* ``Content-Type: application/atom+xml; charset=utf-8`` and the Link headers WebSub
  §7 requires (``rel=hub``, and ``rel=self`` the topic URL);
* ``X-Hub-Signature`` when the subscriber gave a secret (``sha256=`` for WebSub,
  ``sha1=`` for PubSubHubbub 0.3, ``domain.signatures``);
* the whole exchange within ``push_timeout``; the answer's body is not read beyond a
  few KiB; redirects are not followed (they are failures, as WebSub says). The client
  is ``push.http``'s, over kept-alive connections.

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
from collections import OrderedDict
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.engine import RowMapping

from photohub.broker.queues import Outcome, QueuedRef
from photohub.domain import atom
from photohub.domain.push_recheck import Audience, PhotoNow, audience_of, recheck, shown
from photohub.domain.signatures import delivery_outcome, full_jitter, signature_header
from photohub.domain.topics import DISPLAY_NAMES, TopicName
from photohub.push import fanout, firehose
from photohub.push.http import CallbackClient, CallbackFailed
from photohub.push.limits import allow_list
from photohub.push.loop import Loop
from photohub.store import push_current, push_entries, push_queue
from photohub.store.db import utcnow

if TYPE_CHECKING:
    from photohub.site import Site

log = logging.getLogger("photohub.push")

USER_AGENT = "photohub-hub/1 (+content distribution)"
ENTRIES_PER_POST = 200
MAX_ANSWER_BYTES = 4096
RETRY_BASE_SECONDS = 2.0
RETRY_CAP_SECONDS = 3600.0
POLL_SECONDS = 0.5
MAINTENANCE_SECONDS = 10.0
ENTRY_RETENTION = timedelta(days=7)  # an entry undelivered this long is dropped
GATHER_SECONDS = 0.005  # with most slots busy, wait this long for more to end
CACHED_BODY_BYTES = 32 * 1024 * 1024


def rechecked(
    found: dict[int, bytes], photos: dict[int, PhotoNow | None], audience: Audience
) -> dict[int, bytes]:
    """The entries of ``found`` as a subscription of ``audience`` may get them today
    (``domain.push_recheck``, against their photos' current state): a withdrawn one is
    left out, so ``deliver`` consumes it unsent, like an entry swept meanwhile."""
    kept: dict[int, bytes] = {}
    for entry_id, stored in found.items():
        data = shown(stored, recheck(stored, photos.get(entry_id), audience))
        if data is not None:
            kept[entry_id] = data
    return kept


def backoff(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failures in a row."""
    return full_jitter(attempts, base=RETRY_BASE_SECONDS, cap=RETRY_CAP_SECONDS)


def claim_lease(timeout: float) -> timedelta:
    """How long a claim holds a subscription: longer than one POST can take."""
    return timedelta(seconds=timeout * 2 + 5)


class Bodies:
    """Rendered entries by id, the most recently used kept in memory up to a size (an
    entry's body never changes once stored)."""

    def __init__(self, site: Site, capacity: int = CACHED_BODY_BYTES) -> None:
        self.site = site
        self.capacity = capacity
        self.size = 0
        self._kept: OrderedDict[int, bytes] = OrderedDict()

    async def get(self, entry_ids: Sequence[int]) -> dict[int, bytes]:
        """The bodies of ``entry_ids`` (one swept meanwhile is missing)."""
        found: dict[int, bytes] = {}
        wanted: list[int] = []
        for entry_id in entry_ids:
            body = self._kept.get(entry_id)
            if body is None:
                wanted.append(entry_id)
            else:
                self._kept.move_to_end(entry_id)
                found[entry_id] = body
        if wanted:
            async with self.site.db.read() as conn:
                read = await push_entries.bodies(conn, wanted)
            for entry_id, body in read.items():
                found[entry_id] = body
                self.keep(entry_id, body)
        return found

    def keep(self, entry_id: int, body: bytes) -> None:
        """Remember a body (its writer knows it: no need to read it back)."""
        if entry_id not in self._kept:
            self._kept[entry_id] = body
            self.size += len(body)
        while self.size > self.capacity and self._kept:
            _, dropped = self._kept.popitem(last=False)
            self.size -= len(dropped)


class Deliverer:
    """The delivery worker of one process (see the module docstring)."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.loop = Loop("push delivery", self.step, POLL_SECONDS)
        self.bodies = Bodies(site)
        self._running: set[asyncio.Task[None]] = set()
        self._ended: list[Outcome] = []
        self._client: CallbackClient | None = None
        self._next_maintenance = 0.0
        self._heads: dict[str, tuple[str, bytes]] = {}  # topic -> (second, feed head)
        self._claimed: set[int] = set()  # claimed here, outcome not recorded yet

    def wake(self) -> None:
        self.loop.wake()

    @property
    def slots(self) -> int:
        return max(1, self.site.settings.push_concurrency)

    @property
    def client(self) -> CallbackClient:
        if self._client is None:
            self._client = CallbackClient(allow_list(self.site), connections=self.slots)
        return self._client

    async def close(self) -> None:
        """Stop the POSTs in flight (call once the loop is cancelled), record what
        ended and give back the other claims: their queues are due again at once, for
        a restarted or another worker (a stopped POST counts as no attempt)."""
        for task in list(self._running):
            task.cancel()
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        try:
            await self.flush()
        finally:
            claimed, self._claimed = sorted(self._claimed), set()
            if claimed:
                try:
                    await self.site.queues.release(claimed)
                except Exception:  # their claims lapse instead
                    log.warning("could not release %d delivery claims", len(claimed))
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def step(self) -> bool:
        """Record what ended, claim as many due subscriptions as there are free slots
        and start their POSTs. True when it started some (come back soon)."""
        await self._maintain()
        free = self.slots - len(self._running)
        if free < self.slots // 4 and self._running:
            # Most slots are busy: let more POSTs end, so that one claim and one
            # bookkeeping transaction serve many (a slow callback delays this by
            # GATHER_SECONDS at most, and only while the slots are this full).
            timeout = None if free <= 0 else GATHER_SECONDS
            await asyncio.wait(self._running, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            free = self.slots - len(self._running)
        await self.flush()
        if free <= 0:
            return True
        taken = await self._take(free)
        for task in [asyncio.create_task(self._deliver(*t)) for t in taken]:
            self._running.add(task)
            task.add_done_callback(self._ended_task)
        # Nothing due: wait for a wake-up (a POST ending, entries queued) or the poll.
        return bool(taken)

    def _ended_task(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self.wake()

    async def flush(self) -> None:
        """Record the outcomes gathered since the last flush, in one transaction. If it
        fails, the claims lapse and those queues are sent again (at least once)."""
        ended, self._ended = self._ended, []
        if ended:
            try:
                await self.site.queues.finish(ended, backoff)
            except BaseException:
                # Kept for the next flush (Redis or the database away): recorded late,
                # the delivered entries still leave their queues, not sent again.
                self._ended[:0] = ended
                raise
            self._claimed.difference_update(o.subscription_id for o in ended)

    def maintain_soon(self, seconds: float) -> None:
        """Run the maintenance within ``seconds`` (a fan-out was left in the journal)."""
        self._next_maintenance = min(self._next_maintenance, time.monotonic() + seconds)

    async def _maintain(self) -> None:
        """Now and then: push journalled entries a crash or an outage left (never to a
        subscriber a newer entry of the photo is owed to, ``fanout.republish_stale``;
        never twice into a queue, ``DeliveryQueues.add``), sweep old entries. Until it
        succeeds it is tried again at every step."""
        now = time.monotonic()
        if now < self._next_maintenance:
            return
        self._next_maintenance = now + MAINTENANCE_SECONDS
        try:
            await fanout.republish_stale(self.site)
            async with self.site.db.write() as conn:
                await push_entries.sweep_entries(
                    conn,
                    utcnow() - ENTRY_RETENTION,
                    held=self.site.queues.in_transaction,
                )
        except BaseException:
            self._next_maintenance = 0.0
            raise

    async def _take(self, limit: int) -> list[tuple[RowMapping, list[QueuedRef], dict[int, bytes]]]:
        """Claim due queues, with what their POSTs need: the subscription's row, the
        queue's head and the entries' bodies. A queue whose subscription is gone or no
        longer active is dropped."""
        queues = self.site.queues
        ids = await queues.claim(limit, claim_lease(self.site.settings.push_timeout))
        if not ids:
            return []
        self._claimed.update(ids)
        async with self.site.db.read() as conn:
            rows = await push_queue.delivery_rows(conn, ids)
        active = [row for row in rows if row["state"] == "active"]
        for missing in set(ids) - {int(row["id"]) for row in active}:
            await queues.drop(missing)
            self._claimed.discard(missing)
        heads = await queues.peek([int(row["id"]) for row in active], ENTRIES_PER_POST)
        found = await self.bodies.get(sorted({r.entry_id for refs in heads.values() for r in refs}))
        # Bodies are as stored; what each subscriber may still get is decided now, in
        # one query for the step and once per audience (at most three kinds).
        async with self.site.db.read() as conn:
            photos = await push_current.photos_now(conn, list(found))
        allowed: dict[Audience, dict[int, bytes]] = {}
        taken = []
        for row in active:
            audience = audience_of(row["topic_name"])
            if audience not in allowed:
                allowed[audience] = rechecked(found, photos, audience)
            taken.append((row, heads[int(row["id"])], allowed[audience]))
        return taken

    async def run_until_idle(self) -> int:
        """Deliver until no queue is due (tests, backfill, the CLI); returns how many
        subscriptions were served."""
        served = 0
        while True:
            await self.flush()
            taken = await self._take(self.slots)
            if not taken:
                return served
            await asyncio.gather(*(self._deliver(*t) for t in taken))
            served += len(taken)

    def document(self, subscription: RowMapping, parts: list[bytes]) -> tuple[int, bytes]:
        """The first Atom document of the queue: how many entries it holds, its bytes."""
        return next(atom.pack(self.head(subscription), parts, self.site.settings.push_batch_bytes))

    def head(self, subscription: RowMapping) -> bytes:
        """The feed's head for this topic (its ``updated`` is the current second; made
        once a second per topic, as many subscriptions share a topic)."""
        topic = subscription["topic"]
        now = utcnow().replace(microsecond=0)
        second = now.isoformat()
        kept = self._heads.get(topic)
        if kept is not None and kept[0] == second:
            return kept[1]
        base = self.site.base_url
        name: TopicName = subscription["topic_name"]
        title = DISPLAY_NAMES.get(name, firehose.TITLE)
        start = atom.head(base + topic, title, base + topic, base + "/hub", now)
        if len(self._heads) >= 4096:
            self._heads.clear()
        self._heads[topic] = (second, start)
        return start

    async def _deliver(
        self, subscription: RowMapping, refs: list[QueuedRef], found: dict[int, bytes]
    ) -> None:
        try:
            outcome = await self.deliver(subscription, refs, found)
        except asyncio.CancelledError:
            raise
        except Exception:  # the claim lapses and another attempt follows
            log.exception("delivery to subscription %s failed", subscription["id"])
            self._claimed.discard(int(subscription["id"]))
            return
        if outcome is not None:
            self._ended.append(outcome)

    async def deliver(
        self, subscription: RowMapping, refs: list[QueuedRef], found: dict[int, bytes]
    ) -> Outcome | None:
        """One POST of the queue's first entries; how it ended (None: the subscription
        ended, its queue is gone)."""
        subscription_id = int(subscription["id"])
        # An entry swept after its retention time, or withdrawn from this subscriber
        # since it was stored (``rechecked``), is skipped, not waited for.
        kept = [ref for ref in refs if ref.entry_id in found]
        if not kept:
            return Outcome(subscription_id, refs)
        count, body = self.document(subscription, [found[ref.entry_id] for ref in kept])
        sent = refs[: refs.index(kept[count - 1]) + 1]
        status, reason = await self.post(subscription, body)
        outcome = delivery_outcome(status) if status is not None else "failed"
        if outcome == "delivered":
            rate = subscription["max_rate"]
            return Outcome(subscription_id, sent, hold=len(sent) / rate if rate else 0.0)
        if outcome == "gone":
            await self.site.queues.drop(subscription_id)
            self._claimed.discard(subscription_id)
            async with self.site.db.write() as conn:
                await push_queue.end(conn, subscription_id, "gone", "the callback answered 410")
            return None
        return Outcome(subscription_id, failure=reason or f"the callback answered HTTP {status}")

    def headers(self, subscription: RowMapping, body: bytes) -> dict[str, str]:
        base = self.site.base_url
        headers = {
            "Content-Type": f"{atom.MEDIA_TYPE}; charset=utf-8",
            "Link": f'<{base}/hub>; rel="hub", <{base}{subscription["topic"]}>; rel="self"',
            "User-Agent": USER_AGENT,
        }
        if subscription["secret"]:
            name, value = signature_header(subscription["dialect"], subscription["secret"], body)
            headers[name] = value
        return headers

    async def post(self, subscription: RowMapping, body: bytes) -> tuple[int | None, str | None]:
        """POST ``body`` to the callback: (status, None), or (None, why it failed)."""
        try:
            status, _ = await self.client.request(
                "POST",
                subscription["callback"],
                headers=self.headers(subscription, body),
                body=body,
                wait=self.site.settings.push_timeout,
                limit=MAX_ANSWER_BYTES,
            )
        except CallbackFailed as exc:
            return None, str(exc)
        return status, None
