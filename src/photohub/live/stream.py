"""The SSE endpoint: one stream per tab, resumable with ``Last-Event-ID``.

A raw ASGI response rather than a generator behind sse-starlette: after the replay the
hub writes each event's pre-encoded bytes to the connection itself, so an event costs one
``send`` per stream and no task wake-up (see docs/benchmarks.md, "Wall fan-out").
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from photohub.domain.privacy import Viewer, may_see_event
from photohub.live.hub import LiveEvent, LiveHub, body, encode, sse_frame
from photohub.store import events as outbox
from photohub.store.db import Database

HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),
]


def resume_point(request: Request) -> int | None:
    """The id the browser last saw: the ``Last-Event-ID`` header (EventSource sends it
    on reconnect) or the ``last_event_id`` query parameter (a first connect that follows
    a snapshot). ``None`` = start from now."""
    raw = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    if raw is None or not raw.strip().isdigit():
        return None
    return int(raw.strip())


async def replay(db: Database, viewer: Viewer, after: int) -> AsyncIterator[LiveEvent]:
    """The events after ``after`` that ``viewer`` may see, oldest first, from the outbox."""
    while True:
        async with db.read() as conn:
            missed = await outbox.since(conn, after)
        for event in missed:
            after = event.id
            if may_see_event(event.audience, viewer):
                yield encode(event)
        if len(missed) < 1000:
            return


class LiveStream(Response):
    """``text/event-stream`` for one viewer: replay, ``ready``, then live events."""

    def __init__(self, db: Database, hub: LiveHub, viewer: Viewer, after: int | None) -> None:
        self.db = db
        self.hub = hub
        self.viewer = viewer
        self.after = after
        self.background = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hub = self.hub
        # Listen first, then replay: an event committed in between arrives both ways
        # and is sent once.
        listener = hub.connect(self.viewer)
        try:
            await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
            if scope["method"] == "HEAD":
                return
            # A stream opened "from now" starts at the newest id this hub has seen (no
            # query): anything newer reaches the listener registered above. The browser's
            # automatic reconnect resumes from there and misses nothing.
            sent_upto = hub.last_seen if self.after is None else self.after
            if self.after is not None:
                async for live in replay(self.db, self.viewer, self.after):
                    await send(body(live.frame))
                    sent_upto = live.event.id
            await send(body(sse_frame(sent_upto, "ready", "{}")))
            while not listener.queue.empty():
                queued = listener.queue.get_nowait()
                if queued is None:
                    return
                if queued.event.id > sent_upto:
                    await send(body(queued.frame))
            hub.go_live(listener, send, sent_upto)  # no await since the queue was empty
            await _until_disconnected_or_ended(receive, listener.ended)
        finally:
            hub.disconnect(listener)
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _until_disconnected_or_ended(receive: Receive, ended: asyncio.Event) -> None:
    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    waiters = [asyncio.ensure_future(disconnected()), asyncio.ensure_future(ended.wait())]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


def stream_response(request: Request, db: Database, hub: LiveHub, viewer: Viewer) -> LiveStream:
    return LiveStream(db, hub, viewer, resume_point(request))
