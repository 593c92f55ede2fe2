"""push claim index: due queues by (state, due_at)

A claim asks for ``state = 'active' AND due_at <= now ORDER BY due_at LIMIT n``. With
``due_at`` alone indexed, SQLite planned it from ``(state, expires_at)`` and sorted every
active subscription per claim; ``(state, due_at)`` answers it with one range scan, in
order.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 15:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_push_subscriptions_due_at", table_name="push_subscriptions")
    op.create_index(
        "ix_push_subscriptions_state_due", "push_subscriptions", ["state", "due_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_push_subscriptions_state_due", table_name="push_subscriptions")
    op.create_index("ix_push_subscriptions_due_at", "push_subscriptions", ["due_at"], unique=False)
