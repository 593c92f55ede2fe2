"""Receiving a photo: validate the file, store it, and commit row + event + task at once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.domain import photos as rules
from photohub.domain.errors import NotFound, PhotohubError, UploadsPaused
from photohub.domain.privacy import (
    ADMIN,
    GEO_PERM_VISIBILITY,
    GEO_PRIVATE,
    PUBLIC,
    SAFE,
    SAFE_SEARCH_LEVELS,
    VISIBILITIES,
    owner_audience,
)
from photohub.domain.tags import Tag
from photohub.media import renditions
from photohub.media.decoding import DecodeGate, Header, shared_gate
from photohub.media.inspect import ImageInfo, MediaError, inspect_image
from photohub.media.storage import new_secret
from photohub.site import Site, host_state_from
from photohub.store import events, guests, users
from photohub.store import photos as photo_store
from photohub.store import site as site_store
from photohub.store import tags as tag_store
from photohub.store import tickets as ticket_store
from photohub.store.db import utcnow
from photohub.tasks import queue

# Flickr's content types: 1 photo, 2 screenshot, 3 other.
CONTENT_PHOTO = 1
CONTENT_TYPES = (1, 2, 3)


def decode_gate(site: Site) -> DecodeGate:
    """The gate every decode of this site's process passes (see media.decoding)."""
    return shared_gate(site.settings.decode_memory, site.settings.decode_concurrency)


async def inspect(site: Site, path: Path) -> ImageInfo:
    """Decide the file's type by content and check it; raises a guest-readable error.

    Besides its own decode, the price of the renditions' decode is checked here, so a
    file the ``process_image`` task could never decode is refused before it is stored."""
    largest = max(site.settings.rendition_sizes, default=0)

    def render_price(header: Header) -> int:
        return renditions.price(header, largest) if largest else 0

    try:
        return await asyncio.to_thread(
            inspect_image,
            path,
            max_pixels=site.settings.max_image_pixels,
            gate=decode_gate(site),
            render_price=render_price,
        )
    except MediaError as exc:
        status = 415 if exc.reason in ("not_image", "unsupported") else 400
        raise PhotohubError(exc.message, code=exc.reason, status=status) from exc


async def store_upload(
    site: Site,
    guest_id: str | None,
    upload: Path,
    *,
    title: object = None,
    description: object = None,
    name: object = None,
    user_id: int | None = None,
    visibility: str = PUBLIC,
    safety_level: int = SAFE,
    content_type: int = CONTENT_PHOTO,
    hidden: bool = False,
    tags: Sequence[Tag] = (),
    info: ImageInfo | None = None,
    ticket_id: int | None = None,
    honour_pause: bool = True,
) -> dict[str, Any]:
    """Turn a received file into a photo. The file at ``upload`` is consumed: moved
    into place on success, deleted on any failure, so nothing is left half-stored.

    ``guest_id``: the party guest uploading it (None for an account's API upload).
    ``user_id``: the logged-in account uploading it, which then owns it; its location
    from EXIF gets the account's default geo permission (a guest's stays private).
    ``visibility``, ``safety_level``, ``content_type``, ``hidden`` and ``tags`` are
    stored in the same transaction as the photo row. ``info``: the file's inspection when
    the caller already made it (an asynchronous API upload checks the file before it
    answers). ``ticket_id``: an upload ticket the same transaction marks complete.
    ``honour_pause``: refuse while the host has paused uploads (the party pages do;
    accounts uploading through the API do not, see docs/api.md)."""
    try:
        placement = _placement(visibility, safety_level, content_type, hidden, tags)
        clean_title = rules.clean_text(title, "title", rules.TITLE_MAX)
        clean_description = rules.clean_text(
            description, "description", rules.DESCRIPTION_MAX, multiline=True
        )
        clean_name = None if name is None else rules.clean_text(name, "name", rules.NAME_MAX)
        if info is None:
            info = await inspect(site, upload)
        return await _commit(
            site,
            guest_id,
            upload,
            info,
            clean_title,
            clean_description,
            clean_name,
            user_id,
            placement=placement,
            ticket_id=ticket_id,
            honour_pause=honour_pause,
        )
    except rules.FieldError as exc:
        raise PhotohubError(exc.message, code="invalid_" + exc.field) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            upload.unlink()


@dataclass(frozen=True)
class _Placement:
    """Who may see a new photo and how it is classed (Flickr's upload arguments)."""

    visibility: str = PUBLIC
    safety_level: int = SAFE
    content_type: int = CONTENT_PHOTO
    hidden: bool = False
    tags: tuple[Tag, ...] = ()


def _placement(
    visibility: str, safety_level: int, content_type: int, hidden: bool, tags: Sequence[Tag]
) -> _Placement:
    if visibility not in VISIBILITIES:
        raise rules.FieldError("visibility", f"Unknown visibility {visibility[:40]!r}.")
    if safety_level not in SAFE_SEARCH_LEVELS:
        raise rules.FieldError("safety_level", "The safety level must be 1, 2 or 3.")
    if content_type not in CONTENT_TYPES:
        raise rules.FieldError("content_type", "The content type must be 1, 2 or 3.")
    return _Placement(visibility, safety_level, content_type, bool(hidden), tuple(tags))


async def _geo_perm(conn: AsyncConnection, user_id: int | None) -> int:
    """The geo permission of a new photo's EXIF location: the owner's default for an
    account (DESIGN §6; no geofence applies yet), private for a guest."""
    if user_id is None:
        return GEO_PRIVATE
    owner = await users.get(conn, user_id)
    if owner is None:
        raise NotFound("This account no longer exists.", code="no_account")
    perm = int(owner["default_geo_perm"])
    return perm if perm in GEO_PERM_VISIBILITY else GEO_PRIVATE


async def _commit(
    site: Site,
    guest_id: str | None,
    upload: Path,
    info: ImageInfo,
    title: str,
    description: str,
    name: str | None,
    user_id: int | None = None,
    *,
    placement: _Placement = _Placement(),
    ticket_id: int | None = None,
    honour_pause: bool = True,
) -> dict[str, Any]:
    secret = new_secret()
    original: Path | None = None
    try:
        async with site.db.write() as conn:
            state = host_state_from(await site_store.get_all(conn), site.settings)
            if honour_pause and state.uploads_paused:
                raise UploadsPaused()
            if guest_id is not None and name is not None:
                await guests.set_name(conn, guest_id, name)
            elif guest_id is not None:
                await guests.ensure(conn, guest_id)
            now = utcnow()
            photo_id = await photo_store.insert(
                conn,
                secret=secret,
                guest_id=guest_id,
                user_id=user_id,
                title=title,
                description=description,
                visibility=placement.visibility,
                safety_level=placement.safety_level,
                content_type=placement.content_type,
                hidden=placement.hidden,
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
                geo_perm=await _geo_perm(conn, user_id),
                renditions=[],
                created_at=now,
                updated_at=now,
            )
            if placement.tags:
                await tag_store.set_tags(conn, photo_id, placement.tags, user_id)
            if ticket_id is not None:
                await ticket_store.complete(conn, ticket_id, photo_id)
            row = await photo_store.get(conn, photo_id)
            assert row is not None
            view = rules.photo_view(row, row["author"], with_geo=True, private_fields=True)
            created = await events.append(
                conn,
                "photo.created",
                view,
                # An account's API upload has no guest browser to tell: the host sees it.
                audience=owner_audience(guest_id) if guest_id is not None else ADMIN,
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
