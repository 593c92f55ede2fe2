"""Queries on guests: the cookie identities of people without an account."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.store.db import utcnow
from photohub.store.schema import guests


async def ensure(conn: AsyncConnection, guest_id: str) -> None:
    """Create the guest row on first use (the cookie exists before any write)."""
    exists = await conn.scalar(sa.select(guests.c.id).where(guests.c.id == guest_id))
    if exists is None:
        await conn.execute(guests.insert().values(id=guest_id, name="", created_at=utcnow()))


async def get(conn: AsyncConnection, guest_id: str) -> RowMapping | None:
    return (await conn.execute(sa.select(guests).where(guests.c.id == guest_id))).mappings().first()


async def set_name(conn: AsyncConnection, guest_id: str, name: str) -> None:
    await ensure(conn, guest_id)
    await conn.execute(guests.update().where(guests.c.id == guest_id).values(name=name))
