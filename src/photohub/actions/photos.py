"""Changing photos after upload: edit, delete, approve, and the author's name."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.actions import file_urls
from photohub.domain import photos as rules
from photohub.domain.errors import Forbidden, NotFound, PhotohubError
from photohub.domain.privacy import Viewer, may_manage, on_wall, owner_audience
from photohub.site import Site
from photohub.store import events, guests
from photohub.store import photos as photo_store
from photohub.store.db import utcnow
from photohub.store.events import Event


def _views(row: RowMapping) -> tuple[dict[str, Any], dict[str, Any]]:
    """(public view, owner view) of a photo row."""
    public = rules.photo_view(row, row["author"])
    owner = rules.photo_view(row, row["author"], with_geo=True, private_fields=True)
    return public, owner


async def announce_change(conn: AsyncConnection, row: RowMapping, kind: str) -> list[Event]:
    public, owner = _views(row)
    written: list[Event] = []
    if on_wall(row["state"], bool(row["approved"]), row["visibility"], row["safety_level"]):
        written.append(await events.append(conn, kind, public, photo_id=row["id"]))
    if row["guest_id"]:
        written.append(
            await events.append(
                conn, kind, owner, audience=owner_audience(row["guest_id"]), photo_id=row["id"]
            )
        )
    return written


async def load_for(conn: AsyncConnection, photo_id: int, viewer: Viewer) -> RowMapping:
    row = await photo_store.get(conn, photo_id, lock=True)
    if row is None:
        raise NotFound("This photo does not exist (it may have been deleted).")
    if not may_manage(row["guest_id"], viewer, row["user_id"]):
        raise Forbidden("Only the person who uploaded this photo can change it.")
    return row


async def edit(
    site: Site,
    viewer: Viewer,
    photo_id: int,
    *,
    title: object = None,
    description: object = None,
) -> dict[str, Any]:
    """Change title and/or description (``None`` keeps a field as it is)."""
    try:
        changes: dict[str, Any] = {}
        if title is not None:
            changes["title"] = rules.clean_text(title, "title", rules.TITLE_MAX)
        if description is not None:
            changes["description"] = rules.clean_text(
                description, "description", rules.DESCRIPTION_MAX, multiline=True
            )
    except rules.FieldError as exc:
        raise PhotohubError(exc.message, code="invalid_" + exc.field) from exc
    async with site.db.write() as conn:
        await load_for(conn, photo_id, viewer)
        await photo_store.update(conn, photo_id, updated_at=utcnow(), **changes)
        row = await photo_store.get(conn, photo_id)
        assert row is not None
        written = await announce_change(conn, row, "photo.updated")
    await site.announce(written)
    return _views(row)[1]


async def delete(site: Site, viewer: Viewer, photo_id: int) -> None:
    async with site.db.write() as conn:
        row = await load_for(conn, photo_id, viewer)
        await photo_store.delete(conn, photo_id)
        data = {"id": photo_id}
        written = [await events.append(conn, "photo.deleted", data, photo_id=photo_id)]
    # Files go after the commit: a failed delete leaves the photo whole.
    sizes = [r["size"] for r in row["renditions"] or []]
    site.media.remove(site.media.photo_files(photo_id, row["secret"], row["ext"], sizes))
    await site.announce(written)


async def set_perms(site: Site, viewer: Viewer, photo_id: int, visibility: str) -> str:
    """Change who may see a photo; returns its secret. A change that takes the photo away
    from anyone gives it a new secret, and its files new names, so URLs already handed out
    stop working (``actions.file_urls``); the wall drops a photo leaving the public."""
    with file_urls.rotating(site.media) as rotation:
        async with site.db.write() as conn:
            row = await load_for(conn, photo_id, viewer)
            if row["visibility"] == visibility:
                return str(row["secret"])
            await file_urls.visibility_changed(conn, rotation, row, visibility)
            await photo_store.update(conn, photo_id, visibility=visibility, updated_at=utcnow())
            updated = await photo_store.get(conn, photo_id)
            assert updated is not None
            written = await _wall_moves(conn, row, updated)
            written += await announce_change(conn, updated, "photo.updated")
    await site.announce(written)
    return str(updated["secret"])


async def _wall_moves(conn: AsyncConnection, before: RowMapping, after: RowMapping) -> list[Event]:
    """The wall's view of a visibility change: a photo appears or disappears."""
    was = on_wall(
        before["state"], bool(before["approved"]), before["visibility"], before["safety_level"]
    )
    now = on_wall(
        after["state"], bool(after["approved"]), after["visibility"], after["safety_level"]
    )
    photo_id = int(after["id"])
    if was and not now:
        return [await events.append(conn, "photo.deleted", {"id": photo_id}, photo_id=photo_id)]
    if now and not was:
        public, _ = _views(after)
        return [await events.append(conn, "photo.published", public, photo_id=photo_id)]
    return []


async def set_safety(
    site: Site, viewer: Viewer, photo_id: int, *, safety_level: int | None, hidden: bool | None
) -> None:
    changes: dict[str, Any] = {}
    if safety_level is not None:
        changes["safety_level"] = safety_level
    if hidden is not None:
        changes["hidden"] = hidden
    if not changes:
        return
    async with site.db.write() as conn:
        row = await load_for(conn, photo_id, viewer)
        await photo_store.update(conn, photo_id, updated_at=utcnow(), **changes)
        updated = await photo_store.get(conn, photo_id)
        assert updated is not None
        # The wall shows safe photos only: a raised level takes it off every wall now.
        written = await _wall_moves(conn, row, updated)
    await site.announce(written)


async def approve(site: Site, photo_id: int) -> None:
    """Moderation: let a waiting photo onto the wall."""
    async with site.db.write() as conn:
        row = await photo_store.get(conn, photo_id, lock=True)
        if row is None:
            raise NotFound("This photo does not exist (it may have been deleted).")
        if row["approved"]:
            return
        await photo_store.update(conn, photo_id, approved=True, updated_at=utcnow())
        row = await photo_store.get(conn, photo_id)
        assert row is not None
        written = []
        if on_wall(row["state"], True, row["visibility"], row["safety_level"]):
            public, _ = _views(row)
            written.append(await events.append(conn, "photo.published", public, photo_id=photo_id))
        written += await announce_change(conn, row, "photo.updated")
    await site.announce(written)


async def rename_guest(site: Site, guest_id: str, name: object) -> str:
    """Set the name shown with a guest's photos; every photo on the wall updates."""
    try:
        clean = rules.clean_text(name, "name", rules.NAME_MAX)
    except rules.FieldError as exc:
        raise PhotohubError(exc.message, code="invalid_name") from exc
    written: list[Event] = []
    async with site.db.write() as conn:
        await guests.set_name(conn, guest_id, clean)
        for row in await photo_store.by_guest(conn, guest_id):
            written += await announce_change(conn, row, "photo.updated")
    await site.announce(written)
    return clean
