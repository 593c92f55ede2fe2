"""The OpenAPI 3.1 document of the REST API, generated from the method registry.

Flickr puts the method name in a query parameter (``/services/rest/?method=NAME``), and
OpenAPI keys operations by path, so one path cannot carry a different set of arguments per
method. photohub therefore also answers ``/services/rest/NAME`` (the same dispatch, the
method taken from the path) and describes that form: one path per method, its arguments
as query parameters (GET) or form fields (POST) with the JSON Schema of each argument
type. The Flickr form ``/services/rest/`` is described once, with ``method`` an enum of
every name, for clients that only speak it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from photohub.api import formats
from photohub.api.args import Arg
from photohub.api.errors import GLOBAL_ERRORS
from photohub.api.methods import registry
from photohub.api.registry import Method
from photohub.web.render import site_of

OPENAPI_VERSION = "3.1.0"
REST_PATH = "/services/rest/"
DOCUMENT_PATH = "/services/api/openapi.json"
EXPLORER_PATH = "/services/api/explorer"

# Fields every call may carry besides its method's arguments.
PROTOCOL_FIELDS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (
        "api_key",
        "Your API key. The API Explorer page sends `explorer` with its CSRF token; "
        "OAuth-signed calls send `oauth_consumer_key` instead.",
        {"type": "string", "maxLength": 64},
    ),
    (
        "format",
        "`rest` (XML, the default) or `json`.",
        {"type": "string", "enum": list(formats.FORMATS), "default": "rest"},
    ),
    (
        "nojsoncallback",
        "With `format=json`: `1` for plain JSON; otherwise the JSON is wrapped in a "
        "JavaScript call (JSONP).",
        {"type": "string", "enum": ["0", "1"]},
    ),
    (
        "jsoncallback",
        "With `format=json`: the JSONP function name (default `jsonFlickrApi`).",
        {"type": "string", "pattern": formats.CALLBACK.pattern},
    ),
)


def method_path(name: str) -> str:
    """The path form of one method: ``/services/rest/flickr.test.echo``."""
    return REST_PATH + name


def namespace(name: str) -> str:
    """``flickr.photos.geo`` for ``flickr.photos.geo.getLocation``."""
    return name.rsplit(".", 1)[0] if "." in name else name


def arg_description(arg: Arg) -> str:
    """The argument's own words, then what its type accepts."""
    return (arg.doc.rstrip(".") + ". " if arg.doc else "") + f"Accepts {arg.type.doc}."


def _arg_schema(arg: Arg) -> dict[str, Any]:
    schema = dict(arg.type.schema())
    default = arg.default
    if isinstance(default, bool):
        schema["default"] = "1" if default else "0"
    elif isinstance(default, str | int | float) and default != "":
        schema["default"] = str(default)
    return schema


Field = tuple[str, str, bool, dict[str, Any]]  # name, description, required, schema


def _own_fields(method: Method) -> list[Field]:
    return [(a.name, arg_description(a), a.required, _arg_schema(a)) for a in method.args]


def _protocol_fields(taken: set[str]) -> list[Field]:
    """The protocol fields a method does not already name as its own arguments."""
    return [(n, d, False, dict(s)) for n, d, s in PROTOCOL_FIELDS if n not in taken]


def _parameters(own: list[Field]) -> list[dict[str, Any]]:
    """Query parameters: the method's own inline, the protocol's by reference."""
    names = {name for name, _, _, _ in own}
    params: list[dict[str, Any]] = [
        {"name": name, "in": "query", "required": required, "description": doc, "schema": schema}
        for name, doc, required, schema in own
    ]
    params += [{"$ref": f"#/components/parameters/{name}"} for name, *_ in _protocol_fields(names)]
    return params


def _form_schema(own: list[Field]) -> dict[str, Any]:
    """The form body of a POST: the same fields as the query of a GET."""
    names = {name for name, _, _, _ in own}
    fields = own + _protocol_fields(names)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {name: {**s, "description": doc} for name, doc, _, s in fields},
    }
    required = [name for name, _, needed, _ in fields if needed]
    if required:
        schema["required"] = required
    return schema


def _form_body(schema_name: str, required: bool) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema_name}"}
    return {
        "required": required,
        "content": {
            "application/x-www-form-urlencoded": {"schema": ref},
            "multipart/form-data": {"schema": ref},
        },
    }


def _result_content(example: dict[str, Any] | None = None) -> dict[str, Any]:
    json_content: dict[str, Any] = {
        "schema": {
            "oneOf": [{"$ref": "#/components/schemas/Ok"}, {"$ref": "#/components/schemas/Fail"}]
        }
    }
    if example:
        json_content["example"] = {"stat": "ok", **example}
    return {
        "application/json": json_content,
        "text/xml": {"schema": {"type": "string", "description": '`<rsp stat="ok">…</rsp>`'}},
        "text/javascript": {"schema": {"type": "string", "description": "JSONP"}},
    }


RESULT = {
    "description": "The result, `stat` ok; or `stat` fail with an error code and message "
    "(Flickr answers failed calls with HTTP 200 too).",
    "content": _result_content(),
}
SERVER_ERROR = {
    "description": "The method failed on the server: `stat` fail, code 105.",
    "content": _result_content(),
}


def _responses(example: dict[str, Any] | None = None) -> dict[str, Any]:
    ok: dict[str, Any] = {"$ref": "#/components/responses/Result"}
    if example:
        ok = {**RESULT, "content": _result_content(example)}
    return {"200": ok, "500": {"$ref": "#/components/responses/ServerError"}}


def _perms_words(method: Method) -> str:
    if method.perms == "none":
        return "Needs an API key only."
    if method.optional_auth:
        return (
            f"Works with an API key alone (public results only); authenticated with "
            f"`{method.perms}` permission it shows what the caller may see."
        )
    return f"Needs authentication with `{method.perms}` permission."


def _description(method: Method) -> str:
    parts = [method.description.strip()] if method.description.strip() else []
    parts.append(_perms_words(method))
    if method.errors:
        parts.append(
            "Errors: " + "; ".join(f"{code}: {message}" for code, message in method.errors)
        )
    parts.append(f"Try it in the [API Explorer]({EXPLORER_PATH}/{method.name}).")
    return "\n\n".join(parts)


def _operations(method: Method) -> dict[str, Any]:
    own = _own_fields(method)
    common = {
        "summary": method.summary,
        "description": _description(method),
        "tags": [namespace(method.name)],
        "x-flickr-method": method.name,
        "x-permissions": method.perms,
        "x-needs-login": method.needs_login,
        "x-errors": [{"code": code, "message": message} for code, message in method.errors],
        "responses": _responses(method.example),
    }
    body = _form_body(form_schema_name(method.name), any(a.required for a in method.args))
    return {
        "get": {"operationId": method.name, "parameters": _parameters(own), **common},
        "post": {"operationId": method.name + ":post", "requestBody": body, **common},
    }


def form_schema_name(name: str) -> str:
    """Where the POST form of method ``name`` is, under ``components/schemas``."""
    return name + ".form"


def _flickr_form(names: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``/services/rest/?method=NAME`` (the method's own arguments ride along unlisted),
    and its form schema."""
    method_field: Field = (
        "method",
        "The method to call. Its own arguments are listed under `/services/rest/{name}`.",
        True,
        {"type": "string", "enum": names},
    )
    common = {
        "summary": "Call any method, Flickr style (`?method=NAME`).",
        "description": "The method's arguments are sent beside `method`; see each method's "
        "own path for them.",
        "tags": ["flickr"],
        "responses": _responses(),
    }
    item = {
        "get": {"operationId": "call", "parameters": _parameters([method_field]), **common},
        "post": {
            "operationId": "call:post",
            "requestBody": _form_body(form_schema_name("call"), True),
            **common,
        },
    }
    return item, _form_schema([method_field])


def _info_description() -> str:
    errors = "\n".join(f"| {code} | {message} |" for code, message in GLOBAL_ERRORS)
    return (
        "photohub's Flickr-compatible REST API. Every method is also at "
        "`/services/rest/?method=NAME`, as Flickr's client libraries call it.\n\n"
        "Authentication: an `api_key` for public calls; OAuth 1.0a (HMAC-SHA1, at "
        "`/services/oauth/request_token`, `authorize`, `access_token`) for methods that "
        "need read, write or delete permission.\n\n"
        "Global errors (any method may answer them):\n\n"
        "| code | meaning |\n|---|---|\n" + errors
    )


def document(methods: Iterable[Method], server_url: str = "/") -> dict[str, Any]:
    """The OpenAPI 3.1 document describing ``methods`` served at ``server_url``."""
    methods = sorted(methods, key=lambda m: m.name)
    names = [m.name for m in methods]
    flickr_item, flickr_schema = _flickr_form(names)
    paths: dict[str, Any] = {REST_PATH: flickr_item}
    schemas: dict[str, Any] = {
        "Ok": {
            "type": "object",
            "required": ["stat"],
            "properties": {"stat": {"const": "ok"}},
        },
        "Fail": {
            "type": "object",
            "required": ["stat", "code", "message"],
            "properties": {
                "stat": {"const": "fail"},
                "code": {"type": "integer"},
                "message": {"type": "string"},
            },
        },
        form_schema_name("call"): flickr_schema,
    }
    for method in methods:
        paths[method_path(method.name)] = _operations(method)
        schemas[form_schema_name(method.name)] = _form_schema(_own_fields(method))
    parameters = {
        name: {"name": name, "in": "query", "required": False, "description": doc, "schema": s}
        for name, doc, _, s in _protocol_fields(set())
    }
    tags = sorted({namespace(name) for name in names} | {"flickr"})
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "photohub API",
            "version": "1",
            "description": _info_description(),
        },
        "servers": [{"url": server_url}],
        "tags": [{"name": tag} for tag in tags],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "parameters": parameters,
            "responses": {"Result": RESULT, "ServerError": SERVER_ERROR},
        },
    }


async def endpoint(request: Request) -> Response:
    """``/services/api/openapi.json``: regenerated per request, so it lists exactly the
    methods this process dispatches."""
    site = site_of(request)
    base = site.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
    response = JSONResponse(document(registry, base or "/"))
    # Public description: API tools on other origins may load it.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-cache"
    return response
