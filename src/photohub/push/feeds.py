"""What a topic carries now: its newest pushable photos, for the topic URL's feed.

A topic URL answers a GET with its current content (WebSub §4: "the topic URL's
response", whose Link headers name the hub and itself). It holds exactly the photos a
subscriber to the topic would be sent (``domain.push_match``), newest first: the store
selects them (``store.push_feeds``), and each row is checked once more by the domain's
own rules before it is used, ``domain.privacy.pushable`` and ``push_match.admits`` (which
measures a circle's distance on the sphere, where SQL only had its bounding ranges).

My_faves and contacts_faves are ordered by when the photo was faved and name who faved
it (the user, or those of their contacts who did, newest first) as Atom contributors;
the other topics are ordered by photo id (upload order).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from photohub.domain import atom
from photohub.domain.people import id_from_nsid
from photohub.domain.privacy import location_public, pushable
from photohub.domain.push_match import PhotoFacts, admits
from photohub.domain.topics import PERSONAL_TOPICS, Topic
from photohub.places.ids import decode_place_id
from photohub.push.entries import photo_entry
from photohub.store import push_feeds
from photohub.store import tags as tag_store

DEFAULT_LIMIT = 20
# A circle's SQL prefilter is its bounding ranges (the corners hold about a fifth more
# than the circle): read more rows per round, so one round is nearly always enough.
_CIRCLE_OVERREAD = 2

TopicPhoto = tuple[RowMapping, list[RowMapping], list[atom.Person]]


def _facts(row: RowMapping) -> PhotoFacts:
    """What ``push_match.admits`` needs of a row: the location only when it is public."""
    location = None
    if row["latitude"] is not None and location_public(row["visibility"], row["geo_perm"]):
        location = (float(row["latitude"]), float(row["longitude"]))
    return PhotoFacts(
        owner_id=row["user_id"],
        owner_is_institution=bool(row["owner_is_institution"]),
        hidden=bool(row["hidden"]),
        location=location,
        accuracy=row["accuracy"],
    )


def carries(topic: Topic, row: RowMapping) -> bool:
    """The domain's decision on one photo row of ``store.push_feeds``: pushable, not
    hidden unless the topic is personal, and admitted by the topic's exact test."""
    opted_out = bool(row["owner_push_opt_out"]) or bool(row["owner_api_opt_out"])
    if not pushable(
        row["state"],
        bool(row["approved"]),
        row["visibility"],
        int(row["safety_level"]),
        owner_opted_out=opted_out,
    ):
        return False
    if row["hidden"] and topic.name not in PERSONAL_TOPICS:
        return False
    return admits(topic, _facts(row))


def _user_id(topic: Topic) -> int | None:
    return id_from_nsid(topic.user) if topic.user else None


def _woe_ids(topic: Topic) -> list[int]:
    if topic.woe_ids:
        return list(topic.woe_ids)
    decoded = (decode_place_id(place_id) for place_id in topic.place_ids)
    return sorted({woe_id for woe_id in decoded if woe_id is not None})


def _owners(topic: Topic) -> list[int]:
    ids = (id_from_nsid(nsid) for nsid in topic.nsids)
    return sorted({user_id for user_id in ids if user_id is not None})


async def _newest(
    conn: AsyncConnection, topic: Topic, where: Sequence[ColumnElement[bool]], limit: int
) -> list[RowMapping]:
    """Pages of candidates by id until ``limit`` photos the topic carries are found."""
    batch = limit * (_CIRCLE_OVERREAD if topic.geo_form == "radius" else 1)
    found: list[RowMapping] = []
    before: int | None = None
    while len(found) < limit:
        rows = await push_feeds.newest(conn, where, limit=batch, before_id=before)
        found += [row for row in rows if carries(topic, row)]
        if len(rows) < batch:
            break
        before = int(rows[-1]["id"])
    return found[:limit]


async def topic_photos(
    conn: AsyncConnection, topic: Topic, limit: int = DEFAULT_LIMIT
) -> list[TopicPhoto]:
    """The newest photos of ``topic`` (at most ``limit``), each as (photo row with
    ``author``, its tag rows, the contributors: who faved it, for the fave topics).
    A personal topic of a user this site does not know has no photos."""
    if limit < 1:
        return []
    user_id = _user_id(topic)
    where = push_feeds.conditions(
        topic, user_id=user_id, woe_ids=_woe_ids(topic), owners=_owners(topic)
    )
    if where is None:
        return []
    favers: dict[int, list[RowMapping]] = {}
    if topic.name in push_feeds.FAVE_TOPICS:
        assert user_id is not None  # conditions() is None for a personal topic without one
        who = push_feeds.fave_condition(topic, user_id)
        faved = await push_feeds.newest_faved(conn, who, where, limit=limit)
        rows = [row for row in faved if carries(topic, row)]
        favers = await push_feeds.favers_of(conn, [int(row["id"]) for row in rows], who)
    else:
        rows = await _newest(conn, topic, where, limit)
    return await _with_tags(conn, rows, favers)


async def _with_tags(
    conn: AsyncConnection, rows: Sequence[RowMapping], favers: dict[int, list[RowMapping]]
) -> list[TopicPhoto]:
    tags = await tag_store.tags_of(conn, [int(row["id"]) for row in rows])
    return [
        (
            row,
            tags[int(row["id"])],
            [atom.Person(faver["username"]) for faver in favers.get(int(row["id"]), [])],
        )
        for row in rows
    ]


def entries(base_url: str, photos: Sequence[TopicPhoto]) -> list[atom.PhotoEntry]:
    """The Atom entries of :func:`topic_photos`' answer (``push.entries``)."""
    return [photo_entry(base_url, row, tags, people) for row, tags, people in photos]


def last_change(photos: Sequence[TopicPhoto]) -> datetime | None:
    """When the feed last changed as far as its photos tell: the latest edit of one of
    them, or the latest fave (a fave topic changes when an old photo is faved). None for
    an empty feed."""
    moments: list[datetime] = []
    for row, _, _ in photos:
        moments.append(row["updated_at"])
        faved = row.get("faved_at")
        if faved is not None:
            moments.append(faved)
    return max(moments, default=None)


MAX_FAVES_BACKFILLED = 100_000


async def history(
    conn: AsyncConnection,
    topic: Topic,
    *,
    after_id: int = 0,
    until_id: int | None = None,
    since: datetime | None = None,
    limit: int = 500,
) -> tuple[list[TopicPhoto], int | None]:
    """A page of the topic's photos, oldest first, after photo ``after_id`` and up to
    ``until_id`` (``since``: uploaded then or later), and the ``after_id`` of the next
    page (None: the last one). What backfill sends. Fave topics come in one page: the
    photos faved (at most MAX_FAVES_BACKFILLED), oldest photo first, their favers as
    contributors."""
    user_id = _user_id(topic)
    where = push_feeds.conditions(
        topic, user_id=user_id, woe_ids=_woe_ids(topic), owners=_owners(topic)
    )
    if where is None:
        return [], None
    if topic.name in push_feeds.FAVE_TOPICS:
        assert user_id is not None
        who = push_feeds.fave_condition(topic, user_id)
        if since is not None:
            where = [*where, push_feeds.uploaded_since(since)]
        if until_id is not None:
            where = [*where, push_feeds.photo_at_most(until_id)]
        faved = await push_feeds.newest_faved(conn, who, where, limit=MAX_FAVES_BACKFILLED)
        rows = sorted((r for r in faved if carries(topic, r)), key=lambda r: int(r["id"]))
        favers = await push_feeds.favers_of(conn, [int(row["id"]) for row in rows], who)
        return await _with_tags(conn, rows, favers), None
    page = await push_feeds.oldest(
        conn, where, limit=limit, after_id=after_id, until_id=until_id, since=since
    )
    rows = [row for row in page if carries(topic, row)]
    following = int(page[-1]["id"]) if len(page) == limit else None
    return await _with_tags(conn, rows, {}), following
