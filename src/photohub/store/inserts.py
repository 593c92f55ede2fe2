"""Inserting a row that may already exist, on both backends, without a failed
transaction: a second fave, join or contact is a no-op the caller can report."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


async def insert_new(conn: AsyncConnection, table: sa.Table, **values: Any) -> bool:
    """Insert the row unless one with the same key exists; True when it was new.
    ``ON CONFLICT DO NOTHING`` keeps a PostgreSQL transaction usable where catching an
    IntegrityError would not, and settles two concurrent inserts the same way."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    result = await conn.execute(insert(table).values(**values).on_conflict_do_nothing())
    return int(result.rowcount) == 1
