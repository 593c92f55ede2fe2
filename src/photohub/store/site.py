"""Site-wide settings the host changes at run time (uploads paused, moderation...)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.store.schema import site_settings


async def get_all(conn: AsyncConnection) -> dict[str, Any]:
    rows = await conn.execute(sa.select(site_settings.c.key, site_settings.c.value))
    return {key: value for key, value in rows}


async def get(conn: AsyncConnection, key: str, default: Any = None) -> Any:
    value = await conn.scalar(sa.select(site_settings.c.value).where(site_settings.c.key == key))
    return default if value is None else value


async def put(conn: AsyncConnection, key: str, value: Any) -> None:
    updated = await conn.execute(
        site_settings.update().where(site_settings.c.key == key).values(value=value)
    )
    if not updated.rowcount:
        await conn.execute(site_settings.insert().values(key=key, value=value))
