"""push entry identity: one entry per change, fan-outs remembered

A ``push_photo`` task retried after its transaction committed (a worker killed before it
recorded the task done, a Redis outage after the commit) rendered the change again as a
new entry, and every copy was delivered. ``push_entries.change`` names the change an
entry renders (the photo, its newest event, the entry's kind), unique, so a second run
finds the entry instead of adding one. ``pushed_at`` records when a journalled fan-out
reached Redis; ``targets`` is now kept, so the stale sweep can tell which subscribers a
newer entry of the same photo supersedes. ``ix_events_photo`` finds a photo's newest
event; ``ix_push_entries_photo`` a photo's newer entries.

Revision ID: 0007
Revises: 0006
Create Date: 2027-01-10 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("push_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("change", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("pushed_at", sa.DateTime(), nullable=True))
        batch_op.create_index("uq_push_entries_change", ["change"], unique=True)
        batch_op.create_index("ix_push_entries_photo", ["photo_id", "id"], unique=False)
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_photo", ["photo_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_photo")
    with op.batch_alter_table("push_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_push_entries_photo")
        batch_op.drop_index("uq_push_entries_change")
        batch_op.drop_column("pushed_at")
        batch_op.drop_column("change")
