"""push subscriptions

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:43:00.405760
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "push_subscriptions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("dialect", sa.String(length=20), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("topic_name", sa.String(length=32), nullable=False),
        sa.Column("topic_args", sa.JSON(), nullable=False),
        sa.Column("callback", sa.Text(), nullable=False),
        sa.Column("topic_key", sa.String(length=64), nullable=False),
        sa.Column("callback_key", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=True),
        sa.Column("verify_token", sa.String(length=200), nullable=True),
        sa.Column("lease_seconds", sa.Integer(), nullable=False),
        sa.Column("auto_renew", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("state", sa.String(length=12), server_default="pending", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("verified_at", sa.DateTime(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("verify_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_verify_error", sa.Text(), nullable=True),
        sa.Column("last_success_at", sa.DateTime(), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(), nullable=True),
        sa.Column("last_failure", sa.Text(), nullable=True),
        sa.Column("delivery_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_push_subscriptions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscriptions")),
        sa.UniqueConstraint(
            "topic_key", "callback_key", name="uq_push_subscriptions_topic_callback"
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("push_subscriptions", schema=None) as batch_op:
        batch_op.create_index("ix_push_subscriptions_due", ["state", "expires_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_push_subscriptions_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("push_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_push_subscriptions_user_id"))
        batch_op.drop_index("ix_push_subscriptions_due")

    op.drop_table("push_subscriptions")
