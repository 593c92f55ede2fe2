"""The SSE endpoint: one stream per tab, resumable with ``Last-Event-ID``.

A raw ASGI response rather than a generator behind sse-starlette: after the replay the
hub writes each event's pre-encoded bytes to the connection itself, so an event costs one
``send`` per stream and no task wake-up (see docs/benchmarks.md, "Wall fan-out"). The
replay comes from the hub (``LiveHub.replay``): recent events from its ring, without a
query, each judged against the photos as they are now.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from photohub.domain.privacy import Viewer
from photohub.live.hub import Listener, LiveHub, body, sse_frame
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
                async for live in hub.replay(self.viewer, self.after):
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
            await _until_disconnected_or_ended(receive, listener)
        finally:
            hub.disconnect(listener)
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _until_disconnected_or_ended(receive: Receive, listener: Listener) -> None:
    """One task per stream (its disconnect reader) and no ``asyncio.wait``: a reconnect
    storm opens thousands of streams at once, each costs what it sets up."""
    woken = asyncio.get_running_loop().create_future()
    listener.woken = woken  # the hub resolves it when it ends the stream
    if listener.ended.is_set():
        return
    reader = asyncio.ensure_future(_disconnected(receive))

    def wake(_: object) -> None:
        if not woken.done():
            woken.set_result(None)

    reader.add_done_callback(wake)
    try:
        await woken
    finally:
        reader.cancel()


def stream_response(request: Request, db: Database, hub: LiveHub, viewer: Viewer) -> LiveStream:
    return LiveStream(db, hub, viewer, resume_point(request))
