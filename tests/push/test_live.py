"""The whole hub running by itself: a photo uploaded through the Flickr API reaches a
subscriber's callback with no test driving the loops (runner, dispatcher, deliverer)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import feedparser
import httpx
import pytest

from photohub.app import create_app
from photohub.config import Settings
from photohub.domain.topics import make_topic
from photohub.site import Site
from photohub.store import subscriptions as subs
from photohub.store.db import utcnow
from tests import factories
from tests.api.client import api_for
from tests.api.test_upload import UPLOAD, Uploader, photo_id_of
from tests.images import jpeg
from tests.push.receiver import Receiver, receiving
from tests.waiting import bounded

pytestmark = pytest.mark.anyio


@pytest.fixture
async def running(settings: Settings) -> AsyncIterator[Site]:
    site = Site(settings.with_overrides(push_allow="127.0.0.1", public_url="http://photos.test"))
    await site.start(run_tasks=True)
    try:
        yield site
    finally:
        await bounded(site.close(), 30, "the site and its background loops to close")


async def until(receiver: Receiver, count: int) -> None:
    for _ in range(600):
        if len(receiver.posts) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(receiver.posts)} deliveries arrived, expected {count}")


async def test_an_upload_is_delivered_without_help(running: Site) -> None:
    app = create_app(site=running, manage_site=False)
    transport = httpx.ASGITransport(app=app)
    async with (
        receiving() as receiver,
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        async with running.db.write() as conn:
            ann = await factories.user(conn, "ann")
            subscription_id = await subs.save(
                conn,
                user_id=None,
                dialect="websub",
                topic=make_topic("tags", {"tags": "harbour"}),
                callback=receiver.url + "/cb",
                lease_seconds=3600,
            )
            assert subscription_id is not None
            await subs.mark_verified(conn, subscription_id, utcnow())
        uploader = Uploader(await api_for(running, client, ann, perms="write"))
        response = await uploader.post(UPLOAD, jpeg(), title="Dusk", tags="harbour boats")
        photo_id = photo_id_of(response)
        await until(receiver, 1)
        [entry] = feedparser.parse(receiver.posts[0].body).entries
        assert entry.id == f"tag:photos.test,2026:photo/{photo_id}"
        assert entry.title == "Dusk"
        assert entry.enclosures and entry.enclosures[0].href.startswith("http://photos.test/media/")
        # The image the entry names is really served.
        media = entry.enclosures[0].href.removeprefix("http://photos.test")
        assert (await client.get(media)).status_code == 200
