"""Shared pieces of the hub's delivery tests: a site whose queues are in the database
or in Redis (``settings``: import it into a test module to run it both ways), active
subscriptions on a local receiver, committed changes, and pumping everything through."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import feedparser
import pytest
import redis.asyncio as aioredis
from lxml import etree

from photohub.broker.queues_redis import RedisQueues
from photohub.config import Settings
from photohub.domain.topics import Topic, make_topic
from photohub.push.dispatch import follow_outbox
from photohub.site import Site
from photohub.store import events
from photohub.store import subscriptions as subs
from photohub.store.db import utcnow
from photohub.store.push_schema import push_subscriptions
from tests import factories
from tests.push.receiver import Post, Receiver, receiving
from tests.waiting import bounded

TOMBSTONES = "http://purl.org/atompub/tombstones/1.0"


@pytest.fixture(params=["sql", pytest.param("redis", marks=pytest.mark.redis)])
def settings(settings: Settings, request: pytest.FixtureRequest) -> Iterator[Settings]:
    """Every test runs with the queues in the database and in Redis (its own prefix;
    on PostgreSQL, beside which Redis queues run at scale)."""
    extra: dict[str, Any] = {}
    if request.param == "redis":
        if not settings.database_url:
            pytest.skip("Redis queues run beside PostgreSQL at scale: tested there")
        extra = {
            "redis_url": request.getfixturevalue("redis_url"),
            "redis_prefix": f"test-{secrets.token_hex(6)}:",
        }
    yield settings.with_overrides(
        push_allow="127.0.0.1", public_url="http://photos.test", push_collapse_seconds=0.0, **extra
    )
    if extra:
        dropping = drop_keys(extra["redis_url"], extra["redis_prefix"])
        asyncio.run(bounded(dropping, 10, "Redis to drop the test's keys"))


async def drop_keys(url: str, prefix: str) -> None:
    client = aioredis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture
async def receiver(site: Site) -> AsyncIterator[Receiver]:
    await follow_outbox(site)  # a new hub starts reading at the newest event
    async with receiving() as receiver:
        yield receiver


async def subscribe(
    site: Site,
    receiver: Receiver,
    path: str,
    topic: Topic,
    *,
    dialect: Any = "websub",
    secret: str | None = None,
    verified: bool = True,
) -> int:
    async with site.db.write() as conn:
        subscription_id = await subs.save(
            conn,
            user_id=None,
            dialect=dialect,
            topic=topic,
            callback=receiver.url + path,
            lease_seconds=3600,
            secret=secret,
        )
        assert subscription_id is not None
        if verified:
            await subs.mark_verified(conn, subscription_id, utcnow())
    return subscription_id


def tags_topic(*names: str) -> Topic:
    return make_topic("tags", {"tags": ",".join(names)})


def personal(name: str, user: Any) -> Topic:
    return make_topic(name, {}, user=str(user["nsid"]))


async def changed(site: Site, photo_id: int, kind: str = "photo.published") -> None:
    async with site.db.write() as conn:
        await events.append(conn, kind, {"id": photo_id}, photo_id=photo_id)


async def pump(site: Site) -> None:
    """Everything the background loops would do, to the end (60 s at most)."""

    async def run() -> None:
        while await follow_outbox(site):
            pass
        await site.runner.run_due()
        await site.deliverer.run_until_idle()

    await bounded(run(), 60, "dispatch, tasks and deliveries to run dry (pump)")


def entries(post: Post) -> list[Any]:
    return list(feedparser.parse(post.body).entries)


def tombstone_refs(post: Post) -> list[str]:
    root = etree.fromstring(post.body)
    return [str(e.get("ref")) for e in root.iter(f"{{{TOMBSTONES}}}deleted-entry")]


async def new_photo(site: Site, owner: Any = None, **values: Any) -> int:
    async with site.db.write() as conn:
        return await factories.photo(conn, owner, **values)


async def account(site: Site, name: str, **values: Any) -> Any:
    async with site.db.write() as conn:
        return await factories.user(conn, name, **values)


async def make_due(site: Site, subscription_id: int) -> None:
    """Skip a backoff: the queue is due now."""
    queues = site.queues
    if isinstance(queues, RedisQueues):
        await queues.redis.zadd(site.settings.redis_prefix + "pdue", {str(subscription_id): 0})
        return
    async with site.db.write() as conn:
        await conn.execute(
            push_subscriptions.update()
            .where(push_subscriptions.c.id == subscription_id)
            .values(due_at=utcnow())
        )
