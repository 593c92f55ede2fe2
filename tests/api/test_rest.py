"""The REST endpoint: formats, JSONP, Flickr's global errors, reflection, API keys."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import httpx
import pytest

from photohub.api.methods import registry
from photohub.site import Site
from tests.api.client import api_for

pytestmark = pytest.mark.anyio


async def test_echo_in_every_format(site: Site, client: httpx.AsyncClient) -> None:
    api = await api_for(site, client)
    base = {"method": "flickr.test.echo", "api_key": api.api_key, "foo": "<b>&'\"</b>"}
    plain = await client.get(
        "/services/rest/", params={**base, "format": "json", "nojsoncallback": "1"}
    )
    assert plain.headers["content-type"] == "application/json"
    assert plain.json()["foo"] == {"_content": "<b>&'\"</b>"}
    wrapped = await client.get("/services/rest/", params={**base, "format": "json"})
    assert wrapped.text.startswith("jsonFlickrApi({") and wrapped.text.endswith("})")
    named = await client.get(
        "/services/rest/", params={**base, "format": "json", "jsoncallback": "cb_1"}
    )
    assert named.text.startswith("cb_1(")
    evil = await client.get(
        "/services/rest/", params={**base, "format": "json", "jsoncallback": "alert(1)//"}
    )
    assert evil.text.startswith("jsonFlickrApi(")
    xml = await client.post("/services/rest/", data=base)
    root = ET.fromstring(xml.content)
    assert root.tag == "rsp" and root.get("stat") == "ok"
    assert root.findtext("foo") == "<b>&'\"</b>"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"method": "flickr.test.echo"}, 100),
        ({"method": "flickr.test.echo", "api_key": "0" * 32}, 100),
        ({"method": "flickr.nothing.here", "api_key": "KEY"}, 112),
        ({"api_key": "KEY"}, 112),
        ({"method": "flickr.test.login", "api_key": "KEY"}, 99),
        ({"method": "flickr.reflection.getMethodInfo", "api_key": "KEY"}, 90),
        ({"method": "flickr.photos.getInfo", "api_key": "KEY", "photo_id": "x1"}, 91),
    ],
)
async def test_global_errors_in_json_and_xml(
    site: Site, client: httpx.AsyncClient, params: dict[str, str], code: int
) -> None:
    api = await api_for(site, client)
    params = {k: api.api_key if v == "KEY" else v for k, v in params.items()}
    as_json = await client.get(
        "/services/rest/", params={**params, "format": "json", "nojsoncallback": "1"}
    )
    assert as_json.status_code == 200
    body = json.loads(as_json.text)
    assert body["stat"] == "fail" and body["code"] == code and body["message"]
    as_xml = await client.get("/services/rest/", params=params)
    err = ET.fromstring(as_xml.content).find("err")
    assert err is not None and err.get("code") == str(code)


async def test_unknown_format_is_error_111_in_xml(site: Site, client: httpx.AsyncClient) -> None:
    api = await api_for(site, client)
    response = await client.get(
        "/services/rest/",
        params={"method": "flickr.test.echo", "api_key": api.api_key, "format": "yaml"},
    )
    assert ET.fromstring(response.content).find("err").get("code") == "111"  # type: ignore[union-attr]


async def test_reflection_lists_and_describes_every_method(
    site: Site, client: httpx.AsyncClient
) -> None:
    api = await api_for(site, client)
    listed = await api.ok("flickr.reflection.getMethods")
    names = [m["_content"] for m in listed["methods"]["method"]]
    assert names == registry.names() and "flickr.photos.search" in names
    info = await api.ok("flickr.reflection.getMethodInfo", method_name="flickr.photos.search")
    arguments = {a["name"] for a in info["arguments"]["argument"]}
    assert {
        "api_key",
        "tags",
        "machine_tags",
        "bbox" if "bbox" in arguments else "tags",
    } <= arguments
    codes = {e["code"] for e in info["errors"]["error"]}
    assert {1, 2, 3, 11, 12, 90, 91, 100, 112} <= codes
    await api.fail("flickr.reflection.getMethodInfo", 1, method_name="flickr.nope")


async def test_a_new_app_key_works_at_once_and_a_bad_one_never(
    site: Site, client: httpx.AsyncClient
) -> None:
    first = await api_for(site, client)
    await first.ok("flickr.test.echo")
    second = await api_for(site, client)  # created after the first key was cached
    await second.ok("flickr.test.echo")
    for _ in range(2):  # the second refusal comes from the cache: still a refusal
        body = await client.get(
            "/services/rest/",
            params={
                "method": "flickr.test.echo",
                "api_key": "f" * 32,
                "format": "json",
                "nojsoncallback": "1",
            },
        )
        assert body.json()["code"] == 100
