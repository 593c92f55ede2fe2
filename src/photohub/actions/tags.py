"""Changing a photo's tags: owner only, one transaction, a ``photo.updated`` event."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.actions.photos import announce_change, load_for
from photohub.domain.errors import NotFound
from photohub.domain.privacy import Viewer
from photohub.domain.tags import Tag
from photohub.site import Site
from photohub.store import photos as photo_store
from photohub.store import tags as tag_store
from photohub.store.db import utcnow
from photohub.store.events import Event


async def _updated(conn: AsyncConnection, photo_id: int) -> list[Event]:
    """Mark the photo updated and write its ``photo.updated`` events."""
    await photo_store.update(conn, photo_id, updated_at=utcnow())
    row = await photo_store.get(conn, photo_id)
    assert row is not None
    return await announce_change(conn, row, "photo.updated")


class TagNotFound(NotFound):
    code = "tag_not_found"


async def set_tags(site: Site, viewer: Viewer, photo_id: int, tags: Sequence[Tag]) -> None:
    async with site.db.write() as conn:
        await load_for(conn, photo_id, viewer)
        await tag_store.set_tags(conn, photo_id, tags, viewer.user_id)
        written = await _updated(conn, photo_id)
    await site.announce(written)


async def add_tags(site: Site, viewer: Viewer, photo_id: int, tags: Sequence[Tag]) -> None:
    async with site.db.write() as conn:
        await load_for(conn, photo_id, viewer)
        await tag_store.add_tags(conn, photo_id, tags, viewer.user_id)
        written = await _updated(conn, photo_id)
    await site.announce(written)


async def remove_tag(site: Site, viewer: Viewer, photo_id: int, tag_id: int) -> None:
    async with site.db.write() as conn:
        tag = await tag_store.get_tag(conn, tag_id)
        if tag is None or int(tag["photo_id"]) != photo_id:
            raise TagNotFound("This tag does not exist.")
        await load_for(conn, photo_id, viewer)
        await tag_store.remove_tag(conn, tag_id)
        written = await _updated(conn, photo_id)
    await site.announce(written)
