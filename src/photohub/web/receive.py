"""Receiving an upload body: limits enforced while it streams in."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import BinaryIO

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.types import Message

from photohub.domain.errors import PhotohubError, TooLarge
from photohub.site import Site

# Room for the multipart framing and the text fields around the file.
FORM_SLACK = 256 * 1024


def too_large(limit: int) -> TooLarge:
    return TooLarge(f"This photo is too large. The limit is {size_words(limit)} per photo.")


def size_words(size: int) -> str:
    """``25 MB``, ``1.5 MB``, ``195 KB``: a size as a guest reads it."""
    if size >= 10 * 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MB"
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


async def read_form(request: Request, limit: int, *, max_fields: int = 20) -> FormData:
    """Parse a multipart form, refusing at once a body larger than ``limit`` + slack:
    by its Content-Length when given, else by counting bytes as they arrive (the
    body is never held whole in memory; Starlette spools file parts to disk).
    ``max_fields``: text fields accepted besides the one file (Flickr's upload API sends
    up to ten of its own plus the OAuth parameters)."""
    ceiling = limit + FORM_SLACK
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > ceiling:
        raise too_large(limit)
    received = 0
    receive = request.receive

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > ceiling:
                raise too_large(limit)
        return message

    limited = Request(request.scope, counted)
    try:
        return await limited.form(max_files=1, max_fields=max_fields, max_part_size=64 * 1024)
    except TooLarge:
        raise
    except Exception as exc:  # malformed multipart from a broken client
        raise PhotohubError(
            "The upload could not be read. Please try again.", code="bad_form"
        ) from exc


async def save_file(site: Site, form: FormData) -> Path:
    """Copy the form's ``photo`` part into the incoming folder; return its path."""
    part = form.get("photo")
    if not isinstance(part, UploadFile):
        raise PhotohubError("Choose a photo to upload.", code="missing_photo")
    limit = site.settings.max_upload_bytes
    target = site.media.incoming_file()
    try:
        size = await asyncio.to_thread(_copy, part.file, target, limit)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    if size == 0:
        target.unlink(missing_ok=True)
        raise PhotohubError("This file is empty (0 bytes).", code="empty")
    return target


def _copy(source: BinaryIO, target: Path, limit: int) -> int:
    source.seek(0)
    size = 0
    with target.open("wb") as out:
        while chunk := source.read(1024 * 1024):
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            out.write(chunk)
    return size
