"""``/services/apps``: a logged-in user registers API apps (each an API key and secret
for signing OAuth requests) and sees, and can revoke, the apps they let use their
account."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

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
        token_id = str(form.get("token_id") or "")
        async with site.db.write() as conn:
            done = token_id.isdigit() and await tokens.revoke(conn, int(token_id), user_id)
        if not done:
            raise NotFound("That access was already taken back.", code="grant_not_found")
        return RedirectResponse("/services/apps#grants", status_code=303)
    values = {"name": form.get("name"), "description": form.get("description")}
    try:
        name = clean_text(values["name"], "name", NAME_MAX)
        description = clean_text(
            values["description"], "description", DESCRIPTION_MAX, multiline=True
        )
        if not name:
            raise FieldError("name", "Give the app a name, so that people know who asks.")
    except FieldError as exc:
        return await _page(request, user_id, status=400, values=values, error=exc.message)
    async with site.db.write() as conn:
        if await apps.count_of_user(conn, user_id) >= MAX_APPS_PER_USER:
            raise PhotohubError(
                f"You have {MAX_APPS_PER_USER} apps already, the most one account may have.",
                code="too_many_apps",
            )
        app = await apps.create(conn, user_id, name, description)
    return RedirectResponse(f"/services/apps#app-{app['id']}", status_code=303)
