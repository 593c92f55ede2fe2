"""Login sessions: a random token in the browser's cookie, only its SHA-256 here.

The token has 256 random bits, so it needs no signature and no slow hash: a plain
SHA-256 already makes a copy of this table useless for logging in, and looking a session
up stays one primary-key read. Logging out deletes the row, so a copied cookie dies with
it on the server side, not only in the browser.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.store.db import utcnow
from photohub.store.schema import user_sessions, users

SESSION_DAYS = 30
SESSION_LIFETIME = timedelta(days=SESSION_DAYS)
_TOKEN_BYTES = 32
# token_urlsafe(32) is 43 characters; anything else in a cookie is not one of ours.
_TOKEN_LENGTH = 43


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed(token: str) -> bool:
    return len(token) == _TOKEN_LENGTH and all(
        ch.isascii() and (ch.isalnum() or ch in "-_") for ch in token
    )


async def create(conn: AsyncConnection, user_id: int, *, now: datetime | None = None) -> str:
    """Open a session for ``user_id``; returns the token for the cookie (never stored).
    The account's expired sessions are swept on the way."""
    now = now or utcnow()
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    await conn.execute(
        user_sessions.delete().where(
            user_sessions.c.user_id == user_id, user_sessions.c.expires_at <= now
        )
    )
    await conn.execute(
        user_sessions.insert().values(
            token_hash=token_hash(token),
            user_id=user_id,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    return token


async def user_for(
    conn: AsyncConnection, token: str, *, now: datetime | None = None
) -> RowMapping | None:
    """The account a live session token belongs to; None when unknown or expired."""
    if not well_formed(token):
        return None
    query = (
        sa.select(users)
        .join(user_sessions, user_sessions.c.user_id == users.c.id)
        .where(
            user_sessions.c.token_hash == token_hash(token),
            user_sessions.c.expires_at > (now or utcnow()),
        )
    )
    return (await conn.execute(query)).mappings().first()


async def delete(conn: AsyncConnection, token: str) -> None:
    if well_formed(token):
        await conn.execute(
            user_sessions.delete().where(user_sessions.c.token_hash == token_hash(token))
        )


async def delete_for_user(conn: AsyncConnection, user_id: int) -> int:
    """End every session of an account (e.g. after its password changed)."""
    result = await conn.execute(user_sessions.delete().where(user_sessions.c.user_id == user_id))
    return int(result.rowcount)


async def purge_expired(conn: AsyncConnection, *, now: datetime | None = None) -> int:
    result = await conn.execute(
        user_sessions.delete().where(user_sessions.c.expires_at <= (now or utcnow()))
    )
    return int(result.rowcount)


async def count_for_user(conn: AsyncConnection, user_id: int) -> int:
    query = sa.select(sa.func.count()).where(user_sessions.c.user_id == user_id)
    return int(await conn.scalar(query) or 0)
