"""Serving renditions: unguessable names, cached immutably."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

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


class VersionedStatic(StaticFiles):
    """Static files; a URL carrying its content hash (``?v=``) is cached for good."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200 and b"v=" in scope.get("query_string", b""):
            response.headers["Cache-Control"] = IMMUTABLE
        return response
