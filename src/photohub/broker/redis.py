"""The Redis broker: pub/sub shared by every photohub process on one Redis."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis

from photohub.broker.base import Broker


class RedisBroker:
    """Channels are Redis pub/sub channels under ``prefix`` (one Redis, several sites)."""

    def __init__(self, url: str, prefix: str = "photohub:") -> None:
        self._url = url
        self._prefix = prefix
        self._redis: aioredis.Redis | None = None
        self._closed = asyncio.Event()

    @property
    def redis(self) -> aioredis.Redis:
        if self._redis is None:
            raise RuntimeError("RedisBroker.start() was not called")
        return self._redis

    async def start(self) -> None:
        self._redis = aioredis.Redis.from_url(self._url, health_check_interval=15)
        await self._redis.ping()

    async def close(self) -> None:
        self._closed.set()
        if self._redis is not None:
            await self._redis.aclose()

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        await self.redis.publish(self._prefix + channel, json.dumps(message))

    async def subscribe(self, channel: str) -> AsyncIterator[dict[str, Any]]:
        """Yield messages; on a lost connection, reconnect and go on (gaps are the
        caller's to fill from the outbox)."""
        while not self._closed.is_set():
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._prefix + channel)
                while not self._closed.is_set():
                    raw = await pubsub.get_message(timeout=1.0)
                    if raw is None:
                        continue
                    yield json.loads(raw["data"])
            except (aioredis.ConnectionError, aioredis.TimeoutError, OSError):
                if self._closed.is_set():
                    return
                await asyncio.sleep(0.5)
            finally:
                with contextlib.suppress(aioredis.ConnectionError, OSError):
                    await pubsub.aclose()


async def ping(url: str) -> None:
    """Raise unless the Redis at ``url`` answers (a start waits on it, ``startup``)."""
    client = aioredis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        await client.ping()
    finally:
        await client.aclose()


_: Broker = RedisBroker("redis://localhost")
