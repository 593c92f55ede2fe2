"""Two ``photohub serve`` processes on one PostgreSQL and one Redis act as one site."""

from __future__ import annotations

import asyncio
import re
import secrets
from pathlib import Path

import httpx
import pytest

from tests import images
from tests.processes import photohub_serve
from tests.servers import read_events
from tests.waiting import bounded, cancelled, until_set

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.anyio]


async def test_an_upload_to_one_process_reaches_walls_on_the_other(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    env = {
        "PHOTOHUB_DATABASE_URL": postgres_url,
        "PHOTOHUB_REDIS_URL": redis_url,
        "PHOTOHUB_ADMIN_TOKEN": secrets.token_hex(8),
        # A slow outbox poll: arrival within a second must come through Redis.
        "PHOTOHUB_EVENT_POLL_INTERVAL": "30",
        "PHOTOHUB_RENDITION_SIZES": "256",
    }
    shared = tmp_path / "shared"
    # Only the first process runs tasks, so the event is committed there and must
    # cross to the second.
    with (
        photohub_serve(shared, env) as one,
        photohub_serve(shared, {**env, "PHOTOHUB_RUN_TASKS": "0"}) as two,
    ):
        async with httpx.AsyncClient(timeout=20) as guest, httpx.AsyncClient(timeout=20) as wall:
            page = await guest.get(one + "/upload", headers={"accept": "text/html"})
            match = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
            assert match
            published: asyncio.Future[dict[str, object]] = (
                asyncio.get_running_loop().create_future()
            )
            ready = asyncio.Event()

            async def watch() -> None:
                async with wall.stream("GET", two + "/live") as response:
                    async for event in read_events(response):
                        if event.event == "ready":
                            ready.set()
                        if event.event == "photo.published":
                            published.set_result(event.json())
                            return

            watcher = asyncio.create_task(watch())
            try:
                await until_set(ready, 10, "the wall stream on two to open", unless=watcher)
                response = await guest.post(
                    one + "/api/photos",
                    files={"photo": ("p.jpg", images.jpeg(), "image/jpeg")},
                    data={"title": "across"},
                    headers={"x-csrf-token": match[1]},
                )
                assert response.status_code == 201, response.text
                photo_id = response.json()["photo"]["id"]
                # The reader returns once it has the event (or the stream ended).
                await bounded(watcher, 15, "photo.published on the other process's wall")
                assert published.done(), "the wall stream ended without photo.published"
                photo = published.result()
            finally:
                await cancelled(watcher, what="the wall stream's reader")
            assert photo["id"] == photo_id and photo["title"] == "across"
            # The wall on the other process can load the rendition (shared media folder).
            url = str(photo["sizes"][0]["url"])  # type: ignore[index]
            assert (await wall.get(two + url)).status_code == 200
            state = await wall.get(two + "/api/wall")
            assert [p["id"] for p in state.json()["photos"]] == [photo_id]
