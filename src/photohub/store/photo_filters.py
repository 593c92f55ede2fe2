"""Conditions for photo searches (flickr.photos.search and friends), each one small."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from photohub.domain.geo import EARTH_RADIUS_KM, LatLonRange, circle_bbox
from photohub.domain.privacy import PUBLIC, SAFE_SEARCH_LEVELS
from photohub.store.schema import group_photos, photo_tags, photos

# Flickr's content_type: 1 photos, 2 screenshots, 3 other, then combinations.
CONTENT_TYPES = {1: (1,), 2: (2,), 3: (3,), 4: (1, 2), 5: (2, 3), 6: (1, 3), 7: (1, 2, 3)}
# Flickr's privacy_filter (for the caller's own photos).
PRIVACY_FILTERS = {
    1: ("public",),
    2: ("friends",),
    3: ("family",),
    4: ("friends_family",),
    5: ("private", "contacts"),
}


def owner_is(user_id: int) -> ColumnElement[bool]:
    return photos.c.user_id == user_id


def text_matches(text: str) -> ColumnElement[bool]:
    """Every word appears in the title, the description or a tag (case-insensitive)."""
    conditions = []
    for word in text.split()[:20]:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        in_tags = (
            sa.select(sa.literal(1))
            .where(photo_tags.c.photo_id == photos.c.id, photo_tags.c.raw.ilike(pattern, "\\"))
            .exists()
        )
        conditions.append(
            sa.or_(
                photos.c.title.ilike(pattern, "\\"),
                photos.c.description.ilike(pattern, "\\"),
                in_tags,
            )
        )
    return sa.and_(sa.true(), *conditions)


def _between(
    column: ColumnElement[datetime], low: datetime | None, high: datetime | None
) -> list[ColumnElement[bool]]:
    found = []
    if low is not None:
        found.append(column >= low)
    if high is not None:
        found.append(column <= high)
    return found


def uploaded(low: datetime | None, high: datetime | None) -> list[ColumnElement[bool]]:
    return _between(photos.c.created_at, low, high)


def taken(low: datetime | None, high: datetime | None) -> list[ColumnElement[bool]]:
    return _between(photos.c.taken_at, low, high)


def public() -> ColumnElement[bool]:
    return photos.c.visibility == PUBLIC


def safety(level: int) -> ColumnElement[bool]:
    return photos.c.safety_level.in_(SAFE_SEARCH_LEVELS[level])


def content_type(kind: int) -> ColumnElement[bool]:
    return photos.c.content_type.in_(CONTENT_TYPES[kind])


def privacy(level: int) -> ColumnElement[bool]:
    return photos.c.visibility.in_(PRIVACY_FILTERS[level])


def not_hidden() -> ColumnElement[bool]:
    return photos.c.hidden.is_(False)


def in_group(group_id: int) -> ColumnElement[bool]:
    return (
        sa.select(sa.literal(1))
        .where(group_photos.c.photo_id == photos.c.id, group_photos.c.group_id == group_id)
        .exists()
    )


def owners_in(user_ids: Sequence[int]) -> ColumnElement[bool]:
    return photos.c.user_id.in_(list(user_ids))


def in_ranges(ranges: Sequence[LatLonRange]) -> ColumnElement[bool]:
    """The photo's point lies in one of the plain lat/lon rectangles."""
    return sa.or_(
        sa.false(),
        *(
            sa.and_(
                photos.c.latitude.between(r.min_lat, r.max_lat),
                photos.c.longitude.between(r.min_lon, r.max_lon),
            )
            for r in ranges
        ),
    )


def within_km(lat: float, lon: float, km: float) -> ColumnElement[bool]:
    """Within ``km`` of (lat, lon): the circle's bounding ranges (domain.geo), then an
    equirectangular distance in plain SQL arithmetic (SQLite has no trigonometry), at
    the circle's own latitude. For Flickr's radii (at most 32 km) it is within 0.5% of
    the great-circle distance except within a few km of a pole, where the ranges span
    every longitude and only the latitude distance is checked."""
    ranges = circle_bbox(lat, lon, km)
    km_per_degree = EARTH_RADIUS_KM * math.pi / 180
    scale = math.cos(math.radians(lat))
    limit = (km / km_per_degree) ** 2
    near = []
    for r in ranges:
        # On the far side of the antimeridian the centre is seen 360 degrees away.
        centre = lon
        if r.max_lon < lon - 180:
            centre -= 360
        elif r.min_lon > lon + 180:
            centre += 360
        dy = photos.c.latitude - lat
        dx = (photos.c.longitude - centre) * (scale if abs(lat) < 89 else 0.0)
        near.append(
            sa.and_(
                photos.c.latitude.between(r.min_lat, r.max_lat),
                photos.c.longitude.between(r.min_lon, r.max_lon),
                dy * dy + dx * dx <= limit,
            )
        )
    return sa.or_(sa.false(), *near)


PLACE_COLUMNS = {
    "locality": photos.c.place_city,
    "region": photos.c.place_region,
    "country": photos.c.place_country,
}


def in_place(woe_id: int, place_type: str) -> ColumnElement[bool]:
    """The photo's geotag lies in this place (one indexed column per place type)."""
    return PLACE_COLUMNS[place_type] == woe_id


def accuracy_at_least(level: int) -> ColumnElement[bool]:
    return sa.func.coalesce(photos.c.accuracy, 16) >= level
