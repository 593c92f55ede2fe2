"""``/services/upload/`` and ``/services/replace/``: Flickr's upload API.

Flickr (upload.api.html, replace.api.html): a multipart POST with the file in ``photo``,
OAuth-signed with 'write' permission, where "the 'photo' parameter should not be included
in the signature. All other POST parameters should be included". The answer is "formatted
in the REST API response style": ``<rsp stat="ok"><photoid>1234</photoid></rsp>`` (a
``<ticketid>`` with ``async=1``; ``<photoid secret=.. originalsecret=..>`` for a replace),
and a failure is ``<rsp stat="fail"><err code=".." msg=".."/></rsp>``, HTTP 200 both.
``format=json`` answers in the REST endpoint's JSON instead (photohub's addition).

The body is read once, under the size limit (``api.upload_body``, which also finds the
format to answer a refused body in); its text fields then go to the signature check, and
the file through the same pipeline as the party upload page (``actions.uploads``). Errors
are Flickr's upload codes (``api.upload_errors``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.background import BackgroundTask
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message

from photohub.actions import replace as replace_actions
from photohub.actions import tickets as ticket_actions
from photohub.actions import uploads
from photohub.api import formats, oauth
from photohub.api.args import Arg, ArgError, Flag, Id, Integer, Text, parse_args
from photohub.api.auth import is_signed
from photohub.api.call import Caller
from photohub.api.errors import (
    FORMAT_NOT_FOUND,
    INSUFFICIENT_PERMISSIONS,
    INVALID_API_KEY,
    INVALID_ARGUMENT,
    MISSING_ARGUMENT,
    MISSING_SIGNATURE,
    SERVICE_UNAVAILABLE,
    ApiError,
)
from photohub.api.registry import perm_level
from photohub.api.upload_body import FORMAT_PEEK, answer_format, format_of_refused, read_body
from photohub.api.upload_errors import pipeline_error
from photohub.domain.errors import PhotohubError
from photohub.domain.photos import DESCRIPTION_MAX, TITLE_MAX
from photohub.domain.privacy import PUBLIC, Viewer, visibility_from_flags
from photohub.domain.tags import Tag, TagError, make_tags
from photohub.media.inspect import ImageInfo
from photohub.site import Site
from photohub.store import apps
from photohub.web.receive import save_file
from photohub.web.render import site_of

log = logging.getLogger("photohub.api")

ASYNC = Arg("async", Flag(), doc="1 to answer with a ticket id at once.", default=False)
UPLOAD_ARGS = (
    Arg("title", Text(TITLE_MAX), doc="The title of the photo."),
    Arg("description", Text(DESCRIPTION_MAX), doc="A description of the photo."),
    Arg("tags", Text(20000), doc="Space-separated tags; double quotes for phrases."),
    Arg("is_public", Flag(), doc="1 for a public photo."),
    Arg("is_friend", Flag(), doc="1 for friends to see it."),
    Arg("is_family", Flag(), doc="1 for family to see it."),
    Arg("safety_level", Integer(1, 3), doc="1 safe, 2 moderate, 3 restricted.", default=1),
    Arg("content_type", Integer(1, 3), doc="1 photo, 2 screenshot, 3 other.", default=1),
    Arg("hidden", Integer(0, 2), doc="2 to hide it from public searches.", default=1),
    ASYNC,
)
REPLACE_ARGS = (Arg("photo_id", Id(), required=True, doc="The photo to replace."), ASYNC)

Result = tuple[dict[str, Any], BackgroundTask | None]
Action = Callable[[Site, Caller, dict[str, str], FormData], Awaitable[Result]]


async def upload(request: Request) -> Response:
    """``POST /services/upload/``: a new photo of the calling account."""
    return await _endpoint(request, _upload)


async def replace(request: Request) -> Response:
    """``POST /services/replace/``: a new file for one of the caller's photos."""
    return await _endpoint(request, _replace)


async def _endpoint(request: Request, action: Action) -> Response:
    site = site_of(request)
    params = dict(request.query_params)
    fmt, callback = "rest", None
    head = bytearray()  # the body's first bytes, to answer a refusal in the right format
    receive = request.receive

    async def teed() -> Message:
        message = await receive()
        if message["type"] == "http.request" and len(head) < FORMAT_PEEK:
            head.extend(message.get("body", b"")[: FORMAT_PEEK - len(head)])
        return message

    try:
        fmt, callback = answer_format(params)
        # Read (and size-check) the body before anything else: its fields are signed.
        form = await read_body(Request(request.scope, teed), site)
    except ApiError as error:
        if error.code != FORMAT_NOT_FOUND:
            fmt, callback = await format_of_refused(request, teed, head, params, fmt, callback)
        return formats.render_error(error, fmt, callback)
    try:
        fields = [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
        params.update(fields)
        fmt, callback = answer_format(params)
        caller = await _caller(site, request, params, fields)
        result, background = await action(site, caller, params, form)
    except ApiError as error:
        return formats.render_error(error, fmt, callback)
    except PhotohubError as exc:
        return formats.render_error(pipeline_error(exc), fmt, callback)
    except Exception:
        log.exception("upload to %s failed", request.url.path)
        unavailable = ApiError(SERVICE_UNAVAILABLE, "Service currently unavailable")
        response = formats.render_error(unavailable, fmt, callback)
        response.status_code = 500
        return response
    finally:
        await form.close()
    response = formats.render(result, fmt, callback)
    response.background = background
    return response


async def _caller(
    site: Site, request: Request, params: dict[str, str], fields: list[tuple[str, str]]
) -> Caller:
    """The signing account, with write permission; else error 97-100."""
    if not is_signed(request, params):
        api_key = params.get("api_key", "").strip()
        if not api_key:
            raise ApiError(INVALID_API_KEY, "Invalid API Key (Key has invalid format)")
        async with site.db.read() as conn:
            app = await apps.by_api_key(conn, api_key)
        if app is None:
            raise ApiError(INVALID_API_KEY, "Invalid API Key (Key not found)")
        raise ApiError(
            MISSING_SIGNATURE,
            "Missing signature: uploads must be signed with OAuth 1.0a by an account "
            "that granted write permission",
        )
    caller = await oauth.verify_call(site, request, params, form=fields)
    if caller.user is None or perm_level(caller.perms) < perm_level("write"):
        granted = caller.perms if caller.user is not None else "none"
        raise ApiError(
            INSUFFICIENT_PERMISSIONS,
            f"Insufficient permissions. Uploads require write privileges; {granted} granted.",
        )
    return caller


def _args(args: tuple[Arg, ...], params: dict[str, str]) -> dict[str, Any]:
    try:
        return parse_args(args, params)
    except ArgError as exc:
        if exc.problem is None:
            raise ApiError(MISSING_ARGUMENT, f"Missing required argument: {exc.name}") from None
        raise ApiError(INVALID_ARGUMENT, f"Invalid argument {exc.name}: it {exc.problem}") from None


def _tags(text: str | None) -> list[Tag]:
    try:
        return make_tags(text or "")
    except TagError as exc:
        raise ApiError(INVALID_ARGUMENT, f"Invalid argument tags: {exc.message}") from None


def _visibility(args: dict[str, Any]) -> str:
    """Flickr's three flags; none sent means photohub's default, public."""
    flags = (args["is_public"], args["is_friend"], args["is_family"])
    if all(flag is None for flag in flags):
        return PUBLIC
    return visibility_from_flags(*(bool(flag) for flag in flags))


async def _checked(site: Site, path: Path) -> ImageInfo:
    """An asynchronous upload's file is checked before the answer, so it can be refused."""
    try:
        return await uploads.inspect(site, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


async def _ticket(
    site: Site, user_id: int, path: Path, work: Callable[[int], Awaitable[object]]
) -> Result:
    """Open a ticket, answer with it, and leave ``work(ticket_id)`` to run after."""
    try:
        ticket_id = await ticket_actions.open_ticket(site, user_id)
    except BaseException:
        path.unlink(missing_ok=True)
        raise

    async def finish() -> object:
        return await work(ticket_id)

    background = BackgroundTask(ticket_actions.run_ticket, site, ticket_id, finish)
    return {"ticketid": {"_content": str(ticket_id)}}, background


async def _upload(site: Site, caller: Caller, params: dict[str, str], form: FormData) -> Result:
    args = _args(UPLOAD_ARGS, params)
    tags = _tags(args["tags"])
    assert caller.user is not None
    user_id = int(caller.user["id"])
    path = await save_file(site, form)

    async def store(info: ImageInfo | None, ticket_id: int | None) -> dict[str, Any]:
        return await uploads.store_upload(
            site,
            None,
            path,
            title=args["title"],
            description=args["description"],
            user_id=user_id,
            visibility=_visibility(args),
            safety_level=args["safety_level"],
            content_type=args["content_type"],
            # Flickr: 1 keeps the photo in global search results, 2 hides it.
            hidden=args["hidden"] == 2,
            tags=tags,
            info=info,
            ticket_id=ticket_id,
            # The host's pause is for the party pages, not for accounts' API uploads.
            honour_pause=False,
        )

    if not args["async"]:
        view = await store(None, None)
        return {"photoid": {"_content": str(view["id"])}}, None
    info = await _checked(site, path)
    return await _ticket(site, user_id, path, lambda ticket_id: store(info, ticket_id))


async def _replace(site: Site, caller: Caller, params: dict[str, str], form: FormData) -> Result:
    args = _args(REPLACE_ARGS, params)
    assert caller.user is not None
    user_id = int(caller.user["id"])
    viewer = Viewer(user_id=user_id)
    photo_id = int(args["photo_id"])
    path = await save_file(site, form)

    async def store(info: ImageInfo | None, ticket_id: int | None) -> replace_actions.Replaced:
        return await replace_actions.replace_photo(
            site, viewer, photo_id, path, info=info, ticket_id=ticket_id
        )

    if not args["async"]:
        done = await store(None, None)
        photoid = {"secret": done.secret, "originalsecret": done.secret, "_content": str(photo_id)}
        return {"photoid": photoid}, None
    info = await _checked(site, path)
    try:
        await replace_actions.check_replaceable(site, viewer, photo_id)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return await _ticket(site, user_id, path, lambda ticket_id: store(info, ticket_id))
