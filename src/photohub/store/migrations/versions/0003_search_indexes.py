"""search indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 08:28:15.326231
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.create_index("ix_photos_created", ["created_at", "id"], unique=False)
        batch_op.create_index("ix_photos_point", ["latitude", "longitude"], unique=False)
        batch_op.create_index("ix_photos_taken", ["taken_at"], unique=False)
        batch_op.create_index("ix_photos_user_created", ["user_id", "created_at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_index("ix_photos_user_created")
        batch_op.drop_index("ix_photos_taken")
        batch_op.drop_index("ix_photos_point")
        batch_op.drop_index("ix_photos_created")
