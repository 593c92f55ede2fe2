"""An OAuth 1.0a consumer and a logged-in browser for tests of the three-legged flow.
Requests are signed by oauthlib's client (an independent implementation of RFC 5849),
then sent over the in-process app."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
from oauthlib.oauth1 import SIGNATURE_TYPE_AUTH_HEADER, Client
from sqlalchemy.engine import RowMapping

from photohub.site import Site
from photohub.store import apps, sessions
from photohub.web.identity import SESSION_COOKIE
from tests import factories

BASE = "http://testserver"
REQUEST_TOKEN = BASE + "/services/oauth/request_token"
AUTHORIZE = BASE + "/services/oauth/authorize"
ACCESS_TOKEN = BASE + "/services/oauth/access_token"
REST = BASE + "/services/rest/"
CALLBACK = "http://127.0.0.1:9999/done?state=xyz"
META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


async def account(site: Site, username: str, realname: str = "") -> RowMapping:
    async with site.db.write() as conn:
        return await factories.user(conn, username, realname=realname)


async def log_in(site: Site, browser: httpx.AsyncClient, user: RowMapping) -> None:
    """Give ``browser`` a live session of ``user`` (the accounts store's own)."""
    async with site.db.write() as conn:
        token = await sessions.create(conn, int(user["id"]))
    browser.cookies.set(SESSION_COOKIE, token)


async def register(
    site: Site, owner: RowMapping, name: str = "Photo Frame", description: str = ""
) -> RowMapping:
    async with site.db.write() as conn:
        return await apps.create(conn, int(owner["id"]), name, description)


def form(response: httpx.Response) -> dict[str, str]:
    """A form-encoded token endpoint answer."""
    return dict(parse_qsl(response.text, keep_blank_values=True))


def csrf_of(html: str) -> str:
    match = META.search(html)
    assert match, "page has no csrf-token meta tag"
    return match[1]


@dataclass
class Consumer:
    """An app, signing as itself or with a token."""

    http: httpx.AsyncClient
    api_key: str
    secret: str

    def signer(self, **options: Any) -> Client:
        options.setdefault("signature_type", SIGNATURE_TYPE_AUTH_HEADER)
        return Client(self.api_key, client_secret=self.secret, **options)

    async def send(
        self,
        url: str,
        *,
        method: str = "GET",
        params: dict[str, str] | None = None,
        signer: Client | None = None,
        **options: Any,
    ) -> httpx.Response:
        """Sign and send; GET parameters go in the query, POST ones in a form body."""
        client = signer or self.signer(**options)
        if method == "POST":
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            uri, signed, body = client.sign(url, "POST", urlencode(params or {}), headers)
            return await self.http.post(uri, content=body, headers=signed)
        query = url + ("?" + urlencode(params) if params else "")
        uri, signed, _ = client.sign(query, "GET")
        return await self.http.get(uri, headers=signed)

    async def request_token(self, callback: str = CALLBACK) -> tuple[str, str]:
        response = await self.send(REQUEST_TOKEN, method="POST", callback_uri=callback)
        assert response.status_code == 200, response.text
        answer = form(response)
        assert answer["oauth_callback_confirmed"] == "true"
        return answer["oauth_token"], answer["oauth_token_secret"]

    async def access_token(self, token: str, secret: str, verifier: str) -> httpx.Response:
        return await self.send(
            ACCESS_TOKEN,
            resource_owner_key=token,
            resource_owner_secret=secret,
            verifier=verifier,
        )

    async def rest(
        self, method_name: str, token: str | None, secret: str | None, **options: Any
    ) -> dict[str, Any]:
        params = {"method": method_name, "format": "json", "nojsoncallback": "1"}
        params.update(options.pop("params", {}))
        response = await self.send(
            REST,
            params=params,
            resource_owner_key=token,
            resource_owner_secret=secret,
            **options,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


async def approve(
    browser: httpx.AsyncClient, token: str, perms: str = "read", decision: str = "approve"
) -> httpx.Response:
    """The user opens the authorisation page and answers."""
    page = await browser.get(
        "/services/oauth/authorize",
        params={"oauth_token": token, "perms": perms},
        headers={"accept": "text/html"},
    )
    assert page.status_code == 200, page.text
    return await browser.post(
        "/services/oauth/authorize",
        data={
            "csrf_token": csrf_of(page.text),
            "oauth_token": token,
            "perms": perms,
            "decision": decision,
        },
        headers={"accept": "text/html"},
    )
