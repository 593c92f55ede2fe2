"""Privacy as SQL: which photos, and which photo locations, a viewer may see.

The conditions are built from ``domain.privacy.visible_to`` (one decision, two forms):
for each relation a viewer can have with an owner (stranger, contact, friend, family)
the visibilities it admits come from the domain table, and the SQL asks the owner's
contact list which relation applies. Tests check both forms agree on every case.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from photohub.domain.privacy import (
    GEO_PERM_VISIBILITY,
    STRANGER,
    Relation,
    Viewer,
    visible_to,
)
from photohub.store.schema import contacts, photos

CONTACT = Relation(is_contact=True)
FRIEND = Relation(is_contact=True, is_friend=True)
FAMILY = Relation(is_contact=True, is_family=True)

Admits = Callable[[Relation], ColumnElement[bool]]


def _photo_admits(relation: Relation) -> ColumnElement[bool]:
    return photos.c.visibility.in_(sorted(visible_to(relation)))


def _location_admits(relation: Relation) -> ColumnElement[bool]:
    """The geo permissions (domain table GEO_PERM_VISIBILITY) this relation may see."""
    seen = visible_to(relation)
    return photos.c.geo_perm.in_(sorted(p for p, v in GEO_PERM_VISIBILITY.items() if v in seen))


def _seen(admits: Admits, user_id: int | None) -> ColumnElement[bool]:
    """``admits`` holds for the viewer: as anyone, as the owner, or by the owner's marks."""
    public = admits(STRANGER)
    if user_id is None:
        return public
    mark = contacts.alias("viewer_mark")
    by_contact = (
        sa.select(sa.literal(1))
        .select_from(mark)
        .where(
            mark.c.user_id == photos.c.user_id,
            mark.c.contact_id == user_id,
            sa.or_(
                admits(CONTACT),
                sa.and_(mark.c.is_friend.is_(True), admits(FRIEND)),
                sa.and_(mark.c.is_family.is_(True), admits(FAMILY)),
            ),
        )
        .exists()
    )
    return sa.or_(public, photos.c.user_id == user_id, by_contact)


def photo_visible(viewer: Viewer) -> ColumnElement[bool]:
    """The viewer may see the photo: it is ready, approved and its visibility admits
    them; owners see their own photos in every state."""
    shown = sa.and_(
        photos.c.state == "ready",
        photos.c.approved.is_(True),
        _seen(_photo_admits, viewer.user_id),
    )
    if viewer.user_id is None:
        return shown
    return sa.or_(photos.c.user_id == viewer.user_id, shown)


def location_admitted(viewer: Viewer) -> ColumnElement[bool]:
    """The photo has a location its geo permission lets the viewer see. Alone it says
    nothing of the photo itself: use it beside ``photo_visible`` (as every listing is)."""
    return sa.and_(photos.c.latitude.is_not(None), _seen(_location_admits, viewer.user_id))


def location_visible(viewer: Viewer) -> ColumnElement[bool]:
    """The viewer may see the photo and its location (used for has_geo, bbox, radius and
    place searches, so that a search never reveals where a hidden location is)."""
    return sa.and_(photo_visible(viewer), location_admitted(viewer))


async def relation(conn: AsyncConnection, viewer: Viewer, owner_id: int | None) -> Relation:
    """The viewer's standing with one owner, for decisions on a single photo."""
    if owner_id is None or viewer.user_id is None:
        return STRANGER
    if viewer.user_id == owner_id:
        return Relation(is_owner=True)
    row = (
        await conn.execute(
            sa.select(contacts.c.is_friend, contacts.c.is_family).where(
                contacts.c.user_id == owner_id, contacts.c.contact_id == viewer.user_id
            )
        )
    ).first()
    if row is None:
        return STRANGER
    return Relation(is_contact=True, is_friend=bool(row.is_friend), is_family=bool(row.is_family))
