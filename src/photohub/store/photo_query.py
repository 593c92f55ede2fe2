"""Listing photos for the API: one query shape (photo, owner, guest name, whether the
viewer may see its location) with filters, a sort and a page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from photohub.domain.privacy import Viewer
from photohub.store.schema import guests, photos, users
from photohub.store.visibility import location_admitted, photo_visible

# Flickr's sort names. "interestingness" is views here (photohub has no other signal yet).
# Ids follow upload order, so the date posted is the id: the primary key orders it.
SORTS: dict[str, tuple[ColumnElement[object], ...]] = {
    "date-posted-desc": (photos.c.id.desc(),),
    "date-posted-asc": (photos.c.id.asc(),),
    "date-taken-desc": (photos.c.taken_at.desc(), photos.c.id.desc()),
    "date-taken-asc": (photos.c.taken_at.asc(), photos.c.id.asc()),
    "interestingness-desc": (photos.c.views.desc(), photos.c.id.desc()),
    "interestingness-asc": (photos.c.views.asc(), photos.c.id.asc()),
    "views-desc": (photos.c.views.desc(), photos.c.id.desc()),
    "views-asc": (photos.c.views.asc(), photos.c.id.asc()),
    "relevance": (photos.c.created_at.desc(), photos.c.id.desc()),
}
SORT_NAMES = tuple(SORTS)


@dataclass(frozen=True)
class Page:
    rows: list[RowMapping]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return (self.total + self.per_page - 1) // self.per_page


def listing(viewer: Viewer) -> sa.Select[tuple[object, ...]]:
    """Photos with their owner's names and a ``geo_ok`` flag for this viewer."""
    return sa.select(
        photos,
        users.c.nsid.label("owner_nsid"),
        users.c.username.label("owner_username"),
        users.c.realname.label("owner_realname"),
        users.c.buddyicon.label("owner_buddyicon"),
        sa.func.coalesce(guests.c.name, "").label("guest_name"),
        location_admitted(viewer).label("geo_ok"),
    ).select_from(
        photos.outerjoin(users, photos.c.user_id == users.c.id).outerjoin(
            guests, photos.c.guest_id == guests.c.id
        )
    )


async def page_of(
    conn: AsyncConnection,
    viewer: Viewer,
    conditions: Sequence[ColumnElement[bool]],
    *,
    sort: str = "date-posted-desc",
    page: int = 1,
    per_page: int = 100,
    order: Sequence[ColumnElement[object]] | None = None,
    join: sa.FromClause | None = None,
    cap: int | None = None,
) -> Page:
    """One page of the photos the viewer may see among those matching ``conditions``.

    The count and the page's ids come from narrow queries (the covering index
    ``ix_photos_listed`` holds every column the privacy condition reads), then only the
    page's rows are read whole. With ``cap``, at most that many matches are counted and
    served (Flickr's searches return "at most the first 4,000 results"), so a broad query
    costs no full count."""
    matches = (
        sa.select(photos.c.id)
        .select_from(photos if join is None else photos.join(join))
        .where(photo_visible(viewer), *conditions)
        .order_by(*(order if order is not None else SORTS[sort]))
    )
    offset = (page - 1) * per_page
    limit = per_page if cap is None else max(0, min(per_page, cap - offset))
    counted = matches.order_by(None)
    total = await _count(conn, counted if cap is None else counted.limit(cap))
    ids: list[int] = []
    if limit > 0 and offset < total:
        window = matches.limit(limit).offset(offset)
        ids = [int(v) for v in (await conn.execute(window)).scalars()]
    return Page(await _rows(conn, viewer, ids), total, page, per_page)


async def _rows(conn: AsyncConnection, viewer: Viewer, ids: Sequence[int]) -> list[RowMapping]:
    """The listing rows of ``ids``, in that order."""
    if not ids:
        return []
    rows = await conn.execute(listing(viewer).where(photos.c.id.in_(list(ids))))
    by_id = {int(row["id"]): row for row in rows.mappings()}
    return [by_id[i] for i in ids if i in by_id]


async def _count(conn: AsyncConnection, matches: sa.Select[tuple[object]]) -> int:
    counted = sa.select(sa.func.count()).select_from(matches.subquery())
    return int(await conn.scalar(counted) or 0)


async def one(conn: AsyncConnection, viewer: Viewer, photo_id: int) -> RowMapping | None:
    """The photo if the viewer may see it (None both when missing and when hidden, so
    that a private photo's existence is not revealed)."""
    query = listing(viewer).where(photos.c.id == photo_id, photo_visible(viewer))
    return (await conn.execute(query)).mappings().first()
