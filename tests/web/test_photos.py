"""Changing photos: only the author (or the host) may edit or delete."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from photohub.app import create_app
from photohub.site import Site
from tests import images
from tests.web.helpers import event_kinds, login_host, ok, upload, visit

pytestmark = pytest.mark.anyio


def other_browser(site: Site) -> httpx.AsyncClient:
    app = create_app(site=site, manage_site=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def _ready_photo(client: httpx.AsyncClient, site: Site, **fields: str) -> dict[str, Any]:
    csrf = await visit(client)
    photo: dict[str, Any] = ok(await upload(client, csrf, images.jpeg(), **fields), 201)["photo"]
    await site.runner.run_due()
    return photo


async def test_author_edits_title_and_description(client: httpx.AsyncClient, site: Site) -> None:
    photo = await _ready_photo(client, site, title="before")
    csrf = await visit(client, "/mine")
    body = ok(
        await client.patch(
            f"/api/photos/{photo['id']}",
            json={"title": "after", "description": "at the lake"},
            headers={"x-csrf-token": csrf},
        )
    )
    assert body["photo"]["title"] == "after"
    [shown] = ok(await client.get("/api/wall"))["photos"]
    assert (shown["title"], shown["description"]) == ("after", "at the lake")
    assert (await event_kinds(site))[-2:] == ["photo.updated", "photo.updated"]


async def test_another_browser_cannot_edit_or_delete(client: httpx.AsyncClient, site: Site) -> None:
    photo = await _ready_photo(client, site, title="mine")
    async with other_browser(site) as stranger:
        csrf = await visit(stranger, "/mine")
        for response in (
            await stranger.delete(f"/api/photos/{photo['id']}", headers={"x-csrf-token": csrf}),
            await stranger.patch(
                f"/api/photos/{photo['id']}",
                json={"title": "hacked"},
                headers={"x-csrf-token": csrf},
            ),
        ):
            assert response.status_code == 403
            assert response.json()["message"] == (
                "Only the person who uploaded this photo can change it."
            )
        assert ok(await stranger.get("/api/mine"))["photos"] == []
    [shown] = ok(await client.get("/api/wall"))["photos"]
    assert shown["title"] == "mine"


async def test_author_deletes_and_the_files_go(client: httpx.AsyncClient, site: Site) -> None:
    photo = await _ready_photo(client, site)
    [shown] = ok(await client.get("/api/wall"))["photos"]
    url = shown["sizes"][0]["url"]
    csrf = await visit(client, "/mine")
    ok(await client.delete(f"/api/photos/{photo['id']}", headers={"x-csrf-token": csrf}))
    assert ok(await client.get("/api/wall"))["photos"] == []
    assert (await client.get(url)).status_code == 404
    assert [p for p in site.media.root.rglob("*") if p.is_file()] == []
    assert (await event_kinds(site))[-1] == "photo.deleted"
    again = await client.delete(f"/api/photos/{photo['id']}", headers={"x-csrf-token": csrf})
    assert again.status_code == 404


async def test_host_removes_any_photo(client: httpx.AsyncClient, site: Site) -> None:
    photo = await _ready_photo(client, site)
    async with other_browser(site) as host:
        csrf = await login_host(host)
        ok(await host.delete(f"/api/photos/{photo['id']}", headers={"x-csrf-token": csrf}))
    assert ok(await client.get("/api/wall"))["photos"] == []


async def test_renaming_updates_every_photo_of_the_guest(
    client: httpx.AsyncClient, site: Site
) -> None:
    await _ready_photo(client, site, name="Ana")
    csrf = await visit(client, "/mine")
    ok(await client.post("/api/me", json={"name": "Ana B."}, headers={"x-csrf-token": csrf}))
    [shown] = ok(await client.get("/api/wall"))["photos"]
    assert shown["author"] == "Ana B."
    assert ok(await client.get("/api/mine"))["name"] == "Ana B."


async def test_bad_edit_input(client: httpx.AsyncClient, site: Site) -> None:
    photo = await _ready_photo(client, site)
    csrf = await visit(client, "/mine")
    headers = {"x-csrf-token": csrf, "content-type": "application/json"}
    for body, code in ((b"not json", "bad_json"), (b"[1]", "bad_json")):
        response = await client.patch(f"/api/photos/{photo['id']}", content=body, headers=headers)
        assert response.status_code == 400
        assert response.json()["code"] == code
    response = await client.patch(
        f"/api/photos/{photo['id']}", json={"title": 5}, headers={"x-csrf-token": csrf}
    )
    assert response.status_code == 400
    assert (await client.patch("/api/photos/999999", json={}, headers=headers)).status_code == 404
