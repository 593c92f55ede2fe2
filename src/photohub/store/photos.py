"""Queries on photos (with their author's name)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.domain.privacy import PUBLIC, WALL_SAFETY_LEVELS
from photohub.places.gazetteer import Places
from photohub.store.schema import guests, photos, users

# The name shown with a photo: the guest's chosen name, else the account's username.
_author = sa.func.coalesce(sa.func.nullif(guests.c.name, ""), users.c.username, "")
_with_author = sa.select(photos, _author.label("author")).select_from(
    photos.outerjoin(guests, photos.c.guest_id == guests.c.id).outerjoin(
        users, photos.c.user_id == users.c.id
    )
)


async def insert(conn: AsyncConnection, **values: Any) -> int:
    result = await conn.execute(photos.insert().values(**values).returning(photos.c.id))
    return int(result.scalar_one())


async def get(conn: AsyncConnection, photo_id: int, *, lock: bool = False) -> RowMapping | None:
    query = _with_author.where(photos.c.id == photo_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update(of=photos)
    return (await conn.execute(query)).mappings().first()


async def update(conn: AsyncConnection, photo_id: int, **values: Any) -> None:
    await conn.execute(photos.update().where(photos.c.id == photo_id).values(**values))


async def delete(conn: AsyncConnection, photo_id: int) -> None:
    await conn.execute(photos.delete().where(photos.c.id == photo_id))


async def on_wall(conn: AsyncConnection, limit: int = 200) -> list[RowMapping]:
    """Photos the wall shows, newest first (``domain.privacy.on_wall`` as SQL)."""
    query = (
        _with_author.where(
            photos.c.state == "ready",
            photos.c.approved.is_(True),
            photos.c.visibility == PUBLIC,
            photos.c.safety_level.in_(WALL_SAFETY_LEVELS),
        )
        .order_by(photos.c.id.desc())
        .limit(limit)
    )
    return list((await conn.execute(query)).mappings())


async def by_guest(conn: AsyncConnection, guest_id: str) -> list[RowMapping]:
    query = _with_author.where(photos.c.guest_id == guest_id).order_by(photos.c.id.desc())
    return list((await conn.execute(query)).mappings())


async def recent(conn: AsyncConnection, limit: int = 500) -> list[RowMapping]:
    """Every photo, newest first, for the host."""
    query = _with_author.order_by(photos.c.id.desc()).limit(limit)
    return list((await conn.execute(query)).mappings())


async def count(conn: AsyncConnection) -> int:
    return int(await conn.scalar(sa.select(sa.func.count()).select_from(photos)) or 0)


async def existing_ids(conn: AsyncConnection, candidates: Iterable[int]) -> set[int]:
    """Which of ``candidates`` are ids of stored photos."""
    wanted = list(candidates)
    found: set[int] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = await conn.execute(sa.select(photos.c.id).where(photos.c.id.in_(chunk)))
        found.update(int(r) for r in rows.scalars())
    return found


async def of_owner(
    conn: AsyncConnection, user_id: int, visibilities: Iterable[str], *, lock: bool = False
) -> list[RowMapping]:
    """An account's photos with one of ``visibilities`` (locked for update on PostgreSQL,
    for a change to all of them)."""
    query = _with_author.where(
        photos.c.user_id == user_id, photos.c.visibility.in_(sorted(visibilities))
    ).order_by(photos.c.id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update(of=photos)
    return list((await conn.execute(query)).mappings())


async def secrets_of(conn: AsyncConnection, candidates: Iterable[int]) -> dict[int, RowMapping]:
    """id -> (secret, state) of those of ``candidates`` that are stored photos."""
    wanted = list(candidates)
    found: dict[int, RowMapping] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = sa.select(photos.c.id, photos.c.secret, photos.c.state).where(
            photos.c.id.in_(chunk)
        )
        found.update({int(r["id"]): r for r in (await conn.execute(query)).mappings()})
    return found


def place_values(found: Places) -> dict[str, int | None]:
    """The ``place_*`` columns for what the gazetteer found at a photo's point."""
    return {
        "place_city": found.city.woe_id if found.city else None,
        "place_region": found.region.woe_id if found.region else None,
        "place_country": found.country.woe_id if found.country else None,
    }
