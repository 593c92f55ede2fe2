"""Serving renditions: unguessable names, cached immutably."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response

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
    # (waiting for approval, failed) is not reachable, and a deleted one is gone.
    if not path.is_file():
        raise NotFound("No such file.")
    return FileResponse(
        path,
        media_type="image/webp",
        headers={"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"},
    )
