"""CSRF: per-browser tokens, where a request came from, and every state-changing route.

Issue 11, finding 1: a browser without cookies got the same token as every other one
(readable on any error page), and a form posted from a sandboxed frame on another site
(``Origin: null``) passed. An attacker's page so logged a guest into the attacker's
account before the guest uploaded at the party.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.routing import Route

from photohub.actions import accounts
from photohub.app import routes
from photohub.site import Site
from photohub.web import guard, identity
from tests.web.helpers import META, login_host, visit

pytestmark = pytest.mark.anyio

ORIGIN = "http://testserver"
PASSWORD = "correct horse battery"
SAFE = {"GET", "HEAD", "OPTIONS"}
# What a refused form post or JSON call says.
REFUSALS = (identity.CROSS_SITE, identity.EXPIRED)


def _browser(site: Site) -> httpx.AsyncClient:
    from photohub.app import create_app

    app = create_app(site=site, manage_site=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN)


@pytest.fixture
async def attacker(site: Site) -> AsyncIterator[httpx.AsyncClient]:
    async with _browser(site) as browser:
        yield browser


@pytest.fixture
async def victim(site: Site) -> AsyncIterator[httpx.AsyncClient]:
    async with _browser(site) as browser:
        yield browser


async def _account(site: Site, name: str = "Mallory") -> int:
    done = await accounts.signup(site, username=name, password=PASSWORD)
    return int(done.user["id"])


async def _error_page_token(client: httpx.AsyncClient) -> str:
    response = await client.get("/no/such/page", headers={"accept": "text/html"})
    assert response.status_code == 404
    match = META.search(response.text)
    assert match
    return match[1]


async def _logged_in_as(client: httpx.AsyncClient) -> str | None:
    response = await client.get("/account", headers={"accept": "text/html"})
    if response.status_code != 200:
        return None
    found = re.search(r'aria-current="page">([^<]+)</a>', response.text)
    return found[1] if found else "?"


def _refused(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    if response.headers["content-type"].startswith("application/json"):
        assert response.json()["code"] == "csrf", response.text
    else:
        assert any(words.replace("'", "&#39;") in response.text for words in REFUSALS)


# Tokens


async def test_two_fresh_browsers_get_different_tokens_on_every_page(
    attacker: httpx.AsyncClient, victim: httpx.AsyncClient
) -> None:
    assert await _error_page_token(attacker) != await _error_page_token(victim)
    for path in ("/login", "/signup", "/upload"):
        assert await visit(attacker, path) != await visit(victim, path)


async def test_the_csrf_cookie_is_random_httponly_and_lax(victim: httpx.AsyncClient) -> None:
    response = await victim.get("/login", headers={"accept": "text/html"})
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("photohub_csrf=")
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert re.match(r"photohub_csrf=[0-9a-f]{32};", cookie)


async def test_the_csrf_cookie_is_secure_over_https(site: Site) -> None:
    from photohub.app import create_app

    transport = httpx.ASGITransport(app=create_app(site=site, manage_site=False))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        response = await http.get("/login", headers={"accept": "text/html"})
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("photohub_csrf=")
    )
    assert "Secure" in cookie


async def test_a_token_read_by_one_browser_does_not_log_another_in(
    site: Site, attacker: httpx.AsyncClient, victim: httpx.AsyncClient
) -> None:
    """The attack of finding 1: the attacker reads a token (an error page) and makes a
    fresh browser post it with the attacker's password."""
    await _account(site)
    token = await _error_page_token(attacker)
    form = {"csrf_token": token, "username": "Mallory", "password": PASSWORD}
    _refused(await victim.post("/login", data=form))
    assert await _logged_in_as(victim) is None
    # Nor once the victim has a cookie of its own.
    await visit(victim, "/upload")
    _refused(await victim.post("/login", data=form))
    assert await _logged_in_as(victim) is None
    # Sign-up too: no account made in the victim's browser.
    signup = {**form, "username": "Trap", "password2": PASSWORD}
    _refused(await victim.post("/signup", data=signup))
    assert await _logged_in_as(victim) is None


async def test_a_browser_without_the_cookie_has_no_valid_token(
    site: Site, victim: httpx.AsyncClient
) -> None:
    await _account(site)
    form = {"username": "Mallory", "password": PASSWORD}
    for token in ("", "0" * 40):
        _refused(await victim.post("/login", data={**form, "csrf_token": token}))


async def test_the_token_changes_at_login_and_logout(site: Site, victim: httpx.AsyncClient) -> None:
    await _account(site)
    before = await visit(victim, "/login")
    form = {"csrf_token": before, "username": "Mallory", "password": PASSWORD}
    response = await victim.post("/login", data=form, headers={"origin": ORIGIN})
    assert response.status_code == 303
    during = await visit(victim, "/account")
    assert during != before
    _refused(await victim.post("/account", data={"csrf_token": before, "realname": "X"}))
    response = await victim.post("/logout", data={"csrf_token": during})
    assert response.status_code == 303
    after = await visit(victim, "/login")
    assert after not in (before, during)


# Where a request came from


CROSS_SITE_HEADERS = [
    pytest.param({"origin": "null"}, id="origin-null"),
    pytest.param({"origin": "http://evil.example"}, id="origin-other-site"),
    pytest.param({"origin": "https://testserver"}, id="origin-other-scheme"),
    pytest.param({"sec-fetch-site": "cross-site"}, id="sec-fetch-cross-site"),
    pytest.param({"origin": ORIGIN, "sec-fetch-site": "cross-site"}, id="fetch-site-wins"),
    pytest.param({"sec-fetch-site": "same-site"}, id="sec-fetch-same-site"),
    pytest.param({"sec-fetch-site": "none", "sec-fetch-mode": "navigate"}, id="browser-no-origin"),
    pytest.param({"sec-fetch-mode": "navigate"}, id="browser-no-origin-no-site"),
    pytest.param({"referer": "http://evil.example/page"}, id="referer-other-site"),
]


@pytest.mark.parametrize("headers", CROSS_SITE_HEADERS)
async def test_a_login_from_another_site_is_refused_with_a_page(
    site: Site, victim: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    """Even with this browser's own valid token."""
    await _account(site)
    token = await visit(victim, "/login")
    response = await victim.post(
        "/login",
        data={"csrf_token": token, "username": "Mallory", "password": PASSWORD},
        headers={"accept": "text/html", **headers},
    )
    _refused(response)
    assert response.headers["content-type"].startswith("text/html")
    assert await _logged_in_as(victim) is None


@pytest.mark.parametrize("headers", CROSS_SITE_HEADERS)
async def test_a_json_call_from_another_site_is_refused_with_json(
    victim: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    token = await visit(victim, "/mine")
    response = await victim.post(
        "/api/me", json={"name": "pwned"}, headers={"x-csrf-token": token, **headers}
    )
    _refused(response)
    assert response.json()["message"] == identity.CROSS_SITE


SAME_ORIGIN_HEADERS = [
    pytest.param({"origin": ORIGIN}, id="origin"),
    pytest.param({"origin": ORIGIN, "sec-fetch-site": "same-origin"}, id="origin-fetch"),
    pytest.param({"sec-fetch-site": "same-origin", "sec-fetch-mode": "cors"}, id="same-get"),
    pytest.param({"referer": ORIGIN + "/login"}, id="referer"),
    pytest.param({}, id="a-script"),
]


@pytest.mark.parametrize("headers", SAME_ORIGIN_HEADERS)
async def test_our_own_pages_still_log_in(
    site: Site, victim: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    await _account(site)
    token = await visit(victim, "/login")
    response = await victim.post(
        "/login",
        data={"csrf_token": token, "username": "Mallory", "password": PASSWORD},
        headers=headers,
    )
    assert response.status_code == 303, response.text
    assert await _logged_in_as(victim) == "Mallory"


async def test_the_public_url_is_our_origin_too(site: Site) -> None:
    site.settings = dataclasses.replace(site.settings, public_url="https://party.example/")
    async with _browser(site) as browser:
        token = await visit(browser, "/mine")
        for origin in ("https://party.example", ORIGIN):
            response = await browser.post(
                "/api/me", json={"name": "Ana"}, headers={"x-csrf-token": token, "origin": origin}
            )
            assert response.status_code == 200, response.text


# Every state-changing route


def _state_changing() -> Iterator[tuple[str, str]]:
    for route in routes:
        if not isinstance(route, Route):
            continue
        for method in sorted((route.methods or set()) - SAFE):
            path = re.sub(r"\{\w+:id\}", "1", route.path)
            yield method, re.sub(r"\{\w+(:\w+)?\}", "x", path)


def test_only_the_protocols_are_exempt() -> None:
    """A route that other programs call (OAuth-signed, WebSub) is exempt from the origin
    check; adding one to the list is a decision this test makes visible."""
    exempt = sorted({path for _, path in _state_changing() if guard.is_exempt(path)})
    assert exempt == [
        "/hub",
        "/services/oauth/access_token",
        "/services/oauth/request_token",
        "/services/replace",
        "/services/replace/",
        "/services/rest",
        "/services/rest/",
        "/services/rest/x",
        "/services/upload",
        "/services/upload/",
    ]


CHECKED = [
    pytest.param(method, path, id=f"{method} {path}")
    for method, path in _state_changing()
    if not guard.is_exempt(path)
]


@pytest.fixture
async def everyone(site: Site) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A browser that is a guest, a logged-in account and the host at once, so that
    every route gets as far as its CSRF check; with its valid token."""
    await _account(site, "Ana")
    async with _browser(site) as browser:
        token = await visit(browser, "/login")
        form = {"csrf_token": token, "username": "Ana", "password": PASSWORD}
        assert (await browser.post("/login", data=form)).status_code == 303
        await login_host(browser)
        yield browser, await visit(browser, "/upload")


def test_every_state_changing_page_route_is_checked() -> None:
    paths = {path for _, path in (p.values for p in CHECKED)}
    for expected in ("/login", "/signup", "/logout", "/account", "/api/photos", "/api/me"):
        assert expected in paths
    assert len(CHECKED) >= 16


@pytest.mark.parametrize(("method", "path"), CHECKED)
async def test_every_state_changing_route_refuses_a_cross_site_request(
    everyone: tuple[httpx.AsyncClient, str], method: str, path: str
) -> None:
    browser, token = everyone
    form = {"csrf_token": token}
    accept = {"accept": "application/json"}
    tries = {
        "no token": {"origin": ORIGIN},
        "origin null": {"origin": "null", "x-csrf-token": token},
        "other site": {"origin": "http://evil.example", "x-csrf-token": token},
        "fetch cross-site": {"sec-fetch-site": "cross-site", "x-csrf-token": token},
        "browser, no origin": {"sec-fetch-mode": "navigate", "x-csrf-token": token},
    }
    for why, headers in tries.items():
        data = {} if why == "no token" else form
        response = await browser.request(method, path, data=data, headers={**accept, **headers})
        assert response.status_code == 403, (why, response.text)
        assert response.json()["code"] == "csrf", (why, response.text)
    # Still the same browser, logged in and the host: nothing above changed that.
    assert await _logged_in_as(browser) == "Ana"
    assert 'data-admin="true"' in (await browser.get("/upload")).text


async def test_every_cookie_photohub_sets_says_samesite(
    site: Site, victim: httpx.AsyncClient
) -> None:
    await _account(site)
    seen: list[str] = []
    victim.event_hooks["response"] = [lambda r: _collect(r, seen)]
    token = await visit(victim, "/login")
    await victim.post(
        "/login", data={"csrf_token": token, "username": "Mallory", "password": PASSWORD}
    )
    token = await visit(victim, "/account")
    await victim.post("/logout", data={"csrf_token": token})
    token = await login_host(victim)
    await victim.post("/admin/logout", data={"csrf_token": token})
    names = {cookie.split("=", 1)[0] for cookie in seen}
    assert names >= {"photohub_csrf", "photohub_guest", "photohub_session", "photohub_admin"}
    for cookie in seen:
        assert re.search(r"SameSite=(lax|strict)", cookie, re.I), cookie
        assert "HttpOnly" in cookie, cookie


async def _collect(response: httpx.Response, seen: list[str]) -> None:
    seen.extend(response.headers.get_list("set-cookie"))
