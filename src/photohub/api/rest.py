"""``/services/rest/``: Flickr's REST endpoint. Finds the method, identifies the caller,
checks permissions and arguments, runs the method, answers in the requested format."""

from __future__ import annotations

import logging

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from photohub.api import formats
from photohub.api.args import ArgError, parse_args
from photohub.api.auth import identify
from photohub.api.call import Call
from photohub.api.errors import (
    FORMAT_NOT_FOUND,
    INSUFFICIENT_PERMISSIONS,
    INVALID_ARGUMENT,
    METHOD_NOT_FOUND,
    MISSING_ARGUMENT,
    SERVICE_UNAVAILABLE,
    ApiError,
)
from photohub.api.methods import registry
from photohub.api.registry import Result, perm_level
from photohub.site import Site
from photohub.web.render import site_of

log = logging.getLogger("photohub.api")

MAX_BODY = 1024 * 1024  # a REST call is arguments, not files (uploads have their own URL)


async def read_params(request: Request) -> dict[str, str]:
    """Query string and (for POST) form fields, as Flickr accepts both."""
    params = dict(request.query_params)
    if request.method == "POST":
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY:
            raise ApiError(INVALID_ARGUMENT, "Invalid argument: the request body is too large.")
        kind = request.headers.get("content-type", "")
        if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            try:
                form = await request.form(max_files=0, max_fields=200, max_part_size=MAX_BODY)
            except Exception as exc:
                raise ApiError(INVALID_ARGUMENT, "Invalid argument: unreadable form body.") from exc
            for key, value in form.multi_items():
                if not isinstance(value, UploadFile):
                    params[key] = value
            await form.close()
    return params


async def dispatch(site: Site, request: Request, params: dict[str, str]) -> Result:
    name = params.get("method", "").strip()
    method = registry.get(name)
    if method is None:
        raise ApiError(METHOD_NOT_FOUND, f'Method "{name[:100]}" not found')
    caller = await identify(request, params, site)
    if perm_level(caller.perms) < perm_level(method.perms) and not (
        method.optional_auth and caller.user is None
    ):
        raise ApiError(
            INSUFFICIENT_PERMISSIONS,
            f"Insufficient permissions. Method requires {method.perms} privileges; "
            f"{caller.perms} granted.",
        )
    try:
        args = parse_args(method.args, params)
    except ArgError as exc:
        if exc.problem is None:
            raise ApiError(MISSING_ARGUMENT, f"Missing required argument: {exc.name}") from None
        raise ApiError(INVALID_ARGUMENT, f"Invalid argument {exc.name}: it {exc.problem}") from None
    base_url = str(request.base_url).rstrip("/")
    return await method.handler(Call(site, method, args, caller, params, base_url))


async def endpoint(request: Request) -> Response:
    site = site_of(request)
    try:
        params = await read_params(request)
    except ApiError as error:
        return formats.render_error(error, "rest", None)
    if "method_name" in request.path_params:
        # /services/rest/NAME (the form the OpenAPI document describes): the path wins.
        params["method"] = str(request.path_params["method_name"])
    fmt = params.get("format", "rest").strip() or "rest"
    if fmt not in formats.FORMATS:
        unknown = ApiError(FORMAT_NOT_FOUND, f'Format "{fmt[:40]}" not found')
        return formats.render_error(unknown, "rest", None)
    callback = formats.json_callback(params) if fmt == "json" else None
    try:
        result = await dispatch(site, request, params)
    except ApiError as error:
        return formats.render_error(error, fmt, callback)
    except Exception:
        log.exception("API method %s failed", params.get("method"))
        response = formats.render_error(
            ApiError(SERVICE_UNAVAILABLE, "Service currently unavailable"), fmt, callback
        )
        response.status_code = 500
        return response
    return formats.render(result, fmt, callback)
