"""A photo's new secret on disk (actions/file_urls.py, media/storage.py): the old name
answers 404 at once after the commit, nothing is lost whichever step a crash interrupts
(the start-up sweep settles the names), and a reader that opened the file before the
change gets all of it, never an error."""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import RowMapping

from photohub.actions import file_urls
from photohub.actions import photos as photo_actions
from photohub.app import create_app
from photohub.domain.privacy import Viewer
from photohub.site import Site
from photohub.store import photos as photo_store
from photohub.tasks.definitions import sweep_media
from tests import factories

pytestmark = pytest.mark.anyio

BYTES = {256: b"RIFF\x00\x00\x00\x00WEBP small", 1024: b"RIFF\x00\x00\x00\x00WEBP" + b"x" * 300_000}


class Crash(Exception):
    """The process dying at this point (nothing after it runs)."""


async def friends_photo(site: Site, visibility: str = "friends") -> tuple[Viewer, RowMapping]:
    async with site.db.write() as conn:
        owner = await factories.user(conn, "owner")
        photo_id = await factories.photo(conn, owner, visibility=visibility)
        row = await photo_store.get(conn, photo_id)
    assert row is not None
    for size, content in BYTES.items():
        site.media.rendition_path(photo_id, row["secret"], size).write_bytes(content)
    site.media.original_path(photo_id, row["secret"], "jpg").write_bytes(b"original")
    return Viewer(user_id=int(owner["id"])), row


async def current(site: Site, photo_id: int) -> RowMapping:
    async with site.db.read() as conn:
        row = await photo_store.get(conn, photo_id)
    assert row is not None
    return row


def names(site: Site, photo_id: int) -> set[str]:
    return {
        p.name
        for folder in (site.media.originals, site.media.renditions)
        for p in folder.glob(f"{photo_id}_*")
    }


def expected_names(site: Site, row: RowMapping) -> set[str]:
    sizes = [r["size"] for r in row["renditions"]]
    return {p.name for p in site.media.photo_files(row["id"], row["secret"], row["ext"], sizes)}


async def status(client: httpx.AsyncClient, photo_id: int, secret: str) -> int:
    return (await client.get(f"/media/{photo_id}_{secret}_256.webp")).status_code


async def test_the_old_name_is_gone_and_the_new_one_holds_the_same_file(
    site: Site, client: httpx.AsyncClient
) -> None:
    owner, row = await friends_photo(site)
    await photo_actions.set_perms(site, owner, row["id"], "private")
    after = await current(site, row["id"])
    assert after["secret"] != row["secret"]
    assert await status(client, row["id"], row["secret"]) == 404
    assert names(site, row["id"]) == expected_names(site, after)
    for size, content in BYTES.items():
        served = await client.get(f"/media/{row['id']}_{after['secret']}_{size}.webp")
        assert served.status_code == 200 and served.content == content


async def test_a_failed_transaction_leaves_the_old_names(
    site: Site, client: httpx.AsyncClient
) -> None:
    _, row = await friends_photo(site)
    with pytest.raises(Crash), file_urls.rotating(site.media) as rotation:
        async with site.db.write() as conn:
            await file_urls.rotate(conn, rotation, [row])
            raise Crash
    assert (await current(site, row["id"]))["secret"] == row["secret"]
    assert names(site, row["id"]) == expected_names(site, row)
    assert await status(client, row["id"], row["secret"]) == 200


async def test_a_crash_before_the_commit_loses_nothing(
    site: Site, client: httpx.AsyncClient
) -> None:
    """Dying with the new names made and the transaction not committed: the old URL still
    works (it is still the photo's), and the sweep at the next start removes the strays."""
    _, row = await friends_photo(site)
    rotation = file_urls.Rotation(site.media)
    with pytest.raises(Crash):
        async with site.db.write() as conn:
            await file_urls.rotate(conn, rotation, [row])
            raise Crash  # no undo: the process is gone
    assert (await current(site, row["id"]))["secret"] == row["secret"]
    assert len(names(site, row["id"])) == 6
    assert await status(client, row["id"], row["secret"]) == 200
    await sweep_media(site, {})
    assert names(site, row["id"]) == expected_names(site, row)
    assert await status(client, row["id"], row["secret"]) == 200


async def test_a_crash_after_the_commit_loses_nothing_and_the_sweep_ends_the_old_url(
    site: Site, client: httpx.AsyncClient
) -> None:
    _, row = await friends_photo(site)
    rotation = file_urls.Rotation(site.media)
    async with site.db.write() as conn:
        await file_urls.rotate(conn, rotation, [row])
    # Committed; the process dies before removing the old names.
    after = await current(site, row["id"])
    assert await status(client, row["id"], after["secret"]) == 200
    await sweep_media(site, {})
    assert names(site, row["id"]) == expected_names(site, after)
    assert await status(client, row["id"], row["secret"]) == 404
    assert await status(client, row["id"], after["secret"]) == 200


async def test_the_sweep_restores_files_left_only_under_another_secret(
    site: Site, client: httpx.AsyncClient
) -> None:
    """What the former rename-in-place could leave (renamed, then the commit lost): the
    files are adopted under the photo's secret, not removed."""
    _, row = await friends_photo(site)
    stray = "f" * 24
    for path in site.media.photo_files(row["id"], row["secret"], "jpg", BYTES):
        path.replace(path.with_name(path.name.replace(row["secret"], stray)))
    assert await status(client, row["id"], row["secret"]) == 404
    await sweep_media(site, {})
    assert names(site, row["id"]) == expected_names(site, row)
    assert await status(client, row["id"], row["secret"]) == 200


async def test_a_reader_that_opened_the_file_gets_all_of_it(site: Site) -> None:
    """The secret changes between the answer's headers and its body: the reader that came
    first still gets the whole file (the open file outlives its name), never an error."""
    owner, row = await friends_photo(site, "public")
    app = create_app(site=site, manage_site=False)
    path = f"/media/{row['id']}_{row['secret']}_1024.webp"
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.start":
            await photo_actions.set_perms(site, owner, row["id"], "private")
            assert not site.media.rendition_path(row["id"], row["secret"], 1024).exists()

    await app(scope, receive, send)
    assert sent[0]["status"] == 200
    body = b"".join(m.get("body", b"") for m in sent[1:])
    assert body == BYTES[1024]
    assert (await current(site, row["id"]))["secret"] != row["secret"]


async def test_a_file_system_without_hard_links_gets_a_copy(
    site: Site, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner, row = await friends_photo(site)

    def no_links(source: object, target: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    await photo_actions.set_perms(site, owner, row["id"], "private")
    after = await current(site, row["id"])
    served = await client.get(f"/media/{row['id']}_{after['secret']}_1024.webp")
    assert served.status_code == 200 and served.content == BYTES[1024]
    assert names(site, row["id"]) == expected_names(site, after)
    assert not site.media.temp_files()
