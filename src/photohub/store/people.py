"""Accounts as the social API shows them: the columns a person appears with in any
list (never the password hash), and the Commons institutions."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from photohub.store.schema import users


def person_columns() -> tuple[ColumnElement[object], ...]:
    return (
        users.c.id,
        users.c.nsid,
        users.c.username,
        users.c.realname,
        users.c.buddyicon,
        users.c.is_institution,
        users.c.created_at,
    )


async def institutions(conn: AsyncConnection) -> list[RowMapping]:
    """Accounts marked ``is_institution`` (flickr.commons.getInstitutions), oldest first."""
    query = (
        sa.select(*person_columns())
        .where(users.c.is_institution.is_(True))
        .order_by(users.c.created_at.asc(), users.c.id.asc())
    )
    return list((await conn.execute(query)).mappings())
