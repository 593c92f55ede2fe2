"""``/services/apps``: a logged-in user registers API apps (each an API key and secret
for signing OAuth requests) and sees, and can revoke, the apps they let use their
account."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from photohub.api.args import row_id
from photohub.domain import oauth as rules
from photohub.domain.errors import NotFound, PhotohubError
from photohub.domain.photos import FieldError, clean_text
from photohub.store import apps
from photohub.store import oauth as tokens
from photohub.web import identity
from photohub.web.oauth import login_redirect
from photohub.web.render import page, site_of

NAME_MAX = 100  # apps.name
DESCRIPTION_MAX = 1000
MAX_APPS_PER_USER = 50


async def _page(request: Request, user_id: int, status: int = 200, **extra: Any) -> Response:
    site = site_of(request)
    async with site.db.read() as conn:
        own = await apps.of_user(conn, user_id)
        grants = await tokens.grants_of_user(conn, user_id)
    return await page(
        request,
        "apps",
        status=status,
        apps=own,
        grants=grants,
        perm_titles=rules.PERM_TITLES,
        **extra,
    )


async def apps_page(request: Request) -> Response:
    """GET lists the user's apps and grants; POST registers an app or revokes a grant."""
    site = site_of(request)
    user = await identity.current_user(request, site)
    if request.method == "GET":
        if user is None:
            return login_redirect(request)
        return await _page(request, int(user["id"]), values={}, error=None)
    form = await request.form(max_files=0, max_fields=10, max_part_size=64 * 1024)
    who = await identity.current_viewer(request, site)
    identity.require_csrf(request, site, who, str(form.get("csrf_token") or ""))
    if user is None:
        return login_redirect(request)
    user_id = int(user["id"])
    if form.get("action") == "revoke":
        token_id = row_id(str(form.get("token_id") or ""))
        async with site.db.write() as conn:
            done = token_id is not None and await tokens.revoke(conn, token_id, user_id)
        if not done:
            raise NotFound("That access was already taken back.", code="grant_not_found")
        return RedirectResponse("/services/apps#grants", status_code=303)
    if form.get("action") == "callback":
        return await _set_callback(request, user_id, form.get("app_id"), form.get("callback_url"))
    values = {
        "name": form.get("name"),
        "description": form.get("description"),
        "callback_url": form.get("callback_url"),
    }
    try:
        name = clean_text(values["name"], "name", NAME_MAX)
        description = clean_text(
            values["description"], "description", DESCRIPTION_MAX, multiline=True
        )
        if not name:
            raise FieldError("name", "Give the app a name, so that people know who asks.")
        callback_url = _callback(values["callback_url"])
    except FieldError as exc:
        return await _page(request, user_id, status=400, values=values, error=exc.message)
    async with site.db.write() as conn:
        if await apps.count_of_user(conn, user_id) >= MAX_APPS_PER_USER:
            raise PhotohubError(
                f"You have {MAX_APPS_PER_USER} apps already, the most one account may have.",
                code="too_many_apps",
            )
        app = await apps.create(conn, user_id, name, description, callback_url)
    return RedirectResponse(f"/services/apps#app-{app['id']}", status_code=303)


def _callback(raw: object) -> str | None:
    """The OAuth callback URL as registered (None for none), or FieldError."""
    try:
        return rules.check_registered_callback(raw if isinstance(raw, str) else "")
    except ValueError as exc:
        message = str(exc)
        raise FieldError("callback_url", message[:1].upper() + message[1:] + ".") from None


async def _set_callback(request: Request, user_id: int, app_id: object, raw: object) -> Response:
    """Register, change or (empty) forget an app's OAuth callback URL."""
    site = site_of(request)
    wanted = row_id(app_id if isinstance(app_id, str) else "")
    try:
        callback_url = _callback(raw)
    except FieldError as exc:
        return await _page(request, user_id, status=400, values={}, error=exc.message)
    async with site.db.write() as conn:
        done = wanted is not None and await apps.set_callback(conn, wanted, user_id, callback_url)
    if not done:
        raise NotFound("There is no such app of yours.", code="app_not_found")
    return RedirectResponse(f"/services/apps#app-{wanted}", status_code=303)
