"""The topic streams' fan-out (``live.topic_stream``): the entry log, read once per process.

One :class:`TopicHub` per process, shared by all topic streams (rather than a broker
subscription and a poll per stream): it holds the one subscription to the broker
channel ``push.fanout.STREAM_CHANNEL`` and reads the entry log itself, finds the streams
an entry may reach through an index of their topics' keys (as dispatch finds
subscriptions), and writes each entry's SSE bytes (``live.topic_frames``), encoded once
per audience, to those streams. A broker message is a doorbell: it makes the hub read
the log after its cursor, in id order, at once. The message itself is not forwarded,
because messages of two dispatchers may arrive out of order, and a stream that had sent
id 11 could never send id 10. The log is also read every ``poll_interval`` seconds, for
messages the broker lost (pub/sub is at-most-once) or processes without a broker. Entry
ids become visible in id order (``store.push_entries.add_entry``), so reading "after the
cursor" is exact.

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
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from photohub.broker.base import Broker
from photohub.domain.push_match import entry_reaches, topic_keys
from photohub.domain.push_recheck import Audience, PhotoNow, audience_of
from photohub.domain.topics import Topic
from photohub.live.hub import body
from photohub.live.topic_frames import HEARTBEAT, StreamEntry, checked
from photohub.places.ids import decode_place_id
from photohub.push.fanout import STREAM_CHANNEL
from photohub.store import push_current, push_entries
from photohub.store.db import Database
from photohub.wake import wait_woken

log = logging.getLogger("photohub.live.topics")

PAGE = 1000  # entries per read of the log

Message = MutableMapping[str, Any]
SendMessage = Callable[[Message], Awaitable[None]]


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
    audience: Audience = field(default_factory=Audience)
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
        listener = TopicListener(topic, keyset, audience_of(topic.name))
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

    def reached(self, entry: push_entries.Logged) -> list[TopicListener]:
        """The streams whose topic ``entry`` matches."""
        candidates: set[TopicListener] = set()
        for key in entry.keys:
            candidates |= self._by_key.get(key, set())
        return [c for c in candidates if reaches(c.topic, c.keyset, entry)]

    def dispatch(self, entry: push_entries.Logged, photo: PhotoNow | None) -> None:
        """Hand one entry of the log (read in id order) to the streams it reaches, as
        its photo (``photo``: as it is now) still allows for each stream's audience."""
        reached = self.reached(entry)
        if not reached:
            return
        # One encoding (and message object) per audience, shared by its streams.
        made: dict[Audience, tuple[StreamEntry, Message] | None] = {}
        now = asyncio.get_running_loop().time()
        for listener in reached:
            if listener.audience not in made:
                encoded = checked(entry, photo, listener.audience)
                made[listener.audience] = (
                    None if encoded is None else (encoded, body(encoded.frame))
                )
            ready = made[listener.audience]
            if ready is None:
                continue  # withdrawn from this audience since the entry was stored
            encoded, message = ready
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
                # The photos of the entries some stream wants, as they are now: one query.
                wanted = [e.id for e in found if e.id > self.cursor and self.reached(e)]
                photos = await push_current.photos_now(conn, wanted)
            for entry in found:
                if entry.id > self.cursor:
                    self.cursor = entry.id
                    self.dispatch(entry, photos.get(entry.id))
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
