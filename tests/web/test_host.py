"""The host's controls: pause, moderation, wall pacing; only for the host."""

from __future__ import annotations

import httpx
import pytest

from photohub.site import Site
from tests import images
from tests.web.helpers import event_kinds, login_host, ok, upload, visit

pytestmark = pytest.mark.anyio


async def test_guests_cannot_use_host_controls(client: httpx.AsyncClient, site: Site) -> None:
    csrf = await visit(client)
    response = await client.post(
        "/api/admin/uploads", json={"paused": True}, headers={"x-csrf-token": csrf}
    )
    assert response.status_code == 403
    assert (await client.get("/api/admin/photos")).status_code == 403
    page = await client.get("/admin", headers={"accept": "text/html"})
    assert page.status_code == 303 or page.url.path == "/admin/login"


async def test_wrong_host_password_is_refused(client: httpx.AsyncClient, site: Site) -> None:
    csrf = await visit(client, "/admin/login")
    response = await client.post("/admin/login", data={"token": "guess", "csrf_token": csrf})
    assert response.status_code == 403
    assert "host password" in response.text


async def test_pause_refuses_uploads_until_resumed(client: httpx.AsyncClient, site: Site) -> None:
    host_csrf = await login_host(client)
    ok(
        await client.post(
            "/api/admin/uploads", json={"paused": True}, headers={"x-csrf-token": host_csrf}
        )
    )
    assert ok(await client.get("/api/state"))["state"]["uploads_paused"] is True
    csrf = await visit(client)
    response = await upload(client, csrf, images.jpeg())
    assert response.status_code == 503
    assert response.json()["code"] == "uploads_paused"
    assert "paused" in response.json()["message"]
    assert [p for p in site.media.root.rglob("*") if p.is_file()] == []

    ok(
        await client.post(
            "/api/admin/uploads", json={"paused": False}, headers={"x-csrf-token": host_csrf}
        )
    )
    ok(await upload(client, csrf, images.jpeg()), 201)
    assert (await event_kinds(site))[:2] == ["uploads.paused", "uploads.resumed"]


async def test_moderation_holds_photos_until_approved(
    client: httpx.AsyncClient, site: Site
) -> None:
    host_csrf = await login_host(client)
    ok(
        await client.post(
            "/api/admin/settings", json={"moderation": True}, headers={"x-csrf-token": host_csrf}
        )
    )
    csrf = await visit(client)
    photo = ok(await upload(client, csrf, images.jpeg(), title="wait"), 201)["photo"]
    await site.runner.run_due()
    assert ok(await client.get("/api/wall"))["photos"] == []
    waiting = ok(await client.get("/api/admin/photos"))["photos"]
    assert [(p["id"], p["approved"]) for p in waiting] == [(photo["id"], False)]
    host_csrf = await visit(client, "/admin")
    ok(
        await client.post(
            f"/api/admin/photos/{photo['id']}/approve", headers={"x-csrf-token": host_csrf}
        )
    )
    assert [p["id"] for p in ok(await client.get("/api/wall"))["photos"]] == [photo["id"]]
    assert "photo.published" in await event_kinds(site)


async def test_wall_settings_are_validated(client: httpx.AsyncClient, site: Site) -> None:
    csrf = await login_host(client)
    headers = {"x-csrf-token": csrf}
    state = ok(
        await client.post(
            "/api/admin/settings",
            json={"wall_interval": 5, "wall_transition": "slide"},
            headers=headers,
        )
    )["state"]
    assert (state["wall_interval"], state["wall_transition"]) == (5, "slide")
    for body in (
        {"wall_interval": 0},
        {"wall_interval": "soon"},
        {"wall_transition": "spin"},
        {"moderation": "yes"},
    ):
        response = await client.post("/api/admin/settings", json=body, headers=headers)
        assert response.status_code == 400, body
        assert response.json()["message"]
    assert ok(await client.get("/api/state"))["state"]["wall_interval"] == 5
