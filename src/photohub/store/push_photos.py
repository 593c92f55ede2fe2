"""What the hub last told subscribers about each photo (``push_photos``): the index keys
the photo matched and when, so that a deletion or a switch away from public reaches the
subscriptions that heard of it, and bursts of changes collapse."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.store.push_schema import push_photos
from photohub.store.schema import photo_people


async def get(conn: AsyncConnection, photo_id: int) -> RowMapping | None:
    query = sa.select(push_photos).where(push_photos.c.photo_id == photo_id)
    return (await conn.execute(query)).mappings().first()


async def told_at(conn: AsyncConnection, photo_ids: Sequence[int]) -> dict[int, datetime]:
    """When each of these photos was last pushed (absent: never, or not since a delete)."""
    ids = sorted(set(photo_ids))
    if not ids:
        return {}
    query = sa.select(push_photos.c.photo_id, push_photos.c.pushed_at).where(
        push_photos.c.photo_id.in_(ids)
    )
    return {int(p): at for p, at in await conn.execute(query)}


async def put(conn: AsyncConnection, photo_id: int, keys: Sequence[str], at: datetime) -> None:
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    values = {"photo_id": photo_id, "keys": list(keys), "pushed_at": at}
    stmt = insert(push_photos).values(**values)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[push_photos.c.photo_id],
            set_={"keys": stmt.excluded["keys"], "pushed_at": stmt.excluded.pushed_at},
        )
    )


async def forget(conn: AsyncConnection, photo_id: int) -> None:
    await conn.execute(push_photos.delete().where(push_photos.c.photo_id == photo_id))


async def people_ids(conn: AsyncConnection, photo_id: int) -> list[int]:
    """The accounts marked as being in the photo."""
    query = sa.select(photo_people.c.user_id).where(photo_people.c.photo_id == photo_id)
    return sorted(int(u) for u in (await conn.execute(query)).scalars())
