"""Contact lists (``contacts``): ``user_id`` lists ``contact_id`` and marks them friend
and/or family. The marks are the lister's: they decide what the *contact* may see of
the lister's photos (``store.visibility``)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from photohub.store.db import utcnow
from photohub.store.inserts import insert_new
from photohub.store.people import person_columns
from photohub.store.schema import contacts, users

# flickr.contacts.getList "filter": friends (not family), family (not friends), both,
# neither.
FILTERS = ("friends", "family", "both", "neither")
SORTS = ("name", "time")


def _filter(name: str) -> ColumnElement[bool]:
    friend, family = contacts.c.is_friend.is_(True), contacts.c.is_family.is_(True)
    if name == "friends":
        return sa.and_(friend, ~family)
    if name == "family":
        return sa.and_(family, ~friend)
    if name == "both":
        return sa.and_(friend, family)
    if name == "neither":
        return sa.and_(~friend, ~family)
    raise ValueError(f"unknown contact filter {name!r}")


async def set_contact(
    conn: AsyncConnection, user_id: int, contact_id: int, *, friend: bool, family: bool
) -> bool:
    """List ``contact_id`` as a contact of ``user_id`` with these marks (updating the
    marks of an existing contact); True when the contact is new."""
    new = await insert_new(
        conn,
        contacts,
        user_id=user_id,
        contact_id=contact_id,
        is_friend=friend,
        is_family=family,
        created_at=utcnow(),
    )
    if not new:
        await conn.execute(
            contacts.update()
            .where(contacts.c.user_id == user_id, contacts.c.contact_id == contact_id)
            .values(is_friend=friend, is_family=family)
        )
    return new


async def remove(conn: AsyncConnection, user_id: int, contact_id: int) -> bool:
    result = await conn.execute(
        contacts.delete().where(contacts.c.user_id == user_id, contacts.c.contact_id == contact_id)
    )
    return int(result.rowcount) > 0


async def mark(conn: AsyncConnection, user_id: int, contact_id: int) -> RowMapping | None:
    """``user_id``'s entry for ``contact_id`` (with the friend/family marks), if any."""
    query = sa.select(contacts).where(
        contacts.c.user_id == user_id, contacts.c.contact_id == contact_id
    )
    return (await conn.execute(query)).mappings().first()


async def page(
    conn: AsyncConnection,
    user_id: int,
    *,
    only: str | None = None,
    sort: str = "name",
    page: int = 1,
    per_page: int = 1000,
) -> tuple[int, list[RowMapping]]:
    """(total, one page) of ``user_id``'s contacts: each contact's account columns with
    ``is_friend``, ``is_family`` and ``listed_at``. ``only`` is a FILTERS name; sort by
    name (case-insensitive) or by time (most recently added first)."""
    where: list[ColumnElement[bool]] = [contacts.c.user_id == user_id]
    if only is not None:
        where.append(_filter(only))
    joined = contacts.join(users, users.c.id == contacts.c.contact_id)
    total = int(
        await conn.scalar(sa.select(sa.func.count()).select_from(joined).where(*where)) or 0
    )
    if sort == "time":
        order = (contacts.c.created_at.desc(), users.c.id.desc())
    elif sort == "name":
        order = (users.c.username_key.asc(), users.c.id.asc())
    else:
        raise ValueError(f"unknown contact sort {sort!r}")
    query = (
        sa.select(
            *person_columns(),
            contacts.c.is_friend,
            contacts.c.is_family,
            contacts.c.created_at.label("listed_at"),
        )
        .select_from(joined)
        .where(*where)
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return total, list((await conn.execute(query)).mappings())
