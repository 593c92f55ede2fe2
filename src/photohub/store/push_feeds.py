"""Topic feeds as SQL: the photos a push topic carries now, newest first.

A topic URL answers a GET with its current feed (WebSub §4); ``push/feeds.py`` composes it
from these queries. The conditions say in SQL what ``domain.push_match`` says with index
keys, one topic at a time:

* every topic: the photo is pushable (``domain.privacy.pushable``: ready, approved,
  public, safe, its owner in neither push nor API opt-out);
* ``tags``, ``geo`` and ``commons`` never carry a photo hidden from public searches;
  the six personal topics do;
* ``tags``: any of the topic's clean tags; ``commons``: owners who are institutions
  (only those named, when ``nsids`` are given);
* ``geo``: a location the public may see (``location_public``), at least as accurate
  as the topic asks (no recorded accuracy counts as street level, 16), and in one of the
  places (any of the city, region and country columns, as ``photo_keys``' ``woe:N``) or
  inside the circle's bounding ranges. The ranges contain the circle, so the caller
  still tests the distance (``push_match.admits``);
* personal topics, relative to the user: their photos, photos of the users they list as
  contacts, photos they are in, photos their contacts are in, their faves, their
  contacts' faves.

Fave topics are ordered by fave time (the newest fave of a photo, for contacts_faves),
the others by photo id, which is upload order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from photohub.domain.geo import circle_bbox
from photohub.domain.privacy import ANONYMOUS, PUBLIC, SAFE
from photohub.domain.topics import PERSONAL_TOPICS, Topic
from photohub.store import photo_filters as f
from photohub.store.schema import contacts, faves, guests, photo_people, photos, users
from photohub.store.tags import tag_condition
from photohub.store.visibility import location_admitted

FAVE_TOPICS = frozenset({"my_faves", "contacts_faves"})

_owner = users.alias("feed_owner")
# The name shown with a photo, as store.photos gives it (photo_entry's "author"): the
# guest's chosen name, else the account's username.
_author = sa.func.coalesce(sa.func.nullif(guests.c.name, ""), _owner.c.username, "")
_from = photos.outerjoin(guests, photos.c.guest_id == guests.c.id).outerjoin(
    _owner, photos.c.user_id == _owner.c.id
)


def pushable() -> ColumnElement[bool]:
    """``domain.privacy.pushable`` in SQL: on the wall, safe, the owner not opted out
    (a guest's photo has no account to opt out)."""
    return sa.and_(
        photos.c.state == "ready",
        photos.c.approved.is_(True),
        photos.c.visibility == PUBLIC,
        photos.c.safety_level == SAFE,
        sa.or_(
            photos.c.user_id.is_(None),
            sa.and_(_owner.c.push_opt_out.is_(False), _owner.c.api_opt_out.is_(False)),
        ),
    )


def _contacts_of(user_id: int) -> sa.Select[tuple[int]]:
    """Whom the user lists as contacts."""
    return sa.select(contacts.c.contact_id).where(contacts.c.user_id == user_id)


def _in_photos_of(people: ColumnElement[bool]) -> ColumnElement[bool]:
    return photos.c.id.in_(sa.select(photo_people.c.photo_id).where(people))


def _geo(topic: Topic, woe_ids: Sequence[int]) -> list[ColumnElement[bool]] | None:
    where = [
        location_admitted(ANONYMOUS),
        f.accuracy_at_least(topic.accuracy or 1),
    ]
    if topic.geo_form == "radius":
        assert topic.lat is not None and topic.lon is not None and topic.radius_km is not None
        return [*where, f.in_ranges(circle_bbox(topic.lat, topic.lon, topic.radius_km))]
    if not woe_ids:
        return None
    places = list(woe_ids)
    in_place = sa.or_(*(column.in_(places) for column in f.PLACE_COLUMNS.values()))
    return [*where, in_place]


def conditions(
    topic: Topic,
    *,
    user_id: int | None = None,
    woe_ids: Sequence[int] = (),
    owners: Sequence[int] = (),
) -> list[ColumnElement[bool]] | None:
    """What a photo must satisfy, besides :func:`pushable`, to be in ``topic``; None when
    the topic can match nothing (a personal topic of an unknown user, places or
    institutions none of which exist). ``user_id`` is a personal topic's user,
    ``woe_ids`` a geo topic's places (``place_ids`` decoded by the caller), ``owners``
    the institutions' ids for a commons topic with ``nsids``."""
    name = topic.name
    if name in PERSONAL_TOPICS:
        if user_id is None:
            return None
        personal: dict[str, list[ColumnElement[bool]]] = {
            "my_photos": [f.owner_is(user_id)],
            "contacts_photos": [photos.c.user_id.in_(_contacts_of(user_id))],
            "photos_of_me": [_in_photos_of(photo_people.c.user_id == user_id)],
            "photos_of_contacts": [
                _in_photos_of(photo_people.c.user_id.in_(_contacts_of(user_id)))
            ],
            "my_faves": [],  # the faves join (newest_faved) selects them
            "contacts_faves": [],
        }
        return personal[name]
    where = [f.not_hidden()]
    if name == "tags":
        return [*where, tag_condition(topic.tags, "any")]
    if name == "commons":
        where.append(_owner.c.is_institution.is_(True))
        if topic.nsids:
            if not owners:
                return None
            where.append(f.owners_in(owners))
        return where
    geo = _geo(topic, woe_ids)
    return None if geo is None else where + geo


def _select(*extra: ColumnElement[object]) -> sa.Select[tuple[object, ...]]:
    """Photo rows as ``push.entries.photo_entry`` reads them (with ``author``), and the
    owner's opt-outs for the caller's own check."""
    return sa.select(
        photos,
        _author.label("author"),
        _owner.c.push_opt_out.label("owner_push_opt_out"),
        _owner.c.api_opt_out.label("owner_api_opt_out"),
        _owner.c.is_institution.label("owner_is_institution"),
        *extra,
    )


async def newest(
    conn: AsyncConnection,
    where: Sequence[ColumnElement[bool]],
    *,
    limit: int,
    before_id: int | None = None,
) -> list[RowMapping]:
    """Up to ``limit`` pushable photos matching ``where``, newest (highest id) first,
    only ids below ``before_id`` when given (the next page)."""
    query = _select().select_from(_from).where(pushable(), *where)
    if before_id is not None:
        query = query.where(photos.c.id < before_id)
    query = query.order_by(photos.c.id.desc()).limit(limit)
    return list((await conn.execute(query)).mappings())


def _faves_by(favers: ColumnElement[bool]) -> sa.Subquery:
    """Per photo faved by any of ``favers``: when it was last faved by one of them."""
    return (
        sa.select(faves.c.photo_id, sa.func.max(faves.c.created_at).label("faved_at"))
        .where(favers)
        .group_by(faves.c.photo_id)
        .subquery("feed_fave")
    )


def fave_condition(topic: Topic, user_id: int) -> ColumnElement[bool]:
    """Whose faves a fave topic carries: the user's (my_faves) or their contacts'."""
    if topic.name == "my_faves":
        return faves.c.user_id == user_id
    return faves.c.user_id.in_(_contacts_of(user_id))


async def newest_faved(
    conn: AsyncConnection,
    favers: ColumnElement[bool],
    where: Sequence[ColumnElement[bool]],
    *,
    limit: int,
) -> list[RowMapping]:
    """Up to ``limit`` pushable photos faved by ``favers`` (a condition on ``faves``),
    most recently faved first, each once, with ``faved_at``."""
    fave = _faves_by(favers)
    query = (
        _select(fave.c.faved_at)
        .select_from(_from.join(fave, fave.c.photo_id == photos.c.id))
        .where(pushable(), *where)
        .order_by(fave.c.faved_at.desc(), photos.c.id.desc())
        .limit(limit)
    )
    return list((await conn.execute(query)).mappings())


async def favers_of(
    conn: AsyncConnection, photo_ids: Sequence[int], favers: ColumnElement[bool]
) -> dict[int, list[RowMapping]]:
    """Who among ``favers`` faved each photo (``nsid``, ``username``, ``faved_at``),
    newest fave first; every id asked for is a key."""
    found: dict[int, list[RowMapping]] = {int(i): [] for i in photo_ids}
    if not found:
        return found
    query = (
        sa.select(
            faves.c.photo_id,
            users.c.nsid,
            users.c.username,
            faves.c.created_at.label("faved_at"),
        )
        .select_from(faves.join(users, users.c.id == faves.c.user_id))
        .where(faves.c.photo_id.in_(list(found)), favers)
        .order_by(faves.c.created_at.desc(), users.c.id.asc())
    )
    for row in (await conn.execute(query)).mappings():
        found[int(row["photo_id"])].append(row)
    return found


async def oldest(
    conn: AsyncConnection,
    where: Sequence[ColumnElement[bool]],
    *,
    limit: int,
    after_id: int = 0,
    until_id: int | None = None,
    since: datetime | None = None,
) -> list[RowMapping]:
    """Up to ``limit`` pushable photos matching ``where``, oldest (lowest id) first,
    only ids above ``after_id`` (and up to ``until_id``) and, with ``since``, uploaded
    then or later (backfill)."""
    query = _select().select_from(_from).where(pushable(), photos.c.id > after_id, *where)
    if until_id is not None:
        query = query.where(photo_at_most(until_id))
    if since is not None:
        query = query.where(uploaded_since(since))
    query = query.order_by(photos.c.id).limit(limit)
    return list((await conn.execute(query)).mappings())


def uploaded_since(moment: datetime) -> ColumnElement[bool]:
    return photos.c.created_at >= moment


async def last_photo_id(conn: AsyncConnection) -> int:
    return int(await conn.scalar(sa.select(sa.func.max(photos.c.id))) or 0)


def photo_at_most(photo_id: int) -> ColumnElement[bool]:
    return photos.c.id <= photo_id
