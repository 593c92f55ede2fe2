"""Security headers on every response (issue 11, finding 10: REST answers lacked
``X-Content-Type-Options: nosniff``)."""

from __future__ import annotations

import httpx
import pytest
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from photohub.site import Site
from photohub.web.headers import DEFAULT_PAGE_POLICY, SecurityHeaders
from tests import images
from tests.api.client import api_for
from tests.web.helpers import upload, visit

pytestmark = pytest.mark.anyio


def _everywhere(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff", response.url
    assert response.headers["referrer-policy"] == "same-origin", response.url


async def test_every_kind_of_response_says_nosniff(site: Site, client: httpx.AsyncClient) -> None:
    api = await api_for(site, client)
    token = await visit(client)
    photo = (await upload(client, token, images.jpeg())).json()["photo"]
    await site.runner.run_due()
    answers = [
        await client.get(
            "/services/rest/", params={"method": "flickr.test.echo", "api_key": api.api_key}
        ),
        await client.get(
            "/services/rest/",
            params={"method": "flickr.test.echo", "format": "json", "api_key": api.api_key},
        ),
        await client.get("/services/rest/", params={"method": "nope", "format": "json"}),
        await client.get("/services/api/openapi.json"),
        await client.get("/api/wall"),
        await client.get("/api/photos/1"),  # 405
        await client.get("/no/such/thing"),
        await client.get("/no/such/thing", headers={"accept": "text/html"}),
        await client.get("/healthz"),
        await client.get("/static/style.css"),
        await client.get("/push/topics/nothing"),
        await client.post("/hub", data={}),
        await client.get("/upload"),
        await client.get(photo["url_m"] if photo.get("url_m") else "/media/nothing.webp"),
    ]
    for response in answers:
        _everywhere(response)


async def test_pages_may_not_be_framed(client: httpx.AsyncClient) -> None:
    for path in ("/", "/upload", "/wall", "/login", "/services/api/explorer", "/nowhere"):
        response = await client.get(path, headers={"accept": "text/html"})
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["x-frame-options"] == "DENY"
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "'nonce-" in policy, path
        assert "'unsafe-inline'" not in policy


async def test_a_policy_a_handler_set_is_kept_and_html_gets_a_default() -> None:
    async def page(scope: Scope, receive: Receive, send: Send) -> None:
        response = PlainTextResponse("<p>hi</p>", media_type="text/html")
        if scope["path"] == "/own":
            response.headers["content-security-policy"] = "default-src 'none'"
            response.headers["x-content-type-options"] = "nosniff"
        await response(scope, receive, send)

    transport = httpx.ASGITransport(app=SecurityHeaders(page))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        own = await http.get("/own")
        default = await http.get("/other")
    assert own.headers["content-security-policy"] == "default-src 'none'"
    assert own.headers.get_list("x-content-type-options") == ["nosniff"]
    assert default.headers["content-security-policy"] == DEFAULT_PAGE_POLICY.decode()
    assert default.headers["x-frame-options"] == "DENY"
