"""Uploading as a guest: the happy path and every kind of bad input."""

from __future__ import annotations

import asyncio
import dataclasses
import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from photohub.actions.uploads import decode_gate
from photohub.config import Settings
from photohub.site import Site
from tests import images
from tests.waiting import bounded, eventually
from tests.web.helpers import event_kinds, ok, upload, visit

pytestmark = pytest.mark.anyio


def _files(site: Site) -> list[Path]:
    return [p for p in site.media.root.rglob("*") if p.is_file()]


async def test_upload_reaches_the_wall_once_renditions_exist(
    client: httpx.AsyncClient, site: Site
) -> None:
    csrf = await visit(client)
    body = ok(await upload(client, csrf, images.jpeg(), title="Cake!", name="Ana"), 201)
    photo = body["photo"]
    assert photo["state"] == "processing"
    assert photo["title"] == "Cake!"
    assert photo["author"] == "Ana"
    # Not on the wall until the renditions are made.
    assert ok(await client.get("/api/wall"))["photos"] == []

    await site.runner.run_due()
    wall = ok(await client.get("/api/wall"))["photos"]
    assert [p["id"] for p in wall] == [photo["id"]]
    sizes = {s["size"]: s for s in wall[0]["sizes"]}
    assert set(sizes) == {256, 1024}
    assert sizes[256]["width"] == 256 and sizes[256]["height"] == 192
    assert sizes[1024]["width"] == 640  # never upscaled

    media = await client.get(sizes[256]["url"])
    assert media.status_code == 200
    assert media.headers["content-type"] == "image/webp"
    assert "immutable" in media.headers["cache-control"]
    assert Image.open(io.BytesIO(media.content)).size == (256, 192)
    assert await event_kinds(site) == ["photo.created", "photo.ready", "photo.published"]


async def test_location_of_a_guest_photo_stays_private(
    client: httpx.AsyncClient, site: Site
) -> None:
    csrf = await visit(client)
    content = images.jpeg(gps=(-33.8568, 151.2153), serial="SN-12345")
    photo = ok(await upload(client, csrf, content), 201)["photo"]
    await site.runner.run_due()
    [public] = ok(await client.get("/api/wall"))["photos"]
    assert "latitude" not in public and "longitude" not in public
    [mine] = ok(await client.get("/api/mine"))["photos"]
    assert mine["latitude"] == pytest.approx(-33.8568, abs=1e-3)
    assert mine["longitude"] == pytest.approx(151.2153, abs=1e-3)
    assert mine["geo_public"] is False
    for size in public["sizes"]:
        data = (await client.get(size["url"])).content
        exif = Image.open(io.BytesIO(data)).getexif()
        assert not exif.get_ifd(0x8825), "GPS in a rendition"
        assert b"SN-12345" not in data
    assert photo["id"] == public["id"]


async def test_types_are_decided_by_content(client: httpx.AsyncClient, site: Site) -> None:
    csrf = await visit(client)
    # A PNG named .jpg is still a PNG and is accepted.
    ok(await upload(client, csrf, images.png(), filename="holiday.jpg"), 201)
    bad = await upload(client, csrf, images.zip_bytes(), filename="holiday.jpg")
    assert bad.status_code == 415
    assert bad.json()["code"] == "not_image"
    assert "photo" in bad.json()["message"].lower() or "image" in bad.json()["message"].lower()


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"", 400, "empty"),
        (images.jpeg()[:2000], 400, "truncated"),
        (images.zip_bytes(), 415, "not_image"),
        (b"hello, this is text", 415, "not_image"),
        (images.huge_png_header(), 400, "too_many_pixels"),
    ],
    ids=["empty", "truncated-jpeg", "zip", "text", "50k-png"],
)
async def test_bad_files_get_a_clear_error_and_leave_nothing(
    client: httpx.AsyncClient, site: Site, content: bytes, status: int, code: str
) -> None:
    csrf = await visit(client)
    response = await upload(client, csrf, content)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["stat"] == "fail"
    assert body["code"] == code
    assert len(body["message"]) > 10
    assert _files(site) == []
    assert await event_kinds(site) == []
    assert ok(await client.get("/api/mine"))["photos"] == []


async def test_too_large_is_refused_and_nothing_kept(client: httpx.AsyncClient, site: Site) -> None:
    csrf = await visit(client)
    limit = site.settings.max_upload_bytes
    response = await upload(client, csrf, b"\xff\xd8" + b"0" * (limit + 1))
    assert response.status_code == 413
    assert "too large" in response.json()["message"]
    assert _files(site) == []
    assert await event_kinds(site) == []


async def test_a_body_far_over_the_limit_is_refused_before_it_is_read(
    client: httpx.AsyncClient, site: Site
) -> None:
    csrf = await visit(client)
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        yield (
            b'--xyz\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n"
        )
        chunk = b"0" * (1024 * 1024)
        for _ in range(200):  # 200 MB, if anyone read it all
            sent += len(chunk)
            yield chunk

    response = await client.post(
        "/api/photos",
        content=endless(),
        headers={
            "x-csrf-token": csrf,
            "content-type": "multipart/form-data; boundary=xyz",
        },
    )
    assert response.status_code == 413
    assert sent < 100 * 1024 * 1024
    assert _files(site) == []


async def test_missing_photo_field(client: httpx.AsyncClient, site: Site) -> None:
    csrf = await visit(client)
    response = await client.post(
        "/api/photos", data={"title": "no file"}, headers={"x-csrf-token": csrf}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "missing_photo"


async def test_html_in_a_title_is_kept_as_text(client: httpx.AsyncClient, site: Site) -> None:
    csrf = await visit(client)
    title = '<img src=x onerror="alert(1)"> party'
    photo = ok(await upload(client, csrf, images.jpeg(), title=title), 201)["photo"]
    assert photo["title"] == title  # shown with textContent / escaped, never as markup
    page = await client.get("/mine", headers={"accept": "text/html"})
    assert 'onerror="alert(1)"' not in page.text


async def test_overlong_title_is_refused(client: httpx.AsyncClient, site: Site) -> None:
    csrf = await visit(client)
    response = await upload(client, csrf, images.jpeg(), title="x" * 500)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_title"
    assert _files(site) == []


async def test_no_cookie_or_a_forged_cookie_cannot_upload(
    client: httpx.AsyncClient, site: Site
) -> None:
    csrf = await visit(client)
    client.cookies.clear()
    response = await upload(client, csrf, images.jpeg())
    assert response.status_code == 403
    assert "browser" in response.json()["message"] or "page" in response.json()["message"]
    client.cookies.set("photohub_guest", "0" * 32 + ".forgedsignature")
    response = await upload(client, csrf, images.jpeg())
    assert response.status_code == 403
    assert _files(site) == []


async def test_missing_csrf_token_is_refused(client: httpx.AsyncClient, site: Site) -> None:
    await visit(client)
    response = await upload(client, "", images.jpeg())
    assert response.status_code == 403
    assert response.json()["code"] == "csrf"
    response = await client.post(
        "/api/photos",
        files={"photo": ("a.jpg", images.jpeg(), "image/jpeg")},
        headers={"x-csrf-token": "nope", "origin": "https://evil.example"},
    )
    assert response.status_code == 403


@pytest.fixture
async def tight(settings: Settings) -> AsyncIterator[tuple[Site, httpx.AsyncClient]]:
    """A site whose image decodes may take 32 MB together, one at a time."""
    from photohub.app import create_app

    tight = dataclasses.replace(settings, decode_memory=32 * 1024 * 1024, decode_concurrency=1)
    site = Site(tight)
    await site.start(run_tasks=False)
    transport = httpx.ASGITransport(app=create_app(site=site, manage_site=False))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield site, http
    finally:
        await bounded(site.close(), 30, "the site to close")


@pytest.mark.parametrize(
    ("mode", "color"), [("RGB", (10, 200, 30)), ("1", 1), ("I;16", 3000), ("P", 3)]
)
async def test_small_files_that_decode_large_are_refused_and_nothing_kept(
    tight: tuple[Site, httpx.AsyncClient], mode: str, color: object
) -> None:
    """A few KB on the wire, tens of MB decoded: refused before decoding, with a sentence
    for the guest, and nothing stored."""
    site, http = tight
    content = images.flat_png(6000, 4000, mode, color)
    assert len(content) < 100_000
    csrf = await visit(http)
    response = await upload(http, csrf, content, filename="small.png")
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "too_much_memory"
    assert "too large to process" in body["message"] and "32 MB" in body["message"]
    assert _files(site) == []
    assert await event_kinds(site) == []
    assert decode_gate(site).peak_running == 0  # not a pixel decoded


async def test_a_big_but_fine_image_is_accepted_with_right_renditions(
    client: httpx.AsyncClient, site: Site
) -> None:
    csrf = await visit(client)
    content = images.flat_png(6000, 4000, "1", 1)
    photo = ok(await upload(client, csrf, content, filename="page.png"), 201)["photo"]
    assert (photo["width"], photo["height"]) == (6000, 4000)
    await site.runner.run_due()
    [shown] = ok(await client.get("/api/wall"))["photos"]
    sizes = {s["size"]: s for s in shown["sizes"]}
    assert (sizes[1024]["width"], sizes[1024]["height"]) == (1024, 683)
    media = await client.get(sizes[1024]["url"])
    with Image.open(io.BytesIO(media.content)) as image:
        assert image.size == (1024, 683)
        assert image.convert("RGB").getpixel((512, 341)) == (255, 255, 255)


async def test_uploads_wait_for_a_decode_slot(tight: tuple[Site, httpx.AsyncClient]) -> None:
    """Observed on the gate, not timed: with the site's one decode slot held, an upload
    waits for it (received, nothing stored) and lands once it is free."""
    site, http = tight
    gate = decode_gate(site)
    csrf = await visit(http)
    with gate.reserve(1):
        sending = asyncio.ensure_future(upload(http, csrf, images.jpeg()))
        await eventually(lambda: gate.waiting == 1, 10, "the upload to wait for the gate")
        assert not sending.done()
        assert await event_kinds(site) == []  # received, not yet checked nor stored
    response = await bounded(sending, 30, "the upload to land")
    ok(response, 201)
    assert gate.peak_running == 1 and gate.running == 0
