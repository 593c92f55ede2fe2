"""OAuth 1.0a end to end: oauthlib's client gets a request token, a logged-in user
approves it, the client trades it for an access token and signs API calls with it; and
every way a signature can be wrong is refused with Flickr's code."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from oauthlib.oauth1 import SIGNATURE_PLAINTEXT, SIGNATURE_TYPE_BODY, SIGNATURE_TYPE_QUERY
from sqlalchemy.engine import RowMapping

from photohub.api import oauth
from photohub.api.methods import registry
from photohub.site import Site
from photohub.store import apps
from photohub.store import oauth as tokens
from photohub.store.db import utcnow
from photohub.store.schema import oauth_nonces, oauth_tokens
from tests.api.oauth_support import (
    ACCESS_TOKEN,
    REQUEST_TOKEN,
    REST,
    Consumer,
    account,
    approve,
    form,
    log_in,
    register,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
async def browser(site: Site) -> AsyncIterator[httpx.AsyncClient]:
    """The user's browser: its own cookie jar, beside the app's HTTP client."""
    from photohub.app import create_app

    app = create_app(site=site, manage_site=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def user(site: Site, browser: httpx.AsyncClient) -> RowMapping:
    ana = await account(site, "ana", realname="Ana Lima")
    await log_in(site, browser, ana)
    return ana


@pytest.fixture
async def consumer(site: Site, client: httpx.AsyncClient) -> Consumer:
    developer = await account(site, "dev")
    app = await register(site, developer, "Photo Frame", "Shows your photos on a frame.")
    return Consumer(client, str(app["api_key"]), str(app["secret"]))


async def _grant(
    consumer: Consumer, browser: httpx.AsyncClient, perms: str = "read"
) -> tuple[str, str]:
    """The whole three-legged flow; the access token and its secret."""
    token, secret = await consumer.request_token()
    answer = await approve(browser, token, perms)
    verifier = dict(parse_qsl(urlsplit(answer.headers["location"]).query))["oauth_verifier"]
    response = await consumer.access_token(token, secret, verifier)
    assert response.status_code == 200, response.text
    granted = form(response)
    return granted["oauth_token"], granted["oauth_token_secret"]


# The flow


async def test_three_legged_flow_then_a_signed_call_as_the_user(
    site: Site, consumer: Consumer, browser: httpx.AsyncClient, user: RowMapping
) -> None:
    token, secret = await consumer.request_token()
    async with site.db.read() as conn:
        pending = await tokens.get(conn, token)
    assert pending is not None and pending["kind"] == "request"
    assert pending["expires_at"] - pending["created_at"] == timedelta(hours=1)

    answer = await approve(browser, token, "write")
    assert answer.status_code == 303
    location = urlsplit(answer.headers["location"])
    assert (location.scheme, location.netloc, location.path) == ("http", "127.0.0.1:9999", "/done")
    query = dict(parse_qsl(location.query))
    assert query["state"] == "xyz"  # the app's own query survives
    assert query["oauth_token"] == token

    response = await consumer.access_token(token, secret, query["oauth_verifier"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert list(parse_qsl(response.text)) == sorted(parse_qsl(response.text))  # Flickr's order
    granted = form(response)
    assert granted["fullname"] == "Ana Lima"
    assert granted["username"] == "ana"
    assert granted["user_nsid"] == user["nsid"]

    body = await consumer.rest(
        "flickr.test.login", granted["oauth_token"], granted["oauth_token_secret"]
    )
    assert body == {"stat": "ok", "user": {"id": user["nsid"], "username": {"_content": "ana"}}}

    checked = await consumer.rest(
        "flickr.auth.oauth.checkToken",
        granted["oauth_token"],
        granted["oauth_token_secret"],
        params={"oauth_token": granted["oauth_token"]},
    )
    assert checked["oauth"] == {
        "token": {"_content": granted["oauth_token"]},
        "perms": {"_content": "write"},
        "user": {"nsid": user["nsid"], "username": "ana", "fullname": "Ana Lima"},
    }

    # The request token and its verifier were used up.
    again = await consumer.access_token(token, secret, query["oauth_verifier"])
    assert again.status_code == 401
    assert form(again)["oauth_problem"] == "token_rejected"


async def test_oob_shows_the_verifier_on_the_page(
    site: Site, consumer: Consumer, browser: httpx.AsyncClient, user: RowMapping
) -> None:
    token, secret = await consumer.request_token(callback="oob")
    answer = await approve(browser, token)
    assert answer.status_code == 200, answer.text
    assert "Type this code into Photo Frame" in answer.text
    async with site.db.read() as conn:
        row = await tokens.get(conn, token)
    assert row is not None and row["verifier"]
    assert f'<code id="oauth-verifier">{row["verifier"]}</code>' in answer.text
    response = await consumer.access_token(token, secret, str(row["verifier"]))
    assert response.status_code == 200, response.text


async def test_a_wrong_verifier_is_refused_and_the_right_one_still_works(
    consumer: Consumer, browser: httpx.AsyncClient, user: RowMapping
) -> None:
    token, secret = await consumer.request_token()
    answer = await approve(browser, token)
    verifier = dict(parse_qsl(urlsplit(answer.headers["location"]).query))["oauth_verifier"]
    wrong = await consumer.access_token(token, secret, "0" * len(verifier))
    assert wrong.status_code == 401
    assert form(wrong)["oauth_problem"] == "verifier_invalid"
    assert (await consumer.access_token(token, secret, verifier)).status_code == 200


async def test_an_unapproved_request_token_cannot_be_traded(consumer: Consumer) -> None:
    token, secret = await consumer.request_token()
    response = await consumer.access_token(token, secret, "guess")
    assert response.status_code == 401
    assert form(response)["oauth_problem"] == "permission_unknown"


async def test_deny_redirects_with_user_refused_and_kills_the_token(
    consumer: Consumer, browser: httpx.AsyncClient, user: RowMapping
) -> None:
    token, secret = await consumer.request_token()
    answer = await approve(browser, token, decision="deny")
    assert answer.status_code == 303
    query = dict(parse_qsl(urlsplit(answer.headers["location"]).query))
    assert query == {"state": "xyz", "oauth_token": token, "oauth_problem": "user_refused"}
    response = await consumer.access_token(token, secret, "anything")
    assert response.status_code == 401
    assert form(response)["oauth_problem"] == "token_rejected"


async def test_the_request_token_endpoint_takes_get_and_a_query_signature(
    consumer: Consumer,
) -> None:
    response = await consumer.send(
        REQUEST_TOKEN, callback_uri="oob", signature_type=SIGNATURE_TYPE_QUERY
    )
    assert response.status_code == 200, response.text
    assert form(response)["oauth_callback_confirmed"] == "true"


async def test_request_token_needs_a_callback(consumer: Consumer) -> None:
    response = await consumer.send(REQUEST_TOKEN)
    assert response.status_code == 400
    answer = form(response)
    assert answer["oauth_problem"] == "parameter_absent"
    assert answer["oauth_parameters_absent"] == "oauth_callback"


async def test_request_token_refuses_a_javascript_callback(consumer: Consumer) -> None:
    response = await consumer.send(REQUEST_TOKEN, callback_uri="javascript:alert(1)")
    assert response.status_code == 400
    answer = form(response)
    assert answer["oauth_problem"] == "parameter_rejected"
    assert "javascript" in answer["oauth_problem_advice"]


@pytest.mark.parametrize(
    "callback",
    [
        "view-source:https://app.example/",
        "jar:https://app.example/x.jar!/a.html",
        "ms-settings:privacy",
        "MS-SETTINGS:privacy",
        "VBScript:msgbox(1)",
        "  javascript:alert(1)",
        "intent://x#Intent;end",
        "myapp:/oauth/done",  # an app's own scheme, not registered
    ],
)
async def test_request_token_takes_only_allowed_schemes(consumer: Consumer, callback: str) -> None:
    response = await consumer.send(REQUEST_TOKEN, callback_uri=callback)
    assert response.status_code == 400, response.text
    answer = form(response)
    assert answer["oauth_problem"] == "parameter_rejected"
    assert answer["oauth_parameters_rejected"] == "oauth_callback"
    assert "oauth_token" not in answer


async def test_an_apps_own_scheme_works_once_registered(
    site: Site, consumer: Consumer, browser: httpx.AsyncClient, user: RowMapping
) -> None:
    async with site.db.write() as conn:
        app = await apps.by_api_key(conn, consumer.api_key)
        assert app is not None
        assert await apps.set_callback(conn, int(app["id"]), int(app["user_id"]), "frame:/done")
    token, _ = await consumer.request_token(callback="frame:/done?s=1")
    answer = await approve(browser, token, "read")
    assert answer.headers["location"].startswith("frame:/done?s=1&oauth_token=")
    # Registered, the app gets tokens there only (or oob), as on Twitter and Flickr.
    elsewhere = await consumer.send(REQUEST_TOKEN, callback_uri="https://other.example/cb")
    assert elsewhere.status_code == 400
    assert form(elsewhere)["oauth_problem"] == "parameter_rejected"
    assert "registered" in form(elsewhere)["oauth_problem_advice"]
    assert (await consumer.request_token(callback="oob"))[0]


async def test_token_endpoints_report_a_bad_signature_with_the_base_string(
    consumer: Consumer,
) -> None:
    consumer.secret = "not-the-secret"
    response = await consumer.send(REQUEST_TOKEN, method="POST", callback_uri="oob")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("OAuth")
    answer = form(response)
    assert answer["oauth_problem"] == "signature_invalid"
    assert answer["debug_sbs"].startswith("POST&http%3A%2F%2Ftestserver%2Fservices%2Foauth")


async def test_plaintext_signatures_are_refused(consumer: Consumer) -> None:
    response = await consumer.send(
        REQUEST_TOKEN, callback_uri="oob", signature_method=SIGNATURE_PLAINTEXT
    )
    assert response.status_code == 400
    answer = form(response)
    assert answer["oauth_problem"] == "signature_method_rejected"
    assert answer["oauth_acceptable_signature_methods"] == "HMAC-SHA1"


async def test_access_token_needs_a_request_token(consumer: Consumer) -> None:
    response = await consumer.send(ACCESS_TOKEN, verifier="x")
    assert response.status_code == 400
    assert form(response)["oauth_parameters_absent"] == "oauth_token"


async def test_an_expired_request_token_is_refused(
    site: Site, consumer: Consumer, browser: httpx.AsyncClient, user: RowMapping
) -> None:
    token, secret = await consumer.request_token()
    async with site.db.write() as conn:
        await conn.execute(
            oauth_tokens.update()
            .where(oauth_tokens.c.token == token)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    page = await browser.get(
        "/services/oauth/authorize", params={"oauth_token": token}, headers={"accept": "text/html"}
    )
    assert page.status_code == 404
    assert "expired" in page.text
    response = await consumer.access_token(token, secret, "x")
    assert response.status_code == 401
    assert form(response)["oauth_problem"] == "token_expired"
    async with site.db.write() as conn:
        assert await tokens.prune_request_tokens(conn) == 1


# Signed API calls


async def test_signatures_in_the_query_and_in_a_form_body_work_too(
    consumer: Consumer, browser: httpx.AsyncClient, user: RowMapping
) -> None:
    token, secret = await _grant(consumer, browser)
    in_query = await consumer.rest(
        "flickr.test.login", token, secret, signature_type=SIGNATURE_TYPE_QUERY
    )
    assert in_query["stat"] == "ok", in_query
    signer = consumer.signer(
        resource_owner_key=token,
        resource_owner_secret=secret,
        signature_type=SIGNATURE_TYPE_BODY,
    )
    params = {"method": "flickr.test.login", "format": "json", "nojsoncallback": "1"}
    in_body = await consumer.send(REST, method="POST", params=params, signer=signer)
    assert in_body.json()["stat"] == "ok", in_body.text


async def test_a_header_signed_post_with_form_parameters(
    consumer: Consumer, browser: httpx.AsyncClient, user: RowMapping
) -> None:
    token, secret = await _grant(consumer, browser)
    signer = consumer.signer(resource_owner_key=token, resource_owner_secret=secret)
    params = {"method": "flickr.test.echo", "format": "json", "nojsoncallback": "1", "a": "b c"}
    response = await consumer.send(REST, method="POST", params=params, signer=signer)
    body = response.json()
    assert body["stat"] == "ok", body
    assert body["a"] == {"_content": "b c"}
    assert "oauth_signature" not in body


async def test_a_wrong_consumer_secret_is_96(
    consumer: Consumer, browser: httpx.AsyncClient, user: RowMapping
) -> None:
    token, secret = await _grant(consumer, browser)
    consumer.secret = "0" * 16
    body = await consumer.rest("flickr.test.login", token, secret)
    assert (body["stat"], body["code"]) == ("fail", 96)
    assert body["message"].startswith("Invalid signature")


async def test_a_wrong_token_secret_is_96(
    consumer: Consumer, browser: httpx.AsyncClient, user: RowMapping
) -> None:
    token, _secret = await _grant(consumer, browser)
    body = await consumer.rest("flickr.test.login", token, "f" * 32)
    assert body["code"] == 96


async def test_a_tampered_parameter_is_96(
    consumer: Consumer, browser: httpx.AsyncClient, user: RowMapping
) -> None:
    token, secret = await _grant(consumer, browser)
    signer = consumer.signer(resource_owner_key=token, resource_owner_secret=secret)
    params = {"method": "flickr.test.echo", "format": "json", "nojsoncallback": "1", "x": "1"}
    uri, headers, _ = signer.sign(REST + "?" + urlencode(params), "GET")
    response = await consumer.http.get(uri.replace("x=1", "x=2"), headers=headers)
    assert response.json()["code"] == 96


async def test_a_replayed_request_is_96_replay(
    site: Site, consumer: Consumer, browser: httpx.AsyncClient, user: RowMapping
) -> None:
    token, secret = await _grant(consumer, browser)
    signer = consumer.signer(
        resource_owner_key=token, resource_owner_secret=secret, nonce="once-only-4711"
    )
    params = {"method": "flickr.test.login", "format": "json", "nojsoncallback": "1"}
    uri, headers, _ = signer.sign(REST + "?" + urlencode(params), "GET")
    first = await consumer.http.get(uri, headers=headers)
    assert first.json()["stat"] == "ok"
    second = (await consumer.http.get(uri, headers=headers)).json()
    assert second["code"] == 96
    assert "replay" in second["message"]
    async with site.db.read() as conn:
        rows = (await conn.execute(sa.select(oauth_nonces))).mappings().all()
    assert [(r["api_key"], r["nonce"]) for r in rows if r["nonce"] == "once-only-4711"] == [
        (consumer.api_key, "once-only-4711")
    ]


async def test_a_stale_timestamp_is_96_naming_the_clock(
    consumer: Consumer, browser: httpx.AsyncClient, user: RowMapping
) -> None:
    token, secret = await _grant(consumer, browser)
    stale = str(int(time.time()) - oauth.TIMESTAMP_WINDOW - 60)
    body = await consumer.rest("flickr.test.login", token, secret, timestamp=stale)
    assert body["code"] == 96
    assert "clock" in body["message"]
    fine = str(int(time.time()) - oauth.TIMESTAMP_WINDOW + 60)
    assert (await consumer.rest("flickr.test.login", token, secret, timestamp=fine))["stat"] == "ok"


async def test_an_unknown_token_is_98(consumer: Consumer) -> None:
    body = await consumer.rest("flickr.test.login", "a" * 40, "b" * 32)
    assert body["code"] == 98


async def test_a_request_token_cannot_make_calls(consumer: Consumer) -> None:
    token, secret = await consumer.request_token()
    body = await consumer.rest("flickr.test.login", token, secret)
    assert body["code"] == 98
    assert "request token" in body["message"]


async def test_another_apps_token_is_98(
    site: Site,
    consumer: Consumer,
    client: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    user: RowMapping,
) -> None:
    token, secret = await _grant(consumer, browser)
    other = await register(site, user, "Another app")
    thief = Consumer(client, str(other["api_key"]), str(other["secret"]))
    assert (await thief.rest("flickr.test.login", token, secret))["code"] == 98


async def test_an_unknown_consumer_key_is_100(consumer: Consumer) -> None:
    consumer.api_key = "0" * 32
    body = await consumer.rest("flickr.test.echo", None, None)
    assert body["code"] == 100


async def test_oauth_params_without_a_signature_are_97(consumer: Consumer) -> None:
    header = (
        f'OAuth oauth_consumer_key="{consumer.api_key}", oauth_nonce="1", '
        f'oauth_timestamp="{int(time.time())}", oauth_signature_method="HMAC-SHA1"'
    )
    response = await consumer.http.get(
        REST,
        params={"method": "flickr.test.echo", "format": "json", "nojsoncallback": "1"},
        headers={"Authorization": header},
    )
    assert response.json()["code"] == 97


async def test_a_call_signed_by_the_app_alone_acts_for_nobody(consumer: Consumer) -> None:
    echo = await consumer.rest("flickr.test.echo", None, None)
    assert echo["stat"] == "ok"
    login = await consumer.rest("flickr.test.login", None, None)
    assert login["code"] == 99


async def test_a_read_token_cannot_call_a_write_method(
    consumer: Consumer, browser: httpx.AsyncClient, user: RowMapping
) -> None:
    writes = [m.name for m in registry if m.perms == "write"]
    assert writes, "no write method is registered"
    token, secret = await _grant(consumer, browser, "read")
    body = await consumer.rest(writes[0], token, secret, method="POST")
    assert body["code"] == 99
    assert "requires write" in body["message"]


async def test_check_token_must_be_signed_with_that_token(
    site: Site, consumer: Consumer, browser: httpx.AsyncClient, user: RowMapping
) -> None:
    token, _secret = await _grant(consumer, browser)
    other, other_secret = await _grant(consumer, browser)
    body = await consumer.rest(
        "flickr.auth.oauth.checkToken", other, other_secret, params={"oauth_token": token}
    )
    # The query's oauth_token is the protocol parameter too: it appears twice.
    assert body["code"] == 96
    unsigned = await consumer.http.get(
        REST,
        params={
            "method": "flickr.auth.oauth.checkToken",
            "api_key": consumer.api_key,
            "oauth_token": token,
            "format": "json",
            "nojsoncallback": "1",
        },
    )
    assert unsigned.json()["code"] == 97


async def test_a_revoked_token_stops_working(
    site: Site, consumer: Consumer, browser: httpx.AsyncClient, user: RowMapping
) -> None:
    token, secret = await _grant(consumer, browser)
    async with site.db.write() as conn:
        row = await tokens.get(conn, token)
        assert row is not None
        assert await tokens.revoke(conn, int(row["id"]), int(user["id"]))
    assert (await consumer.rest("flickr.test.login", token, secret))["code"] == 98


async def test_nonces_are_pruned_after_twice_the_window(site: Site) -> None:
    async with site.db.write() as conn:
        assert await tokens.remember_nonce(conn, "k", "n", 1)
        assert not await tokens.remember_nonce(conn, "k", "n", 1)
        assert await tokens.remember_nonce(conn, "k", "n", 2)
        await conn.execute(
            oauth_nonces.update().values(created_at=utcnow() - timedelta(seconds=1201))
        )
        assert await tokens.prune_nonces(conn, utcnow() - timedelta(seconds=1200)) == 2


async def test_the_base_string_uses_the_url_the_client_used(
    site: Site, browser: httpx.AsyncClient, user: RowMapping
) -> None:
    """On https (behind a proxy uvicorn puts the forwarded scheme in the scope; here the
    transport does) and another host and port, the client signs
    https://photos.example:8443/...; so must we."""
    from photohub.app import create_app

    app = await register(site, user, "Proxied")
    asgi = create_app(site=site, manage_site=False)
    transport = httpx.ASGITransport(app=asgi)
    base = "https://photos.example:8443"
    async with httpx.AsyncClient(transport=transport, base_url=base) as http:
        consumer = Consumer(http, str(app["api_key"]), str(app["secret"]))
        response = await consumer.send(base + "/services/oauth/request_token", callback_uri="oob")
        assert response.status_code == 200, response.text
        # The same signature checked against another host fails.
        signer = consumer.signer(callback_uri="oob")
        uri, headers, _ = signer.sign(base + "/services/oauth/request_token", "GET")
        headers["Host"] = "elsewhere.example:8443"
        moved = await http.get(uri, headers=headers)
        assert moved.status_code == 401


def _multipart(fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = "photohub-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    ]
    body = ("".join(parts) + f"--{boundary}--\r\n").encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("fields_signed", [True, False])
async def test_a_multipart_post_is_signed_flickr_style_or_rfc_style(
    consumer: Consumer, browser: httpx.AsyncClient, user: RowMapping, fields_signed: bool
) -> None:
    """Flickr signs a multipart body's text fields; RFC 5849 signs none. Both pass."""
    token, secret = await _grant(consumer, browser)
    signer = consumer.signer(resource_owner_key=token, resource_owner_secret=secret)
    fields = {"method": "flickr.test.login", "format": "json", "nojsoncallback": "1"}
    if fields_signed:
        form_type = {"Content-Type": "application/x-www-form-urlencoded"}
        _, headers, _ = signer.sign(REST, "POST", urlencode(fields), form_type)
    else:
        _, headers, _ = signer.sign(REST, "POST")
    body, kind = _multipart(fields)
    response = await consumer.http.post(
        REST,
        content=body,
        headers={"Authorization": headers["Authorization"], "Content-Type": kind},
    )
    assert response.json()["stat"] == "ok", response.text
    # A changed field is caught when the fields were signed.
    if fields_signed:
        tampered, kind = _multipart({**fields, "method": "flickr.test.echo"})
        again = await consumer.http.post(
            REST,
            content=tampered,
            headers={"Authorization": headers["Authorization"], "Content-Type": kind},
        )
        assert again.json()["code"] == 96
        assert "replay" not in again.json()["message"]  # the signature, not the nonce
