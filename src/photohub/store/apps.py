"""Queries on API apps (an API key and its secret, owned by an account)."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.store.db import utcnow
from photohub.store.schema import apps


async def create(
    conn: AsyncConnection,
    user_id: int,
    name: str,
    description: str = "",
    callback_url: str | None = None,
) -> RowMapping:
    """A new app with a random key (32 hex digits, like Flickr's) and secret, and the
    OAuth callback URL it registered (checked by domain.oauth.check_registered_callback)."""
    result = await conn.execute(
        apps.insert()
        .values(
            api_key=secrets.token_hex(16),
            secret=secrets.token_hex(8),
            user_id=user_id,
            name=name,
            description=description,
            created_at=utcnow(),
            callback_url=callback_url,
        )
        .returning(apps.c.id)
    )
    row = await get(conn, int(result.scalar_one()))
    assert row is not None
    return row


async def get(conn: AsyncConnection, app_id: int) -> RowMapping | None:
    return (await conn.execute(sa.select(apps).where(apps.c.id == app_id))).mappings().first()


async def by_api_key(conn: AsyncConnection, api_key: str) -> RowMapping | None:
    if len(api_key) > 32:
        return None
    query = sa.select(apps).where(apps.c.api_key == api_key)
    return (await conn.execute(query)).mappings().first()


async def of_user(conn: AsyncConnection, user_id: int) -> list[RowMapping]:
    query = sa.select(apps).where(apps.c.user_id == user_id).order_by(apps.c.id)
    return list((await conn.execute(query)).mappings())


async def by_name(conn: AsyncConnection, user_id: int, name: str) -> RowMapping | None:
    """The user's first app called ``name`` (names are not unique; the oldest wins)."""
    query = (
        sa.select(apps)
        .where(apps.c.user_id == user_id, apps.c.name == name)
        .order_by(apps.c.id)
        .limit(1)
    )
    return (await conn.execute(query)).mappings().first()


async def count_of_user(conn: AsyncConnection, user_id: int) -> int:
    query = sa.select(sa.func.count()).select_from(apps).where(apps.c.user_id == user_id)
    return int(await conn.scalar(query) or 0)


async def set_callback(
    conn: AsyncConnection, app_id: int, user_id: int, callback_url: str | None
) -> bool:
    """Register (or, with None, forget) the OAuth callback URL of ``user_id``'s app;
    False when the app is not theirs. Request tokens already made keep their callback."""
    result = await conn.execute(
        apps.update()
        .where(apps.c.id == app_id, apps.c.user_id == user_id)
        .values(callback_url=callback_url)
    )
    return bool(result.rowcount)
