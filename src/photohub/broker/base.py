"""The broker interface every backend satisfies.

A broker carries JSON-able messages on named channels to every subscriber in every
process. It is a fast path only: delivery is at-most-once (pub/sub), and readers that
must miss nothing (walls, feeds) fill gaps from the event outbox in the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol


class Broker(Protocol):
    async def start(self) -> None:
        """Connect; called once before use."""

    async def close(self) -> None:
        """Disconnect and end every open subscription."""

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        """Send ``message`` to every current subscriber of ``channel``."""

    def subscribe(self, channel: str) -> AsyncIterator[dict[str, Any]]:
        """Messages published on ``channel`` from now on, until the broker closes."""
        ...
