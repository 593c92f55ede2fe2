"""Calling the REST API in tests like a Flickr client does: an API key for public calls,
OAuth 1.0a HMAC-SHA1 signatures (made by oauthlib, an independent implementation) for
calls as a user."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from oauthlib.oauth1 import Client
from sqlalchemy.engine import RowMapping

from photohub.site import Site
from photohub.store import apps
from photohub.store import oauth as tokens

REST = "http://testserver/services/rest/"


@dataclass
class Api:
    """One app's view of the API, optionally acting as one user."""

    http: httpx.AsyncClient
    api_key: str
    secret: str
    token: str | None = None
    token_secret: str | None = None

    async def raw(self, method: str, *, post: bool = False, **params: Any) -> httpx.Response:
        fields = {"method": method, "format": "json", "nojsoncallback": "1"}
        fields.update({k: str(v) for k, v in params.items()})
        if self.token is None:
            fields["api_key"] = self.api_key
            if post:
                return await self.http.post(REST, data=fields)
            return await self.http.get(REST, params=fields)
        signer = Client(
            self.api_key,
            client_secret=self.secret,
            resource_owner_key=self.token,
            resource_owner_secret=self.token_secret,
        )
        if post:
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            body = urlencode(fields)
            uri, signed, signed_body = signer.sign(REST, "POST", body, headers)
            return await self.http.post(uri, content=signed_body, headers=signed)
        uri, signed, _ = signer.sign(REST + "?" + urlencode(fields), "GET")
        return await self.http.get(uri, headers=signed)

    async def call(self, method: str, *, post: bool = False, **params: Any) -> dict[str, Any]:
        """The parsed JSON answer, ok or fail."""
        response = await self.raw(method, post=post, **params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def ok(self, method: str, **params: Any) -> dict[str, Any]:
        body = await self.call(method, post=method_writes(method), **params)
        assert body["stat"] == "ok", body
        return body

    async def fail(self, method: str, code: int, **params: Any) -> str:
        body = await self.call(method, post=method_writes(method), **params)
        assert body["stat"] == "fail", body
        assert body["code"] == code, body
        return str(body["message"])


def method_writes(method: str) -> bool:
    name = method.rsplit(".", 1)[-1]
    return not name.startswith(("get", "search", "find", "echo", "check", "login", "null"))


async def api_for(
    site: Site, http: httpx.AsyncClient, user: RowMapping | None = None, perms: str = "delete"
) -> Api:
    """An app owned by ``user`` (or a fresh account), signing as ``user`` when given."""
    from tests import factories

    async with site.db.write() as conn:
        owner = user or await factories.user(conn, "app-owner-" + secrets.token_hex(4))
        app = await apps.create(conn, int(owner["id"]), "tests")
        if user is None:
            return Api(http, app["api_key"], app["secret"])
        token = await tokens.create_access_token(conn, int(app["id"]), int(user["id"]), perms)
    return Api(http, app["api_key"], app["secret"], token["token"], token["secret"])
