"""The match index (``push_index``): which subscriptions wait under which key, and the
reverse-contact lookups that turn a photo's owner, people and favers into keys.
The keys themselves are ``domain.push_match``'s."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.store.push_schema import push_index, push_subscriptions
from photohub.store.schema import contacts

CHUNK = 500  # keys or ids per IN (...): well under SQLite's variable limit


def _chunks(values: Sequence[object]) -> Iterable[Sequence[object]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


async def put(conn: AsyncConnection, subscription_id: int, keys: Iterable[str]) -> None:
    """Store the subscription under exactly these keys (replacing any it had)."""
    await conn.execute(push_index.delete().where(push_index.c.subscription_id == subscription_id))
    rows = [{"key": key, "subscription_id": subscription_id} for key in sorted(set(keys))]
    if rows:
        await conn.execute(push_index.insert(), rows)


async def keys_of(conn: AsyncConnection, subscription_id: int) -> list[str]:
    query = sa.select(push_index.c.key).where(push_index.c.subscription_id == subscription_id)
    return sorted((await conn.execute(query)).scalars())


async def active_under(conn: AsyncConnection, keys: Sequence[str]) -> list[RowMapping]:
    """Active subscriptions stored under any of ``keys``, each once: id, topic (the
    canonical path), topic_name.

    The query starts from the keys (``push_index``'s primary key) and reaches each
    subscription by its id: written as a join with ``state = 'active'``, SQLite's planner
    without statistics (photohub does not ANALYZE) starts from the state index instead
    and visits every active subscription (5.6 s per event at 100,000 subscriptions)."""
    subs = push_subscriptions
    found: dict[int, RowMapping] = {}
    for chunk in _chunks(sorted(set(keys))):
        under = sa.select(push_index.c.subscription_id).where(push_index.c.key.in_(chunk))
        query = sa.select(subs.c.id, subs.c.topic, subs.c.topic_name).where(
            subs.c.id.in_(under), subs.c.state == "active"
        )
        for row in (await conn.execute(query)).mappings():
            found[int(row["id"])] = row
    return list(found.values())


async def watchers(conn: AsyncConnection, user_ids: Iterable[int]) -> list[int]:
    """Users who list any of ``user_ids`` as a contact (reverse contacts), sorted."""
    ids = sorted(set(user_ids))
    found: set[int] = set()
    for chunk in _chunks(ids):
        query = sa.select(contacts.c.user_id).where(contacts.c.contact_id.in_(chunk))
        found.update(int(u) for u in (await conn.execute(query)).scalars())
    return sorted(found)
