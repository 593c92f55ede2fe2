"""Geotags: set, remove, and who may see them. Setting a location names its places
(the offline gazetteer, in a thread: its first use loads it) and takes the most private
of the owner's default and the photo's current geo permission (DESIGN §6). A narrower
permission asks ``actions.file_urls`` whether the photo's file URLs must change (not
while served files carry no location)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.actions import file_urls
from photohub.actions.photos import announce_change, load_for
from photohub.domain.privacy import Viewer, strictest_geo_perm
from photohub.places import gazetteer
from photohub.site import Site
from photohub.store import photos as photo_store
from photohub.store import users
from photohub.store.db import utcnow
from photohub.store.events import Event


async def set_location(
    site: Site, viewer: Viewer, photo_id: int, lat: float, lon: float, accuracy: int
) -> None:
    places = await asyncio.to_thread(gazetteer.reverse, lat, lon)
    with file_urls.rotating(site.media) as rotation:
        async with site.db.write() as conn:
            row = await load_for(conn, photo_id, viewer)
            owner = None if row["user_id"] is None else await users.get(conn, int(row["user_id"]))
            default = int(owner["default_geo_perm"]) if owner is not None else int(row["geo_perm"])
            geo_perm = strictest_geo_perm(default, int(row["geo_perm"]))
            await file_urls.geo_perm_changed(conn, rotation, row, geo_perm)
            written = await _update_and_announce(
                conn,
                photo_id,
                latitude=lat,
                longitude=lon,
                accuracy=accuracy,
                geo_perm=geo_perm,
                **photo_store.place_values(places),
            )
    await site.announce(written)


async def remove_location(site: Site, viewer: Viewer, photo_id: int) -> None:
    async with site.db.write() as conn:
        await load_for(conn, photo_id, viewer)
        written = await _update_and_announce(
            conn,
            photo_id,
            latitude=None,
            longitude=None,
            accuracy=None,
            place_city=None,
            place_region=None,
            place_country=None,
        )
    await site.announce(written)


async def set_geo_perm(site: Site, viewer: Viewer, photo_id: int, geo_perm: int) -> None:
    with file_urls.rotating(site.media) as rotation:
        async with site.db.write() as conn:
            row = await load_for(conn, photo_id, viewer)
            await file_urls.geo_perm_changed(conn, rotation, row, geo_perm)
            # Subscribers holding the photo with its location get an entry without it.
            written = await _update_and_announce(conn, photo_id, geo_perm=geo_perm)
    await site.announce(written)


async def _update_and_announce(conn: AsyncConnection, photo_id: int, **values: Any) -> list[Event]:
    """Change the photo's row and announce it as it is now (walls, owner, push)."""
    await photo_store.update(conn, photo_id, **values, updated_at=utcnow())
    updated = await photo_store.get(conn, photo_id)
    assert updated is not None
    return await announce_change(conn, updated, "photo.updated")
