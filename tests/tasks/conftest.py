"""The task table's tests share a migrated database (its rows: tests.tasks.rows)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from photohub.config import Settings
from photohub.store.db import Database


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.db_url)
    await database.migrate()
    yield database
    await database.dispose()
