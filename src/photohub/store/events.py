"""The event outbox: every change writes an event row in its own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.domain.privacy import PhotoNow
from photohub.store.db import utcnow
from photohub.store.schema import events, photos

# Held until commit by every transaction that appends events on PostgreSQL, so that
# ids become visible in id order and a reader resuming "after id N" skips nothing.
_OUTBOX_LOCK = 7242002


@dataclass(frozen=True)
class Event:
    id: int
    kind: str
    audience: str
    photo_id: int | None
    data: dict[str, Any]

    def as_message(self) -> dict[str, Any]:
        """The form carried by the broker between processes."""
        return {
            "id": self.id,
            "kind": self.kind,
            "audience": self.audience,
            "photo_id": self.photo_id,
            "data": self.data,
        }

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> Event:
        return cls(
            id=int(message["id"]),
            kind=str(message["kind"]),
            audience=str(message["audience"]),
            photo_id=message.get("photo_id"),
            data=dict(message["data"]),
        )


async def append(
    conn: AsyncConnection,
    kind: str,
    data: dict[str, Any],
    *,
    audience: str = "public",
    photo_id: int | None = None,
) -> Event:
    """Append one event inside the caller's transaction and return it with its id."""
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({_OUTBOX_LOCK})"))
    result = await conn.execute(
        events.insert()
        .values(kind=kind, audience=audience, photo_id=photo_id, data=data, created_at=utcnow())
        .returning(events.c.id)
    )
    return Event(int(result.scalar_one()), kind, audience, photo_id, data)


async def since(conn: AsyncConnection, after_id: int, limit: int = 1000) -> list[Event]:
    """Events with an id greater than ``after_id``, oldest first."""
    rows = await conn.execute(
        sa.select(events).where(events.c.id > after_id).order_by(events.c.id).limit(limit)
    )
    return [Event(int(r.id), r.kind, r.audience, r.photo_id, dict(r.data)) for r in rows]


async def last_id(conn: AsyncConnection) -> int:
    """The newest event id, 0 when there is none."""
    value = await conn.scalar(sa.select(sa.func.max(events.c.id)))
    return int(value or 0)


@dataclass(frozen=True)
class Stored:
    """A stored event with its photo as it is *now*: ``photo`` is ``None`` when the
    event is about no photo or its photo was deleted (``event.photo_id`` tells which)."""

    event: Event
    photo: PhotoNow | None


_with_photo = sa.select(
    events,
    photos.c.id.label("photo_now"),
    photos.c.state,
    photos.c.approved,
    photos.c.visibility,
    photos.c.safety_level,
).select_from(events.outerjoin(photos, photos.c.id == events.c.photo_id))


def _stored(rows: sa.CursorResult[Any]) -> list[Stored]:
    found = []
    for r in rows:
        now = None
        if r.photo_now is not None:
            now = PhotoNow(r.state, bool(r.approved), r.visibility, int(r.safety_level))
        event = Event(int(r.id), r.kind, r.audience, r.photo_id, dict(r.data))
        found.append(Stored(event, now))
    return found


async def since_now(
    conn: AsyncConnection, after_id: int, upto_id: int, limit: int = 1000
) -> list[Stored]:
    """Events in (``after_id``, ``upto_id``], oldest first, each with its photo as it is
    now, in one query: a replay re-checks every event against today's privacy."""
    query = (
        _with_photo.where(events.c.id > after_id, events.c.id <= upto_id)
        .order_by(events.c.id)
        .limit(limit)
    )
    return _stored(await conn.execute(query))


async def latest_now(conn: AsyncConnection, count: int) -> list[Stored]:
    """The newest ``count`` events, oldest first, each with its photo as it is now."""
    query = _with_photo.order_by(events.c.id.desc()).limit(count)
    return _stored(await conn.execute(query))[::-1]
