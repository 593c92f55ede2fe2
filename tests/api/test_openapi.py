"""The OpenAPI document: valid OpenAPI 3.1, generated from the registry (every method,
every argument), and the ``/services/rest/NAME`` form it describes really dispatches."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from photohub.api.methods import registry
from photohub.api.openapi import PROTOCOL_FIELDS, document, method_path
from photohub.site import Site
from tests.factories import user
from tests.web.helpers import ok

pytestmark = pytest.mark.anyio


async def _api_key(site: Site) -> str:
    from photohub.store import apps

    async with site.db.write() as conn:
        owner = await user(conn, "openapi-owner")
        app = await apps.create(conn, int(owner["id"]), "openapi tests")
    return str(app["api_key"])


def test_the_generated_document_is_valid_openapi_31() -> None:
    spec = document(registry, "http://photohub.test")
    assert spec["openapi"] == "3.1.0"
    validate(spec)


async def test_the_served_document_is_valid_and_lists_every_method(
    client: httpx.AsyncClient, site: Site
) -> None:
    response = await client.get("/services/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["access-control-allow-origin"] == "*"
    spec: dict[str, Any] = response.json()
    validate(spec)
    assert spec["servers"] == [{"url": "http://testserver"}]
    assert {path for path in spec["paths"] if path != "/services/rest/"} == {
        method_path(name) for name in registry.names()
    }


def resolve(spec: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """``item``, or what its ``$ref`` points to inside ``spec``."""
    ref = item.get("$ref")
    if ref is None:
        return item
    assert ref.startswith("#/")
    found: dict[str, Any] = spec
    for part in ref[2:].split("/"):
        found = found[part]
    return found


def test_every_method_has_every_argument_with_its_type_and_required_flag() -> None:
    spec = document(registry)
    assert len(registry) > 0
    protocol = {name for name, _, _ in PROTOCOL_FIELDS}
    for method in registry:
        item = spec["paths"][method_path(method.name)]
        get = item["get"]
        assert get["operationId"] == method.name
        assert get["summary"] == method.summary
        assert get["x-permissions"] == method.perms
        params = {p["name"]: p for p in (resolve(spec, p) for p in get["parameters"])}
        content = item["post"]["requestBody"]["content"]
        body = resolve(spec, content["application/x-www-form-urlencoded"]["schema"])
        assert resolve(spec, content["multipart/form-data"]["schema"]) == body
        for arg in method.args:
            param = params[arg.name]
            assert param["in"] == "query"
            assert param["required"] is arg.required, (method.name, arg.name)
            schema = {k: v for k, v in param["schema"].items() if k != "default"}
            assert schema == arg.type.schema(), (method.name, arg.name)
            assert arg.type.doc in param["description"]
            assert arg.doc.rstrip(".") in param["description"]
            assert body["properties"][arg.name]["description"] == param["description"]
        required = sorted(a.name for a in method.args if a.required)
        assert sorted(body.get("required", [])) == required
        assert item["post"]["requestBody"]["required"] is bool(required)
        assert set(params) == {a.name for a in method.args} | protocol
        assert set(body["properties"]) == set(params)


def test_the_flickr_form_lists_every_method_name() -> None:
    spec = document(registry)
    get = spec["paths"]["/services/rest/"]["get"]
    params = {p["name"]: p for p in (resolve(spec, p) for p in get["parameters"])}
    assert params["method"]["required"] is True
    assert params["method"]["schema"]["enum"] == registry.names()


def test_global_errors_are_described() -> None:
    description = document(registry)["info"]["description"]
    for code in (90, 91, 100, 111, 112):
        assert f"| {code} |" in description


async def test_the_method_in_the_path_dispatches_like_the_query_form(
    client: httpx.AsyncClient, site: Site
) -> None:
    key = await _api_key(site)
    query = {"api_key": key, "format": "json", "nojsoncallback": "1", "greeting": "héllo"}
    by_path = ok(await client.get("/services/rest/flickr.test.echo", params=query))
    by_query = ok(
        await client.get("/services/rest/", params={**query, "method": "flickr.test.echo"})
    )
    assert by_path == by_query
    assert by_path["greeting"] == {"_content": "héllo"}
    assert by_path["method"] == {"_content": "flickr.test.echo"}
    posted = ok(await client.post("/services/rest/flickr.test.echo", data=query))
    assert posted["greeting"] == {"_content": "héllo"}


async def test_the_path_wins_over_a_method_field(client: httpx.AsyncClient, site: Site) -> None:
    key = await _api_key(site)
    body = ok(
        await client.get(
            "/services/rest/flickr.test.echo",
            params={"api_key": key, "format": "json", "nojsoncallback": "1", "method": "x.y"},
        )
    )
    assert body["method"] == {"_content": "flickr.test.echo"}


async def test_an_unknown_method_in_the_path_is_error_112(
    client: httpx.AsyncClient, site: Site
) -> None:
    response = await client.get(
        "/services/rest/flickr.no.such", params={"format": "json", "nojsoncallback": "1"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "stat": "fail",
        "code": 112,
        "message": 'Method "flickr.no.such" not found',
    }
