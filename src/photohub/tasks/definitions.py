"""Task definitions: name -> handler. Handlers receive the running ``Site``."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from photohub.actions import file_urls
from photohub.domain import photos as rules
from photohub.domain.geo import GeoError
from photohub.domain.privacy import on_wall, owner_audience
from photohub.media.decoding import shared_gate
from photohub.media.inspect import MediaError
from photohub.media.renditions import make_renditions
from photohub.places import gazetteer
from photohub.push.dispatch import FAVE_TASK, PHOTO_TASK, push_fave, push_photo
from photohub.push.intent import VERIFY_TASK, run_verification
from photohub.push.leases import LEASES_TASK, sweep_leases
from photohub.store import events
from photohub.store import photos as photo_store
from photohub.store.db import utcnow
from photohub.store.events import Event
from photohub.tasks.runner import Handler

log = logging.getLogger("photohub.tasks")

if TYPE_CHECKING:
    from photohub.site import Site


async def process_image(site: Site, args: dict[str, Any]) -> None:
    """Make the renditions of a new photo, then put it on the wall (if approved)."""
    photo_id = int(args["photo_id"])
    async with site.db.read() as conn:
        row = await photo_store.get(conn, photo_id)
    if row is None or row["state"] != "processing":
        return  # deleted meanwhile, or already done by an earlier run
    secret = row["secret"]
    sizes = site.settings.rendition_sizes
    source = site.media.original_path(photo_id, secret, row["ext"])
    try:
        made = await asyncio.to_thread(
            make_renditions,
            source,
            lambda size: site.media.rendition_path(photo_id, secret, size),
            sizes,
            max_pixels=site.settings.max_image_pixels,
            gate=shared_gate(site.settings.decode_memory, site.settings.decode_concurrency),
        )
    except MediaError as exc:
        await _mark_failed(site, photo_id, exc.message)
        return
    renditions = [{"size": r.size, "width": r.width, "height": r.height} for r in made]
    places = await _places_of(row)
    written: list[Event] = []
    async with site.db.write() as conn:
        row = await photo_store.get(conn, photo_id, lock=True)
        if row is None:  # deleted while we worked: leave no files behind
            site.media.remove(r.path for r in made)
            return
        if row["secret"] != secret:  # made private while we worked: its files were renamed
            for r in made:
                r.path.replace(site.media.rendition_path(photo_id, row["secret"], r.size))
        await photo_store.update(
            conn, photo_id, state="ready", renditions=renditions, updated_at=utcnow(), **places
        )
        row = await photo_store.get(conn, photo_id)
        assert row is not None
        if row["guest_id"]:
            owner_view = rules.photo_view(row, row["author"], with_geo=True, private_fields=True)
            written.append(
                await events.append(
                    conn,
                    "photo.ready",
                    owner_view,
                    audience=owner_audience(row["guest_id"]),
                    photo_id=photo_id,
                )
            )
        if on_wall(row["state"], bool(row["approved"]), row["visibility"], row["safety_level"]):
            public = rules.photo_view(row, row["author"])
            written.append(await events.append(conn, "photo.published", public, photo_id=photo_id))
        elif not row["approved"]:
            written.append(
                await events.append(
                    conn,
                    "photo.awaiting_approval",
                    rules.photo_view(row, row["author"], private_fields=True),
                    audience="admin",
                    photo_id=photo_id,
                )
            )
    await site.announce(written)


async def _places_of(row: Any) -> dict[str, int | None]:
    """Name the places of a location read from the file (EXIF GPS), off the upload's path:
    the gazetteer loads on first use. Nothing when there is no point or it has places."""
    if row["latitude"] is None or row["place_city"] or row["place_region"]:
        return {}
    try:
        found = await asyncio.to_thread(gazetteer.reverse, row["latitude"], row["longitude"])
    except GeoError:
        return {}
    return photo_store.place_values(found)


async def _mark_failed(site: Site, photo_id: int, message: str) -> None:
    async with site.db.write() as conn:
        row = await photo_store.get(conn, photo_id, lock=True)
        if row is None:
            return
        await photo_store.update(conn, photo_id, state="failed", updated_at=utcnow())
        written = []
        if row["guest_id"]:
            written.append(
                await events.append(
                    conn,
                    "photo.failed",
                    {"id": photo_id, "message": message},
                    audience=owner_audience(row["guest_id"]),
                    photo_id=photo_id,
                )
            )
    await site.announce(written)


ORPHAN_AGE = 600.0  # seconds: never race an upload that is committing right now


async def sweep_media(site: Site, args: dict[str, Any]) -> None:
    """Remove files whose photo row does not exist: what a crash between moving a file
    into place and committing its row can leave behind; and names under a photo's former
    secret that a crash in the middle of a secret change left (``file_urls``)."""
    on_disk = await asyncio.to_thread(site.media.files_by_photo)
    await file_urls.settle_names(site, on_disk)
    async with site.db.read() as conn:
        known = await photo_store.existing_ids(conn, on_disk)
    cutoff = time.time() - ORPHAN_AGE
    candidates = [
        path for photo_id, paths in on_disk.items() if photo_id not in known for path in paths
    ]
    candidates += await asyncio.to_thread(site.media.temp_files)
    orphans = [path for path in candidates if path.stat().st_mtime < cutoff]
    if orphans:
        log.warning("removing %d orphan media files", len(orphans))
        site.media.remove(orphans)


HANDLERS: dict[str, Handler[Site]] = {
    "process_image": process_image,
    "sweep_media": sweep_media,
    VERIFY_TASK: run_verification,
    LEASES_TASK: sweep_leases,
    PHOTO_TASK: push_photo,
    FAVE_TASK: push_fave,
}
