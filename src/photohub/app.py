"""The application factory and the whole route map."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from photohub.api import openapi, rest, upload
from photohub.api.args import MAX_ROW_ID
from photohub.config import Settings, from_env
from photohub.domain.errors import PhotohubError
from photohub.site import Site
from photohub.web import (
    accounts,
    admin,
    api,
    explorer,
    files,
    guard,
    headers,
    hub,
    identity,
    pages,
    push_admin,
    topics,
)
from photohub.web import apps as app_pages
from photohub.web import oauth as oauth_pages
from photohub.web.render import STATIC, error_response

log = logging.getLogger("photohub")


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


def _at_most(bound: str) -> str:
    """A regular expression for the numbers of ``len(bound)`` digits up to ``bound``."""
    choices = [bound]
    for i, digit in enumerate(bound):
        if digit != "0":
            low = "1" if i == 0 else "0"
            if int(digit) - 1 >= int(low):
                rest = len(bound) - i - 1
                choices.append(f"{bound[:i]}[{low}-{int(digit) - 1}][0-9]{{{rest}}}")
    return "|".join(choices)


class RowId(Convertor[int]):
    """``{name:id}``: a database id, 1 to 2^63-1, in its plain spelling (no sign, no
    leading zero). Anything else does not match the route, so it is a clean 404 (a page
    or JSON) and never reaches the database, where 2^63 and up overflowed (a 500)."""

    _MAX = str(MAX_ROW_ID)
    regex = f"(?:[1-9][0-9]{{0,{len(_MAX) - 2}}}|{_at_most(_MAX)})"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        if not 1 <= value <= MAX_ROW_ID:
            raise ValueError("not a database id")
        return str(value)


# Before the routes below are compiled.
register_url_convertor("id", RowId())


routes = [
    # Pages
    Route("/", pages.home),
    Route("/upload", pages.upload),
    Route("/wall", pages.wall),
    Route("/mine", pages.mine),
    Route("/admin", pages.admin),
    Route("/admin/login", pages.admin_login, methods=["GET", "POST"]),
    Route("/admin/logout", pages.admin_logout, methods=["POST"]),
    Route("/admin/push", push_admin.subscriptions),
    Route("/admin/push/{subscription_id:id}/end", push_admin.end, methods=["POST"]),
    Route("/signup", accounts.signup, methods=["GET", "POST"]),
    Route("/login", accounts.login, methods=["GET", "POST"]),
    Route("/logout", accounts.logout, methods=["POST"]),
    Route("/account", accounts.account, methods=["GET", "POST"]),
    Route("/account/buddyicon", accounts.buddyicon_upload, methods=["POST"]),
    # JSON for the pages
    Route("/api/state", api.state),
    Route("/api/wall", api.wall),
    Route("/api/mine", api.mine),
    Route("/api/me", api.set_name, methods=["POST"]),
    Route("/api/photos", api.create_photo, methods=["POST"]),
    Route("/api/photos/{photo_id:id}", api.edit_photo, methods=["PATCH"]),
    Route("/api/photos/{photo_id:id}", api.delete_photo, methods=["DELETE"]),
    Route("/api/admin/photos", admin.photos),
    Route("/api/admin/uploads", admin.uploads, methods=["POST"]),
    Route("/api/admin/settings", admin.settings, methods=["POST"]),
    Route("/api/admin/photos/{photo_id:id}/approve", admin.approve, methods=["POST"]),
    # The Flickr-compatible API
    Route("/services/rest", rest.endpoint, methods=["GET", "POST"]),
    Route("/services/rest/", rest.endpoint, methods=["GET", "POST"]),
    Route("/services/rest/{method_name:str}", rest.endpoint, methods=["GET", "POST"]),
    Route("/services/upload", upload.upload, methods=["POST"]),
    Route("/services/upload/", upload.upload, methods=["POST"]),
    Route("/services/replace", upload.replace, methods=["POST"]),
    Route("/services/replace/", upload.replace, methods=["POST"]),
    Route("/services/api/openapi.json", openapi.endpoint),
    Route("/services/api/explorer", explorer.index),
    Route("/services/api/explorer/{method_name:str}", explorer.method),
    Route("/hub", hub.endpoint, methods=["POST"]),
    # OAuth 1.0a (docs/oauth.md) and app registration
    Route("/services/oauth/request_token", oauth_pages.request_token, methods=["GET", "POST"]),
    Route("/services/oauth/authorize", oauth_pages.authorize, methods=["GET", "POST"]),
    Route("/services/oauth/access_token", oauth_pages.access_token, methods=["GET", "POST"]),
    Route("/services/apps", app_pages.apps_page, methods=["GET", "POST"]),
    # Live events (SSE) and files
    Route("/live", api.live),
    Route("/media/{name:str}", files.rendition),
    Route("/buddyicons/{name:str}", accounts.buddyicon),
    Route("/push/topics/{name:str}", topics.feed, methods=topics.METHODS, middleware=[topics.CORS]),
    Mount("/static", files.VersionedStatic(directory=str(STATIC)), name="static"),
    Route("/healthz", healthz),
]


async def _photohub_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PhotohubError)
    return await error_response(request, exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {
        404: "There is nothing here. Check the address.",
        405: "This address does not accept that kind of request.",
    }
    message = messages.get(exc.status_code, str(exc.detail))
    error = PhotohubError(message, code=f"http_{exc.status_code}", status=exc.status_code)
    return await error_response(request, error)


async def _crash(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    error = PhotohubError("Something went wrong on our side. Please try again.", status=500)
    error.code = "internal"
    return await error_response(request, error)


class _App(Starlette):
    """Starlette with the security headers outermost: on every response, the 500 page
    of :func:`_crash` included (it is answered outside the middleware list)."""

    def build_middleware_stack(self) -> ASGIApp:
        return headers.SecurityHeaders(super().build_middleware_stack())


def create_app(
    settings: Settings | None = None, *, site: Site | None = None, manage_site: bool = True
) -> Starlette:
    """Build the ASGI app. The site starts and stops with the app's lifespan unless
    ``manage_site`` is false (the CLI starts it itself, to print what it created)."""
    site = site or Site(settings or from_env())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not manage_site:
            yield
            return
        await site.start()
        try:
            yield
        finally:
            await site.close()

    app = _App(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            # Cross-site state changes refused before anything reads them.
            Middleware(guard.CrossSiteGuard),
            # Resolves the login session first, so every handler knows the account.
            Middleware(identity.SessionMiddleware),
        ],
        exception_handlers={
            PhotohubError: _photohub_error,
            HTTPException: _http_error,
            Exception: _crash,
        },
    )
    app.state.site = site
    return app
