"""search indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 09:18:43.591327
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_photos_place_city"))
        batch_op.drop_index(batch_op.f("ix_photos_place_country"))
        batch_op.drop_index(batch_op.f("ix_photos_place_region"))
        batch_op.create_index("ix_photos_created", ["created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_photos_in_city",
            [
                "place_city",
                "id",
                "visibility",
                "state",
                "approved",
                "hidden",
                "safety_level",
                "geo_perm",
                "latitude",
                "user_id",
            ],
            unique=False,
        )
        batch_op.create_index(
            "ix_photos_in_country",
            [
                "place_country",
                "id",
                "visibility",
                "state",
                "approved",
                "hidden",
                "safety_level",
                "geo_perm",
                "latitude",
                "user_id",
            ],
            unique=False,
        )
        batch_op.create_index(
            "ix_photos_in_region",
            [
                "place_region",
                "id",
                "visibility",
                "state",
                "approved",
                "hidden",
                "safety_level",
                "geo_perm",
                "latitude",
                "user_id",
            ],
            unique=False,
        )
        batch_op.create_index(
            "ix_photos_listed",
            [
                "id",
                "visibility",
                "state",
                "approved",
                "hidden",
                "safety_level",
                "geo_perm",
                "latitude",
                "user_id",
            ],
            unique=False,
        )
        batch_op.create_index(
            "ix_photos_point",
            [
                "latitude",
                "longitude",
                "visibility",
                "state",
                "approved",
                "hidden",
                "safety_level",
                "geo_perm",
                "user_id",
            ],
            unique=False,
        )
        batch_op.create_index("ix_photos_taken", ["taken_at"], unique=False)
        batch_op.create_index("ix_photos_user_created", ["user_id", "created_at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_index("ix_photos_user_created")
        batch_op.drop_index("ix_photos_taken")
        batch_op.drop_index("ix_photos_point")
        batch_op.drop_index("ix_photos_listed")
        batch_op.drop_index("ix_photos_in_region")
        batch_op.drop_index("ix_photos_in_country")
        batch_op.drop_index("ix_photos_in_city")
        batch_op.drop_index("ix_photos_created")
        batch_op.create_index(batch_op.f("ix_photos_place_region"), ["place_region"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_photos_place_country"), ["place_country"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_photos_place_city"), ["place_city"], unique=False)
