"""Responses: templates with the common page context, JSON, and errors in both forms."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from functools import cache
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.templating import Jinja2Templates

from photohub.banner import base_url
from photohub.domain.errors import PhotohubError
from photohub.site import Site
from photohub.web import identity

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=str(HERE / "templates"))


@cache
def _static_version(name: str) -> str:
    path = STATIC / name
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static_url(name: str) -> str:
    """``/static/<name>?v=<content hash>``: cached long, refreshed on every change."""
    return f"/static/{name}?v={_static_version(name)}"


def site_of(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def public_base(request: Request, site: Site) -> str:
    """The base URL guests should use. A wall opened on the laptop itself
    (``localhost``) must still tell phones the address on the party network."""
    if site.settings.public_url:
        return site.settings.public_url.rstrip("/")
    host = request.url.hostname or ""
    if host in LOOPBACK_HOSTS or host.startswith("127.") or host == "::1":
        return base_url("0.0.0.0", request.url.port or 80)
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


async def page(
    request: Request,
    name: str,
    *,
    status: int = 200,
    guest_cookie: bool = True,
    **extra: Any,
) -> Response:
    """Render ``<name>.html`` with what every page needs. Gives the browser a guest
    identity on its first visit, and its CSRF key on every page until it has one
    (error pages included: the token in a page is always this browser's own)."""
    site = site_of(request)
    who = await identity.current_viewer(request, site)
    browser = identity.browser_key(request)
    new_browser = browser is None
    if browser is None:
        browser = identity.new_browser_key()
    new_guest: str | None = None
    if guest_cookie and who.guest_id is None:
        # Decide the id now so the CSRF token in this page matches the cookie.
        new_guest = identity.new_guest_id()
        who = dataclasses.replace(who, guest_id=new_guest)
    guest_name = ""
    if who.guest_id and new_guest is None:
        guest_name = await site.guest_name(who.guest_id)
    nonce = secrets.token_urlsafe(16)
    context = {
        "page": name,
        "csp_nonce": nonce,
        "csrf_token": identity.csrf_token(request, site, who, browser=browser),
        "state": (await site.host_state()).as_dict(),
        "guest_name": guest_name,
        "is_admin": who.is_admin,
        "account": await identity.current_user(request, site),
        "upload_url": public_base(request, site) + "/upload",
        "max_upload_bytes": site.settings.max_upload_bytes,
        "static": static_url,
        **extra,
    }
    response = templates.TemplateResponse(request, f"{name}.html", context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = content_security_policy(nonce)
    if new_guest is not None:
        identity.set_guest_cookie(request, response, site, new_guest)
    if new_browser:
        identity.set_browser_cookie(request, response, browser)
    return response


def content_security_policy(nonce: str) -> str:
    """Only our own scripts, styles and images: a title with markup in it can never run."""
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; "
        "img-src 'self' blob: data:; "
        "connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def ok(status: int = 200, **payload: Any) -> JSONResponse:
    return JSONResponse({"stat": "ok", **payload}, status_code=status)


def fail(error: PhotohubError) -> JSONResponse:
    headers = {"Retry-After": "30"} if error.status == 503 else None
    return JSONResponse(
        {"stat": "fail", "code": error.code, "message": error.message},
        status_code=error.status,
        headers=headers,
    )


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/live", "/media/")) and (
        "text/html" in request.headers.get("accept", "")
    )


async def error_response(request: Request, error: PhotohubError) -> Response:
    if wants_html(request):
        return await page(
            request,
            "message",
            status=error.status,
            guest_cookie=False,
            title="Sorry",
            message=error.message,
        )
    return fail(error)
