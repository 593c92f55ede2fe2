"""A background loop that runs a step again at once while it has work, else after a
wake-up or a poll interval: how the dispatcher and the delivery workers wait."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from photohub.wake import wait_woken

log = logging.getLogger("photohub.push")


class Loop:
    def __init__(self, name: str, step: Callable[[], Awaitable[bool]], interval: float) -> None:
        """``step`` returns True when it did some work (so there may be more)."""
        self.name = name
        self.step = step
        self.interval = interval
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run_forever(self) -> None:
        while True:
            self._wake.clear()
            try:
                busy = await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database or network hiccup must not end the loop
                log.exception("%s loop error", self.name)
                busy = False
            if not busy:
                await wait_woken(self._wake, self.interval)
