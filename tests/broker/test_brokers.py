"""Both brokers satisfy the same contract: publish reaches every subscriber."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest

from photohub.broker.base import Broker
from photohub.broker.memory import MemoryBroker
from photohub.broker.redis import RedisBroker
from tests.waiting import bounded

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def make_broker(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    made: list[Broker] = []
    prefix = f"photohub-test-{secrets.token_hex(4)}:"
    shared = MemoryBroker()

    async def make() -> Broker:
        broker: Broker
        if request.param == "redis":
            broker = RedisBroker(str(request.getfixturevalue("redis_url")), prefix=prefix)
        else:
            broker = shared  # one process: every "instance" is the same broker
        await broker.start()
        made.append(broker)
        return broker

    yield make
    for broker in made:
        await bounded(broker.close(), 10, f"{type(broker).__name__}.close()")


async def _first(sub: AsyncIterator[dict[str, Any]]) -> dict[str, Any]:
    return await bounded(anext(sub), 5, "a message on the subscription")


async def test_every_subscriber_in_every_process_gets_each_message(make_broker: Any) -> None:
    one: Broker = await make_broker()
    two: Broker = await make_broker()
    sub_one = one.subscribe("events")
    sub_two = two.subscribe("events")
    got_one = asyncio.ensure_future(_first(sub_one))
    got_two = asyncio.ensure_future(_first(sub_two))
    # Subscriptions are set up lazily; publish until both have one.
    for _ in range(50):
        await one.publish("events", {"id": 1, "kind": "photo.published"})
        await asyncio.sleep(0.05)
        if got_one.done() and got_two.done():
            break
    assert (await got_one)["id"] == 1
    assert (await got_two)["id"] == 1
    await sub_one.aclose()  # type: ignore[attr-defined]
    await sub_two.aclose()  # type: ignore[attr-defined]


async def test_channels_are_separate(make_broker: Any) -> None:
    broker: Broker = await make_broker()
    sub = broker.subscribe("walls")
    got = asyncio.ensure_future(_first(sub))
    for n in range(50):
        await broker.publish("other", {"n": -1})
        await broker.publish("walls", {"n": n})
        await asyncio.sleep(0.05)
        if got.done():
            break
    assert (await got)["n"] >= 0
    await sub.aclose()  # type: ignore[attr-defined]


async def test_close_ends_subscriptions(make_broker: Any) -> None:
    broker: Broker = await make_broker()
    sub = broker.subscribe("events")
    pending = asyncio.ensure_future(anext(sub))
    await asyncio.sleep(0.1)
    await broker.close()
    with pytest.raises(StopAsyncIteration):
        await bounded(pending, 5, "the subscription to end when its broker closed")
