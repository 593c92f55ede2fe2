"""Exactly one entry per change: a push task that runs again after its commit (a worker
killed before it recorded the task done, a Redis outage after the commit), or two tasks
of one photo both running after its last change, render nothing twice and deliver
nothing twice. Each test runs with the queues in the database and in Redis."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from photohub.push.dispatch import PHOTO_TASK, follow_outbox, push_photo
from photohub.site import Site
from photohub.store import photos as photo_store
from photohub.store.db import utcnow
from photohub.store.push_schema import push_entries
from photohub.store.schema import tasks
from tests.push.hubs import (
    changed,
    entries,
    new_photo,
    pump,
    receiver,
    settings,
    subscribe,
    tags_topic,
)
from tests.push.receiver import Receiver

__all__ = ["receiver", "settings"]  # fixtures

pytestmark = pytest.mark.anyio


def delivered(receiver: Receiver, path: str) -> Counter[str]:
    """How many times each Atom entry id reached ``path``."""
    return Counter(str(e.id) for post in receiver.posts_to(path) for e in entries(post))


async def entry_rows(site: Site, photo_id: int) -> int:
    async with site.db.read() as conn:
        query = sa.select(sa.func.count()).where(push_entries.c.photo_id == photo_id)
        return int(await conn.scalar(query) or 0)


async def test_a_push_task_run_again_after_its_commit_adds_nothing(
    site: Site, receiver: Receiver
) -> None:
    await subscribe(site, receiver, "/cats", tags_topic("cats"))
    await subscribe(site, receiver, "/sofa", tags_topic("sofa"))
    photo_id = await new_photo(site, title="Tabby", tags="cats sofa")
    await changed(site, photo_id)
    await pump(site)
    # The worker died after the commit, before recording the task done: it runs again,
    # three times (its lease lapsed each time).
    for _ in range(3):
        await push_photo(site, {"photo_id": photo_id})
    await pump(site)
    assert await entry_rows(site, photo_id) == 1
    for path in ("/cats", "/sofa"):
        assert list(delivered(receiver, path).values()) == [1], path
    # A real change afterwards is a new entry, delivered once more.
    async with site.db.write() as conn:
        await photo_store.update(conn, photo_id, title="Tabby, asleep", updated_at=utcnow())
    await changed(site, photo_id, "photo.updated")
    await pump(site)
    assert await entry_rows(site, photo_id) == 2
    assert list(delivered(receiver, "/cats").values()) == [2]


async def test_the_upload_task_running_after_the_renditions_renders_once(
    site: Site, receiver: Receiver
) -> None:
    """The no-fault double render: the upload's ``photo.created`` task ran after its
    renditions were made (a busy runner), pushed the photo, then the task of
    ``photo.published`` pushed it again."""
    await subscribe(site, receiver, "/cats", tags_topic("cats"))
    photo_id = await new_photo(site, tags="cats", state="processing")
    await changed(site, photo_id, "photo.created")
    assert await follow_outbox(site)  # push_photo is pending, not run yet
    async with site.db.write() as conn:  # process_image commits meanwhile
        await photo_store.update(conn, photo_id, state="ready", updated_at=utcnow())
    await changed(site, photo_id, "photo.published")
    await site.runner.run_due()  # the created task: the photo is ready by now
    await pump(site)  # then the published one
    async with site.db.read() as conn:
        left = await conn.scalar(
            sa.select(sa.func.count()).select_from(tasks).where(tasks.c.name == PHOTO_TASK)
        )
    assert left == 0
    assert await entry_rows(site, photo_id) == 1
    assert list(delivered(receiver, "/cats").values()) == [1]


async def test_a_tombstone_is_one_entry_however_often_its_task_runs(
    site: Site, receiver: Receiver
) -> None:
    await subscribe(site, receiver, "/cats", tags_topic("cats"))
    photo_id = await new_photo(site, tags="cats")
    await changed(site, photo_id)
    await pump(site)
    async with site.db.write() as conn:
        await photo_store.update(conn, photo_id, visibility="private", updated_at=utcnow())
    await changed(site, photo_id, "photo.updated")
    await pump(site)
    for _ in range(2):
        await push_photo(site, {"photo_id": photo_id})
    await pump(site)
    assert await entry_rows(site, photo_id) == 2  # the entry and its tombstone
    assert len(receiver.posts_to("/cats")) == 2
