"""Cancel a background loop at the moment it is woken, many times over.

Python 3.11's ``asyncio.wait_for(event.wait(), t)`` loses a cancellation that arrives in
the loop iteration where the event is set: the loop goes on (``photohub.wake``). Each
round here starts the loop, waits until it is blocked on its event, then wakes and
cancels it in the same iteration (both orders), and checks that the task ends
cancelled. Every wait is bounded, so a lost cancellation fails a round, never hangs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

ORDERS = ("wake, then cancel", "cancel, then wake")


@dataclass
class Rounds:
    ran: int = 0
    lost: list[str] = field(default_factory=list)  # rounds whose task went on


async def until_waiting(event: asyncio.Event, task: asyncio.Task[Any], within: float) -> None:
    """Let ``task`` run until it blocks on ``event`` (or fail after ``within`` s)."""
    async with asyncio.timeout(within):
        # Event._waiters: the futures of event.wait() calls (CPython's asyncio).
        while not event._waiters:
            if task.done():
                raise AssertionError(f"the loop ended before waiting: {task!r}")
            await asyncio.sleep(0)


async def cancel_as_woken(
    start: Callable[[], tuple[Coroutine[Any, Any, Any], asyncio.Event, Callable[[], None]]],
    rounds: int,
    *,
    within: float = 1.0,
    give_up_after: int = 3,
) -> Rounds:
    """``start()`` returns (the loop's coroutine, the event it waits on, its wake-up).
    Runs ``rounds`` rounds in each order; stops early after ``give_up_after`` lost."""
    result = Rounds()
    for number in range(rounds):
        for order in ORDERS:
            loop, event, wake = start()
            task = asyncio.create_task(loop)
            try:
                await until_waiting(event, task, 10.0)
                if order == ORDERS[0]:
                    wake()
                    task.cancel()
                else:
                    task.cancel()
                    wake()
                await asyncio.wait((task,), timeout=within)
                result.ran += 1
                if not task.done() or not task.cancelled():
                    result.lost.append(f"round {number} ({order}): {task!r}")
                    if len(result.lost) >= give_up_after:
                        return result
            finally:
                if not task.done():  # a lost cancellation: a second one ends it
                    task.cancel()
                    await asyncio.wait((task,), timeout=10.0)
                    assert task.done(), f"the loop survived two cancellations: {task!r}"
    return result
