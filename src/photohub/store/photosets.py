"""Albums (``photosets``, Flickr's photosets) and their photos in order.

An album belongs to its owner and holds only the owner's photos. What anyone else sees
of it is decided per photo: counts, primaries and pages only ever include photos the
viewer may see (``store.visibility``), and an album none of whose photos they may see
is not shown to them at all.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from photohub.domain.privacy import Viewer
from photohub.store.db import utcnow
from photohub.store.inserts import insert_new
from photohub.store.schema import photos, photoset_photos, photosets, users
from photohub.store.visibility import photo_visible

_with_owner = sa.select(
    photosets,
    users.c.nsid.label("owner_nsid"),
    users.c.username.label("owner_username"),
).select_from(photosets.join(users, users.c.id == photosets.c.owner_id))


async def create(
    conn: AsyncConnection, owner_id: int, *, title: str, description: str, primary_photo_id: int
) -> int:
    """A new album holding its primary photo."""
    now = utcnow()
    result = await conn.execute(
        photosets.insert()
        .values(
            owner_id=owner_id,
            title=title,
            description=description,
            primary_photo_id=primary_photo_id,
            created_at=now,
            updated_at=now,
        )
        .returning(photosets.c.id)
    )
    set_id = int(result.scalar_one())
    await add_photo(conn, set_id, primary_photo_id)
    return set_id


async def get(conn: AsyncConnection, set_id: int, *, lock: bool = False) -> RowMapping | None:
    """The album with its owner's NSID and username. ``lock`` (PostgreSQL) serialises
    changes to one album, so positions and the primary stay consistent."""
    query = _with_owner.where(photosets.c.id == set_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update(of=photosets)
    return (await conn.execute(query)).mappings().first()


async def add_photo(conn: AsyncConnection, set_id: int, photo_id: int) -> bool:
    """Append the photo to the album; False when it is in it already."""
    last = await conn.scalar(
        sa.select(sa.func.max(photoset_photos.c.position)).where(
            photoset_photos.c.photoset_id == set_id
        )
    )
    return await insert_new(
        conn,
        photoset_photos,
        photoset_id=set_id,
        photo_id=photo_id,
        position=int(last or 0) + 1,
    )


async def remove_photo(conn: AsyncConnection, set_id: int, photo_id: int) -> bool:
    result = await conn.execute(
        photoset_photos.delete().where(
            photoset_photos.c.photoset_id == set_id, photoset_photos.c.photo_id == photo_id
        )
    )
    return int(result.rowcount) > 0


async def photo_ids(conn: AsyncConnection, set_id: int) -> list[int]:
    """Every photo of the album in album order (for its owner's decisions only)."""
    query = (
        sa.select(photoset_photos.c.photo_id)
        .where(photoset_photos.c.photoset_id == set_id)
        .order_by(photoset_photos.c.position, photoset_photos.c.photo_id)
    )
    return [int(v) for v in (await conn.execute(query)).scalars()]


async def update(conn: AsyncConnection, set_id: int, **values: object) -> None:
    await conn.execute(
        photosets.update().where(photosets.c.id == set_id).values(updated_at=utcnow(), **values)
    )


async def delete(conn: AsyncConnection, set_id: int) -> None:
    """Delete the album (its photos stay where they are)."""
    await conn.execute(photoset_photos.delete().where(photoset_photos.c.photoset_id == set_id))
    await conn.execute(photosets.delete().where(photosets.c.id == set_id))


def members(set_id: int) -> sa.Subquery:
    """The album's photos as ``(photo_id, position)``, to join with a photo listing."""
    return (
        sa.select(photoset_photos.c.photo_id, photoset_photos.c.position)
        .where(photoset_photos.c.photoset_id == set_id)
        .subquery("album")
    )


def _shown_members(
    viewer: Viewer, extra: Sequence[ColumnElement[bool]]
) -> sa.Select[tuple[object, ...]]:
    """Album entries whose photo the viewer may see (and that pass ``extra``)."""
    return (
        sa.select(photoset_photos.c.photoset_id, photoset_photos.c.photo_id)
        .select_from(photoset_photos.join(photos, photos.c.id == photoset_photos.c.photo_id))
        .where(photo_visible(viewer), *extra)
    )


def shown_to(viewer: Viewer, extra: Sequence[ColumnElement[bool]]) -> ColumnElement[bool]:
    """The album is shown to the viewer: they own it, or may see one of its photos."""
    has_visible = (
        _shown_members(viewer, extra)
        .where(photoset_photos.c.photoset_id == photosets.c.id)
        .exists()
        .correlate(photosets)
    )
    if viewer.user_id is None:
        return has_visible
    return sa.or_(photosets.c.owner_id == viewer.user_id, has_visible)


async def shown(
    conn: AsyncConnection, viewer: Viewer, set_id: int, extra: Sequence[ColumnElement[bool]]
) -> RowMapping | None:
    """The album if it is shown to the viewer, else None (missing and hidden alike)."""
    query = _with_owner.where(photosets.c.id == set_id, shown_to(viewer, extra))
    return (await conn.execute(query)).mappings().first()


async def page_of_owner(
    conn: AsyncConnection,
    owner_id: int,
    viewer: Viewer,
    extra: Sequence[ColumnElement[bool]],
    *,
    page: int,
    per_page: int,
) -> tuple[int, list[RowMapping]]:
    """(total, one page) of the owner's albums shown to the viewer, newest first (as
    Flickr puts a new album first)."""
    where = [photosets.c.owner_id == owner_id, shown_to(viewer, extra)]
    total = int(
        await conn.scalar(sa.select(sa.func.count()).select_from(photosets).where(*where)) or 0
    )
    query = (
        _with_owner.where(*where)
        .order_by(photosets.c.created_at.desc(), photosets.c.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return total, list((await conn.execute(query)).mappings())


async def shown_counts(
    conn: AsyncConnection,
    viewer: Viewer,
    set_ids: Sequence[int],
    extra: Sequence[ColumnElement[bool]],
) -> dict[int, int]:
    """How many photos of each album the viewer may see."""
    if not set_ids:
        return {}
    entries = _shown_members(viewer, extra).where(photoset_photos.c.photoset_id.in_(list(set_ids)))
    sub = entries.subquery()
    query = sa.select(sub.c.photoset_id, sa.func.count()).group_by(sub.c.photoset_id)
    return {int(set_id): int(count) for set_id, count in await conn.execute(query)}


async def shown_primaries(
    conn: AsyncConnection,
    viewer: Viewer,
    sets: Sequence[RowMapping],
    extra: Sequence[ColumnElement[bool]],
) -> dict[int, int]:
    """The primary photo each album shows this viewer: its own primary when the viewer
    may see it, else the first photo of the album they may see; an album with no such
    photo shows its stored primary only to someone who may see that photo (its owner,
    for an album left empty). Albums with nothing to show are left out."""
    if not sets:
        return {}
    ids = [int(s["id"]) for s in sets]
    is_primary = photoset_photos.c.photo_id == photosets.c.primary_photo_id
    ranked = (
        sa.select(
            photoset_photos.c.photoset_id,
            photoset_photos.c.photo_id,
            sa.func.row_number()
            .over(
                partition_by=photoset_photos.c.photoset_id,
                order_by=(
                    sa.case((is_primary, 0), else_=1),
                    photoset_photos.c.position,
                    photoset_photos.c.photo_id,
                ),
            )
            .label("rank"),
        )
        .select_from(
            photoset_photos.join(photos, photos.c.id == photoset_photos.c.photo_id).join(
                photosets, photosets.c.id == photoset_photos.c.photoset_id
            )
        )
        .where(photoset_photos.c.photoset_id.in_(ids), photo_visible(viewer), *extra)
        .subquery()
    )
    chosen = {
        int(set_id): int(photo_id)
        for set_id, photo_id in await conn.execute(
            sa.select(ranked.c.photoset_id, ranked.c.photo_id).where(ranked.c.rank == 1)
        )
    }
    rest = {int(s["id"]): int(s["primary_photo_id"]) for s in sets if int(s["id"]) not in chosen}
    if rest:
        seen = set(
            (
                await conn.execute(
                    sa.select(photos.c.id).where(
                        photos.c.id.in_(sorted(set(rest.values()))), photo_visible(viewer), *extra
                    )
                )
            ).scalars()
        )
        chosen.update({s: p for s, p in rest.items() if p in seen})
    return chosen
