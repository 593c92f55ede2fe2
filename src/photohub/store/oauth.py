"""Queries on OAuth 1.0a credentials: request tokens, their verifiers, access tokens, and
the nonces that make a signed request usable once.

A request token lives an hour (RFC 5849 §2.1: temporary credentials); once its user
approves it, it carries a verifier, and trading both for an access token deletes it, so a
verifier works once. Access tokens do not expire; deleting the row revokes one.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.store.db import utcnow
from photohub.store.schema import apps, oauth_nonces, oauth_tokens

REQUEST = "request"
ACCESS = "access"
REQUEST_TOKEN_LIFETIME = timedelta(hours=1)
TOKEN_PERMS = ("read", "write", "delete")
MAX_TOKEN_LENGTH = 64  # the column's width: longer values cannot be ours


def _new_token() -> str:
    # 160 random bits, as hex: safe in URLs, headers and form bodies without escaping.
    return secrets.token_hex(20)


def _new_secret() -> str:
    return secrets.token_hex(16)


async def _insert(
    conn: AsyncConnection,
    *,
    app_id: int,
    kind: str,
    user_id: int | None = None,
    perms: str = "read",
    callback: str | None = None,
    lifetime: timedelta | None = None,
) -> RowMapping:
    now = utcnow()
    result = await conn.execute(
        oauth_tokens.insert()
        .values(
            token=_new_token(),
            secret=_new_secret(),
            app_id=app_id,
            user_id=user_id,
            kind=kind,
            perms=perms,
            callback=callback,
            created_at=now,
            expires_at=None if lifetime is None else now + lifetime,
        )
        .returning(oauth_tokens.c.id)
    )
    row = await get_by_id(conn, int(result.scalar_one()))
    assert row is not None
    return row


async def create_request_token(conn: AsyncConnection, app_id: int, callback: str) -> RowMapping:
    """A new request token for ``app_id``; ``callback`` is a URL or ``oob``."""
    return await _insert(
        conn,
        app_id=app_id,
        kind=REQUEST,
        callback=callback,
        lifetime=REQUEST_TOKEN_LIFETIME,
    )


async def create_access_token(
    conn: AsyncConnection, app_id: int, user_id: int, perms: str
) -> RowMapping:
    """An access token of ``user_id`` for ``app_id``, valid until revoked."""
    if perms not in TOKEN_PERMS:
        raise ValueError(f"unknown perms {perms!r}")
    return await _insert(conn, app_id=app_id, kind=ACCESS, user_id=user_id, perms=perms)


async def get_by_id(conn: AsyncConnection, token_id: int) -> RowMapping | None:
    query = sa.select(oauth_tokens).where(oauth_tokens.c.id == token_id)
    return (await conn.execute(query)).mappings().first()


async def get(conn: AsyncConnection, token: str) -> RowMapping | None:
    """The token row by its public value (expired or not: callers say which they need)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    query = sa.select(oauth_tokens).where(oauth_tokens.c.token == token)
    return (await conn.execute(query)).mappings().first()


def is_expired(row: RowMapping, now: datetime | None = None) -> bool:
    expires_at = row["expires_at"]
    return expires_at is not None and expires_at <= (now or utcnow())


async def authorize(conn: AsyncConnection, token_id: int, user_id: int, perms: str) -> str | None:
    """Record the user's approval of a pending request token; the verifier to hand the
    app, or None when the token is gone, expired, or already approved."""
    if perms not in TOKEN_PERMS:
        raise ValueError(f"unknown perms {perms!r}")
    verifier = secrets.token_hex(10)
    result = await conn.execute(
        oauth_tokens.update()
        .where(
            oauth_tokens.c.id == token_id,
            oauth_tokens.c.kind == REQUEST,
            oauth_tokens.c.user_id.is_(None),
            oauth_tokens.c.expires_at > utcnow(),
        )
        .values(user_id=user_id, perms=perms, verifier=verifier)
    )
    return verifier if result.rowcount == 1 else None


async def exchange(conn: AsyncConnection, request_token: RowMapping) -> RowMapping | None:
    """Trade an approved request token for an access token. The request token is deleted
    in the same transaction, so of two concurrent exchanges only one gets a token."""
    deleted = await conn.execute(
        oauth_tokens.delete().where(
            oauth_tokens.c.id == request_token["id"],
            oauth_tokens.c.kind == REQUEST,
            oauth_tokens.c.user_id.is_not(None),
            oauth_tokens.c.verifier.is_not(None),
        )
    )
    if deleted.rowcount != 1:
        return None
    return await create_access_token(
        conn,
        int(request_token["app_id"]),
        int(request_token["user_id"]),
        str(request_token["perms"]),
    )


async def delete(conn: AsyncConnection, token_id: int) -> bool:
    """Delete a token (a denied request token, or a revoked access token)."""
    result = await conn.execute(oauth_tokens.delete().where(oauth_tokens.c.id == token_id))
    return bool(result.rowcount)


async def grants_of_user(conn: AsyncConnection, user_id: int) -> list[RowMapping]:
    """The access tokens a user has granted, newest first, each with its app's
    ``app_name`` (the token's secret is not selected)."""
    query = (
        sa.select(
            oauth_tokens.c.id,
            oauth_tokens.c.token,
            oauth_tokens.c.perms,
            oauth_tokens.c.created_at,
            oauth_tokens.c.app_id,
            apps.c.name.label("app_name"),
        )
        .join(apps, apps.c.id == oauth_tokens.c.app_id)
        .where(oauth_tokens.c.user_id == user_id, oauth_tokens.c.kind == ACCESS)
        .order_by(oauth_tokens.c.id.desc())
    )
    return list((await conn.execute(query)).mappings())


async def revoke(conn: AsyncConnection, token_id: int, user_id: int) -> bool:
    """Delete one of ``user_id``'s access tokens; False if it is not theirs (or gone)."""
    result = await conn.execute(
        oauth_tokens.delete().where(
            oauth_tokens.c.id == token_id,
            oauth_tokens.c.user_id == user_id,
            oauth_tokens.c.kind == ACCESS,
        )
    )
    return bool(result.rowcount)


async def prune_request_tokens(conn: AsyncConnection, now: datetime | None = None) -> int:
    """Delete expired request tokens (approved or not); the number deleted."""
    result = await conn.execute(
        oauth_tokens.delete().where(
            oauth_tokens.c.kind == REQUEST, oauth_tokens.c.expires_at <= (now or utcnow())
        )
    )
    return int(result.rowcount)


async def remember_nonce(conn: AsyncConnection, api_key: str, nonce: str, timestamp: int) -> bool:
    """Record one use of (consumer key, nonce, timestamp); False if it was used before
    (RFC 5849 §3.3: a replayed request). Uses INSERT ... ON CONFLICT DO NOTHING, so a
    replay does not abort the transaction on PostgreSQL."""
    values = {"api_key": api_key, "nonce": nonce, "timestamp": timestamp, "created_at": utcnow()}
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(oauth_nonces).values(**values).on_conflict_do_nothing()
    result = await conn.execute(statement)
    return result.rowcount == 1


async def prune_nonces(conn: AsyncConnection, before: datetime) -> int:
    """Forget nonces recorded before ``before``; the number deleted."""
    result = await conn.execute(oauth_nonces.delete().where(oauth_nonces.c.created_at < before))
    return int(result.rowcount)
