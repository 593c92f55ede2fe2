"""The migrations build exactly the schema the code declares (on SQLite and
PostgreSQL): a site migrated from nothing has every table, column and index of
``store.schema.metadata``, and nothing else."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from photohub.site import Site
from photohub.store import push_schema  # noqa: F401  (its tables join the metadata)
from photohub.store.schema import metadata

pytestmark = pytest.mark.anyio


def _differences(connection: sa.Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return list(compare_metadata(context, metadata))


async def test_the_migrated_schema_is_the_declared_one(site: Site) -> None:
    async with site.db.read() as conn:
        differences = await conn.run_sync(_differences)
    assert differences == []


async def test_claims_read_due_queues_in_order_from_an_index(site: Site) -> None:
    if site.db.is_postgres:
        pytest.skip("the plan checked is SQLite's (PostgreSQL plans by statistics)")
    async with site.db.read() as conn:
        plan = await conn.execute(
            sa.text(
                "EXPLAIN QUERY PLAN SELECT id FROM push_subscriptions "
                "WHERE due_at <= :now AND state = 'active' ORDER BY due_at LIMIT 64"
            ),
            {"now": "2026-12-01 00:00:00"},
        )
        steps = " | ".join(str(row[-1]) for row in plan)
    assert "ix_push_subscriptions_state_due" in steps
    assert "TEMP B-TREE" not in steps  # no sort of every active subscription
