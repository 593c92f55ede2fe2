"""Per-process fan-out of outbox events to the live streams connected here.

Events reach a process two ways: the broker (fast, at-most-once) and a poll of the
outbox table (slow, complete). Each event is serialised once, as the exact bytes of its
SSE message, and written by the hub itself to every stream whose viewer may see it: one
``send`` per stream and no task wake-up per stream (docs/benchmarks.md, "Wall fan-out":
a generator per stream behind sse-starlette reached 20% of what uvicorn can write, and
even a bare task per stream stays under half of it). A stream whose socket is full
keeps a backlog behind one pending write; one that falls too far behind is closed so its
browser reconnects and resumes from the outbox with ``Last-Event-ID``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from photohub.broker.base import Broker
from photohub.domain.privacy import Viewer, may_see_event
from photohub.store import events as outbox
from photohub.store.db import Database
from photohub.store.events import Event

log = logging.getLogger("photohub.live")

CHANNEL = "events"

Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]


def sse_frame(ident: int, kind: str, data: str) -> bytes:
    """One SSE message. ``data`` is compact JSON: it never holds a raw line break."""
    return f"id: {ident}\r\nevent: {kind}\r\ndata: {data}\r\n\r\n".encode()


def body(chunk: bytes) -> Message:
    return {"type": "http.response.body", "body": chunk, "more_body": True}


PING = body(b": ping\r\n\r\n")
_UNSTARTED = object()


async def _resume(write: Coroutine[Any, Any, None], waiting: Any) -> None:
    """Finish a coroutine that already ran up to its first suspension, as a task would."""
    try:
        while True:
            if waiting is None:  # a bare yield: just let the loop run once
                await asyncio.sleep(0)
            else:
                with contextlib.suppress(Exception):  # ``write`` sees it when resumed
                    await waiting
            try:
                waiting = write.send(None)
            except StopIteration:
                return
    finally:
        write.close()


@dataclass(frozen=True)
class LiveEvent:
    event: Event
    payload: str  # the JSON sent as the SSE data field, made once for all streams
    frame: bytes  # the whole SSE message, made once for all streams


def encode(event: Event) -> LiveEvent:
    payload = json.dumps(event.data, separators=(",", ":"))
    return LiveEvent(event, payload, sse_frame(event.id, event.kind, payload))


@dataclass(eq=False)
class Listener:
    viewer: Viewer
    # Until the stream has replayed what it missed, events wait here.
    queue: asyncio.Queue[LiveEvent | None] = field(default_factory=asyncio.Queue)
    # Then the hub writes to the connection itself, every event after ``sent_upto``.
    send: Send | None = None
    sent_upto: int = 0
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    pending: asyncio.Task[None] | None = None  # a write waiting for the socket to drain
    last_write: float = 0.0  # loop time of the last event or ping written
    backlog: deque[Message] = field(default_factory=deque)


class LiveHub:
    def __init__(
        self,
        db: Database,
        broker: Broker,
        *,
        poll_interval: float = 1.0,
        max_backlog: int = 1000,
        remember: int = 10_000,
        heartbeat: float = 15.0,
    ) -> None:
        self.db = db
        self.broker = broker
        self.poll_interval = poll_interval
        self.max_backlog = max_backlog
        self.heartbeat = heartbeat
        self.listeners: set[Listener] = set()
        self.last_seen = 0  # the newest event id this hub has dispatched (or found at start)
        self._delivered: set[int] = set()
        self._order: deque[int] = deque()
        self._remember = remember
        self._cursor = 0
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        async with self.db.read() as conn:
            self._cursor = await outbox.last_id(conn)
        self.last_seen = self._cursor
        self._tasks = [
            asyncio.create_task(self._follow_broker(), name="live-broker"),
            asyncio.create_task(self._poll_outbox(), name="live-poll"),
            asyncio.create_task(self._beat(), name="live-heartbeat"),
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.end_streams()

    def end_streams(self) -> None:
        """End every open stream (server shutdown): browsers reconnect and resume."""
        for listener in list(self.listeners):
            self._end(listener)

    def connect(self, viewer: Viewer) -> Listener:
        listener = Listener(viewer)
        self.listeners.add(listener)
        return listener

    def go_live(self, listener: Listener, send: Send, sent_upto: int) -> None:
        """From now on the hub writes this stream's events after ``sent_upto`` to
        ``send`` directly. The caller has emptied ``listener.queue`` with no ``await``
        since, so nothing is reordered."""
        listener.sent_upto = sent_upto
        listener.last_write = asyncio.get_running_loop().time()
        listener.send = send

    def disconnect(self, listener: Listener) -> None:
        self.listeners.discard(listener)
        if listener.pending is not None:
            listener.pending.cancel()

    def _end(self, listener: Listener) -> None:
        self.listeners.discard(listener)
        listener.queue.put_nowait(None)
        listener.ended.set()

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
        self.last_seen = max(self.last_seen, event.id)
        live = encode(event)
        message = body(live.frame)  # one message object for every stream
        now = asyncio.get_running_loop().time()
        for listener in list(self.listeners):
            if not may_see_event(event.audience, listener.viewer):
                continue
            if listener.send is not None:
                if event.id > listener.sent_upto:  # else already sent by its replay
                    listener.last_write = now
                    self._write(listener, message)
            elif listener.queue.qsize() >= self.max_backlog:
                self._end(listener)  # too slow: the browser resumes from the outbox
            else:
                listener.queue.put_nowait(live)

    def _write(self, listener: Listener, message: Message) -> None:
        """Write now when the socket takes it (the usual case: the ASGI server's ``send``
        returns without suspending); otherwise finish that write in a task and queue the
        next ones behind it, so one slow browser never holds up the others."""
        if listener.pending is not None:
            if len(listener.backlog) >= self.max_backlog:
                self._end(listener)  # too slow: the browser resumes from the outbox
            else:
                listener.backlog.append(message)
            return
        assert listener.send is not None
        write = listener.send(message)
        if not isinstance(write, Coroutine):  # an ASGI server whose send is no coroutine
            listener.pending = asyncio.ensure_future(self._drain(listener, write))
            return
        try:
            waiting = write.send(None)
        except StopIteration:
            return
        except Exception:
            self._end(listener)
            return
        listener.pending = asyncio.ensure_future(self._drain(listener, write, waiting))

    async def _drain(
        self, listener: Listener, write: Awaitable[None], waiting: Any = _UNSTARTED
    ) -> None:
        try:
            if waiting is _UNSTARTED:
                await write
            else:
                assert isinstance(write, Coroutine)
                await _resume(write, waiting)
            while listener.backlog and listener in self.listeners:
                assert listener.send is not None
                await listener.send(listener.backlog.popleft())
        except Exception:
            self._end(listener)
        finally:
            listener.pending = None

    async def _beat(self) -> None:
        """A heartbeat comment for every stream that had nothing written for a
        ``heartbeat``, from one timer. It ticks 15 times per period, so the pings of
        many streams are spread out instead of landing on one event's fan-out."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.heartbeat / 15)
            due = loop.time() - self.heartbeat
            for listener in list(self.listeners):
                if listener.send is not None and listener.last_write <= due:
                    listener.last_write = loop.time()
                    self._write(listener, PING)

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
