"""A look at the task table for the tests."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from photohub.store.db import Database
from photohub.store.schema import tasks


async def task_rows(db: Database) -> list[dict[str, Any]]:
    """Every row of the task table, oldest first."""
    async with db.read() as conn:
        result = await conn.execute(sa.select(tasks).order_by(tasks.c.id))
        return [dict(r) for r in result.mappings()]
