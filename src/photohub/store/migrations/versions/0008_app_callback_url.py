"""app callback URL: the OAuth callback an app registers

``apps.callback_url`` is the callback URL an app registered at ``/services/apps`` (NULL:
none). An app's own scheme (``com.example.frame:/done``) is accepted as an
``oauth_callback`` only when registered, and an app that registered a callback URL gets
tokens only there (or ``oob``), as on Twitter and Flickr.

Revision ID: 0008
Revises: 0007
Create Date: 2027-01-10 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("apps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("callback_url", sa.String(length=2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("apps", schema=None) as batch_op:
        batch_op.drop_column("callback_url")
