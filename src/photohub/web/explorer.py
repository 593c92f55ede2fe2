"""The API Explorer: every registered method, its arguments as a form, called from the
page as the logged-in user (or anonymously). Everything shown comes from the registry,
so a new method appears here the moment it is registered."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from starlette.requests import Request
from starlette.responses import Response

from photohub.api.args import Arg, Choice, Flag
from photohub.api.errors import GLOBAL_ERRORS
from photohub.api.methods import registry
from photohub.api.openapi import DOCUMENT_PATH, REST_PATH, arg_description, namespace
from photohub.api.registry import Method
from photohub.web import identity
from photohub.web.render import page, site_of

# Above this, a name is not echoed back in full on the "no such method" page.
_MAX_SHOWN_NAME = 100


@dataclass(frozen=True)
class Field:
    """One argument as the form shows it."""

    name: str
    required: bool
    doc: str
    choices: tuple[str, ...]  # empty: a free text field


@dataclass(frozen=True)
class Namespace:
    name: str
    methods: tuple[Method, ...]


def field_of(arg: Arg) -> Field:
    choices: tuple[str, ...] = ()
    if isinstance(arg.type, Choice):
        choices = arg.type.values
    elif isinstance(arg.type, Flag):
        choices = ("1", "0")
    return Field(arg.name, arg.required, arg_description(arg), choices)


def namespaces() -> list[Namespace]:
    """Registered methods grouped by namespace (``flickr.photos`` …), sorted by name.
    (Sorting by namespace first: ``flickr.photos.geo.*`` sorts between ``flickr.photos.*``
    names, and would split their group.)"""
    methods = sorted(registry, key=lambda m: (namespace(m.name), m.name))
    return [
        Namespace(name, tuple(group))
        for name, group in groupby(methods, key=lambda m: namespace(m.name))
    ]


def perms_words(method: Method) -> str:
    if method.perms == "none":
        return "No login needed: anyone with an API key may call it."
    if method.optional_auth:
        return (
            "Works without login, showing only what the public may see; logged in, it "
            f"uses {method.perms} permission."
        )
    return f"Needs {method.perms} permission: log in, or sign the call with an OAuth token."


async def _caller_name(request: Request) -> str | None:
    """The username calls from this page run as; None for an anonymous visitor."""
    user = await identity.current_user(request, site_of(request))
    return None if user is None else str(user["username"])


async def index(request: Request) -> Response:
    """``/services/api/explorer``: the list of methods."""
    return await page(
        request,
        "explorer",
        namespaces=namespaces(),
        openapi_url=DOCUMENT_PATH,
        missing=None,
        caller_name=await _caller_name(request),
    )


async def method(request: Request) -> Response:
    """``/services/api/explorer/NAME``: one method, with a form to call it."""
    name = str(request.path_params["method_name"])
    found = registry.get(name)
    if found is None:
        shown = name if len(name) <= _MAX_SHOWN_NAME else name[:_MAX_SHOWN_NAME] + "…"
        return await page(
            request,
            "explorer",
            status=404,
            namespaces=namespaces(),
            openapi_url=DOCUMENT_PATH,
            missing=shown,
            caller_name=await _caller_name(request),
        )
    return await page(
        request,
        "explorer_method",
        method=found,
        method_namespace=namespace(found.name),
        fields=[field_of(arg) for arg in found.args],
        perms_text=perms_words(found),
        # Reads go as GET (the URL shown is the call); changes go as POST.
        http_method="POST" if found.perms in ("write", "delete") else "GET",
        rest_path=REST_PATH,
        global_errors=GLOBAL_ERRORS,
        openapi_url=DOCUMENT_PATH,
        caller_name=await _caller_name(request),
    )
