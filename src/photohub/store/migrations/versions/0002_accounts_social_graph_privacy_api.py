"""accounts, social graph, privacy, api

Users, sessions, apps and OAuth tokens; tags, contacts, faves, people, albums, groups,
upload tickets; photos gain an owner account, Flickr's visibility, safety, content type,
views, accuracy, places, and a geo permission (1-6) that replaces geo_public.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 08:07:11.079786
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oauth_nonces",
        sa.Column("api_key", sa.String(length=32), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("api_key", "nonce", "timestamp", name=op.f("pk_oauth_nonces")),
    )
    with op.batch_alter_table("oauth_nonces", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oauth_nonces_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "users",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("nsid", sa.String(length=24), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("username_key", sa.String(length=64), nullable=False),
        sa.Column("realname", sa.String(length=100), server_default="", nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("buddyicon", sa.String(length=80), nullable=True),
        sa.Column("is_institution", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("push_opt_out", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("api_opt_out", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("default_geo_perm", sa.SmallInteger(), server_default="6", nullable=False),
        sa.Column("guest_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("guest_id", name=op.f("uq_users_guest_id")),
        sa.UniqueConstraint("nsid", name=op.f("uq_users_nsid")),
        sa.UniqueConstraint("username_key", name=op.f("uq_users_username_key")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "apps",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("api_key", sa.String(length=32), nullable=False),
        sa.Column("secret", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_apps_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apps")),
        sa.UniqueConstraint("api_key", name=op.f("uq_apps_api_key")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("apps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_apps_user_id"), ["user_id"], unique=False)

    op.create_table(
        "contacts",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("contact_id", sa.BigInteger(), nullable=False),
        sa.Column("is_friend", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_family", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["users.id"],
            name=op.f("fk_contacts_contact_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_contacts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "contact_id", name="pk_contacts"),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index("ix_contacts_reverse", ["contact_id", "user_id"], unique=False)

    op.create_table(
        "groups",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("nsid", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_groups_owner_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
        sa.UniqueConstraint("nsid", name=op.f("uq_groups_nsid")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "photosets",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("primary_photo_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_photosets_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photosets")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("photosets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photosets_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "upload_tickets",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("photo_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_upload_tickets_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload_tickets")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("upload_tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_upload_tickets_user_id"), ["user_id"], unique=False)

    op.create_table(
        "user_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_user_sessions")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "faves",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("photo_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["photo_id"], ["photos.id"], name=op.f("fk_faves_photo_id_photos"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_faves_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "photo_id", name="pk_faves"),
    )
    with op.batch_alter_table("faves", schema=None) as batch_op:
        batch_op.create_index("ix_faves_photo", ["photo_id", "user_id"], unique=False)

    op.create_table(
        "group_members",
        sa.Column("group_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=8), server_default="member", nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_group_members_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_group_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "user_id", name="pk_group_members"),
    )
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.create_index("ix_group_members_user", ["user_id"], unique=False)

    op.create_table(
        "group_photos",
        sa.Column("group_id", sa.BigInteger(), nullable=False),
        sa.Column("photo_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_group_photos_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photos.id"],
            name=op.f("fk_group_photos_photo_id_photos"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_group_photos_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("group_id", "photo_id", name="pk_group_photos"),
    )
    with op.batch_alter_table("group_photos", schema=None) as batch_op:
        batch_op.create_index("ix_group_photos_photo", ["photo_id"], unique=False)

    op.create_table(
        "oauth_tokens",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("app_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("perms", sa.String(length=8), server_default="read", nullable=False),
        sa.Column("callback", sa.Text(), nullable=True),
        sa.Column("verifier", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_oauth_tokens_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oauth_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_tokens")),
        sa.UniqueConstraint("token", name=op.f("uq_oauth_tokens_token")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("oauth_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oauth_tokens_app_id"), ["app_id"], unique=False)

    op.create_table(
        "photo_people",
        sa.Column("photo_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by"],
            ["users.id"],
            name=op.f("fk_photo_people_added_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photos.id"],
            name=op.f("fk_photo_people_photo_id_photos"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_photo_people_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("photo_id", "user_id", name="pk_photo_people"),
    )
    with op.batch_alter_table("photo_people", schema=None) as batch_op:
        batch_op.create_index("ix_photo_people_user", ["user_id", "photo_id"], unique=False)

    op.create_table(
        "photo_tags",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("photo_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("raw", sa.String(length=255), nullable=False),
        sa.Column("tag", sa.String(length=255), nullable=False),
        sa.Column("namespace", sa.String(length=100), nullable=True),
        sa.Column("predicate", sa.String(length=100), nullable=True),
        sa.Column("value", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_photo_tags_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photos.id"],
            name=op.f("fk_photo_tags_photo_id_photos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photo_tags")),
        sa.UniqueConstraint("photo_id", "tag", name="uq_photo_tags_photo_tag"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("photo_tags", schema=None) as batch_op:
        batch_op.create_index(
            "ix_photo_tags_machine", ["namespace", "predicate", "value"], unique=False
        )
        batch_op.create_index("ix_photo_tags_predicate", ["predicate", "value"], unique=False)
        batch_op.create_index("ix_photo_tags_tag", ["tag", "photo_id"], unique=False)
        batch_op.create_index("ix_photo_tags_value", ["value"], unique=False)

    op.create_table(
        "photoset_photos",
        sa.Column("photoset_id", sa.BigInteger(), nullable=False),
        sa.Column("photo_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photos.id"],
            name=op.f("fk_photoset_photos_photo_id_photos"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["photoset_id"],
            ["photosets.id"],
            name=op.f("fk_photoset_photos_photoset_id_photosets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("photoset_id", "photo_id", name="pk_photoset_photos"),
    )
    with op.batch_alter_table("photoset_photos", schema=None) as batch_op:
        batch_op.create_index("ix_photoset_photos_photo", ["photo_id"], unique=False)

    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("visibility", sa.String(length=16), server_default="public", nullable=False)
        )
        batch_op.add_column(
            sa.Column("safety_level", sa.SmallInteger(), server_default="1", nullable=False)
        )
        batch_op.add_column(
            sa.Column("content_type", sa.SmallInteger(), server_default="1", nullable=False)
        )
        batch_op.add_column(
            sa.Column("hidden", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("views", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("accuracy", sa.SmallInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("geo_perm", sa.SmallInteger(), server_default="6", nullable=False)
        )
        batch_op.add_column(sa.Column("place_city", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("place_region", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("place_country", sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f("ix_photos_place_city"), ["place_city"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_photos_place_country"), ["place_country"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_photos_place_region"), ["place_region"], unique=False)
        batch_op.create_index(batch_op.f("ix_photos_user_id"), ["user_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_photos_user_id_users"), "users", ["user_id"], ["id"]
        )
    op.execute("UPDATE photos SET geo_perm = 1 WHERE geo_public")
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_column("geo_public")


def downgrade() -> None:
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("geo_public", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute("UPDATE photos SET geo_public = (geo_perm = 1)")
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_photos_user_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_photos_user_id"))
        batch_op.drop_index(batch_op.f("ix_photos_place_region"))
        batch_op.drop_index(batch_op.f("ix_photos_place_country"))
        batch_op.drop_index(batch_op.f("ix_photos_place_city"))
        batch_op.drop_column("place_country")
        batch_op.drop_column("place_region")
        batch_op.drop_column("place_city")
        batch_op.drop_column("geo_perm")
        batch_op.drop_column("accuracy")
        batch_op.drop_column("views")
        batch_op.drop_column("hidden")
        batch_op.drop_column("content_type")
        batch_op.drop_column("safety_level")
        batch_op.drop_column("visibility")
        batch_op.drop_column("user_id")

    with op.batch_alter_table("photoset_photos", schema=None) as batch_op:
        batch_op.drop_index("ix_photoset_photos_photo")

    op.drop_table("photoset_photos")
    with op.batch_alter_table("photo_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_photo_tags_value")
        batch_op.drop_index("ix_photo_tags_tag")
        batch_op.drop_index("ix_photo_tags_predicate")
        batch_op.drop_index("ix_photo_tags_machine")

    op.drop_table("photo_tags")
    with op.batch_alter_table("photo_people", schema=None) as batch_op:
        batch_op.drop_index("ix_photo_people_user")

    op.drop_table("photo_people")
    with op.batch_alter_table("oauth_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_tokens_app_id"))

    op.drop_table("oauth_tokens")
    with op.batch_alter_table("group_photos", schema=None) as batch_op:
        batch_op.drop_index("ix_group_photos_photo")

    op.drop_table("group_photos")
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.drop_index("ix_group_members_user")

    op.drop_table("group_members")
    with op.batch_alter_table("faves", schema=None) as batch_op:
        batch_op.drop_index("ix_faves_photo")

    op.drop_table("faves")
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))

    op.drop_table("user_sessions")
    with op.batch_alter_table("upload_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_upload_tickets_user_id"))

    op.drop_table("upload_tickets")
    with op.batch_alter_table("photosets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_photosets_owner_id"))

    op.drop_table("photosets")
    op.drop_table("groups")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_reverse")

    op.drop_table("contacts")
    with op.batch_alter_table("apps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_apps_user_id"))

    op.drop_table("apps")
    op.drop_table("users")
    with op.batch_alter_table("oauth_nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_nonces_created_at"))

    op.drop_table("oauth_nonces")
