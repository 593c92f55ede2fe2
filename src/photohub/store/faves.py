"""Favorites (``faves``): who faved which photo, and when.

Listing a user's favorites goes through ``photo_query.page_of`` joined with
``of_user``, so the privacy condition applies to every page and every count."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.store.db import utcnow
from photohub.store.inserts import insert_new
from photohub.store.schema import faves, users


async def add(conn: AsyncConnection, user_id: int, photo_id: int) -> bool:
    """Fave the photo; False when it already was."""
    return await insert_new(conn, faves, user_id=user_id, photo_id=photo_id, created_at=utcnow())


async def remove(conn: AsyncConnection, user_id: int, photo_id: int) -> bool:
    """Unfave the photo; False when it was not a favorite."""
    result = await conn.execute(
        faves.delete().where(faves.c.user_id == user_id, faves.c.photo_id == photo_id)
    )
    return int(result.rowcount) > 0


def of_user(user_id: int) -> sa.Subquery:
    """The user's favorites as ``(photo_id, faved_at)``, to join with a photo listing."""
    return (
        sa.select(faves.c.photo_id, faves.c.created_at.label("faved_at"))
        .where(faves.c.user_id == user_id)
        .subquery("fave")
    )


async def dates(
    conn: AsyncConnection, user_id: int, photo_ids: Sequence[int]
) -> dict[int, datetime]:
    """When the user faved each of these photos."""
    if not photo_ids:
        return {}
    query = sa.select(faves.c.photo_id, faves.c.created_at).where(
        faves.c.user_id == user_id, faves.c.photo_id.in_(list(photo_ids))
    )
    return {int(r.photo_id): r.created_at for r in await conn.execute(query)}


async def favers(
    conn: AsyncConnection, photo_id: int, *, page: int, per_page: int
) -> tuple[int, list[dict[str, Any]]]:
    """How many people faved the photo, and one page of them, newest fave first."""
    total = int(
        await conn.scalar(
            sa.select(sa.func.count()).select_from(faves).where(faves.c.photo_id == photo_id)
        )
        or 0
    )
    query = (
        sa.select(users.c.nsid, users.c.username, users.c.realname, faves.c.created_at)
        .select_from(faves.join(users, faves.c.user_id == users.c.id))
        .where(faves.c.photo_id == photo_id)
        .order_by(faves.c.created_at.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    people = [
        {
            "nsid": r.nsid,
            "username": r.username,
            "realname": r.realname,
            "faved_at": r.created_at,
        }
        for r in await conn.execute(query)
    ]
    return total, people


async def is_fave(conn: AsyncConnection, user_id: int | None, photo_id: int) -> bool:
    if user_id is None:
        return False
    found = await conn.scalar(
        sa.select(sa.literal(1)).where(faves.c.user_id == user_id, faves.c.photo_id == photo_id)
    )
    return found is not None
