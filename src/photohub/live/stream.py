"""The SSE endpoint: one stream per tab, resumable with ``Last-Event-ID``."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request

from photohub.domain.privacy import Viewer, may_see_event
from photohub.live.hub import LiveEvent, LiveHub, encode
from photohub.store import events as outbox
from photohub.store.db import Database


def resume_point(request: Request) -> int | None:
    """The id the browser last saw: the ``Last-Event-ID`` header (EventSource sends it
    on reconnect) or the ``last_event_id`` query parameter (a first connect that follows
    a snapshot). ``None`` = start from now."""
    raw = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    if raw is None or not raw.strip().isdigit():
        return None
    return int(raw.strip())


def _sse(live: LiveEvent) -> ServerSentEvent:
    return ServerSentEvent(data=live.payload, event=live.event.kind, id=str(live.event.id))


async def event_stream(
    db: Database, hub: LiveHub, viewer: Viewer, after: int | None
) -> AsyncGenerator[ServerSentEvent, None]:
    # Listen first, then replay: an event committed in between arrives both ways and
    # is sent once.
    # A stream opened "from now" still starts at a known id, so the browser's
    # automatic reconnect resumes from there and misses nothing.
    listener = hub.connect(viewer)
    try:
        if after is None:
            async with db.read() as conn:
                after = await outbox.last_id(conn)
        sent_upto = after
        while True:
            async with db.read() as conn:
                missed = await outbox.since(conn, sent_upto)
            for event in missed:
                sent_upto = event.id
                if may_see_event(event.audience, viewer):
                    yield _sse(encode(event))
            if len(missed) < 1000:
                break
        yield ServerSentEvent(event="ready", data="{}", id=str(sent_upto))
        while True:
            live = await listener.queue.get()
            if live is None:
                return
            if live.event.id <= sent_upto:
                continue  # already sent by the replay
            yield _sse(live)
    finally:
        hub.disconnect(listener)


def stream_response(
    request: Request, db: Database, hub: LiveHub, viewer: Viewer, heartbeat: float
) -> EventSourceResponse:
    return EventSourceResponse(
        event_stream(db, hub, viewer, resume_point(request)),
        ping=int(heartbeat) if heartbeat >= 1 else 1,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
