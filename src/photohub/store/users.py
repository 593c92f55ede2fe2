"""Queries on accounts."""

from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.domain.people import id_from_nsid, nsid_for, username_key
from photohub.store.db import utcnow
from photohub.store.schema import photos, users


async def create(
    conn: AsyncConnection, *, username: str, password_hash: str, **values: Any
) -> RowMapping:
    """Insert an account; its NSID comes from its row id. The caller checks the
    username is free (a race loses to the unique index, as IntegrityError)."""
    result = await conn.execute(
        users.insert()
        .values(
            nsid="pending:" + secrets.token_hex(8),  # unique until the id is known
            username=username.strip(),
            username_key=username_key(username),
            password_hash=password_hash,
            created_at=utcnow(),
            **values,
        )
        .returning(users.c.id)
    )
    user_id = int(result.scalar_one())
    await conn.execute(users.update().where(users.c.id == user_id).values(nsid=nsid_for(user_id)))
    row = await get(conn, user_id)
    assert row is not None
    return row


async def get(conn: AsyncConnection, user_id: int) -> RowMapping | None:
    return (await conn.execute(sa.select(users).where(users.c.id == user_id))).mappings().first()


async def by_nsid(conn: AsyncConnection, nsid: str) -> RowMapping | None:
    user_id = id_from_nsid(nsid)
    return None if user_id is None else await get(conn, user_id)


async def by_username(conn: AsyncConnection, username: str) -> RowMapping | None:
    query = sa.select(users).where(users.c.username_key == username_key(username))
    return (await conn.execute(query)).mappings().first()


async def update(conn: AsyncConnection, user_id: int, **values: Any) -> None:
    await conn.execute(users.update().where(users.c.id == user_id).values(**values))


async def many(conn: AsyncConnection, user_ids: set[int]) -> dict[int, RowMapping]:
    if not user_ids:
        return {}
    rows = await conn.execute(sa.select(users).where(users.c.id.in_(sorted(user_ids))))
    return {int(r["id"]): r for r in rows.mappings()}


async def by_guest(conn: AsyncConnection, guest_id: str) -> RowMapping | None:
    """The account that claimed this guest identity, if any."""
    query = sa.select(users).where(users.c.guest_id == guest_id)
    return (await conn.execute(query)).mappings().first()


async def claim_guest(conn: AsyncConnection, user_id: int, guest_id: str) -> int:
    """Make a guest identity's photos the account's: record the claim (unique, so one
    guest identity goes to one account) and give the account every photo of that guest
    not owned yet. Returns how many photos it got. Call inside the sign-up transaction."""
    await conn.execute(users.update().where(users.c.id == user_id).values(guest_id=guest_id))
    result = await conn.execute(
        photos.update()
        .where(photos.c.guest_id == guest_id, photos.c.user_id.is_(None))
        .values(user_id=user_id)
    )
    return int(result.rowcount)
