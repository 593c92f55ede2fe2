"""Favorites (``faves``): who faved which photo, and when.

Listing a user's favorites goes through ``photo_query.page_of`` joined with
``of_user``, so the privacy condition applies to every page and every count."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.store.db import utcnow
from photohub.store.inserts import insert_new
from photohub.store.schema import faves


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
