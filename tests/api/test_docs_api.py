"""docs/api.md cannot drift: every global error code is in its table, and the places it
sends readers to for the method list exist."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Route

from photohub.api import errors
from photohub.api.methods import registry
from photohub.api.openapi import DOCUMENT_PATH, EXPLORER_PATH
from photohub.app import routes

DOC = (Path(__file__).parent.parent.parent / "docs" / "api.md").read_text()


def test_every_global_error_code_is_in_the_table() -> None:
    codes = {code for code, _ in errors.GLOBAL_ERRORS}
    codes |= {
        value for name, value in vars(errors).items() if name.isupper() and isinstance(value, int)
    }
    missing = sorted(code for code in codes if f"\n| {code} | " not in DOC)
    assert missing == []


def test_the_method_list_is_where_the_doc_says() -> None:
    paths = {route.path for route in routes if isinstance(route, Route)}
    for path in (EXPLORER_PATH, EXPLORER_PATH + "/{method_name:str}", DOCUMENT_PATH):
        assert path in paths
    for where in (EXPLORER_PATH, DOCUMENT_PATH, "flickr.reflection.getMethods"):
        assert f"`{where}`" in DOC or f"**`{where}`**" in DOC
    assert registry.get("flickr.reflection.getMethods") is not None
    assert registry.get("flickr.reflection.getMethodInfo") is not None
