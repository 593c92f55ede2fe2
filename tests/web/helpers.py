"""A guest or host browser, simulated over the in-process app."""

from __future__ import annotations

import re
from typing import Any

import httpx

from photohub.site import Site
from photohub.store import events

META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


async def visit(client: httpx.AsyncClient, path: str = "/upload") -> str:
    """Open a page like a browser does: take the cookie and the page's CSRF token."""
    response = await client.get(path, headers={"accept": "text/html"})
    assert response.status_code == 200, response.text
    match = META.search(response.text)
    assert match, "page has no csrf-token meta tag"
    return match[1]


async def login_host(client: httpx.AsyncClient, token: str = "test-admin-token") -> str:
    csrf = await visit(client, "/admin/login")
    response = await client.post("/admin/login", data={"token": token, "csrf_token": csrf})
    assert response.status_code == 303, response.text
    return await visit(client, "/admin")


async def upload(
    client: httpx.AsyncClient,
    csrf: str,
    content: bytes,
    filename: str = "photo.jpg",
    **fields: str,
) -> httpx.Response:
    return await client.post(
        "/api/photos",
        files={"photo": (filename, content, "image/jpeg")},
        data=fields,
        headers={"x-csrf-token": csrf},
    )


async def event_kinds(site: Site) -> list[str]:
    async with site.db.read() as conn:
        return [e.kind for e in await events.since(conn, 0)]


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["stat"] == "ok"
    return body
