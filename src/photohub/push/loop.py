"""A background loop that runs a step again at once while it has work, else after a
wake-up or a poll interval: how the dispatcher and the delivery workers wait. A step
that fails (the database or Redis away) is retried with a backoff, and the outage is
logged once, not a traceback per try (``photohub.outage``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from photohub.outage import Outage
from photohub.wake import wait_woken

log = logging.getLogger("photohub.push")


class Loop:
    def __init__(self, name: str, step: Callable[[], Awaitable[bool]], interval: float) -> None:
        """``step`` returns True when it did some work (so there may be more)."""
        self.name = name
        self.step = step
        self.interval = interval
        self._wake = asyncio.Event()
        self.outage = Outage(log, name)

    def wake(self) -> None:
        self._wake.set()

    async def run_forever(self) -> None:
        while True:
            self._wake.clear()
            try:
                busy = await self.step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a database or network hiccup must not end the loop
                self.outage.failed(exc)
                await asyncio.sleep(self.outage.delay(self.interval))
                continue
            self.outage.recovered()
            if not busy:
                await wait_woken(self._wake, self.interval)
