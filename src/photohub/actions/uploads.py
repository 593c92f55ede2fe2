"""Receiving a photo: validate the file, store it, and commit row + event + task at once."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from photohub.domain import photos as rules
from photohub.domain.errors import PhotohubError, UploadsPaused
from photohub.domain.privacy import GEO_PRIVATE, owner_audience
from photohub.media.inspect import ImageInfo, MediaError, inspect_image
from photohub.media.storage import new_secret
from photohub.site import Site, host_state_from
from photohub.store import events, guests
from photohub.store import photos as photo_store
from photohub.store import site as site_store
from photohub.store.db import utcnow
from photohub.tasks import queue


async def inspect(site: Site, path: Path) -> ImageInfo:
    """Decide the file's type by content and check it; raises a guest-readable error."""
    try:
        return await asyncio.to_thread(
            inspect_image, path, max_pixels=site.settings.max_image_pixels
        )
    except MediaError as exc:
        status = 415 if exc.reason in ("not_image", "unsupported") else 400
        raise PhotohubError(exc.message, code=exc.reason, status=status) from exc


async def store_upload(
    site: Site,
    guest_id: str,
    upload: Path,
    *,
    title: object = None,
    description: object = None,
    name: object = None,
) -> dict[str, Any]:
    """Turn a received file into a photo. The file at ``upload`` is consumed: moved
    into place on success, deleted on any failure, so nothing is left half-stored."""
    try:
        clean_title = rules.clean_text(title, "title", rules.TITLE_MAX)
        clean_description = rules.clean_text(
            description, "description", rules.DESCRIPTION_MAX, multiline=True
        )
        clean_name = None if name is None else rules.clean_text(name, "name", rules.NAME_MAX)
        info = await inspect(site, upload)
        return await _commit(
            site, guest_id, upload, info, clean_title, clean_description, clean_name
        )
    except rules.FieldError as exc:
        raise PhotohubError(exc.message, code="invalid_" + exc.field) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            upload.unlink()


async def _commit(
    site: Site,
    guest_id: str,
    upload: Path,
    info: ImageInfo,
    title: str,
    description: str,
    name: str | None,
) -> dict[str, Any]:
    secret = new_secret()
    original: Path | None = None
    try:
        async with site.db.write() as conn:
            state = host_state_from(await site_store.get_all(conn), site.settings)
            if state.uploads_paused:
                raise UploadsPaused()
            if name is not None:
                await guests.set_name(conn, guest_id, name)
            else:
                await guests.ensure(conn, guest_id)
            now = utcnow()
            photo_id = await photo_store.insert(
                conn,
                secret=secret,
                guest_id=guest_id,
                title=title,
                description=description,
                state="processing",
                approved=not state.moderation,
                format=info.format,
                ext=info.ext,
                bytes=upload.stat().st_size,
                width=info.width,
                height=info.height,
                taken_at=info.taken_at,
                latitude=info.latitude,
                longitude=info.longitude,
                geo_perm=GEO_PRIVATE,
                renditions=[],
                created_at=now,
                updated_at=now,
            )
            row = await photo_store.get(conn, photo_id)
            assert row is not None
            view = rules.photo_view(row, row["author"], with_geo=True, private_fields=True)
            created = await events.append(
                conn,
                "photo.created",
                view,
                audience=owner_audience(guest_id),
                photo_id=photo_id,
            )
            await queue.enqueue(conn, "process_image", {"photo_id": photo_id})
            # Last step before commit: if the move fails, the row is rolled back.
            original = site.media.original_path(photo_id, secret, info.ext)
            upload.replace(original)
    except BaseException:
        if original is not None:
            site.media.remove([original])
        raise
    await site.announce([created], tasks_added=True)
    return view
