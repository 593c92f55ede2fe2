"""Per-process fan-out of outbox events to the live streams connected here.

Events reach a process two ways: the broker (fast, at-most-once) and a poll of the
outbox table (slow, complete). Each event is serialised once and handed to every
stream whose viewer may see it; a stream that falls too far behind is closed so its
browser reconnects and resumes from the outbox with ``Last-Event-ID``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from photohub.broker.base import Broker
from photohub.domain.privacy import Viewer, may_see_event
from photohub.store import events as outbox
from photohub.store.db import Database
from photohub.store.events import Event

log = logging.getLogger("photohub.live")

CHANNEL = "events"


@dataclass(frozen=True)
class LiveEvent:
    event: Event
    payload: str  # the JSON sent as the SSE data field, made once for all streams


def encode(event: Event) -> LiveEvent:
    return LiveEvent(event, json.dumps(event.data, separators=(",", ":")))


@dataclass(eq=False)
class Listener:
    viewer: Viewer
    queue: asyncio.Queue[LiveEvent | None] = field(default_factory=asyncio.Queue)


class LiveHub:
    def __init__(
        self,
        db: Database,
        broker: Broker,
        *,
        poll_interval: float = 1.0,
        max_backlog: int = 1000,
        remember: int = 10_000,
    ) -> None:
        self.db = db
        self.broker = broker
        self.poll_interval = poll_interval
        self.max_backlog = max_backlog
        self.listeners: set[Listener] = set()
        self._delivered: set[int] = set()
        self._order: deque[int] = deque()
        self._remember = remember
        self._cursor = 0
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        async with self.db.read() as conn:
            self._cursor = await outbox.last_id(conn)
        self._tasks = [
            asyncio.create_task(self._follow_broker(), name="live-broker"),
            asyncio.create_task(self._poll_outbox(), name="live-poll"),
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for listener in list(self.listeners):
            listener.queue.put_nowait(None)

    def connect(self, viewer: Viewer) -> Listener:
        listener = Listener(viewer)
        self.listeners.add(listener)
        return listener

    def disconnect(self, listener: Listener) -> None:
        self.listeners.discard(listener)

    async def publish(self, events: Iterable[Event]) -> None:
        """Announce committed events to every process (this one included)."""
        for event in events:
            try:
                await self.broker.publish(CHANNEL, event.as_message())
            except Exception:  # the outbox poll delivers it anyway
                log.warning("broker publish failed for event %s", event.id, exc_info=True)

    def dispatch(self, event: Event) -> None:
        if event.id in self._delivered:
            return
        self._delivered.add(event.id)
        self._order.append(event.id)
        while len(self._order) > self._remember:
            self._delivered.discard(self._order.popleft())
        live = encode(event)
        for listener in list(self.listeners):
            if not may_see_event(event.audience, listener.viewer):
                continue
            if listener.queue.qsize() >= self.max_backlog:
                # Too slow: end its stream; the browser resumes from the outbox.
                self.listeners.discard(listener)
                listener.queue.put_nowait(None)
                continue
            listener.queue.put_nowait(live)

    async def _follow_broker(self) -> None:
        while True:
            try:
                async for message in self.broker.subscribe(CHANNEL):
                    self.dispatch(Event.from_message(message))
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("broker subscription lost; retrying", exc_info=True)
                await asyncio.sleep(1.0)

    async def _poll_outbox(self) -> None:
        while True:
            await asyncio.sleep(self.poll_interval)
            try:
                async with self.db.read() as conn:
                    found = await outbox.since(conn, self._cursor)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("outbox poll failed", exc_info=True)
                continue
            for event in found:
                self.dispatch(event)
                self._cursor = max(self._cursor, event.id)
