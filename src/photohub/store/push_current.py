"""The current state of the photos stored push entries are about, in one query per
batch of entries (a replay page, a delivery step): what ``domain.push_recheck`` decides
from before an entry written earlier goes out."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.domain.push_recheck import PhotoNow
from photohub.store.push_schema import push_entries
from photohub.store.schema import photos, users


async def photos_now(conn: AsyncConnection, entry_ids: Sequence[int]) -> dict[int, PhotoNow | None]:
    """By entry id: its photo as it is now, None when the photo is gone (deleted) or the
    entry has none. An entry swept meanwhile is missing (treat it as None too)."""
    ids = sorted(set(entry_ids))
    if not ids:
        return {}
    query = (
        sa.select(
            push_entries.c.id.label("entry_id"),
            photos.c.id,
            photos.c.state,
            photos.c.approved,
            photos.c.visibility,
            photos.c.safety_level,
            photos.c.hidden,
            photos.c.geo_perm,
            photos.c.latitude,
            photos.c.longitude,
            users.c.push_opt_out,
            users.c.api_opt_out,
        )
        .select_from(
            push_entries.outerjoin(photos, photos.c.id == push_entries.c.photo_id).outerjoin(
                users, users.c.id == photos.c.user_id
            )
        )
        .where(push_entries.c.id.in_(ids))
    )
    found: dict[int, PhotoNow | None] = {}
    for row in (await conn.execute(query)).mappings():
        if row["id"] is None:
            found[int(row["entry_id"])] = None
            continue
        located = row["latitude"] is not None and row["longitude"] is not None
        found[int(row["entry_id"])] = PhotoNow(
            state=str(row["state"]),
            approved=bool(row["approved"]),
            visibility=str(row["visibility"]),
            safety_level=int(row["safety_level"]),
            hidden=bool(row["hidden"]),
            owner_opted_out=bool(row["push_opt_out"]) or bool(row["api_opt_out"]),
            geo_perm=int(row["geo_perm"]),
            location=(float(row["latitude"]), float(row["longitude"])) if located else None,
        )
    return found
