"""Login sessions (store/sessions.py) on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from photohub.site import Site
from photohub.store import sessions, users
from photohub.store.db import utcnow
from photohub.store.schema import user_sessions
from photohub.store.schema import users as users_table

pytestmark = pytest.mark.anyio


async def _account(site: Site, username: str = "Ana") -> int:
    async with site.db.write() as conn:
        row = await users.create(conn, username=username, password_hash="x")
    return int(row["id"])


async def test_a_session_finds_its_account_by_the_token_s_hash(site: Site) -> None:
    ana = await _account(site)
    async with site.db.write() as conn:
        token = await sessions.create(conn, ana)
    assert sessions.well_formed(token)
    async with site.db.read() as conn:
        row = (await conn.execute(sa.select(user_sessions))).mappings().one()
        user = await sessions.user_for(conn, token)
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest() != token
    assert row["expires_at"] - row["created_at"] == timedelta(days=sessions.SESSION_DAYS)
    assert user is not None and user["id"] == ana


async def test_unknown_malformed_and_expired_tokens_find_nobody(site: Site) -> None:
    ana = await _account(site)
    now = utcnow()
    async with site.db.write() as conn:
        token = await sessions.create(conn, ana, now=now - timedelta(days=31))
    async with site.db.read() as conn:
        assert await sessions.user_for(conn, token) is None  # expired
        assert await sessions.user_for(conn, token, now=now - timedelta(days=2)) is not None
        for bad in ("", "x", "a" * 43 + "b", "é" * 43, token[:-1] + "!", "' OR 1=1 --" * 4):
            assert await sessions.user_for(conn, bad) is None


async def test_deleting_sessions(site: Site) -> None:
    ana, bea = await _account(site, "Ana"), await _account(site, "Bea")
    async with site.db.write() as conn:
        one, two = await sessions.create(conn, ana), await sessions.create(conn, ana)
        hers = await sessions.create(conn, bea)
        await sessions.delete(conn, one)
        await sessions.delete(conn, "not a token")
    async with site.db.read() as conn:
        assert await sessions.user_for(conn, one) is None
        assert await sessions.user_for(conn, two) is not None
        assert await sessions.count_for_user(conn, ana) == 1
    async with site.db.write() as conn:
        assert await sessions.delete_for_user(conn, ana) == 1
    async with site.db.read() as conn:
        assert await sessions.count_for_user(conn, ana) == 0
        assert await sessions.user_for(conn, hers) is not None


async def test_expired_sessions_are_swept(site: Site) -> None:
    ana = await _account(site)
    old = utcnow() - timedelta(days=40)
    async with site.db.write() as conn:
        await sessions.create(conn, ana, now=old)
        await sessions.create(conn, ana, now=old)
        await sessions.create(conn, ana)  # a new login sweeps the account's expired ones
        assert await sessions.count_for_user(conn, ana) == 1
        await sessions.create(conn, ana, now=old)
        assert await sessions.purge_expired(conn) == 1
        assert await sessions.count_for_user(conn, ana) == 1


async def test_deleting_an_account_ends_its_sessions(site: Site) -> None:
    ana = await _account(site)
    async with site.db.write() as conn:
        token = await sessions.create(conn, ana)
        await conn.execute(sa.delete(users_table).where(users_table.c.id == ana))
    async with site.db.read() as conn:
        assert await sessions.user_for(conn, token) is None
        assert await sessions.count_for_user(conn, ana) == 0
