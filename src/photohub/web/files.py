"""Serving renditions: unguessable names, cached immutably.

A file is opened before anything is answered and served from that open file, so a
secret change (``actions.file_urls``) removing its name meanwhile never turns a
request into an error: a reader that came first gets the whole file, one that comes
after the old name is gone gets a 404."""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
from email.utils import formatdate
from typing import BinaryIO

from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from photohub.domain.errors import NotFound
from photohub.web.render import site_of

IMMUTABLE = "public, max-age=31536000, immutable"


async def rendition(request: Request) -> Response:
    site = site_of(request)
    found = site.media.resolve_rendition(request.path_params["name"])
    if found is None:
        raise NotFound("No such file.")
    *_, path = found
    # The secret in the name is the permission: a photo whose URL was never shown
    # (waiting for approval, failed) is not reachable, a deleted one is gone, and one
    # whose audience shrank has a new secret (the old name is gone).
    try:
        opened = await asyncio.to_thread(_open_regular, path)
    except OSError:
        opened = None
    if opened is None:
        raise NotFound("No such file.")
    return OpenFileResponse(
        opened,
        media_type="image/webp",
        headers={"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"},
    )


def _open_regular(path: os.PathLike[str]) -> BinaryIO | None:
    """The file open for reading, or None if the name is not a regular file."""
    file = open(path, "rb")  # noqa: SIM115 - the response closes it
    if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
        file.close()
        return None
    return file


def _tag(info: os.stat_result) -> str:
    """As Starlette's FileResponse makes it: the file's mtime and size."""
    base = f"{info.st_mtime}-{info.st_size}".encode()
    return hashlib.md5(base, usedforsecurity=False).hexdigest()


class OpenFileResponse(Response):
    """A whole file from an already open handle (closed when sent, or not sent)."""

    chunk_size = 64 * 1024

    def __init__(self, file: BinaryIO, *, media_type: str, headers: dict[str, str]) -> None:
        self.file = file
        self.status_code = 200
        self.media_type = media_type
        self.background = None
        info = os.fstat(file.fileno())
        self.size = info.st_size
        self.init_headers(
            {
                **headers,
                "Content-Length": str(info.st_size),
                "Last-Modified": formatdate(info.st_mtime, usegmt=True),
                "ETag": f'"{_tag(info)}"',
            }
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            if scope.get("method", "GET").upper() == "HEAD":
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            remaining = self.size
            while True:
                chunk = await asyncio.to_thread(self.file.read, min(self.chunk_size, remaining))
                remaining -= len(chunk)
                more = bool(chunk) and remaining > 0
                await send({"type": "http.response.body", "body": chunk, "more_body": more})
                if not more:
                    return
        finally:
            self.file.close()


class VersionedStatic(StaticFiles):
    """Static files; a URL carrying its content hash (``?v=``) is cached for good."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200 and b"v=" in scope.get("query_string", b""):
            response.headers["Cache-Control"] = IMMUTABLE
        return response
