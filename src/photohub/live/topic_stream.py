"""Topic streams: any push topic followed as Server-Sent Events, no callback needed.

A GET of a topic URL that asks for ``text/event-stream`` (web.topics authorises it) is
answered by :class:`TopicStream`: the entries of the changes the topic matches, as they
are dispatched, by the very test a subscription gets (``domain.push_match.entry_reaches``
over the entry log's keys and public location). Each entry, replayed or live, goes out
only as its photo allows *now* (``domain.push_recheck``, the photos of a page of the log
read in one query by ``store.push_current``): an entry stored before its owner made the
photo private, or hid its location, never sends what was withdrawn
(``live.topic_frames``, which also describes the SSE messages).

Resuming: the ``Last-Event-ID`` header (what EventSource sends when it reconnects) or
the ``last_event_id`` query parameter; without one the stream starts after the newest
entry at the time of connecting. The stream is registered for live entries *first*,
then replays the entry log after its resume point (pages of :data:`PAGE`) and sends
queued live entries after what the replay sent; ids only ever grow on the wire, so
resuming "after the last id seen" misses nothing and repeats nothing.

The stream's live entries come from the process's ``live.topic_hub.TopicHub``.
"""

from __future__ import annotations

import asyncio
import time

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from photohub.domain.push_recheck import audience_of
from photohub.domain.topics import Topic
from photohub.live.hub import body
from photohub.live.topic_frames import checked, ready_message
from photohub.live.topic_hub import PAGE, TopicHub, keyset_of, reaches
from photohub.store import push_current, push_entries

HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),
]


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
        self.audience = audience_of(topic.name)
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
        """Send the entries after the resume point that the topic matches, each as its
        photo allows *now* (``checked``: a stored entry never sends what its owner has
        withdrawn since); returns the last id read (sent or not), the stream's resume
        point from now on. A resume point beyond the newest entry (another database)
        counts as now."""
        async with self.hub.db.read() as conn:
            newest = await push_entries.newest_entry_id(conn)
        scanned = newest if self.after is None else min(self.after, newest)
        while True:
            async with self.hub.db.read() as conn:
                found = await push_entries.entry_log(conn, after_id=scanned, limit=PAGE)
                matched = [e for e in found if reaches(self.topic, self.keyset, e)]
                photos = await push_current.photos_now(conn, [e.id for e in matched])
            for entry in matched:
                encoded = checked(entry, photos.get(entry.id), self.audience)
                if encoded is not None:
                    await send(body(encoded.frame))
            if found:
                scanned = found[-1].id
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
