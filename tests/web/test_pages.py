"""Pages: human messages, cookies, security headers."""

from __future__ import annotations

import httpx
import pytest

from photohub.site import Site
from photohub.web.receive import size_words
from tests.web.helpers import visit

pytestmark = pytest.mark.anyio


async def test_first_visit_gives_an_httponly_signed_guest_cookie(
    client: httpx.AsyncClient, site: Site
) -> None:
    response = await client.get("/upload", headers={"accept": "text/html"})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("photohub_guest=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "photohub_guest" not in response.text  # never in the page, URL or storage
    # A second visit keeps the same identity.
    again = await client.get("/mine", headers={"accept": "text/html"})
    assert "set-cookie" not in again.headers


async def test_pages_forbid_inline_scripts_except_their_own(
    client: httpx.AsyncClient, site: Site
) -> None:
    response = await client.get("/wall", headers={"accept": "text/html"})
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.text


async def test_unknown_page_is_a_human_404(client: httpx.AsyncClient, site: Site) -> None:
    response = await client.get("/no/such/page", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "There is nothing here" in response.text
    api = await client.get("/api/nothing")
    assert api.status_code == 404
    assert api.json()["stat"] == "fail"


async def test_versioned_static_files_are_cached_for_good(
    client: httpx.AsyncClient, site: Site
) -> None:
    response = await client.get("/static/common.js?v=abc")
    assert response.status_code == 200
    assert "immutable" in response.headers["cache-control"]


async def test_a_wall_opened_on_localhost_points_guests_elsewhere(
    client: httpx.AsyncClient, site: Site
) -> None:
    from photohub.banner import lan_address

    response = await client.get("/wall", headers={"accept": "text/html", "host": "localhost:8000"})
    address = lan_address()
    if address is not None:
        assert f"http://{address}:8000/upload" in response.text
    assert "http://localhost:8000/upload" not in response.text


async def test_logout_needs_the_page_token(client: httpx.AsyncClient, site: Site) -> None:
    csrf = await visit(client)
    assert (await client.post("/admin/logout")).status_code == 403
    assert (await client.post("/admin/logout", data={"csrf_token": csrf})).status_code == 303


def test_size_words() -> None:
    assert size_words(25 * 1024 * 1024) == "25 MB"
    assert size_words(1536 * 1024) == "1.5 MB"
    assert size_words(200_000) == "195 KB"
