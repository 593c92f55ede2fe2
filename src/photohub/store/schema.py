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

# The columns store/visibility.py and the search filters test on every listed photo.
LISTED_BY = (
    "visibility",
    "state",
    "approved",
    "hidden",
    "safety_level",
    "geo_perm",
    "latitude",  # LISTED_BY[6]: the point index has it first
    "user_id",
)

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
    # The account that owns it; NULL for a guest's photo not (yet) claimed by an account.
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id"), nullable=True, index=True),
    # domain.privacy: public, contacts, friends, family, friends_family, private.
    sa.Column("visibility", sa.String(16), nullable=False, server_default="public"),
    # Flickr: safety 1 safe, 2 moderate, 3 restricted; content 1 photo, 2 screenshot, 3 other;
    # hidden = kept out of public searches.
    sa.Column("safety_level", sa.SmallInteger, nullable=False, server_default="1"),
    sa.Column("content_type", sa.SmallInteger, nullable=False, server_default="1"),
    sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("views", sa.BigInteger, nullable=False, server_default="0"),
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
    # Flickr's accuracy: 1 (world) .. 16 (street).
    sa.Column("accuracy", sa.SmallInteger, nullable=True),
    # Geo permission (domain.privacy GEO_*): 1 public .. 6 private; guest uploads private.
    sa.Column("geo_perm", sa.SmallInteger, nullable=False, server_default="6"),
    # Gazetteer ids of the geotag's places (photohub.places), for place_id/woe_id search.
    sa.Column("place_city", sa.BigInteger, nullable=True),
    sa.Column("place_region", sa.BigInteger, nullable=True),
    sa.Column("place_country", sa.BigInteger, nullable=True),
    sa.Column("renditions", sa.JSON, nullable=False, server_default="[]"),
    sa.Column("created_at", Stamp, nullable=False),
    sa.Column("updated_at", Stamp, nullable=False),
    sa.Index("ix_photos_wall", "state", "approved", "id"),
    # Searches. The privacy condition of every listing reads LISTED_BY; these indexes hold
    # those columns, so counting and choosing a page never read whole rows (search
    # benchmark: tags p50 29 -> 19 ms, bbox 58 -> 12 ms, place 36 -> 8 ms at 1M photos).
    sa.Index("ix_photos_listed", "id", *LISTED_BY),
    sa.Index("ix_photos_point", "latitude", "longitude", *LISTED_BY[:6], "user_id"),
    sa.Index("ix_photos_in_city", "place_city", "id", *LISTED_BY),
    sa.Index("ix_photos_in_region", "place_region", "id", *LISTED_BY),
    sa.Index("ix_photos_in_country", "place_country", "id", *LISTED_BY),
    sa.Index("ix_photos_created", "created_at", "id"),
    sa.Index("ix_photos_user_created", "user_id", "created_at"),
    sa.Index("ix_photos_taken", "taken_at"),
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
    sa.Index("ix_events_photo", "photo_id", "id"),  # a photo's newest change (push)
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

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    # Flickr-style user id, e.g. "10000001@N01"; the only id the API shows.
    sa.Column("nsid", sa.String(24), nullable=False, unique=True),
    sa.Column("username", sa.String(64), nullable=False),
    # lower-cased username: unique whatever the case typed.
    sa.Column("username_key", sa.String(64), nullable=False, unique=True),
    sa.Column("realname", sa.String(100), nullable=False, server_default=""),
    sa.Column("password_hash", sa.String(255), nullable=False),
    # File name of the buddy icon under media/icons, or NULL for the default one.
    sa.Column("buddyicon", sa.String(80), nullable=True),
    sa.Column("is_institution", sa.Boolean, nullable=False, server_default=sa.false()),
    # Owners may keep their photos out of push feeds and of the API.
    sa.Column("push_opt_out", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("api_opt_out", sa.Boolean, nullable=False, server_default=sa.false()),
    # Default geo permission of new geotags (domain.privacy GEO_*).
    sa.Column("default_geo_perm", sa.SmallInteger, nullable=False, server_default="6"),
    # The guest identity this account claimed at sign-up (its photos became the account's).
    sa.Column("guest_id", sa.String(32), nullable=True, unique=True),
    sa.Column("created_at", Stamp, nullable=False),
    sqlite_autoincrement=True,
)

user_sessions = sa.Table(
    "user_sessions",
    metadata,
    # sha256 of the cookie's random token: a stolen database holds no live session.
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column(
        "user_id",
        sa.BigInteger,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    sa.Column("created_at", Stamp, nullable=False),
    sa.Column("expires_at", Stamp, nullable=False),
)

apps = sa.Table(
    "apps",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("api_key", sa.String(32), nullable=False, unique=True),
    sa.Column("secret", sa.String(32), nullable=False),
    sa.Column(
        "user_id",
        sa.BigInteger,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", Stamp, nullable=False),
    # The OAuth callback URL the app registered (None: any http(s) callback, or oob).
    sa.Column("callback_url", sa.String(2000), nullable=True),
    sqlite_autoincrement=True,
)

oauth_tokens = sa.Table(
    "oauth_tokens",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("token", sa.String(64), nullable=False, unique=True),
    sa.Column("secret", sa.String(64), nullable=False),
    sa.Column(
        "app_id",
        sa.BigInteger,
        sa.ForeignKey("apps.id", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    # NULL until a request token is authorised.
    sa.Column(
        "user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    ),
    sa.Column("kind", sa.String(8), nullable=False),  # request | access
    sa.Column("perms", sa.String(8), nullable=False, server_default="read"),
    sa.Column("callback", sa.Text, nullable=True),
    sa.Column("verifier", sa.String(64), nullable=True),
    sa.Column("created_at", Stamp, nullable=False),
    sa.Column("expires_at", Stamp, nullable=True),
    sqlite_autoincrement=True,
)

oauth_nonces = sa.Table(
    "oauth_nonces",
    metadata,
    sa.Column("api_key", sa.String(32), primary_key=True),
    sa.Column("nonce", sa.String(64), primary_key=True),
    sa.Column("timestamp", sa.BigInteger, primary_key=True),
    sa.Column("created_at", Stamp, nullable=False, index=True),
)

photo_tags = sa.Table(
    "photo_tags",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column(
        "photo_id", sa.BigInteger, sa.ForeignKey("photos.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column(
        "author_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    ),
    sa.Column("raw", sa.String(255), nullable=False),  # as typed
    sa.Column("tag", sa.String(255), nullable=False),  # Flickr's "clean" form, for search
    # Machine tags (namespace:predicate=value), normalised; NULL for plain tags.
    sa.Column("namespace", sa.String(100), nullable=True),
    sa.Column("predicate", sa.String(100), nullable=True),
    sa.Column("value", sa.String(255), nullable=True),
    sa.UniqueConstraint("photo_id", "tag", name="uq_photo_tags_photo_tag"),
    sa.Index("ix_photo_tags_tag", "tag", "photo_id"),
    sa.Index("ix_photo_tags_machine", "namespace", "predicate", "value"),
    sa.Index("ix_photo_tags_predicate", "predicate", "value"),
    sa.Index("ix_photo_tags_value", "value"),
    sqlite_autoincrement=True,
)

contacts = sa.Table(
    "contacts",
    metadata,
    # user_id lists contact_id as a contact; friend/family are user_id's marks.
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE")),
    sa.Column("contact_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE")),
    sa.Column("is_friend", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("is_family", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", Stamp, nullable=False),
    sa.PrimaryKeyConstraint("user_id", "contact_id", name="pk_contacts"),
    sa.Index("ix_contacts_reverse", "contact_id", "user_id"),
)

faves = sa.Table(
    "faves",
    metadata,
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE")),
    sa.Column(
        "photo_id", sa.BigInteger, sa.ForeignKey("photos.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("created_at", Stamp, nullable=False),
    sa.PrimaryKeyConstraint("user_id", "photo_id", name="pk_faves"),
    sa.Index("ix_faves_photo", "photo_id", "user_id"),
)

photo_people = sa.Table(
    "photo_people",
    metadata,
    sa.Column(
        "photo_id", sa.BigInteger, sa.ForeignKey("photos.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE")),
    sa.Column("added_by", sa.BigInteger, sa.ForeignKey("users.id", ondelete="SET NULL")),
    sa.Column("created_at", Stamp, nullable=False),
    sa.PrimaryKeyConstraint("photo_id", "user_id", name="pk_photo_people"),
    sa.Index("ix_photo_people_user", "user_id", "photo_id"),
)

photosets = sa.Table(
    "photosets",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column(
        "owner_id",
        sa.BigInteger,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("primary_photo_id", sa.BigInteger, nullable=False),
    sa.Column("created_at", Stamp, nullable=False),
    sa.Column("updated_at", Stamp, nullable=False),
    sqlite_autoincrement=True,
)

photoset_photos = sa.Table(
    "photoset_photos",
    metadata,
    sa.Column("photoset_id", sa.BigInteger, sa.ForeignKey("photosets.id", ondelete="CASCADE")),
    sa.Column(
        "photo_id", sa.BigInteger, sa.ForeignKey("photos.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("position", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("photoset_id", "photo_id", name="pk_photoset_photos"),
    sa.Index("ix_photoset_photos_photo", "photo_id"),
)

groups = sa.Table(
    "groups",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("nsid", sa.String(24), nullable=False, unique=True),  # e.g. "10000001@N02"
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("owner_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="SET NULL")),
    sa.Column("created_at", Stamp, nullable=False),
    sqlite_autoincrement=True,
)

group_members = sa.Table(
    "group_members",
    metadata,
    sa.Column("group_id", sa.BigInteger, sa.ForeignKey("groups.id", ondelete="CASCADE")),
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE")),
    sa.Column("role", sa.String(8), nullable=False, server_default="member"),  # member | admin
    sa.Column("joined_at", Stamp, nullable=False),
    sa.PrimaryKeyConstraint("group_id", "user_id", name="pk_group_members"),
    sa.Index("ix_group_members_user", "user_id"),
)

group_photos = sa.Table(
    "group_photos",
    metadata,
    sa.Column("group_id", sa.BigInteger, sa.ForeignKey("groups.id", ondelete="CASCADE")),
    sa.Column(
        "photo_id", sa.BigInteger, sa.ForeignKey("photos.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="SET NULL")),
    sa.Column("added_at", Stamp, nullable=False),
    sa.PrimaryKeyConstraint("group_id", "photo_id", name="pk_group_photos"),
    sa.Index("ix_group_photos_photo", "photo_id"),
)

upload_tickets = sa.Table(
    "upload_tickets",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column(
        "user_id",
        sa.BigInteger,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    # 0 processing, 1 complete, 2 failed (flickr.photos.upload.checkTickets)
    sa.Column("status", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("photo_id", sa.BigInteger, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", Stamp, nullable=False),
    sqlite_autoincrement=True,
)
