"""The JSON endpoints behind the party pages."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from photohub.actions import photos as photo_actions
from photohub.actions import uploads
from photohub.domain.errors import Forbidden, PhotohubError
from photohub.domain.photos import photo_view
from photohub.domain.privacy import Viewer
from photohub.live.stream import stream_response
from photohub.site import Site
from photohub.store import events
from photohub.store import photos as photo_store
from photohub.web import identity
from photohub.web.receive import read_form, save_file
from photohub.web.render import ok, site_of


def guest(request: Request, site: Site) -> Viewer:
    who = identity.viewer(request, site)
    if who.guest_id is None and not who.is_admin:
        raise Forbidden(
            "We don't recognise this browser. Reload the page and try again.", code="no_guest"
        )
    return who


def changer(request: Request) -> tuple[Site, Viewer]:
    """Site and viewer for a state-changing request (identity + CSRF checked)."""
    site = site_of(request)
    who = guest(request, site)
    identity.require_csrf(request, site, who)
    return site, who


async def json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        raise PhotohubError("The request was not valid JSON.", code="bad_json") from exc
    if not isinstance(body, dict):
        raise PhotohubError("The request must be a JSON object.", code="bad_json")
    return body


def photo_id_of(request: Request) -> int:
    raw = request.path_params["photo_id"]
    if not isinstance(raw, int):
        raise PhotohubError("Unknown photo.", code="not_found", status=404)
    return raw


async def _last_event_id(site: Site) -> int:
    async with site.db.read() as conn:
        return await events.last_id(conn)


async def state(request: Request) -> Response:
    site = site_of(request)
    last = await _last_event_id(site)
    return ok(state=(await site.host_state()).as_dict(), last_event_id=last)


async def wall(request: Request) -> Response:
    site = site_of(request)
    # Snapshot id first: whatever commits after it arrives on the stream.
    async with site.db.read() as conn:
        last = await events.last_id(conn)
        rows = await photo_store.on_wall(conn)
    return ok(
        photos=[photo_view(row, row["author"]) for row in rows],
        last_event_id=last,
        state=(await site.host_state()).as_dict(),
    )


async def mine(request: Request) -> Response:
    site = site_of(request)
    who = guest(request, site)
    if who.guest_id is None:
        return ok(photos=[], name="", last_event_id=await _last_event_id(site))
    async with site.db.read() as conn:
        last = await events.last_id(conn)
        rows = await photo_store.by_guest(conn, who.guest_id)
    return ok(
        photos=[photo_view(r, r["author"], with_geo=True, private_fields=True) for r in rows],
        name=await site.guest_name(who.guest_id),
        last_event_id=last,
    )


async def create_photo(request: Request) -> Response:
    site, who = changer(request)
    if who.guest_id is None:
        raise Forbidden("Open the upload page to get started.", code="no_guest")
    # Cheap refusal before reading a body the host does not want.
    if (await site.host_state()).uploads_paused:
        raise PhotohubError(
            "Uploads are paused by the host for now. Try again in a little while.",
            code="uploads_paused",
            status=503,
        )
    form = await read_form(request, site.settings.max_upload_bytes)
    try:
        path = await save_file(site, form)
        title, description, name = (form.get(k) for k in ("title", "description", "name"))
    finally:
        await form.close()
    view = await uploads.store_upload(
        site,
        who.guest_id,
        path,
        title=title,
        description=description,
        name=name,
        user_id=who.user_id,
    )
    return ok(201, photo=view)


async def edit_photo(request: Request) -> Response:
    site, who = changer(request)
    body = await json_body(request)
    view = await photo_actions.edit(
        site,
        who,
        photo_id_of(request),
        title=body.get("title"),
        description=body.get("description"),
    )
    return ok(photo=view)


async def delete_photo(request: Request) -> Response:
    site, who = changer(request)
    await photo_actions.delete(site, who, photo_id_of(request))
    return ok()


async def set_name(request: Request) -> Response:
    site, who = changer(request)
    if who.guest_id is None:
        raise Forbidden("Open the upload page to get started.", code="no_guest")
    body = await json_body(request)
    name = await photo_actions.rename_guest(site, who.guest_id, body.get("name"))
    return ok(name=name)


async def live(request: Request) -> Response:
    site = site_of(request)
    who = identity.viewer(request, site)
    return stream_response(request, site.db, site.hub, who)
