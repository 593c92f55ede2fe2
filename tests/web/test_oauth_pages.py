"""The pages of OAuth: the authorisation page a user answers, and /services/apps where
developers register apps and users revoke what they granted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import pytest
from sqlalchemy.engine import RowMapping

from photohub.actions import accounts
from photohub.site import Site
from photohub.store import apps
from photohub.store import oauth as tokens
from tests.api.oauth_support import (
    Consumer,
    account,
    approve,
    csrf_of,
    log_in,
    register,
)

pytestmark = pytest.mark.anyio
HTML = {"accept": "text/html"}


@pytest.fixture
async def consumer(site: Site, client: httpx.AsyncClient) -> AsyncIterator[Consumer]:
    """The app's own HTTP client (no cookies), apart from the user's browser ``client``."""
    from photohub.app import create_app

    developer = await account(site, "dev")
    app = await register(site, developer, "Frame <b>Pro</b>", "Shows your photos & more.")
    transport = httpx.ASGITransport(app=create_app(site=site, manage_site=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield Consumer(http, str(app["api_key"]), str(app["secret"]))


@pytest.fixture
async def user(site: Site, client: httpx.AsyncClient) -> RowMapping:
    ana = await account(site, "ana", realname="Ana Lima")
    await log_in(site, client, ana)
    return ana


async def _authorize_page(
    client: httpx.AsyncClient, token: str, perms: str = "read"
) -> httpx.Response:
    return await client.get(
        "/services/oauth/authorize", params={"oauth_token": token, "perms": perms}, headers=HTML
    )


# The authorisation page


async def test_the_page_names_the_app_and_the_perms_in_plain_words(
    consumer: Consumer, client: httpx.AsyncClient, user: RowMapping
) -> None:
    token, _ = await consumer.request_token()
    page = await _authorize_page(client, token, "delete")
    assert page.status_code == 200, page.text
    html = page.text
    assert "Let Frame &lt;b&gt;Pro&lt;/b&gt; use your account?" in html  # escaped
    assert "<b>Pro</b>" not in html
    assert "Shows your photos &amp; more." in html
    assert "registered by dev" in html
    assert "Read, write and delete access" in html
    assert "also delete your photos" in html
    assert "logged in as <strong>ana</strong>" in html
    assert 'value="approve"' in html and 'value="deny"' in html
    assert f'name="oauth_token" value="{token}"' in html
    # The answer redirects to the callback: the form's CSP must allow that origin.
    policy = page.headers["content-security-policy"]
    assert "form-action 'self' http://127.0.0.1:9999;" in policy
    assert "frame-ancestors 'none'" in policy


async def test_read_is_the_default_perms(
    consumer: Consumer, client: httpx.AsyncClient, user: RowMapping
) -> None:
    token, _ = await consumer.request_token()
    page = await client.get(
        "/services/oauth/authorize", params={"oauth_token": token}, headers=HTML
    )
    assert '<h2 id="oauth-perms-title">Read access</h2>' in page.text


async def test_not_logged_in_goes_to_login_and_comes_back(
    site: Site, consumer: Consumer, client: httpx.AsyncClient
) -> None:
    token, _ = await consumer.request_token()
    page = await _authorize_page(client, token, "write")
    assert page.status_code == 303
    here = f"/services/oauth/authorize?oauth_token={token}&perms=write"
    assert page.headers["location"] == "/login?next=" + quote(here, safe="")

    # The accounts pages send the user back to the authorisation page after logging in.
    await accounts.signup(site, username="bea", password="correct horse battery")
    login_page = await client.get(page.headers["location"], headers=HTML)
    assert login_page.status_code == 200, login_page.text
    logged_in = await client.post(
        "/login",
        data={
            "csrf_token": csrf_of(login_page.text),
            "username": "bea",
            "password": "correct horse battery",
            "next": here,
        },
    )
    assert logged_in.status_code == 303, logged_in.text
    assert logged_in.headers["location"] == here
    back = await client.get(here, headers=HTML)
    assert back.status_code == 200
    assert "logged in as <strong>bea</strong>" in back.text


async def test_an_unknown_or_used_token_gets_a_clear_page(
    consumer: Consumer, client: httpx.AsyncClient, user: RowMapping
) -> None:
    page = await _authorize_page(client, "nope")
    assert page.status_code == 404
    assert "not valid any more" in page.text
    token, _ = await consumer.request_token()
    assert (await approve(client, token)).status_code == 303
    again = await _authorize_page(client, token)
    assert again.status_code == 404


async def test_unknown_perms_get_a_clear_page(
    consumer: Consumer, client: httpx.AsyncClient, user: RowMapping
) -> None:
    token, _ = await consumer.request_token()
    page = await _authorize_page(client, token, "admin")
    assert page.status_code == 404
    assert "perms must be one of read, write, delete" in page.text


async def test_the_answer_needs_the_pages_csrf_token(
    site: Site, consumer: Consumer, client: httpx.AsyncClient, user: RowMapping
) -> None:
    token, _ = await consumer.request_token()
    page = await _authorize_page(client, token)
    fields = {"oauth_token": token, "perms": "read", "decision": "approve"}
    forged = await client.post("/services/oauth/authorize", data=fields, headers=HTML)
    assert forged.status_code == 403
    cross_site = await client.post(
        "/services/oauth/authorize",
        data={**fields, "csrf_token": csrf_of(page.text)},
        headers={**HTML, "origin": "http://evil.example"},
    )
    assert cross_site.status_code == 403
    async with site.db.read() as conn:
        row = await tokens.get(conn, token)
    assert row is not None and row["user_id"] is None and row["verifier"] is None


async def test_approval_records_the_user_and_the_perms(
    site: Site, consumer: Consumer, client: httpx.AsyncClient, user: RowMapping
) -> None:
    token, _ = await consumer.request_token()
    answer = await approve(client, token, "write")
    assert answer.status_code == 303
    verifier = dict(parse_qsl(urlsplit(answer.headers["location"]).query))["oauth_verifier"]
    async with site.db.read() as conn:
        row = await tokens.get(conn, token)
    assert row is not None
    assert (row["user_id"], row["perms"], row["verifier"]) == (user["id"], "write", verifier)


async def test_deny_with_oob_shows_a_message(
    site: Site, consumer: Consumer, client: httpx.AsyncClient, user: RowMapping
) -> None:
    token, _ = await consumer.request_token(callback="oob")
    answer = await approve(client, token, decision="deny")
    assert answer.status_code == 200
    assert "You did not let Frame &lt;b&gt;Pro&lt;/b&gt; use your account" in answer.text
    async with site.db.read() as conn:
        assert await tokens.get(conn, token) is None


# /services/apps


async def test_apps_page_needs_a_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/services/apps", headers=HTML)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fservices%2Fapps"


async def test_register_an_app_and_see_its_key_and_secret(
    site: Site, client: httpx.AsyncClient, user: RowMapping
) -> None:
    page = await client.get("/services/apps", headers=HTML)
    assert page.status_code == 200
    assert "You have no apps yet." in page.text
    created = await client.post(
        "/services/apps",
        data={
            "csrf_token": csrf_of(page.text),
            "action": "create",
            "name": "  My uploader ",
            "description": "Uploads from my camera.",
        },
    )
    assert created.status_code == 303
    async with site.db.read() as conn:
        [app] = await apps.of_user(conn, int(user["id"]))
    assert (app["name"], app["description"]) == ("My uploader", "Uploads from my camera.")
    assert created.headers["location"] == f"/services/apps#app-{app['id']}"
    listing = await client.get("/services/apps", headers=HTML)
    assert f'<code class="api-key">{app["api_key"]}</code>' in listing.text
    assert f'<code class="api-secret">{app["secret"]}</code>' in listing.text


async def test_an_app_registers_and_changes_its_callback_url(
    site: Site, client: httpx.AsyncClient, user: RowMapping
) -> None:
    page = await client.get("/services/apps", headers=HTML)
    fields = {"csrf_token": csrf_of(page.text), "action": "create", "name": "Frame"}
    refused = await client.post(
        "/services/apps", data={**fields, "callback_url": "ms-settings:privacy"}, headers=HTML
    )
    assert refused.status_code == 400 and "ms-settings" in refused.text
    created = await client.post(
        "/services/apps", data={**fields, "callback_url": " com.example.frame:/done "}
    )
    assert created.status_code == 303
    async with site.db.read() as conn:
        [app] = await apps.of_user(conn, int(user["id"]))
    assert app["callback_url"] == "com.example.frame:/done"
    change = {"csrf_token": fields["csrf_token"], "action": "callback", "app_id": str(app["id"])}
    bad = await client.post(
        "/services/apps", data={**change, "callback_url": "view-source:x"}, headers=HTML
    )
    assert bad.status_code == 400
    cleared = await client.post("/services/apps", data={**change, "callback_url": ""})
    assert cleared.status_code == 303
    async with site.db.read() as conn:
        [app] = await apps.of_user(conn, int(user["id"]))
    assert app["callback_url"] is None


async def test_an_app_needs_a_name_and_a_csrf_token(
    site: Site, client: httpx.AsyncClient, user: RowMapping
) -> None:
    page = await client.get("/services/apps", headers=HTML)
    nameless = await client.post(
        "/services/apps",
        data={
            "csrf_token": csrf_of(page.text),
            "action": "create",
            "name": " ",
            "description": "x",
        },
        headers=HTML,
    )
    assert nameless.status_code == 400
    assert "Give the app a name" in nameless.text
    assert ">x</textarea>" in nameless.text  # what was typed stays
    too_long = await client.post(
        "/services/apps",
        data={"csrf_token": csrf_of(page.text), "action": "create", "name": "n" * 101},
        headers=HTML,
    )
    assert too_long.status_code == 400
    forged = await client.post(
        "/services/apps", data={"action": "create", "name": "Sneaky"}, headers=HTML
    )
    assert forged.status_code == 403
    async with site.db.read() as conn:
        assert await apps.of_user(conn, int(user["id"])) == []


async def test_a_user_sees_and_revokes_what_they_granted(
    site: Site, consumer: Consumer, client: httpx.AsyncClient, user: RowMapping
) -> None:
    token, secret = await consumer.request_token()
    answer = await approve(client, token, "write")
    verifier = dict(parse_qsl(urlsplit(answer.headers["location"]).query))["oauth_verifier"]
    granted = dict(parse_qsl((await consumer.access_token(token, secret, verifier)).text))
    access, access_secret = granted["oauth_token"], granted["oauth_token_secret"]
    assert (await consumer.rest("flickr.test.login", access, access_secret))["stat"] == "ok"

    page = await client.get("/services/apps", headers=HTML)
    assert "Frame &lt;b&gt;Pro&lt;/b&gt;</strong>: Read and write" in page.text
    async with site.db.read() as conn:
        [grant] = await tokens.grants_of_user(conn, int(user["id"]))
    assert access_secret not in page.text
    stranger = await account(site, "stranger")
    async with site.db.write() as conn:
        # Nobody revokes another person's grant.
        assert not await tokens.revoke(conn, int(grant["id"]), int(stranger["id"]))
    revoked = await client.post(
        "/services/apps",
        data={"csrf_token": csrf_of(page.text), "action": "revoke", "token_id": str(grant["id"])},
    )
    assert revoked.status_code == 303
    assert (await consumer.rest("flickr.test.login", access, access_secret))["code"] == 98
    # A grant is revoked once.
    again = await client.post(
        "/services/apps",
        data={"csrf_token": csrf_of(page.text), "action": "revoke", "token_id": str(grant["id"])},
        headers=HTML,
    )
    assert again.status_code == 404
