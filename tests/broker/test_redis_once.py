"""Redis delivery queues under faults: an entry pushed again (a publish and a sweep
racing, an answer lost to a Redis crash) is queued once, delivered or not; a Redis
outage after a push task's commit neither fails the task nor renders the change again;
the sweep of what the outage left never sends what a newer entry of the photo replaced."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from photohub.broker.queues import Outcome
from photohub.broker.queues_redis import RedisQueues
from photohub.config import Settings
from photohub.domain.topics import make_topic
from photohub.push import fanout
from photohub.push.dispatch import PHOTO_TASK, follow_outbox
from photohub.site import Site
from photohub.store import events, push_entries
from photohub.store import subscriptions as subs
from photohub.store.db import utcnow
from photohub.store.push_schema import push_entries as entries_table
from photohub.store.schema import tasks
from tests import factories
from tests.processes import PrivateRedis
from tests.push.hubs import entries
from tests.push.receiver import Receiver, receiving
from tests.push.test_at_least_once import persistent_redis, wait_redis
from tests.waiting import bounded

__all__ = ["persistent_redis"]  # fixture

pytestmark = [pytest.mark.anyio, pytest.mark.postgres, pytest.mark.redis]
LEASE = timedelta(seconds=30)


@pytest.fixture
def backend() -> str:
    return "postgres"


@pytest.fixture
async def hub(settings: Settings, persistent_redis: PrivateRedis) -> AsyncIterator[Site]:
    await wait_redis(persistent_redis)
    site = Site(
        settings.with_overrides(
            redis_url=persistent_redis.url,
            push_allow="127.0.0.1",
            public_url="http://photos.test",
            push_collapse_seconds=0.0,
        )
    )
    await site.start(run_tasks=False)
    try:
        await follow_outbox(site)
        yield site
    finally:
        await bounded(site.close(), 30, "the hub to close")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as receiver:
        yield receiver


async def subscribe(site: Site, callback: str, tag: str = "cats") -> int:
    async with site.db.write() as conn:
        subscription_id = await subs.save(
            conn,
            user_id=None,
            dialect="websub",
            topic=make_topic("tags", {"tags": tag}),
            callback=callback,
            lease_seconds=3600,
        )
        assert subscription_id is not None
        await subs.mark_verified(conn, subscription_id, utcnow())
    return subscription_id


def queues(site: Site) -> RedisQueues:
    assert isinstance(site.queues, RedisQueues)
    return site.queues


async def test_an_entry_added_again_is_queued_once_delivered_or_not(hub: Site) -> None:
    a = await subscribe(hub, "http://receiver.test/a")
    b = await subscribe(hub, "http://receiver.test/b")
    async with hub.db.write() as conn:
        entry_id = await push_entries.add_entry(conn, None, b"<entry/>")
    for _ in range(3):  # queued, then pushed again while still queued
        await queues(hub).add(None, entry_id, [a, b], utcnow())
    heads = await queues(hub).peek([a, b], 10)
    assert [len(heads[a]), len(heads[b])] == [1, 1]
    assert sorted(await queues(hub).claim(10, LEASE)) == [a, b]
    await queues(hub).finish([Outcome(a, heads[a]), Outcome(b, heads[b])], lambda n: 1.0)
    await queues(hub).add(None, entry_id, [a, b], utcnow())  # after its delivery
    heads = await queues(hub).peek([a, b], 10)
    assert heads == {a: [], b: []}
    assert await queues(hub).claim(10, LEASE) == []


async def commit_photo(site: Site, title: str) -> int:
    async with site.db.write() as conn:
        photo_id = await factories.photo(conn, None, title=title, tags="cats")
        await events.append(conn, "photo.published", {"id": photo_id}, photo_id=photo_id)
    return photo_id


async def age_journal(site: Site) -> None:
    """Make the journal look left by a crash long ago (the sweep's threshold)."""
    async with site.db.write() as conn:
        await conn.execute(
            entries_table.update().values(created_at=utcnow() - 2 * fanout.STALE_AFTER)
        )


def delivered(receiver: Receiver) -> Counter[str]:
    return Counter(str(e.id) for post in receiver.posts for e in entries(post))


async def test_a_redis_outage_after_the_commit_renders_nothing_twice(
    hub: Site, persistent_redis: PrivateRedis, receiver: Receiver
) -> None:
    await subscribe(hub, receiver.url + "/cats")
    persistent_redis.stop()  # SIGKILL
    photo_ids = [await commit_photo(hub, f"p{n}") for n in range(3)]
    await follow_outbox(hub)
    await hub.runner.run_due()  # each push commits its entry; Redis cannot take it
    persistent_redis.start()
    await wait_redis(persistent_redis)
    async with hub.db.write() as conn:  # a task left to retry would run now, and again
        await conn.execute(tasks.update().values(run_at=utcnow() - timedelta(seconds=1)))
        left = await conn.scalar(
            sa.select(sa.func.count()).select_from(tasks).where(tasks.c.name == PHOTO_TASK)
        )
    await hub.runner.run_due()
    await hub.runner.run_due()
    await age_journal(hub)
    assert await fanout.republish_stale(hub) == 3
    await bounded(hub.deliverer.run_until_idle(), 30, "the deliveries")
    assert left == 0, "a push task failed for Redis although its change was committed"
    async with hub.db.read() as conn:
        rows = await conn.scalar(sa.select(sa.func.count()).select_from(entries_table))
    assert rows == 3
    assert sorted(delivered(receiver).values()) == [1, 1, 1]
    assert len(delivered(receiver)) == len(photo_ids)


async def test_the_stale_sweep_never_sends_what_a_newer_entry_replaced(
    hub: Site, receiver: Receiver
) -> None:
    cats = await subscribe(hub, receiver.url + "/cats")
    other = await subscribe(hub, receiver.url + "/other", tag="dogs")
    async with hub.db.write() as conn:
        # Left in the journal by an outage: the photo's entry, owed to both.
        old, _ = await push_entries.add_change(
            conn, "7:1:photo", 7, b"<entry><id>old</id></entry>", targets=[cats, other]
        )
        # Then the photo went private: its tombstone reached Redis for /cats only.
        new, _ = await push_entries.add_change(
            conn, "7:2:gone", 7, b"<entry><id>gone</id></entry>", targets=[cats]
        )
    await fanout.publish(hub, fanout.Added(new=[new]))
    await age_journal(hub)
    assert await fanout.republish_stale(hub) == 1
    heads = await queues(hub).peek([cats, other], 10)
    assert [r.entry_id for r in heads[cats]] == [new]  # not the old one after it
    assert [r.entry_id for r in heads[other]] == [old]  # nothing newer owed there
    assert await fanout.republish_stale(hub) == 0  # settled: never pushed again


async def test_a_push_task_finishes_while_redis_is_away(
    hub: Site, persistent_redis: PrivateRedis, receiver: Receiver
) -> None:
    """The task system sees no failure: the journal holds the fan-out for the sweep."""
    await subscribe(hub, receiver.url + "/cats")
    persistent_redis.stop()
    await commit_photo(hub, "away")
    await follow_outbox(hub)
    await hub.runner.run_due()
    async with hub.db.read() as conn:
        query = sa.select(tasks.c.status).where(tasks.c.name == PHOTO_TASK)
        statuses = list(await conn.scalars(query))
        owed = await push_entries.owed(conn, before=utcnow() + timedelta(seconds=1))
    assert statuses == [] and len(owed) == 1
