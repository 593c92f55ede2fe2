"""Shared fixtures: settings per test, real PostgreSQL and Redis behind markers."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from photohub.config import Settings
from photohub.site import Site
from tests.services import PG_ADMIN_URL, REDIS_URL, need
from tests.waiting import bounded
from tests.watchdog import Watchdog


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(Watchdog(config), "photohub-watchdog")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=30)
    try:
        await conn.execute(sql, timeout=60)
    finally:
        await conn.close()


def _database_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


async def _migrate(url: str) -> None:
    from photohub.store.db import Database

    db = Database(Settings(database_url=url).db_url)
    try:
        await db.migrate()
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A database migrated once per test session, copied for each test (a copy costs a
    fraction of running the migrations again); dropped at the end."""
    need("PostgreSQL", PG_ADMIN_URL, 5432)
    name = "photohub_tpl_" + secrets.token_hex(6)
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        asyncio.run(_migrate(_database_url(name)))
        yield name
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def postgres_url(postgres_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database for this test (migrated: a copy of the session's
    template, with no rows of any test), dropped afterwards."""
    name = "photohub_t_" + secrets.token_hex(6)
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"'))
    yield _database_url(name)
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def redis_url() -> str:
    need("Redis", REDIS_URL, 6379)
    return REDIS_URL


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Settings:
    """Settings for one test: its own data dir and database (SQLite or PostgreSQL)."""
    database_url = ""
    if backend == "postgres":
        database_url = str(request.getfixturevalue("postgres_url"))
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        admin_token="test-admin-token",
        task_poll_interval=0.05,
        event_poll_interval=0.2,
        rendition_sizes=(256, 1024),
    )


@pytest.fixture
async def site(settings: Settings) -> AsyncIterator[Site]:
    """A started site. Its task runner is not running: tests call ``run_due()``."""
    site = Site(settings)
    await site.start(run_tasks=False)
    try:
        yield site
    finally:
        await bounded(site.close(), 30, "the site to close")


@pytest.fixture
async def client(site: Site) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process HTTP client on the app of ``site``."""
    from photohub.app import create_app

    app = create_app(site=site, manage_site=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
