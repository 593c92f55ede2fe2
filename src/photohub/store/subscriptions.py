"""Push subscriptions (``push_subscriptions``): one row per (topic, callback).

A row is keyed by the sha256 of its canonical topic URL and of its callback, so the
unique index stays small however long the URLs are. Rows start ``pending`` and become
``active`` once the callback has echoed a challenge; unsubscribing deletes the row."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.domain.topics import Topic, topic_url
from photohub.domain.verification import lease_expiry
from photohub.domain.websub import Dialect
from photohub.store.db import utcnow
from photohub.store.schema import push_subscriptions as subs


def url_key(url: str) -> str:
    """The sha256 hex of a topic URL or callback, as the table keys them."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def topic_args(topic: Topic) -> dict[str, Any]:
    """The topic's arguments as JSON (lists for tuples, None left out)."""
    values = asdict(topic)
    return {
        k: list(v) if isinstance(v, tuple) else v for k, v in values.items() if v not in (None, ())
    }


async def save(
    conn: AsyncConnection,
    *,
    user_id: int | None,
    dialect: Dialect,
    topic: Topic,
    callback: str,
    lease_seconds: int,
    auto_renew: bool = False,
    verify_token: str | None = None,
    secret: str | None = None,
) -> int | None:
    """Create the (topic, callback) subscription as ``pending``, replacing the same
    owner's row with the same topic and callback (a re-subscription starts over).
    Returns its id, or None when another owner holds that topic and callback."""
    url = topic_url(topic)
    topic_key, callback_key = url_key(url), url_key(callback)
    same = sa.and_(subs.c.topic_key == topic_key, subs.c.callback_key == callback_key)
    holder = (await conn.execute(sa.select(subs.c.user_id).where(same))).first()
    if holder is not None and holder.user_id != user_id:
        return None
    await conn.execute(subs.delete().where(same))
    result = await conn.execute(
        subs.insert().values(
            user_id=user_id,
            dialect=dialect,
            topic=url,
            topic_name=topic.name,
            topic_args=topic_args(topic),
            callback=callback,
            topic_key=topic_key,
            callback_key=callback_key,
            secret=secret,
            verify_token=verify_token,
            lease_seconds=lease_seconds,
            auto_renew=auto_renew,
            state="pending",
            created_at=utcnow(),
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


async def get(conn: AsyncConnection, subscription_id: int) -> RowMapping | None:
    result = await conn.execute(sa.select(subs).where(subs.c.id == subscription_id))
    return result.mappings().first()


async def by_callback(conn: AsyncConnection, user_id: int, callback: str) -> RowMapping | None:
    """The user's subscription with this callback (Flickr: a callback is unique per user)."""
    query = sa.select(subs).where(
        subs.c.user_id == user_id, subs.c.callback_key == url_key(callback)
    )
    return (await conn.execute(query.order_by(subs.c.id))).mappings().first()


async def of_user(conn: AsyncConnection, user_id: int) -> list[RowMapping]:
    """The user's subscriptions, oldest first."""
    query = sa.select(subs).where(subs.c.user_id == user_id).order_by(subs.c.id)
    return list((await conn.execute(query)).mappings())


async def delete(conn: AsyncConnection, subscription_id: int) -> bool:
    result = await conn.execute(subs.delete().where(subs.c.id == subscription_id))
    return int(result.rowcount) > 0


async def mark_verified(conn: AsyncConnection, subscription_id: int, verified_at: datetime) -> bool:
    """Make the subscription active, its lease counted from ``verified_at`` (the moment
    the verification GET was sent, WebSub §5.3). False when it no longer exists."""
    row = await get(conn, subscription_id)
    if row is None:
        return False
    await conn.execute(
        subs.update()
        .where(subs.c.id == subscription_id)
        .values(
            state="active",
            verified_at=verified_at,
            expires_at=lease_expiry(verified_at, int(row["lease_seconds"])),
            verify_attempts=subs.c.verify_attempts + 1,
            last_verify_error=None,
        )
    )
    return True


async def record_failure(conn: AsyncConnection, subscription_id: int, reason: str) -> None:
    """Count a failed verification and keep why, for getSubscriptions and the admin page."""
    await conn.execute(
        subs.update()
        .where(subs.c.id == subscription_id)
        .values(verify_attempts=subs.c.verify_attempts + 1, last_verify_error=reason[:1000])
    )
