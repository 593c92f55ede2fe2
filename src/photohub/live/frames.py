"""SSE messages as bytes: each event is encoded once and the same bytes go to every stream
(and stay in the ring of recent events, ``live/ring.py``, for resumes)."""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from photohub.store.events import Event

Message = MutableMapping[str, Any]

# What a stream receives instead of a stored event whose photo its viewer may no longer
# see: the wall (and every page) already takes ``photo.deleted`` off the screen.
TOMBSTONE = "photo.deleted"


def sse_frame(ident: int, kind: str, data: str) -> bytes:
    """One SSE message. ``data`` is compact JSON: it never holds a raw line break."""
    return f"id: {ident}\r\nevent: {kind}\r\ndata: {data}\r\n\r\n".encode()


def body(chunk: bytes) -> Message:
    return {"type": "http.response.body", "body": chunk, "more_body": True}


PING = body(b": ping\r\n\r\n")


@dataclass(frozen=True)
class LiveEvent:
    event: Event
    payload: str  # the JSON sent as the SSE data field, made once for all streams
    frame: bytes  # the whole SSE message, made once for all streams


def encode(event: Event) -> LiveEvent:
    payload = json.dumps(event.data, separators=(",", ":"))
    return LiveEvent(event, payload, sse_frame(event.id, event.kind, payload))


def tombstone(event: Event) -> LiveEvent:
    """``event`` withdrawn: same id and audience (ids only grow on the wire, and whoever
    could see the event learns it is gone), nothing of the photo but its id."""
    assert event.photo_id is not None
    gone = Event(event.id, TOMBSTONE, event.audience, event.photo_id, {"id": event.photo_id})
    return encode(gone)
