"""Per-process fan-out of outbox events to the live streams connected here.

Events reach a process two ways: the broker (fast, at-most-once) and a poll of the
outbox table (slow, complete). Each event is serialised once, as the exact bytes of its
SSE message, and written by the hub itself to every stream whose viewer may see it: one
``send`` per stream and no task wake-up per stream (docs/benchmarks.md, "Wall fan-out":
a generator per stream behind sse-starlette reached 20% of what uvicorn can write, and
even a bare task per stream stays under half of it). A stream whose socket is full
keeps a backlog behind one pending write; one that falls too far behind is closed so its
browser reconnects and resumes with ``Last-Event-ID``.

Events are dispatched strictly in id order, each once: one that arrives ahead of a lower
id this process has not seen (another process's broker message came first, or was lost)
makes the hub read the outbox up to it first. So ids only grow on every stream, and the
ring of recent events (``live/ring.py``) that resumes are served from is complete.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any

from photohub.broker.base import Broker
from photohub.domain.privacy import Viewer, may_see_event
from photohub.live.frames import PING, LiveEvent, Message, body, encode, sse_frame
from photohub.live.history import History, judged
from photohub.live.ring import EventRing
from photohub.outage import Outage
from photohub.store import events as outbox
from photohub.store.db import Database
from photohub.store.events import Event

log = logging.getLogger("photohub.live")

CHANNEL = "events"

Send = Callable[[Message], Awaitable[None]]
_UNSTARTED = object()
__all__ = ["CHANNEL", "PING", "Listener", "LiveEvent", "LiveHub", "body", "encode", "sse_frame"]


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


@dataclass(eq=False)
class Listener:
    viewer: Viewer
    # Until the stream has replayed what it missed, events wait here.
    queue: asyncio.Queue[LiveEvent | None] = field(default_factory=asyncio.Queue)
    # Then the hub writes to the connection itself, every event after ``sent_upto``.
    send: Send | None = None
    sent_upto: int = 0
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    woken: asyncio.Future[None] | None = None  # what its stream awaits once live
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
        ring_size: int = 4096,
        heartbeat: float = 15.0,
    ) -> None:
        self.db = db
        self.broker = broker
        self.poll_interval = poll_interval
        self.max_backlog = max_backlog
        self.heartbeat = heartbeat
        self.listeners: set[Listener] = set()
        # The newest event id this hub has dispatched (or found at start); every lower
        # id was dispatched before it (or is older than the start).
        self.last_seen = 0
        self.ring = EventRing(ring_size)
        self.history = History(db)
        self._catching_up = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        # A broker or database outage is logged once, not once per event or poll.
        self._publishing = Outage(log, "live: broker publish (the outbox poll delivers)")
        self._reading = Outage(log, "live: outbox read")
        self._following = Outage(log, "live: broker subscription")

    async def start(self) -> None:
        # The ring starts full of the newest events, judged against the photos now: the
        # walls that reconnect after a restart resume from memory.
        async with self.db.read() as conn:
            recent = await outbox.latest_now(conn, self.ring.capacity)
        top = recent[-1].event.id if recent else 0
        floor = recent[0].event.id - 1 if len(recent) >= self.ring.capacity else 0
        self.ring.reset(floor, judged(recent))
        self.ring.top = self.last_seen = top
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
        if listener.woken is not None and not listener.woken.done():
            listener.woken.set_result(None)

    async def publish(self, events: Iterable[Event]) -> None:
        """Announce committed events to every process (this one included)."""
        for event in events:
            try:
                await self.broker.publish(CHANNEL, event.as_message())
            except Exception as exc:  # the outbox poll delivers it anyway
                self._publishing.failed(exc)
            else:
                self._publishing.recovered()

    async def replay(self, viewer: Viewer, after: int) -> AsyncIterator[LiveEvent]:
        """The events after ``after`` that ``viewer`` may see, oldest first, judged against
        the photos as they are now. From the ring when it reaches back that far (no
        query); older gaps from the outbox, in reads shared with other streams. The
        caller registered its listener first: what is dispatched meanwhile is queued."""
        while not self.ring.covers(after):
            page = await self.history.page(after, self.ring.floor)
            for live in page.events:
                if live.event.id > after and may_see_event(live.event.audience, viewer):
                    yield live
            after = max(after, page.upto)
        for live in self.ring.after(after):  # taken at once: a copy, no await before
            if may_see_event(live.event.audience, viewer):
                yield live

    async def _arrive(self, event: Event) -> None:
        """An event from the broker: dispatched at once when it is the next one; when it
        overtook a lower id (or a message was lost), the outbox is read up to it first,
        so that streams and the ring get every id in order."""
        if event.id <= self.last_seen:
            return
        if event.id == self.last_seen + 1 and not self._catching_up.locked():
            self.dispatch(event)
            return
        # Every lower id is now dispatched; one the outbox does not show (it cannot lag
        # behind a commit, but a message may come from elsewhere) still goes out.
        if await self._catch_up(upto=event.id):
            self.dispatch(event)

    async def _catch_up(self, upto: int | None = None) -> bool:
        """Dispatch what the outbox holds after ``last_seen`` (up to ``upto``), in order.
        False when the outbox could not be read (the next poll tries again)."""
        async with self._catching_up:
            while upto is None or self.last_seen < upto:
                try:
                    async with self.db.read() as conn:
                        found = await outbox.since(conn, self.last_seen)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self._reading.failed(exc)
                    return False
                self._reading.recovered()
                for event in found:
                    self.dispatch(event)
                if len(found) < 1000:
                    break
            return True

    def dispatch(self, event: Event) -> None:
        """Write ``event`` to every stream that may see it. Events come in id order."""
        if event.id <= self.last_seen:
            return
        self.last_seen = event.id
        live = encode(event)
        self.ring.add(live)
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
                    self._following.recovered()
                    await self._arrive(Event.from_message(message))
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._following.failed(exc)
                await asyncio.sleep(self._following.delay(1.0))

    async def _poll_outbox(self) -> None:
        while True:
            await asyncio.sleep(self.poll_interval)
            await self._catch_up()
