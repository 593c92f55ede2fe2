"""Small queries the photo methods need beside the listing: tags of a page, views,
contacts, people in a photo."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.store import tags as tag_store
from photohub.store.schema import contacts, photo_people, photos

TAG_EXTRAS = ("tags", "machine_tags")


async def tags_for(
    conn: AsyncConnection, rows: Sequence[Mapping[Any, Any]], extras: Sequence[str]
) -> dict[int, list[RowMapping]]:
    """Tags of the listed photos, fetched in one query, only when an extra shows them."""
    if not rows or not any(extra in TAG_EXTRAS for extra in extras):
        return {}
    return await tag_store.tags_of(conn, [int(r["id"]) for r in rows])


async def count_view(conn: AsyncConnection, photo_id: int) -> None:
    await conn.execute(
        photos.update().where(photos.c.id == photo_id).values(views=photos.c.views + 1)
    )


async def contact_ids(conn: AsyncConnection, user_id: int, just_friends: bool) -> list[int]:
    query = sa.select(contacts.c.contact_id).where(contacts.c.user_id == user_id)
    if just_friends:
        query = query.where(sa.or_(contacts.c.is_friend.is_(True), contacts.c.is_family.is_(True)))
    return [int(v) for v in (await conn.execute(query)).scalars()]


async def has_people(conn: AsyncConnection, photo_id: int) -> bool:
    found = await conn.scalar(
        sa.select(sa.literal(1)).where(photo_people.c.photo_id == photo_id).limit(1)
    )
    return found is not None
