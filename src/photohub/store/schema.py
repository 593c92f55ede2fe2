"""The SQLAlchemy Core schema. Alembic migrations in ``store/migrations`` create it."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite needs INTEGER PRIMARY KEY for rowid aliasing (monotonic, autoincrement);
# PostgreSQL gets a BIGINT identity.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Timestamps are naive UTC everywhere (SQLite compares them as text).
Stamp = sa.DateTime()

guests = sa.Table(
    "guests",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(80), nullable=False, server_default=""),
    sa.Column("created_at", Stamp, nullable=False),
)

photos = sa.Table(
    "photos",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("secret", sa.String(32), nullable=False),
    sa.Column("guest_id", sa.String(32), sa.ForeignKey("guests.id"), nullable=True, index=True),
    sa.Column("title", sa.String(200), nullable=False, server_default=""),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    # processing -> ready (renditions exist) or failed
    sa.Column("state", sa.String(16), nullable=False, server_default="processing"),
    sa.Column("approved", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("format", sa.String(8), nullable=False),
    sa.Column("ext", sa.String(8), nullable=False),
    sa.Column("bytes", sa.BigInteger, nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("taken_at", sa.DateTime, nullable=True),
    sa.Column("latitude", sa.Float, nullable=True),
    sa.Column("longitude", sa.Float, nullable=True),
    # Geo visibility: private until the owner says otherwise (guest uploads).
    sa.Column("geo_public", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("renditions", sa.JSON, nullable=False, server_default="[]"),
    sa.Column("created_at", Stamp, nullable=False),
    sa.Column("updated_at", Stamp, nullable=False),
    sa.Index("ix_photos_wall", "state", "approved", "id"),
    sqlite_autoincrement=True,
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(40), nullable=False),
    # Who may see it: "public", "admin", or "guest:<id>" (the owner; admins see all).
    sa.Column("audience", sa.String(48), nullable=False),
    sa.Column("photo_id", sa.BigInteger, nullable=True),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("created_at", Stamp, nullable=False),
    sqlite_autoincrement=True,  # ids are never reused: clients resume from them
)

tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("args", sa.JSON, nullable=False),
    # A canonical JSON text of args: the dedupe key together with name.
    sa.Column("args_key", sa.Text, nullable=False),
    # pending -> running -> (deleted when done) | pending again (retry) | failed
    sa.Column("status", sa.String(12), nullable=False, server_default="pending"),
    sa.Column("run_at", Stamp, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("max_attempts", sa.Integer, nullable=False, server_default="5"),
    sa.Column("locked_until", Stamp, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", Stamp, nullable=False),
    sa.Index("ix_tasks_due", "status", "run_at"),
    # Flickr's olt::insert: a second insert of a pending (name, args) is a no-op.
    sa.Index(
        "uq_tasks_pending",
        "name",
        "args_key",
        unique=True,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    ),
)

site_settings = sa.Table(
    "site_settings",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
)
