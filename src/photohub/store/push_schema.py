"""The push hub's tables: subscriptions, the match index, entries and delivery queues.

Kept beside ``schema.py`` (same ``metadata``), one aggregate per file. How they fit:

* ``push_subscriptions``: one row per (topic, callback), its lease and delivery state.
  ``due_at`` is the SQL due-set: set when entries are queued, pushed forward by a
  worker's claim (a lease: a worker that dies lets it lapse) or by a backoff, cleared
  when the queue is empty.
* ``push_index``: (key, subscription): Flickr's ``SADD user_1234 endpoint_5678``.
  Keys come from ``domain.push_match`` (``owner:12``, ``tag:cats``, ``cell:...``).
* ``push_entries``: each Atom entry rendered once per change, shared by every queue
  (with Redis queues, also the fan-out still owed to Redis: ``targets``).
* ``push_queue``: entry ids per subscription, delivered in id order, deleted once a
  2xx came back (at-least-once).
* ``push_photos``: what the hub last told about a photo (the index keys it matched),
  so a deletion or a switch away from public reaches exactly the subscriptions that
  were told about the photo, and so bursts of changes collapse (``pushed_at``).
"""

from __future__ import annotations

import sqlalchemy as sa

from photohub.store.schema import BigId, Stamp, metadata

push_subscriptions = sa.Table(
    "push_subscriptions",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    # The account that subscribed with flickr.push.subscribe; NULL for /hub subscribers.
    sa.Column(
        "user_id",
        sa.BigInteger,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        nullable=True,
        index=True,
    ),
    sa.Column("dialect", sa.String(20), nullable=False),  # websub | pubsubhubbub-0.3 | flickr
    sa.Column("topic", sa.Text, nullable=False),  # the canonical topic URL (domain.topics)
    sa.Column("topic_name", sa.String(32), nullable=False),
    sa.Column("topic_args", sa.JSON, nullable=False),
    sa.Column("callback", sa.Text, nullable=False),
    # sha256 hex of topic and of callback: (topic, callback) names one subscription.
    sa.Column("topic_key", sa.String(64), nullable=False),
    sa.Column("callback_key", sa.String(64), nullable=False),
    sa.Column("secret", sa.String(200), nullable=True),
    sa.Column("verify_token", sa.String(200), nullable=True),
    sa.Column("lease_seconds", sa.Integer, nullable=False),
    # Flickr's lease_seconds left out: the hub re-verifies before each lease ends.
    sa.Column("auto_renew", sa.Boolean, nullable=False, server_default=sa.false()),
    # pending (not yet verified) -> active -> expired | denied; unsubscribing deletes.
    sa.Column("state", sa.String(12), nullable=False, server_default="pending"),
    sa.Column("created_at", Stamp, nullable=False),
    sa.Column("verified_at", Stamp, nullable=True),
    sa.Column("expires_at", Stamp, nullable=True),
    sa.Column("verify_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_verify_error", sa.Text, nullable=True),
    # Delivery (kept here so getSubscriptions and the admin page can show it).
    sa.Column("last_success_at", Stamp, nullable=True),
    sa.Column("last_failure_at", Stamp, nullable=True),
    sa.Column("last_failure", sa.Text, nullable=True),
    # Failed delivery attempts since the last success (the backoff's exponent).
    sa.Column("delivery_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("due_at", Stamp, nullable=True),
    # Entries per second at most (the firehose's configured rate); NULL: as fast as it can.
    sa.Column("max_rate", sa.Float, nullable=True),
    sa.UniqueConstraint("topic_key", "callback_key", name="uq_push_subscriptions_topic_callback"),
    sa.Index("ix_push_subscriptions_due", "state", "expires_at"),
    sa.Index("ix_push_subscriptions_state_due", "state", "due_at"),  # claims
    sqlite_autoincrement=True,
)

push_index = sa.Table(
    "push_index",
    metadata,
    sa.Column("key", sa.String(300), nullable=False),
    sa.Column(
        "subscription_id",
        sa.BigInteger,
        sa.ForeignKey("push_subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.PrimaryKeyConstraint("key", "subscription_id"),
    sa.Index("ix_push_index_subscription", "subscription_id"),
)

push_entries = sa.Table(
    "push_entries",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("photo_id", sa.BigInteger, nullable=True),  # no FK: tombstones outlive photos
    sa.Column("body", sa.LargeBinary, nullable=False),  # one rendered Atom entry
    # Redis queues only: the subscriptions to be told (written with the change; a sweep
    # pushes what a crash or an outage left unpushed, see ``pushed_at``).
    sa.Column("targets", sa.JSON(none_as_null=True), nullable=True),
    # What topic streams match a change's entry against (domain.push_match): the
    # photo's index keys and, when public, its location and accuracy. NULL for backfill.
    sa.Column("keys", sa.JSON(none_as_null=True), nullable=True),
    sa.Column("geo", sa.JSON(none_as_null=True), nullable=True),
    sa.Column("created_at", Stamp, nullable=False),
    # The change it renders (``push.dispatch``: photo, newest event, kind), unique: a
    # task run again after its commit finds the entry instead of rendering another.
    # NULL for backfill (a fresh copy each time, for one subscription).
    sa.Column("change", sa.String(120), nullable=True),
    # Redis queues only: when the fan-out in ``targets`` reached Redis (NULL: still
    # owed). ``targets`` stays, so the stale sweep can see what a newer entry covers.
    sa.Column("pushed_at", Stamp, nullable=True),
    sa.Index("ix_push_entries_created", "created_at"),
    sa.Index("uq_push_entries_change", "change", unique=True),
    sa.Index("ix_push_entries_photo", "photo_id", "id"),
    sqlite_autoincrement=True,
)

push_queue = sa.Table(
    "push_queue",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column(
        "subscription_id",
        sa.BigInteger,
        sa.ForeignKey("push_subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "entry_id",
        sa.BigInteger,
        sa.ForeignKey("push_entries.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # When the change was committed: commit-to-delivery time is measured from it.
    sa.Column("created_at", Stamp, nullable=False),
    sa.Index("ix_push_queue_subscription", "subscription_id", "id"),
    sa.Index("ix_push_queue_entry", "entry_id"),
    sqlite_autoincrement=True,
)

push_photos = sa.Table(
    "push_photos",
    metadata,
    sa.Column("photo_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("keys", sa.JSON, nullable=False),  # the index keys it matched when last told
    sa.Column("pushed_at", Stamp, nullable=False),
)
