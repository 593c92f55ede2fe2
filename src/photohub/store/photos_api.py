"""Small queries the photo methods need beside the listing: tags of a page, views,
contacts, favers, groups by NSID."""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.domain.people import GROUP_SUFFIX, id_from_nsid
from photohub.store import tags as tag_store
from photohub.store.schema import contacts, faves, groups, photo_people, photos, users

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


async def favers(
    conn: AsyncConnection, photo_id: int, *, page: int, per_page: int
) -> tuple[int, list[dict[str, Any]]]:
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
            "favedate": calendar.timegm(r.created_at.utctimetuple()),
        }
        for r in await conn.execute(query)
    ]
    return total, people


async def group_by_nsid(conn: AsyncConnection, nsid: str) -> RowMapping | None:
    group_id = id_from_nsid(nsid.strip(), GROUP_SUFFIX)
    if group_id is None:
        return None
    return (await conn.execute(sa.select(groups).where(groups.c.id == group_id))).mappings().first()


async def is_fave(conn: AsyncConnection, user_id: int | None, photo_id: int) -> bool:
    if user_id is None:
        return False
    found = await conn.scalar(
        sa.select(sa.literal(1)).where(faves.c.user_id == user_id, faves.c.photo_id == photo_id)
    )
    return found is not None


async def has_people(conn: AsyncConnection, photo_id: int) -> bool:
    found = await conn.scalar(
        sa.select(sa.literal(1)).where(photo_people.c.photo_id == photo_id).limit(1)
    )
    return found is not None
