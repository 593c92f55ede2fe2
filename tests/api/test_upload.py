"""Flickr's upload API: /services/upload/, /services/replace/ and checkTickets, driven by
an independent OAuth 1.0a signer (oauthlib) the way Flickr clients sign uploads: every
form field except the file."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from xml.etree import ElementTree as ET

import httpx
import pytest
import sqlalchemy as sa
from oauthlib.oauth1 import SIGNATURE_TYPE_QUERY, Client
from PIL import Image
from sqlalchemy.engine import RowMapping

from photohub.config import Settings
from photohub.site import Site
from photohub.store import photos as photo_store
from photohub.store import site as site_store
from photohub.store import tickets as ticket_store
from photohub.store import users
from photohub.store.db import utcnow
from photohub.store.schema import photos, upload_tickets
from tests import factories, images
from tests.api.client import Api, api_for
from tests.waiting import bounded
from tests.web.helpers import event_kinds

pytestmark = pytest.mark.anyio

UPLOAD = "http://testserver/services/upload/"
REPLACE = "http://testserver/services/replace/"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclasses.dataclass
class Uploader:
    """A Flickr upload client: signs the text fields, sends them with the file."""

    api: Api
    style: str = "body"  # "body": oauth_* as form fields (python-flickrapi); "header"
    user_id: int = 0

    async def post(
        self,
        url: str,
        content: bytes | None,
        *,
        sign: dict[str, str] | None = None,
        is_async: bool = False,
        **fields: str,
    ) -> httpx.Response:
        """POST ``fields`` and the file; ``sign`` (default: ``fields``) are the fields
        the signature covers, to test that sent and signed must agree."""
        if is_async:
            fields["async"] = "1"
        signed_fields = fields if sign is None else sign
        signer = Client(
            self.api.api_key,
            client_secret=self.api.secret,
            resource_owner_key=self.api.token,
            resource_owner_secret=self.api.token_secret,
            # "body": the oauth_* parameters travel as form fields (python-flickrapi does
            # so); oauthlib puts them in the query, from where they are moved.
            signature_type=SIGNATURE_TYPE_QUERY if self.style == "body" else "AUTH_HEADER",
        )
        body = urlencode(signed_fields) if signed_fields else None
        signed_uri, headers, _ = signer.sign(url, "POST", body, FORM if body else None)
        data = dict(fields)
        if self.style == "body":
            query = urlsplit(signed_uri).query
            data.update((k, v) for k, v in parse_qsl(query) if k.startswith("oauth_"))
            headers = {}
        else:
            headers = {"Authorization": headers["Authorization"]}
        # No photo: some other file, so that the body is still multipart.
        files = (
            {"photo": ("photo.jpg", content, "image/jpeg")}
            if content is not None
            else {"notes": ("notes.txt", b"not the photo", "text/plain")}
        )
        return await self.api.http.post(url, data=data, files=files, headers=headers)


def rsp(response: httpx.Response) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    return ET.fromstring(response.content)


def ok_xml(response: httpx.Response) -> ET.Element:
    root = rsp(response)
    assert root.get("stat") == "ok", response.text
    return root


def fail_code(response: httpx.Response) -> tuple[int, str]:
    root = rsp(response)
    assert root.get("stat") == "fail", response.text
    err = root.find("err")
    assert err is not None
    return int(err.get("code", "0")), err.get("msg", "")


def photo_id_of(response: httpx.Response) -> int:
    element = ok_xml(response).find("photoid")
    assert element is not None and element.text
    return int(element.text)


async def nothing_half_stored(site: Site) -> None:
    """No upload in flight left behind, and no original without its photo row."""
    assert list(site.media.incoming.iterdir()) == []
    on_disk = site.media.files_by_photo()
    async with site.db.read() as conn:
        known = await photo_store.existing_ids(conn, on_disk)
    assert set(on_disk) <= known


async def photo_count(site: Site) -> int:
    async with site.db.read() as conn:
        return await photo_store.count(conn)


async def account(site: Site, name: str = "alice", **values: Any) -> RowMapping:
    async with site.db.write() as conn:
        return await factories.user(conn, name, **values)


@pytest.fixture(params=["body", "header"])
async def alice(request: pytest.FixtureRequest, site: Site, client: httpx.AsyncClient) -> Uploader:
    user = await account(site)
    api = await api_for(site, client, user, perms="write")
    return Uploader(api, style=str(request.param), user_id=int(user["id"]))


async def test_signed_upload_lands_with_its_tags_and_perms(
    site: Site, client: httpx.AsyncClient, alice: Uploader
) -> None:
    response = await alice.post(
        UPLOAD,
        images.jpeg(),
        title="Cake!",
        description="The <b>best</b> one",
        tags='party "New York" dc:title="Birthday cake"',
        is_public="0",
        is_friend="1",
        is_family="0",
        safety_level="2",
        content_type="2",
        hidden="2",
    )
    photo_id = photo_id_of(response)
    await site.runner.run_due()
    body = await alice.api.ok(
        "flickr.photos.search", user_id="me", extras="tags,machine_tags,description"
    )
    [found] = body["photos"]["photo"]
    assert int(found["id"]) == photo_id
    assert found["title"] == "Cake!"
    assert found["description"]["_content"] == "The <b>best</b> one"
    assert found["tags"] == "party newyork"
    assert found["machine_tags"] == "dc:title=birthday cake"
    assert (found["ispublic"], found["isfriend"], found["isfamily"]) == (0, 1, 0)
    info = (await alice.api.ok("flickr.photos.getInfo", photo_id=photo_id))["photo"]
    assert {t["raw"] for t in info["tags"]["tag"]} == {
        "party",
        "New York",
        'dc:title="Birthday cake"',
    }
    async with site.db.read() as conn:
        row = await photo_store.get(conn, photo_id)
    assert row is not None
    async with site.db.read() as conn:
        owner = await conn.scalar(sa.select(photos.c.user_id).where(photos.c.id == photo_id))
    assert owner is not None and owner == alice.user_id
    assert (row["visibility"], row["safety_level"], row["content_type"], row["hidden"]) == (
        "friends",
        2,
        2,
        True,
    )
    assert row["guest_id"] is None and row["state"] == "ready"
    # Friends only: a friend may open it, a stranger may not; hidden=2 and safety level 2
    # keep it out of everyone else's searches.
    async with site.db.write() as conn:
        owner_row = await users.get(conn, alice.user_id)
        friend = await factories.user(conn, "fred")
        assert owner_row is not None
        await factories.contact(conn, owner_row, friend, friend=True)
    as_friend = await api_for(site, client, friend, perms="read")
    opened = (await as_friend.ok("flickr.photos.getInfo", photo_id=photo_id))["photo"]
    assert opened["visibility"] == {"ispublic": 0, "isfriend": 1, "isfamily": 0}
    assert opened["safety_level"] == "1"  # Flickr counts from 0 here
    found_by_friend = await as_friend.ok("flickr.photos.search", tags="newyork", safe_search=3)
    assert found_by_friend["photos"]["photo"] == []
    stranger = await api_for(site, client)
    await stranger.fail("flickr.photos.getInfo", 1, photo_id=photo_id)
    await nothing_half_stored(site)


async def test_defaults_are_public_and_exif_location_follows_the_owner_default(
    site: Site, client: httpx.AsyncClient
) -> None:
    private_geo = Uploader(await api_for(site, client, await account(site, "ana"), "write"))
    public_geo = Uploader(
        await api_for(site, client, await account(site, "bo", default_geo_perm=1), "write")
    )
    sydney = (-33.8568, 151.2153)
    first = photo_id_of(await private_geo.post(UPLOAD, images.jpeg(gps=sydney)))
    second = photo_id_of(await public_geo.post(UPLOAD, images.jpeg(gps=sydney)))
    await site.runner.run_due()
    anonymous = await api_for(site, client)
    found = await anonymous.ok("flickr.photos.getRecent", extras="geo")
    assert {int(p["id"]) for p in found["photos"]["photo"]} == {first, second}
    hidden = (await anonymous.ok("flickr.photos.getInfo", photo_id=first))["photo"]
    assert "location" not in hidden
    shown = (await anonymous.ok("flickr.photos.getInfo", photo_id=second))["photo"]
    assert shown["location"]["latitude"] == pytest.approx(sydney[0], abs=1e-3)
    own = (await private_geo.api.ok("flickr.photos.getInfo", photo_id=first))["photo"]
    assert own["location"]["longitude"] == pytest.approx(sydney[1], abs=1e-3)
    assert own["geoperms"]["ispublic"] == 0
    # The file's location gets its places once processed: place search finds the public one.
    assert shown["location"]["locality"]["_content"] == "Sydney"
    place_id = shown["location"]["locality"]["place_id"]
    in_sydney = await anonymous.ok("flickr.photos.search", place_id=place_id)
    assert {int(p["id"]) for p in in_sydney["photos"]["photo"]} == {second}
    assert own["location"]["locality"]["place_id"] == place_id


async def test_json_format_and_both_paths(site: Site, client: httpx.AsyncClient) -> None:
    uploader = Uploader(await api_for(site, client, await account(site), "write"))
    for url in (UPLOAD, UPLOAD.rstrip("/")):
        response = await uploader.post(url, images.png(), format="json", nojsoncallback="1")
        assert response.status_code == 200
        body = response.json()
        assert body["stat"] == "ok" and body["photoid"]["_content"].isdigit()
    wrapped = await uploader.post(UPLOAD, images.png(), format="json")
    assert wrapped.text.startswith("jsonFlickrApi(")
    failed = await uploader.post(UPLOAD, b"", format="json", nojsoncallback="1")
    assert failed.json()["stat"] == "fail" and failed.json()["code"] == 4
    unknown = await uploader.post(UPLOAD, images.png(), format="yaml")
    assert fail_code(unknown)[0] == 111
    assert await photo_count(site) == 3
    await nothing_half_stored(site)


async def test_async_upload_and_check_tickets(
    site: Site, client: httpx.AsyncClient, alice: Uploader
) -> None:
    response = await alice.post(UPLOAD, images.jpeg(), title="later", tags="async", is_async=True)
    element = ok_xml(response).find("ticketid")
    assert element is not None and element.text and element.text.isdigit()
    ticket = element.text
    anonymous = await api_for(site, client)  # checkTickets needs only an API key
    body = await anonymous.ok("flickr.photos.upload.checkTickets", tickets=f"{ticket},12,x")
    done, unknown, bad = body["uploader"]["ticket"]
    assert done["id"] == ticket and done["complete"] == 1
    assert unknown == {"id": "12", "invalid": 1} and bad == {"id": "x", "invalid": 1}
    info = (await alice.api.ok("flickr.photos.getInfo", photo_id=done["photoid"]))["photo"]
    assert info["title"]["_content"] == "later"
    assert [t["raw"] for t in info["tags"]["tag"]] == ["async"]
    # XML, as Flickr answers it.
    xml = await client.get(
        "/services/rest/",
        params={
            "method": "flickr.photos.upload.checkTickets",
            "tickets": ticket,
            "api_key": anonymous.api_key,
        },
    )
    [item] = ok_xml(xml).findall("uploader/ticket")
    assert item.attrib == {"id": ticket, "complete": "1", "photoid": done["photoid"]}
    # A bad file is still refused in the answer, and opens no ticket.
    refused = await alice.post(UPLOAD, images.zip_bytes(), is_async=True)
    assert fail_code(refused)[0] == 5
    async with site.db.read() as conn:
        count = await conn.scalar(sa.select(sa.func.count()).select_from(upload_tickets))
    assert count == 1
    await nothing_half_stored(site)


async def test_a_failure_after_the_answer_marks_the_ticket_failed(
    site: Site, client: httpx.AsyncClient, alice: Uploader, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The move of the original into place fails (a full or read-only disk, say).
    missing = site.media.root / "gone"
    monkeypatch.setattr(
        site.media, "original_path", lambda photo_id, secret, ext: missing / f"{photo_id}.{ext}"
    )
    response = await alice.post(UPLOAD, images.jpeg(), is_async=True)
    element = ok_xml(response).find("ticketid")
    assert element is not None and element.text
    body = await alice.api.ok("flickr.photos.upload.checkTickets", tickets=element.text)
    [ticket] = body["uploader"]["ticket"]
    assert ticket["complete"] == 2 and "photoid" not in ticket
    assert await photo_count(site) == 0
    await nothing_half_stored(site)


async def test_a_ticket_left_pending_by_a_stopped_server_reads_failed(
    site: Site, client: httpx.AsyncClient
) -> None:
    user = await account(site)
    async with site.db.write() as conn:
        fresh = await ticket_store.create(conn, int(user["id"]))
        old = await ticket_store.create(conn, int(user["id"]))
        when = utcnow() - ticket_store.STALE_AFTER - timedelta(seconds=1)
        await conn.execute(
            upload_tickets.update().where(upload_tickets.c.id == old).values(created_at=when)
        )
    api = await api_for(site, client)
    body = await api.ok("flickr.photos.upload.checkTickets", tickets=f"{fresh},{old}")
    assert [t["complete"] for t in body["uploader"]["ticket"]] == [0, 2]


async def test_replace_keeps_the_photo_and_kills_old_urls(
    site: Site, client: httpx.AsyncClient, alice: Uploader
) -> None:
    photo_id = photo_id_of(
        await alice.post(UPLOAD, images.jpeg(640, 480), title="Keep me", tags="kept")
    )
    await site.runner.run_due()
    before = (await alice.api.ok("flickr.photos.getInfo", photo_id=photo_id))["photo"]
    old_url = await _small_url(alice, photo_id)
    assert (await client.get(old_url)).status_code == 200

    response = await alice.post(REPLACE, images.png(300, 200), photo_id=str(photo_id))
    element = ok_xml(response).find("photoid")
    assert element is not None and element.text == str(photo_id)
    secret = element.get("secret")
    assert secret and secret != before["secret"] and element.get("originalsecret") == secret
    assert (await client.get(old_url)).status_code == 404
    await site.runner.run_due()
    after = (await alice.api.ok("flickr.photos.getInfo", photo_id=photo_id))["photo"]
    assert after["id"] == str(photo_id) and after["secret"] == secret
    assert after["title"]["_content"] == "Keep me"
    assert [t["raw"] for t in after["tags"]["tag"]] == ["kept"]
    assert after["originalformat"] == "png"
    new_url = await _small_url(alice, photo_id)
    assert new_url != old_url and secret in new_url
    image = Image.open(io.BytesIO((await client.get(new_url)).content))
    assert image.size == (256, 171)
    assert (await client.get(old_url)).status_code == 404
    # Walls dropped the old picture and got the new one once its renditions existed.
    assert await event_kinds(site) == [
        "photo.created",
        "photo.published",
        "photo.deleted",
        "photo.published",
    ]
    # Only the new picture's files remain.
    [(owner, files)] = site.media.files_by_photo().items()
    assert owner == photo_id and all(secret in path.name for path in files)
    await nothing_half_stored(site)


async def _small_url(uploader: Uploader, photo_id: int) -> str:
    body = await uploader.api.ok("flickr.photos.search", user_id="me", extras="url_t")
    [photo] = [p for p in body["photos"]["photo"] if int(p["id"]) == photo_id]
    return str(photo["url_t"])


async def test_replace_refusals(site: Site, client: httpx.AsyncClient, alice: Uploader) -> None:
    photo_id = photo_id_of(await alice.post(UPLOAD, images.jpeg()))
    # Still processing its first file: refused until the renditions exist.
    busy = await alice.post(REPLACE, images.png(), photo_id=str(photo_id))
    assert fail_code(busy)[0] == 3
    await site.runner.run_due()
    bob = Uploader(await api_for(site, client, await account(site, "bob"), "write"))
    assert fail_code(await bob.post(REPLACE, images.png(), photo_id=str(photo_id)))[0] == 1
    assert fail_code(await alice.post(REPLACE, images.png(), photo_id="999999"))[0] == 1
    assert fail_code(await alice.post(REPLACE, images.png()))[0] == 90
    assert fail_code(await alice.post(REPLACE, b"", photo_id=str(photo_id)))[0] == 4
    assert fail_code(await alice.post(REPLACE, None, photo_id=str(photo_id)))[0] == 2
    bad = await bob.post(REPLACE, images.png(), photo_id=str(photo_id), is_async=True)
    assert fail_code(bad)[0] == 1
    # Async replace: a ticket, complete once the row is updated.
    response = await alice.post(REPLACE, images.png(), photo_id=str(photo_id), is_async=True)
    element = ok_xml(response).find("ticketid")
    assert element is not None and element.text
    body = await alice.api.ok("flickr.photos.upload.checkTickets", tickets=element.text)
    assert body["uploader"]["ticket"][0]["photoid"] == str(photo_id)
    assert await photo_count(site) == 1
    await nothing_half_stored(site)


async def test_authentication_is_required_and_checked(
    site: Site, client: httpx.AsyncClient
) -> None:
    user = await account(site)
    writer = Uploader(await api_for(site, client, user, "write"))
    files = {"photo": ("p.jpg", images.jpeg(), "image/jpeg")}
    unsigned = await client.post(UPLOAD, data={"title": "x"}, files=files)
    assert fail_code(unsigned)[0] == 100
    keyed = await client.post(UPLOAD, data={"api_key": writer.api.api_key}, files=files)
    assert fail_code(keyed)[0] == 97
    reader = Uploader(await api_for(site, client, user, "read"))
    assert fail_code(await reader.post(UPLOAD, images.jpeg()))[0] == 99
    app_only = Uploader(dataclasses.replace(writer.api, token=None, token_secret=None))
    assert fail_code(await app_only.post(UPLOAD, images.jpeg()))[0] == 99
    wrong = Uploader(dataclasses.replace(writer.api, secret="not-the-secret"))
    assert fail_code(await wrong.post(UPLOAD, images.jpeg()))[0] == 96
    # The text fields are signed: changing one after signing breaks the signature.
    tampered = await writer.post(UPLOAD, images.jpeg(), title="evil", sign={"title": "nice"})
    assert fail_code(tampered)[0] == 96
    assert await photo_count(site) == 0
    await nothing_half_stored(site)


async def test_bad_files_and_arguments(
    site: Site, client: httpx.AsyncClient, alice: Uploader
) -> None:
    assert fail_code(await alice.post(UPLOAD, b""))[0] == 4
    code, message = fail_code(await alice.post(UPLOAD, images.zip_bytes()))
    assert code == 5 and "Filetype was not recognised" in message
    assert fail_code(await alice.post(UPLOAD, images.huge_png_header()))[0] == 8
    assert fail_code(await alice.post(UPLOAD, None, title="no file"))[0] == 2
    code, message = fail_code(await alice.post(UPLOAD, images.jpeg(), safety_level="9"))
    assert code == 91 and "safety_level" in message
    too_many = " ".join(f"t{i}" for i in range(76))
    assert fail_code(await alice.post(UPLOAD, images.jpeg(), tags=too_many))[0] == 91
    not_multipart = await client.post(UPLOAD, content=b"photo=abc", headers=FORM)
    assert fail_code(not_multipart)[0] == 2
    assert await photo_count(site) == 0
    await nothing_half_stored(site)


async def test_paused_party_uploads_do_not_stop_accounts_but_moderation_holds(
    site: Site, client: httpx.AsyncClient, alice: Uploader
) -> None:
    async with site.db.write() as conn:
        await site_store.put(conn, "uploads_paused", True)
        await site_store.put(conn, "moderation", True)
    photo_id = photo_id_of(await alice.post(UPLOAD, images.jpeg()))
    await site.runner.run_due()
    async with site.db.read() as conn:
        approved = await conn.scalar(sa.select(photos.c.approved).where(photos.c.id == photo_id))
    assert approved is False
    anonymous = await api_for(site, client)
    assert (await anonymous.ok("flickr.photos.getRecent"))["photos"]["photo"] == []


@pytest.fixture
async def small(settings: Settings) -> AsyncIterator[tuple[Site, httpx.AsyncClient]]:
    """A site whose upload limit is 50 KB."""
    from photohub.app import create_app

    site = Site(dataclasses.replace(settings, max_upload_bytes=50 * 1024))
    await site.start(run_tasks=False)
    transport = httpx.ASGITransport(app=create_app(site=site, manage_site=False))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield site, http
    finally:
        await bounded(site.close(), 30, "the site to close")


async def test_too_large_is_refused_while_streaming(
    small: tuple[Site, httpx.AsyncClient],
) -> None:
    site, http = small
    uploader = Uploader(await api_for(site, http, await account(site), "write"))
    big = images.jpeg(1200, 900) + b"\0" * 400_000  # well past 50 KB + the form slack
    # With a Content-Length: refused before the body is read.
    code, message = fail_code(await uploader.post(UPLOAD, big))
    assert code == 8 and "50 KB" in message
    # Without one (chunked): refused once the bytes counted pass the limit.
    boundary = "photohub-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="p.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    body = head + big + f"\r\n--{boundary}--\r\n".encode()
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for start in range(0, len(body), 16_384):
            sent += 1
            yield body[start : start + 16_384]

    response = await http.post(
        UPLOAD,
        content=chunks(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert fail_code(response)[0] == 8
    assert sent < len(body) // 16_384, "the whole body was read"
    assert await photo_count(site) == 0
    await nothing_half_stored(site)


@pytest.mark.parametrize("where", ["form", "query"])
async def test_too_large_answers_in_the_format_asked(
    small: tuple[Site, httpx.AsyncClient], where: str
) -> None:
    """``format=json`` holds for a refused body too, whether it came as a form field
    (before the file, as Flickr clients send it) or in the query; with or without a
    Content-Length."""
    site, http = small
    uploader = Uploader(await api_for(site, http, await account(site), "write"))
    big = images.jpeg(1200, 900) + b"\0" * 400_000
    url = UPLOAD + ("?format=json&nojsoncallback=1" if where == "query" else "")
    fields = {"format": "json", "nojsoncallback": "1"} if where == "form" else {}
    if where == "form":
        response = await uploader.post(url, big, format="json", nojsoncallback="1")
    else:
        response = await uploader.post(url, big)
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert (body["stat"], body["code"]) == ("fail", 8) and "50 KB" in body["message"]

    boundary = "photohub-test-boundary"
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="p.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    )
    chunked = head.encode() + big + f"\r\n--{boundary}--\r\n".encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(chunked), 16_384):
            yield chunked[start : start + 16_384]

    response = await http.post(
        url, content=chunks(), headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert response.json()["code"] == 8
    assert await photo_count(site) == 0


async def test_an_image_over_the_decode_budget_is_error_8(settings: Settings, backend: str) -> None:
    """A small file that would decode large: Flickr's "too large" code, the reason in the
    message, nothing stored (sync and async uploads alike)."""
    from photohub.app import create_app

    site = Site(dataclasses.replace(settings, decode_memory=32 * 1024 * 1024))
    await site.start(run_tasks=False)
    transport = httpx.ASGITransport(app=create_app(site=site, manage_site=False))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            uploader = Uploader(await api_for(site, http, await account(site), "write"))
            content = images.flat_png(6000, 4000, "RGB", (1, 2, 3))
            for is_async in (False, True):
                code, message = fail_code(await uploader.post(UPLOAD, content, is_async=is_async))
                assert code == 8 and "too large to process" in message
            assert await photo_count(site) == 0
            await nothing_half_stored(site)
    finally:
        await bounded(site.close(), 30, "the site to close")
