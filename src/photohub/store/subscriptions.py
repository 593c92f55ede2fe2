"""Push subscriptions (``push_subscriptions``): one row per (topic, callback).

A row is keyed by the sha256 of its canonical topic URL and of its callback, so the
unique index stays small however long the URLs are. Rows start ``pending`` and become
``active`` once the callback has echoed a challenge; unsubscribing deletes the row.

States: ``pending`` -> ``active`` -> ``expired`` (the lease ended, WebSub §5.3.1 "Hubs
MUST enforce lease expirations") or ``denied`` (the hub refused or ended it, §5.2).
Only ``active`` rows receive deliveries. A re-subscription keeps an active row as it is
(same id, so its delivery queue survives) until it is verified: then :func:`renew`
applies its lease and secret (WebSub §5.1). Ended rows are kept for a while so that
getSubscriptions and the admin page can show them, then :func:`delete_ended` removes
them."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.domain.push_match import topic_keys
from photohub.domain.topics import Topic, topic_url
from photohub.domain.verification import lease_expiry
from photohub.domain.websub import Dialect
from photohub.places.ids import decode_place_id
from photohub.store import push_index
from photohub.store.db import utcnow
from photohub.store.push_schema import push_subscriptions as subs
from photohub.store.schema import users


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
    """Create the (topic, callback) subscription as ``pending`` and return its id, or
    None when another owner holds that topic and callback.

    The same owner's row with this topic and callback: when ``active`` it is left as it
    is and its id returned (a re-subscription takes effect once verified, through
    :func:`renew`, so the row and its delivery queue survive); when pending, expired or
    denied it is replaced (a new row, a new id)."""
    url = topic_url(topic)
    topic_key, callback_key = url_key(url), url_key(callback)
    same = sa.and_(subs.c.topic_key == topic_key, subs.c.callback_key == callback_key)
    query = sa.select(subs.c.id, subs.c.user_id, subs.c.state).where(same)
    holder = (await conn.execute(query)).first()
    if holder is not None and holder.user_id != user_id:
        return None
    if holder is not None and holder.state == "active":
        return int(holder.id)
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
    subscription_id = int(key[0])
    # Matching finds it through its topic's keys once it is active (domain.push_match).
    await push_index.put(conn, subscription_id, topic_keys(topic, decode_place_id))
    return subscription_id


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


# States (see the module docstring).
LIVE_STATES = ("pending", "active")
ENDED_STATES = ("expired", "denied")
# How a failed renewal of an auto-renewing subscription is recorded in
# last_verify_error: the lease sweep does not start another renewal of such a row
# (the verification task's own retries were its chance), so it lapses.
RENEWAL_FAILED = "renewal: "


async def by_topic_callback(
    conn: AsyncConnection, topic: Topic | str, callback: str
) -> RowMapping | None:
    """The subscription of this topic (a Topic or its canonical URL) and this exact
    callback: the key of a ``POST /hub`` subscription (WebSub §8.3)."""
    url = topic_url(topic) if isinstance(topic, Topic) else topic
    query = sa.select(subs).where(
        subs.c.topic_key == url_key(url), subs.c.callback_key == url_key(callback)
    )
    return (await conn.execute(query)).mappings().first()


async def renew(
    conn: AsyncConnection,
    subscription_id: int,
    *,
    lease_seconds: int,
    verified_at: datetime,
    secret: str | None,
    verify_token: str | None,
    dialect: Dialect | None = None,
    auto_renew: bool | None = None,
) -> bool:
    """Apply a verified re-subscription (or the hub's own renewal) to an ``active`` row:
    the new lease counted from ``verified_at``, the new secret and token, the row and
    its id (so its index and delivery queue) unchanged. False when the row is gone or no
    longer active (it lapsed or was replaced meanwhile)."""
    values: dict[str, Any] = {
        "lease_seconds": lease_seconds,
        "secret": secret,
        "verify_token": verify_token,
        "verified_at": verified_at,
        "expires_at": lease_expiry(verified_at, lease_seconds),
        "verify_attempts": subs.c.verify_attempts + 1,
        "last_verify_error": None,
    }
    if dialect is not None:
        values["dialect"] = dialect
    if auto_renew is not None:
        values["auto_renew"] = auto_renew
    result = await conn.execute(
        subs.update().where(subs.c.id == subscription_id, subs.c.state == "active").values(**values)
    )
    return int(result.rowcount) > 0


async def deny(conn: AsyncConnection, subscription_id: int, reason: str, at: datetime) -> bool:
    """The hub refuses (or ends) the subscription: state ``denied``, why in
    last_verify_error, ``expires_at`` set to ``at`` (from when its row is kept)."""
    result = await conn.execute(
        subs.update()
        .where(subs.c.id == subscription_id)
        .values(state="denied", expires_at=at, last_verify_error=reason[:1000])
    )
    return int(result.rowcount) > 0


async def expire_lapsed(conn: AsyncConnection, now: datetime) -> int:
    """Mark every active subscription whose lease has ended as ``expired`` (WebSub
    §5.3.1); returns how many."""
    result = await conn.execute(
        subs.update()
        .where(subs.c.state == "active", subs.c.expires_at <= now)
        .values(state="expired")
    )
    return int(result.rowcount)


async def delete_ended(conn: AsyncConnection, before: datetime) -> int:
    """Delete expired and denied rows that ended before ``before``, and pending rows
    created before it (their verification gave up long ago); returns how many."""
    ended = sa.and_(subs.c.state.in_(ENDED_STATES), subs.c.expires_at < before)
    stale = sa.and_(subs.c.state == "pending", subs.c.created_at < before)
    result = await conn.execute(subs.delete().where(sa.or_(ended, stale)))
    return int(result.rowcount)


async def renewals_due(conn: AsyncConnection, now: datetime, fraction: float) -> list[RowMapping]:
    """Active auto-renewing subscriptions ``fraction`` or more of the way through their
    lease (domain.verification.renewal_due_at: verified_at + fraction * lease, that is
    expires_at - (1 - fraction) * lease <= now), except those whose last renewal failed
    (:data:`RENEWAL_FAILED`). One indexed range per distinct lease length."""
    renewing = sa.and_(
        subs.c.state == "active",
        subs.c.auto_renew.is_(True),
        sa.or_(
            subs.c.last_verify_error.is_(None),
            sa.not_(subs.c.last_verify_error.startswith(RENEWAL_FAILED, autoescape=True)),
        ),
    )
    leases = list(
        (await conn.execute(sa.select(subs.c.lease_seconds).where(renewing).distinct())).scalars()
    )
    found: list[RowMapping] = []
    for lease in sorted(leases):
        horizon = now + timedelta(seconds=int(lease) * (1.0 - fraction))
        query = (
            sa.select(subs)
            .where(renewing, subs.c.lease_seconds == lease, subs.c.expires_at <= horizon)
            .order_by(subs.c.expires_at)
        )
        found.extend((await conn.execute(query)).mappings())
    return found


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def count_for_host(
    conn: AsyncConnection,
    host: str,
    *,
    states: tuple[str, ...] = LIVE_STATES,
    exclude: int | None = None,
) -> int:
    """How many subscriptions in ``states`` have a callback on ``host`` (a lower-case
    host name or IP address as urlsplit's ``hostname`` gives it), any scheme and port.
    Callbacks never carry ``user@`` (domain.callbacks), so the host follows ``://``."""
    netloc = f"[{host}]" if ":" in host else host
    callback = sa.func.lower(subs.c.callback)
    forms = []
    for scheme in ("http", "https"):
        start = f"{scheme}://{netloc}"
        forms.append(callback == start)
        forms.extend(callback.like(_like_escaped(start + end) + "%", escape="\\") for end in "/:?")
    query = (
        sa.select(sa.func.count()).select_from(subs).where(subs.c.state.in_(states), sa.or_(*forms))
    )
    if exclude is not None:
        query = query.where(subs.c.id != exclude)
    return int(await conn.scalar(query) or 0)


STATES = ("pending", "active", "expired", "denied", "gone")


async def listing(
    conn: AsyncConnection, *, state: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[RowMapping], int]:
    """Every subscription for the admin page, newest first, with its owner's username
    (None for /hub subscribers and the firehose), and how many there are in all."""
    where = [] if state is None else [subs.c.state == state]
    total = await conn.scalar(sa.select(sa.func.count()).select_from(subs).where(*where))
    query = (
        sa.select(subs, users.c.username)
        .select_from(subs.outerjoin(users, users.c.id == subs.c.user_id))
        .where(*where)
        .order_by(subs.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list((await conn.execute(query)).mappings()), int(total or 0)
