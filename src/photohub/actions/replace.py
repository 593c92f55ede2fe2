"""Replacing a photo's file (Flickr's ``/services/replace/``): same photo, new picture.

The photo keeps its id, title, description, tags, visibility, safety level, geo
permission and views; its file-derived fields (format, size, dimensions) follow the new
file, and its capture time and location are taken from the new file only where the photo
had none (the owner may have set them by hand). It gets a new secret, so every URL of the
old picture stops working, and its renditions are made again by the ``process_image``
task as for a new upload. Under moderation the new picture waits for the host again.

One transaction updates the row, writes the events, enqueues the task and, as its last
step, moves the new original into place; only after the commit are the old original and
renditions removed, so a failed replace leaves the photo as it was.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.actions.photos import load_for
from photohub.actions.uploads import inspect
from photohub.domain import photos as rules
from photohub.domain.errors import Forbidden, NotFound, PhotohubError
from photohub.domain.privacy import Viewer, may_manage, on_wall, owner_audience
from photohub.media.inspect import ImageInfo
from photohub.media.storage import new_secret
from photohub.site import Site, host_state_from
from photohub.store import events
from photohub.store import photos as photo_store
from photohub.store import site as site_store
from photohub.store import tickets as ticket_store
from photohub.store.db import utcnow
from photohub.store.events import Event
from photohub.tasks import queue


class StillProcessing(PhotohubError):
    status = 409
    code = "still_processing"

    def __init__(self) -> None:
        super().__init__(
            "This photo's previous file is still being processed; "
            "replace it again in a few seconds."
        )


@dataclass(frozen=True)
class Replaced:
    photo_id: int
    secret: str


async def check_replaceable(site: Site, viewer: Viewer, photo_id: int) -> None:
    """Refuse early what ``replace_photo`` would refuse (an asynchronous replace answers
    before it stores): a photo that is missing, not the viewer's, or still processing."""
    async with site.db.read() as conn:
        row = await photo_store.get(conn, photo_id)
    if row is None:
        raise NotFound("This photo does not exist (it may have been deleted).")
    if not may_manage(row["guest_id"], viewer, row["user_id"]):
        raise Forbidden("Only the person who uploaded this photo can change it.")
    if row["state"] == "processing":
        raise StillProcessing()


async def replace_photo(
    site: Site,
    viewer: Viewer,
    photo_id: int,
    upload: Path,
    *,
    info: ImageInfo | None = None,
    ticket_id: int | None = None,
) -> Replaced:
    """Give the photo the file at ``upload`` (consumed: moved into place on success,
    deleted on any failure). Only its owner may (``NotFound`` / ``Forbidden``
    otherwise). ``info``: the file's inspection if already made; ``ticket_id``: an
    upload ticket the same transaction marks complete."""
    try:
        if info is None:
            info = await inspect(site, upload)
        return await _commit(site, viewer, photo_id, upload, info, ticket_id)
    finally:
        with contextlib.suppress(FileNotFoundError):
            upload.unlink()


async def _commit(
    site: Site,
    viewer: Viewer,
    photo_id: int,
    upload: Path,
    info: ImageInfo,
    ticket_id: int | None,
) -> Replaced:
    secret = new_secret()
    original: Path | None = None
    try:
        async with site.db.write() as conn:
            before = await load_for(conn, photo_id, viewer)
            if before["state"] == "processing":
                # A running process_image would write renditions of the old file under
                # the old secret, then mark the photo ready with them.
                raise StillProcessing()
            state = host_state_from(await site_store.get_all(conn), site.settings)
            changes: dict[str, Any] = {
                "secret": secret,
                "format": info.format,
                "ext": info.ext,
                "bytes": upload.stat().st_size,
                "width": info.width,
                "height": info.height,
                "state": "processing",
                "renditions": [],
                "approved": bool(before["approved"]) and not state.moderation,
                "updated_at": utcnow(),
            }
            if before["taken_at"] is None:
                changes["taken_at"] = info.taken_at
            if before["latitude"] is None and info.latitude is not None:
                changes["latitude"], changes["longitude"] = info.latitude, info.longitude
            await photo_store.update(conn, photo_id, **changes)
            after = await photo_store.get(conn, photo_id)
            assert after is not None
            written = await _events(conn, before, after)
            await queue.enqueue(conn, "process_image", {"photo_id": photo_id})
            if ticket_id is not None:
                await ticket_store.complete(conn, ticket_id, photo_id)
            # Last step before commit: if the move fails, the row is rolled back.
            original = site.media.original_path(photo_id, secret, info.ext)
            upload.replace(original)
    except BaseException:
        if original is not None:
            site.media.remove([original])
        raise
    # The old picture's files go only now: a failed replace leaves the photo whole.
    sizes = [r["size"] for r in before["renditions"] or []]
    site.media.remove(site.media.photo_files(photo_id, before["secret"], before["ext"], sizes))
    await site.announce(written, tasks_added=True)
    return Replaced(photo_id, secret)


async def _events(conn: AsyncConnection, before: RowMapping, after: RowMapping) -> list[Event]:
    """Walls drop the old picture (its URLs are gone); ``process_image`` publishes the
    new one when its renditions exist. The guest who uploaded it sees the change."""
    photo_id = int(after["id"])
    written: list[Event] = []
    if on_wall(
        before["state"], bool(before["approved"]), before["visibility"], before["safety_level"]
    ):
        data = {"id": photo_id}
        written.append(await events.append(conn, "photo.deleted", data, photo_id=photo_id))
    if after["guest_id"]:
        view = rules.photo_view(after, after["author"], with_geo=True, private_fields=True)
        audience = owner_audience(after["guest_id"])
        written.append(
            await events.append(conn, "photo.updated", view, audience=audience, photo_id=photo_id)
        )
    return written
