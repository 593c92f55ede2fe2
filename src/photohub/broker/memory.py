"""The in-process broker: the default when photohub runs as one process."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from photohub.broker.base import Broker

_CLOSED: dict[str, Any] = {}


class MemoryBroker:
    def __init__(self, max_queue: int = 10_000) -> None:
        self._subscribers: defaultdict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        self._max_queue = max_queue

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        for queues in self._subscribers.values():
            for queue in queues:
                queue.put_nowait(_CLOSED)

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        for queue in list(self._subscribers.get(channel, ())):
            if queue.qsize() < self._max_queue:  # a stuck reader drops, it never blocks us
                queue.put_nowait(message)

    async def subscribe(self, channel: str) -> AsyncIterator[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._subscribers[channel].add(queue)
        try:
            while True:
                message = await queue.get()
                if message is _CLOSED:
                    return
                yield message
        finally:
            self._subscribers[channel].discard(queue)


_: Broker = MemoryBroker()
