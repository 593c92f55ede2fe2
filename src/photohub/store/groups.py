"""Groups (``groups``), their members and roles (``group_members``) and their photo pools
(``group_photos``).

Listing a pool goes through ``photo_query.page_of`` joined with ``pool``, so each page
and each count holds only photos the viewer may see.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.domain.people import GROUP_SUFFIX, id_from_nsid, nsid_for
from photohub.domain.social import ADMIN_ROLE, MEMBER_ROLE, Member
from photohub.store.db import utcnow
from photohub.store.inserts import insert_new
from photohub.store.schema import group_members, group_photos, groups, photos


async def by_nsid(conn: AsyncConnection, nsid: str) -> RowMapping | None:
    """The group with this NSID (``…@N02``), if any."""
    group_id = id_from_nsid(nsid.strip(), GROUP_SUFFIX)
    if group_id is None:
        return None
    return (await conn.execute(sa.select(groups).where(groups.c.id == group_id))).mappings().first()


async def create(
    conn: AsyncConnection, owner_id: int, *, name: str, description: str
) -> RowMapping:
    """A new group whose creator is its first member and admin. Its NSID (``…@N02``)
    comes from its row id, as accounts' do."""
    now = utcnow()
    result = await conn.execute(
        groups.insert()
        .values(
            nsid="pending:" + secrets.token_hex(8),
            name=name,
            description=description,
            owner_id=owner_id,
            created_at=now,
        )
        .returning(groups.c.id)
    )
    group_id = int(result.scalar_one())
    await conn.execute(
        groups.update().where(groups.c.id == group_id).values(nsid=nsid_for(group_id, GROUP_SUFFIX))
    )
    await join(conn, group_id, owner_id, role=ADMIN_ROLE)
    row = await get(conn, group_id)
    assert row is not None
    return row


async def get(conn: AsyncConnection, group_id: int, *, lock: bool = False) -> RowMapping | None:
    """The group. ``lock`` (PostgreSQL) serialises joins and departures of one group, so
    "the last admin leaves" is decided on a membership nobody changes meanwhile."""
    query = sa.select(groups).where(groups.c.id == group_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return (await conn.execute(query)).mappings().first()


async def delete(conn: AsyncConnection, group_id: int) -> None:
    await conn.execute(group_photos.delete().where(group_photos.c.group_id == group_id))
    await conn.execute(group_members.delete().where(group_members.c.group_id == group_id))
    await conn.execute(groups.delete().where(groups.c.id == group_id))


async def join(
    conn: AsyncConnection, group_id: int, user_id: int, *, role: str = MEMBER_ROLE
) -> bool:
    """Make the user a member; False when they were one already."""
    return await insert_new(
        conn, group_members, group_id=group_id, user_id=user_id, role=role, joined_at=utcnow()
    )


async def leave(conn: AsyncConnection, group_id: int, user_id: int) -> bool:
    result = await conn.execute(
        group_members.delete().where(
            group_members.c.group_id == group_id, group_members.c.user_id == user_id
        )
    )
    return int(result.rowcount) > 0


async def role_of(conn: AsyncConnection, group_id: int, user_id: int | None) -> str | None:
    """The user's role in the group, or None for a non-member."""
    if user_id is None:
        return None
    role = await conn.scalar(
        sa.select(group_members.c.role).where(
            group_members.c.group_id == group_id, group_members.c.user_id == user_id
        )
    )
    return None if role is None else str(role)


async def set_role(conn: AsyncConnection, group_id: int, user_id: int, role: str) -> None:
    await conn.execute(
        group_members.update()
        .where(group_members.c.group_id == group_id, group_members.c.user_id == user_id)
        .values(role=role)
    )


async def members(conn: AsyncConnection, group_id: int) -> list[Member]:
    query = sa.select(group_members).where(group_members.c.group_id == group_id)
    return [
        Member(int(r["user_id"]), str(r["role"]), r["joined_at"])
        for r in (await conn.execute(query)).mappings()
    ]


async def member_count(conn: AsyncConnection, group_id: int) -> int:
    query = sa.select(sa.func.count()).where(group_members.c.group_id == group_id)
    return int(await conn.scalar(query) or 0)


async def add_to_pool(conn: AsyncConnection, group_id: int, photo_id: int, user_id: int) -> bool:
    """Add the photo to the pool; False when it is in it already."""
    return await insert_new(
        conn,
        group_photos,
        group_id=group_id,
        photo_id=photo_id,
        user_id=user_id,
        added_at=utcnow(),
    )


async def remove_from_pool(conn: AsyncConnection, group_id: int, photo_id: int) -> bool:
    result = await conn.execute(
        group_photos.delete().where(
            group_photos.c.group_id == group_id, group_photos.c.photo_id == photo_id
        )
    )
    return int(result.rowcount) > 0


async def in_pool(conn: AsyncConnection, group_id: int, photo_id: int) -> bool:
    found = await conn.scalar(
        sa.select(sa.literal(1)).where(
            group_photos.c.group_id == group_id, group_photos.c.photo_id == photo_id
        )
    )
    return found is not None


async def remove_owner_photos(conn: AsyncConnection, group_id: int, user_id: int) -> int:
    """Take every photo the user owns out of the pool (groups.leave delete_photos)."""
    owned = sa.select(photos.c.id).where(photos.c.user_id == user_id)
    result = await conn.execute(
        group_photos.delete().where(
            group_photos.c.group_id == group_id, group_photos.c.photo_id.in_(owned)
        )
    )
    return int(result.rowcount)


def pool(group_id: int, *, added_by: int | None = None) -> sa.Subquery:
    """The pool (or the part of it one member added) as ``(photo_id, added_at)``, to
    join with a photo listing. It carries no user column: a second foreign key would
    leave the join to the listing (photos, users) ambiguous."""
    query = sa.select(group_photos.c.photo_id, group_photos.c.added_at).where(
        group_photos.c.group_id == group_id
    )
    if added_by is not None:
        query = query.where(group_photos.c.user_id == added_by)
    return query.subquery("pool")


async def added_dates(
    conn: AsyncConnection, group_id: int, photo_ids: Sequence[int]
) -> dict[int, datetime]:
    """When each of these photos was added to the pool."""
    if not photo_ids:
        return {}
    query = sa.select(group_photos.c.photo_id, group_photos.c.added_at).where(
        group_photos.c.group_id == group_id, group_photos.c.photo_id.in_(list(photo_ids))
    )
    return {int(r.photo_id): r.added_at for r in await conn.execute(query)}
