"""People in photos (``photo_people``): who is in a photo, and who said so."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.store.db import utcnow
from photohub.store.inserts import insert_new
from photohub.store.people import person_columns
from photohub.store.schema import photo_people, users


async def add(conn: AsyncConnection, photo_id: int, user_id: int, added_by: int) -> bool:
    """Add the person to the photo; False when they were in it already (the first
    ``added_by`` stays)."""
    return await insert_new(
        conn,
        photo_people,
        photo_id=photo_id,
        user_id=user_id,
        added_by=added_by,
        created_at=utcnow(),
    )


async def remove(conn: AsyncConnection, photo_id: int, user_id: int) -> bool:
    result = await conn.execute(
        photo_people.delete().where(
            photo_people.c.photo_id == photo_id, photo_people.c.user_id == user_id
        )
    )
    return int(result.rowcount) > 0


async def of_photo(conn: AsyncConnection, photo_id: int) -> list[RowMapping]:
    """The people in a photo (account columns and ``added_by_nsid``), in the order
    they were added."""
    adder = users.alias("adder")
    query = (
        sa.select(*person_columns(), adder.c.nsid.label("added_by_nsid"))
        .select_from(
            photo_people.join(users, users.c.id == photo_people.c.user_id).outerjoin(
                adder, adder.c.id == photo_people.c.added_by
            )
        )
        .where(photo_people.c.photo_id == photo_id)
        .order_by(photo_people.c.created_at.asc(), users.c.id.asc())
    )
    return list((await conn.execute(query)).mappings())
