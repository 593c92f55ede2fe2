"""Topic streams: any push topic followed as Server-Sent Events, no callback needed.

A GET of a topic URL that asks for ``text/event-stream`` (web.topics authorises it) is
answered by :class:`TopicStream`: the entries of the changes the topic matches, as they
are dispatched, by the very test a subscription gets (``domain.push_match.entry_reaches``
over the entry log's keys and public location).

The SSE messages (HTML Living Standard, "Server-sent events"):

* ``id: <entry id>``, ``event: entry`` (or ``event: deleted`` for an RFC 6721
  ``at:deleted-entry``), and the entry's Atom XML as ``data:``, one ``data:`` line per
  line of the XML (the spec's rule: a client joins them with line feeds). Each entry
  declares the Atom, ``at:``, ``media:`` and ``georss:`` namespaces itself, so it
  parses alone;
* ``event: ready`` (data ``{}``) once the replay is done; its ``id`` is the resume point;
* a ``: heartbeat`` comment on a stream quiet for ``heartbeat`` seconds.

Resuming: the ``Last-Event-ID`` header (what EventSource sends when it reconnects) or
the ``last_event_id`` query parameter; without one the stream starts after the newest
entry at the time of connecting. The stream is registered for live entries *first*,
then replays the entry log after its resume point (pages of :data:`PAGE`) and sends
queued live entries after what the replay sent; ids only ever grow on the wire, so
resuming "after the last id seen" misses nothing and repeats nothing.

One :class:`TopicHub` per process, shared by all topic streams (rather than a broker
subscription and a poll per stream): it holds the one subscription to the broker
channel ``push.fanout.STREAM_CHANNEL`` and reads the entry log itself, finds the streams
an entry may reach through an index of their topics' keys (as dispatch finds
subscriptions), and writes each entry's SSE bytes, encoded once, to those streams. A
broker message is a doorbell: it makes the hub read the log after its cursor, in id
order, at once. The message itself is not forwarded, because messages of two
dispatchers may arrive out of order, and a stream that had sent id 11 could never send
id 10. The log is also read every ``poll_interval`` seconds, for messages the broker
lost (pub/sub is at-most-once) or processes without a broker. Entry ids become visible
in id order (``store.push_entries.add_entry``), so reading "after the cursor" is exact.

A stream whose client reads too slowly (more than ``max_backlog`` messages waiting) is
closed: its client reconnects and resumes from the log. Streams end when the client
goes, when the site shuts down (:meth:`TopicHub.end_streams`), and, for a signed URL,
when the URL expires. The hub starts with its first stream, so a process that serves
none holds no subscription and polls nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from photohub.broker.base import Broker
from photohub.domain import atom
from photohub.domain.push_match import entry_reaches, topic_keys
from photohub.domain.topics import Topic
from photohub.live.hub import body
from photohub.places.ids import decode_place_id
from photohub.push.fanout import STREAM_CHANNEL
from photohub.store import push_entries
from photohub.store.db import Database
from photohub.wake import wait_woken

log = logging.getLogger("photohub.live.topics")

PAGE = 1000  # entries per read of the log
HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),
]
HEARTBEAT = body(b": heartbeat\r\n\r\n")
_DELETED_START = b"<at:deleted-entry"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the SSE spec's line ends (not str.splitlines')
_NAMESPACES = "".join(
    f' xmlns="{uri}"' if prefix is None else f' xmlns:{prefix}="{uri}"'
    for prefix, uri in atom.NSMAP.items()
).encode()

Message = MutableMapping[str, Any]
SendMessage = Callable[[Message], Awaitable[None]]


def standalone(entry: bytes) -> bytes:
    """An entry as stored (inside a feed, whose root declares the namespaces) with the
    declarations on its own root, so it parses by itself."""
    name_end = entry.index(b"<") + 1
    while entry[name_end : name_end + 1] not in (b" ", b">", b"/"):
        name_end += 1
    return entry[:name_end] + _NAMESPACES + entry[name_end:]


def sse_message(ident: int, kind: str, data: str) -> bytes:
    """One SSE message; ``data`` may hold line breaks (each line is a ``data:`` line)."""
    lines = "".join(f"data: {line}\r\n" for line in _LINE_BREAK.split(data))
    return f"id: {ident}\r\nevent: {kind}\r\n{lines}\r\n".encode()


def ready_message(ident: int) -> bytes:
    return sse_message(ident, "ready", "{}")


@dataclass(frozen=True)
class StreamEntry:
    id: int
    frame: bytes  # the whole SSE message, made once for all streams


def encode(entry: push_entries.Logged) -> StreamEntry:
    kind = "deleted" if entry.body.startswith(_DELETED_START) else "entry"
    xml = standalone(entry.body).decode("utf-8")
    return StreamEntry(entry.id, sse_message(entry.id, kind, xml))


def keyset_of(topic: Topic) -> frozenset[str]:
    """The index keys of ``topic``, as a subscription to it is stored under."""
    return frozenset(topic_keys(topic, decode_place_id))


def reaches(topic: Topic, keyset: frozenset[str], entry: push_entries.Logged) -> bool:
    """The subscriptions' own test (``domain.push_match.entry_reaches``)."""
    return entry_reaches(topic, keyset, entry.keys, entry.geo)


@dataclass(eq=False)
class TopicListener:
    topic: Topic
    keyset: frozenset[str]
    # Until the stream has replayed what it missed, live entries wait here.
    queue: asyncio.Queue[StreamEntry | None] = field(default_factory=asyncio.Queue)
    # Then the hub writes to the connection itself, every entry after ``sent_upto``.
    send: SendMessage | None = None
    sent_upto: int = 0
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    pending: asyncio.Task[None] | None = None  # the task writing the backlog
    backlog: deque[Message] = field(default_factory=deque)
    last_write: float = 0.0  # loop time of the last entry or heartbeat written


class TopicHub:
    """This process's fan-out of the entry log to its topic streams (module docstring)."""

    def __init__(
        self,
        db: Database,
        broker: Broker,
        *,
        poll_interval: float = 1.0,
        heartbeat: float = 15.0,
        max_backlog: int = 1000,
    ) -> None:
        self.db = db
        self.broker = broker
        self.poll_interval = poll_interval
        self.heartbeat = heartbeat
        self.max_backlog = max_backlog
        self.listeners: set[TopicListener] = set()
        self.cursor = 0  # every entry up to this id has been dispatched
        self._by_key: dict[str, set[TopicListener]] = {}
        self._bell = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._starting = asyncio.Lock()

    async def start(self) -> None:
        """Start reading the log (from its newest entry) and the broker; idempotent."""
        async with self._starting:
            if self._tasks:
                return
            async with self.db.read() as conn:
                self.cursor = await push_entries.newest_entry_id(conn)
            self._tasks = [
                asyncio.create_task(self._follow_broker(), name="topic-streams-broker"),
                asyncio.create_task(self._read_log(), name="topic-streams-log"),
                asyncio.create_task(self._beat(), name="topic-streams-heartbeat"),
            ]

    async def close(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.end_streams()

    def end_streams(self) -> None:
        """End every open stream (server shutdown): clients reconnect and resume."""
        for listener in list(self.listeners):
            self._end(listener)

    async def connect(self, topic: Topic, keyset: frozenset[str]) -> TopicListener:
        """Register a stream for live entries (before it replays anything)."""
        await self.start()
        listener = TopicListener(topic, keyset)
        self.listeners.add(listener)
        for key in keyset:
            self._by_key.setdefault(key, set()).add(listener)
        return listener

    def go_live(self, listener: TopicListener, send: SendMessage, sent_upto: int) -> None:
        """From now on the hub writes this stream's entries after ``sent_upto``. The
        caller has emptied ``listener.queue`` with no ``await`` since."""
        listener.sent_upto = sent_upto
        listener.last_write = asyncio.get_running_loop().time()
        listener.send = send

    def disconnect(self, listener: TopicListener) -> None:
        self._forget(listener)
        if listener.pending is not None:
            listener.pending.cancel()

    def _forget(self, listener: TopicListener) -> None:
        self.listeners.discard(listener)
        for key in listener.keyset:
            streams = self._by_key.get(key)
            if streams is not None:
                streams.discard(listener)
                if not streams:
                    del self._by_key[key]

    def _end(self, listener: TopicListener) -> None:
        self._forget(listener)
        listener.queue.put_nowait(None)
        listener.ended.set()

    def dispatch(self, entry: push_entries.Logged) -> None:
        """Hand one entry of the log (read in id order) to the streams it reaches."""
        candidates: set[TopicListener] = set()
        for key in entry.keys:
            candidates |= self._by_key.get(key, set())
        reached = [c for c in candidates if reaches(c.topic, c.keyset, entry)]
        if not reached:
            return
        encoded = encode(entry)
        message = body(encoded.frame)  # one message object for every stream
        now = asyncio.get_running_loop().time()
        for listener in reached:
            if listener.send is not None:
                if entry.id > listener.sent_upto:  # else its replay sent it
                    listener.sent_upto = entry.id
                    listener.last_write = now
                    self._write(listener, message)
            elif listener.queue.qsize() >= self.max_backlog:
                self._end(listener)  # too slow: the client resumes from the log
            else:
                listener.queue.put_nowait(encoded)

    def _write(self, listener: TopicListener, message: Message) -> None:
        """Queue ``message`` behind the stream's earlier ones; one task per stream
        writes them while it has any, so a slow client holds up nobody else."""
        if len(listener.backlog) >= self.max_backlog:
            self._end(listener)  # too slow: the client resumes from the log
            return
        listener.backlog.append(message)
        if listener.pending is None:
            listener.pending = asyncio.ensure_future(self._drain(listener))

    async def _drain(self, listener: TopicListener) -> None:
        try:
            while listener.backlog and listener in self.listeners:
                assert listener.send is not None
                await listener.send(listener.backlog.popleft())
        except Exception:
            self._end(listener)
        finally:
            listener.pending = None

    async def catch_up(self) -> None:
        """Dispatch every entry of the log after the cursor."""
        while True:
            async with self.db.read() as conn:
                found = await push_entries.entry_log(conn, after_id=self.cursor, limit=PAGE)
            for entry in found:
                if entry.id > self.cursor:
                    self.cursor = entry.id
                    self.dispatch(entry)
            if len(found) < PAGE:
                return

    async def _read_log(self) -> None:
        while True:
            await wait_woken(self._bell, self.poll_interval)
            self._bell.clear()
            try:
                await self.catch_up()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("reading the push entry log failed", exc_info=True)

    async def _follow_broker(self) -> None:
        while True:
            try:
                async for message in self.broker.subscribe(STREAM_CHANNEL):
                    if int(message.get("id", 0)) > self.cursor:
                        self._bell.set()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("broker subscription lost; retrying", exc_info=True)
                await asyncio.sleep(1.0)

    async def _beat(self) -> None:
        """A heartbeat comment for every live stream with nothing written for a
        ``heartbeat``, from one timer ticking 15 times per period (as LiveHub)."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.heartbeat / 15)
            due = loop.time() - self.heartbeat
            for listener in list(self.listeners):
                if listener.send is not None and listener.last_write <= due:
                    listener.last_write = loop.time()
                    self._write(listener, HEARTBEAT)


class TopicStream(Response):
    """``text/event-stream`` of one topic: replay, ``ready``, then live entries.
    ``after``: the resume point (None = from now); ``until``: the Unix time the
    stream ends (a signed URL's expiry), None for never."""

    def __init__(
        self, hub: TopicHub, topic: Topic, after: int | None, until: float | None = None
    ) -> None:
        self.hub = hub
        self.topic = topic
        self.keyset = keyset_of(topic)
        self.after = after
        self.until = until
        self.background = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hub = self.hub
        # Listen first, then replay: an entry dispatched in between arrives both ways
        # and is sent once.
        listener = await hub.connect(self.topic, self.keyset)
        try:
            await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
            if scope["method"] == "HEAD":
                return
            sent_upto = await self._replay(send)
            await send(body(ready_message(sent_upto)))
            while not listener.queue.empty():
                queued = listener.queue.get_nowait()
                if queued is None:
                    return
                if queued.id > sent_upto:
                    await send(body(queued.frame))
                    sent_upto = queued.id
            hub.go_live(listener, send, sent_upto)  # no await since the queue was empty
            await _until_done(receive, listener.ended, self.until)
        finally:
            hub.disconnect(listener)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _replay(self, send: Send) -> int:
        """Send the entries after the resume point that the topic matches; returns the
        last id read (matching or not), the stream's resume point from now on. A
        resume point beyond the newest entry (another database) counts as now."""
        async with self.hub.db.read() as conn:
            newest = await push_entries.newest_entry_id(conn)
        scanned = newest if self.after is None else min(self.after, newest)
        while True:
            async with self.hub.db.read() as conn:
                found = await push_entries.entry_log(conn, after_id=scanned, limit=PAGE)
            for entry in found:
                scanned = entry.id
                if reaches(self.topic, self.keyset, entry):
                    await send(body(encode(entry).frame))
            if len(found) < PAGE:
                return scanned


async def _until_done(receive: Receive, ended: asyncio.Event, until: float | None) -> None:
    """Wait for the client to go, the hub to end the stream, or ``until`` to pass."""

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    waiters = [asyncio.ensure_future(disconnected()), asyncio.ensure_future(ended.wait())]
    timeout = None if until is None else max(0.0, until - time.time())
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
