"""HTML pages: thin handlers over ``render.page``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from photohub.actions import host
from photohub.actions.accounts import TooManyAttempts
from photohub.web import identity
from photohub.web.render import page, site_of


async def home(request: Request) -> Response:
    return await page(request, "home")


async def upload(request: Request) -> Response:
    return await page(request, "upload")


async def wall(request: Request) -> Response:
    return await page(request, "wall")


async def mine(request: Request) -> Response:
    return await page(request, "mine")


async def admin(request: Request) -> Response:
    if not identity.is_admin(request, site_of(request)):
        return RedirectResponse("/admin/login", status_code=303)
    return await page(request, "admin")


async def admin_login(request: Request) -> Response:
    """GET shows the form (or logs in from the link ``serve`` printed); POST checks it."""
    site = site_of(request)
    if request.method == "GET":
        token = request.query_params.get("token")
        if token is None:
            return await page(request, "admin_login", error=None)
    else:
        form = await request.form(max_files=0, max_fields=5)
        token = str(form.get("token") or "")
        identity.require_csrf(
            request, site, identity.viewer(request, site), str(form.get("csrf_token") or "")
        )
    address = request.client.host if request.client else ""
    try:
        right = host.check_host_password(site, token, address=address)
    except TooManyAttempts as error:
        response = await page(request, "admin_login", status=error.status, error=error.message)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    if not right:
        return await page(
            request,
            "admin_login",
            status=403,
            error="That is not the host password. It was printed when photohub first started "
            "(or run: photohub admin token).",
        )
    # Redirect so the token leaves the address bar and the history.
    response = RedirectResponse("/admin", status_code=303)
    identity.issue_admin(request, response, site)
    identity.renew_browser_cookie(request, response)
    return response


async def admin_logout(request: Request) -> Response:
    site = site_of(request)
    form = await request.form(max_files=0, max_fields=5)
    identity.require_csrf(
        request, site, identity.viewer(request, site), str(form.get("csrf_token") or "")
    )
    response = RedirectResponse("/", status_code=303)
    identity.clear_admin_cookie(request, response)
    identity.renew_browser_cookie(request, response)
    return response
