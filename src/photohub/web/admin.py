"""The host's JSON endpoints (admin cookie required)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from photohub.actions import host
from photohub.actions import photos as photo_actions
from photohub.domain.errors import Forbidden, PhotohubError
from photohub.domain.photos import photo_view
from photohub.site import Site
from photohub.store import events
from photohub.store import photos as photo_store
from photohub.web import identity
from photohub.web.api import json_body, photo_id_of
from photohub.web.render import ok, site_of


def _host(request: Request, *, changing: bool) -> Site:
    site = site_of(request)
    who = identity.viewer(request, site)
    if not who.is_admin:
        raise Forbidden("Only the host can do this. Log in on the admin page.")
    if changing:
        identity.require_csrf(request, site, who)
    return site


async def photos(request: Request) -> Response:
    site = _host(request, changing=False)
    async with site.db.read() as conn:
        last = await events.last_id(conn)
        rows = await photo_store.recent(conn)
    return ok(
        photos=[photo_view(r, r["author"], private_fields=True) for r in rows],
        state=(await site.host_state()).as_dict(),
        last_event_id=last,
    )


async def uploads(request: Request) -> Response:
    site = _host(request, changing=True)
    body = await json_body(request)
    paused = body.get("paused")
    if not isinstance(paused, bool):
        raise PhotohubError("Say whether uploads are paused (true or false).", code="bad_value")
    state = await host.set_uploads_paused(site, paused)
    return ok(state=state.as_dict())


async def settings(request: Request) -> Response:
    site = _host(request, changing=True)
    body = await json_body(request)
    moderation = body.get("moderation")
    if moderation is not None and not isinstance(moderation, bool):
        raise PhotohubError("Moderation is on or off (true or false).", code="bad_value")
    state = await host.configure(
        site,
        moderation=moderation,
        wall_interval=body.get("wall_interval"),
        wall_transition=body.get("wall_transition"),
    )
    return ok(state=state.as_dict())


async def approve(request: Request) -> Response:
    site = _host(request, changing=True)
    await photo_actions.approve(site, photo_id_of(request))
    return ok()
