"""Rows for tests, written straight to the store: accounts, contacts and ready photos
(with rendition entries but no files; tests that fetch files upload real images)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.domain.tags import make_tags
from photohub.store import photos as photo_store
from photohub.store import tags as tag_store
from photohub.store import users
from photohub.store.db import utcnow
from photohub.store.schema import contacts, faves

RENDITIONS = [
    {"size": 256, "width": 256, "height": 192},
    {"size": 1024, "width": 1024, "height": 768},
]


async def user(conn: AsyncConnection, username: str, **values: Any) -> RowMapping:
    return await users.create(conn, username=username, password_hash="-", **values)


async def contact(
    conn: AsyncConnection,
    owner: RowMapping,
    other: RowMapping,
    *,
    friend: bool = False,
    family: bool = False,
) -> None:
    """``owner`` lists ``other`` as a contact (and marks them friend / family)."""
    await conn.execute(
        contacts.insert().values(
            user_id=owner["id"],
            contact_id=other["id"],
            is_friend=friend,
            is_family=family,
            created_at=utcnow(),
        )
    )


async def photo(
    conn: AsyncConnection,
    owner: RowMapping | None,
    *,
    title: str = "a photo",
    visibility: str = "public",
    tags: str = "",
    created_at: datetime | None = None,
    **values: Any,
) -> int:
    now = created_at or utcnow()
    fields: dict[str, Any] = {
        "secret": "0123456789abcdef01234567",
        "user_id": None if owner is None else owner["id"],
        "title": title,
        "visibility": visibility,
        "state": "ready",
        "format": "jpeg",
        "ext": "jpg",
        "bytes": 1000,
        "width": 4000,
        "height": 3000,
        "renditions": RENDITIONS,
        "created_at": now,
        "updated_at": now,
        **values,
    }
    photo_id = await photo_store.insert(conn, **fields)
    if tags:
        await tag_store.set_tags(conn, photo_id, make_tags(tags), fields["user_id"])
    return photo_id


async def fave(conn: AsyncConnection, faver: RowMapping, photo_id: int, *, at: datetime) -> None:
    """``faver`` faves the photo at the time given (fave topics are ordered by it)."""
    await conn.execute(faves.insert().values(user_id=faver["id"], photo_id=photo_id, created_at=at))
