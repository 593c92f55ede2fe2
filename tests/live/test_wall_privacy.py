"""The wall's surfaces (``/api/wall``, ``/live``, and the ``/wall`` page fed by both) follow
the one privacy rule: public, ready, approved and *safe*, judged on the photo as it is now.

The photos are uploaded and changed through the Flickr API, as the outside probe did."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from photohub.site import Site
from photohub.store import events
from tests import images
from tests.api.client import Api, api_for
from tests.api.test_upload import UPLOAD, Uploader, account, photo_id_of
from tests.servers import SSE, collect, running
from tests.waiting import bounded, until_set
from tests.web.helpers import login_host, ok

pytestmark = pytest.mark.anyio


async def _uploader(site: Site, client: httpx.AsyncClient) -> Uploader:
    user = await account(site)
    return Uploader(await api_for(site, client, user, perms="write"), style="header")


async def _upload(site: Site, alice: Uploader, title: str, safety_level: int) -> int:
    response = await alice.post(UPLOAD, images.jpeg(), title=title, safety_level=str(safety_level))
    photo_id = photo_id_of(response)
    await site.runner.run_due()  # renditions: the photo is ready
    return photo_id


async def _mark(site: Site) -> int:
    """A public ``done`` event: where a test stops reading a stream."""
    async with site.db.write() as conn:
        event = await events.append(conn, "done", {})
    await site.announce([event])
    return event.id


def _titles(seen: list[SSE]) -> str:
    return " ".join(e.data for e in seen)


async def test_restricted_and_moderate_api_uploads_stay_off_the_wall(
    site: Site, client: httpx.AsyncClient
) -> None:
    alice = await _uploader(site, client)
    async with running(site) as url, httpx.AsyncClient(timeout=10) as http:
        started = asyncio.Event()
        live = asyncio.create_task(collect(http, url + "/live", until="done", started=started))
        await until_set(started, 5, "the stream's ready event", unless=live)
        safe = await _upload(site, alice, "safe lake", 1)
        await _upload(site, alice, "moderate beach", 2)
        await _upload(site, alice, "restricted cabin", 3)
        await _mark(site)
        seen_live = await bounded(live, 15, "the live events")
        replayed = await collect(http, url + "/live?last_event_id=0", until="done")

    # Anonymous: the snapshot, the live events and a replay all show the safe one only.
    wall = ok(await client.get("/api/wall"))
    assert [p["title"] for p in wall["photos"]] == ["safe lake"]
    for seen in (seen_live, replayed):
        published = [e.json()["id"] for e in seen if e.event == "photo.published"]
        assert published == [safe]
        assert "moderate beach" not in _titles(seen) and "restricted cabin" not in _titles(seen)

    # The host's projector is shown to a room: the host's wall shows the same.
    await login_host(client)
    host_wall = ok(await client.get("/api/wall"))
    assert [p["title"] for p in host_wall["photos"]] == ["safe lake"]


async def test_raising_the_safety_level_takes_a_photo_off_the_wall(
    site: Site, client: httpx.AsyncClient
) -> None:
    alice = await _uploader(site, client)
    photo_id = await _upload(site, alice, "was safe", 1)
    async with running(site) as url, httpx.AsyncClient(timeout=10) as http:
        started = asyncio.Event()
        live = asyncio.create_task(collect(http, url + "/live", until="done", started=started))
        await until_set(started, 5, "the stream's ready event", unless=live)
        await alice.api.ok("flickr.photos.setSafetyLevel", photo_id=photo_id, safety_level=3)
        await _mark(site)
        seen = await bounded(live, 15, "the live events")
        replayed = await collect(http, url + "/live?last_event_id=0", until="done")

    assert ok(await client.get("/api/wall"))["photos"] == []
    # A wall already showing it is told to take it down, at once.
    assert [e.json() for e in seen if e.event == "photo.deleted"] == [{"id": photo_id}]
    # A wall resuming from before sees no trace of it but a tombstone.
    assert "was safe" not in _titles(replayed)
    assert {"id": photo_id} in [e.json() for e in replayed if e.event == "photo.deleted"]


async def _made_private(site: Site, client: httpx.AsyncClient) -> tuple[Api, int]:
    alice = await _uploader(site, client)
    photo_id = await _upload(site, alice, "Lakeside secret", 1)
    await alice.api.ok("flickr.photos.setMeta", photo_id=photo_id, title="Lakeside secret 2")
    await alice.api.ok(
        "flickr.photos.setPerms", photo_id=photo_id, is_public=0, is_friend=0, is_family=0
    )
    return alice.api, photo_id


async def test_replay_after_made_private_gives_tombstones_not_titles(
    site: Site, client: httpx.AsyncClient
) -> None:
    """Finding 2 (/live part): a new stream with ``last_event_id=0`` replayed the titles
    of photos since made private."""
    _, photo_id = await _made_private(site, client)
    await _mark(site)
    async with running(site) as url, httpx.AsyncClient(timeout=10) as http:
        replayed = await collect(http, url + "/live?last_event_id=0", until="done")
        resumed = await collect(http, url + "/live", until="done", headers={"Last-Event-ID": "1"})
    for seen in (replayed, resumed):
        assert "Lakeside" not in _titles(seen)
        about: list[dict[str, Any]] = [
            e.json()
            for e in seen
            if e.event.startswith("photo.") and e.json().get("id") == photo_id
        ]
        assert about and all(item == {"id": photo_id} for item in about)
        ids = [int(e.id) for e in seen if e.id is not None and e.event != "ready"]
        assert ids == sorted(ids) and len(ids) == len(set(ids))  # ids only grow
