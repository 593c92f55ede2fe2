"""push.loop.Loop (the dispatcher's and the delivery worker's loop) stops when it is
cancelled right as it is woken (tests.cancel_at_wake)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from photohub.push.loop import Loop
from tests.cancel_at_wake import cancel_as_woken

pytestmark = pytest.mark.anyio


async def test_a_loop_cancelled_as_it_is_woken_stops() -> None:
    steps = 0

    async def idle_step() -> bool:
        nonlocal steps
        steps += 1
        return False  # nothing to do: wait for a wake-up

    def start() -> tuple[Coroutine[Any, Any, None], asyncio.Event, Callable[[], None]]:
        loop = Loop("test", idle_step, interval=3600)
        return loop.run_forever(), loop._wake, loop.wake

    rounds = await cancel_as_woken(start, 5000)
    assert rounds.lost == []
    assert steps >= rounds.ran


async def test_a_failing_step_does_not_end_the_loop_but_a_cancellation_does() -> None:
    calls = 0
    called = asyncio.Event()

    async def failing() -> bool:
        nonlocal calls
        calls += 1
        called.set()
        raise RuntimeError("database restarting")

    loop = Loop("test", failing, interval=0.001)
    task = asyncio.create_task(loop.run_forever())
    try:
        async with asyncio.timeout(10):
            while calls < 3:
                called.clear()
                await called.wait()
    finally:
        task.cancel()
        await asyncio.wait((task,), timeout=10)
    assert task.cancelled()


async def test_a_cancellation_swallowed_by_a_step_still_ends_the_loop() -> None:
    """Some libraries catch ``CancelledError``; the loop honours the request anyway at
    its next wait, instead of waiting on in the state "cancelling" for ever."""
    entered = asyncio.Event()

    async def swallowing() -> bool:
        entered.set()
        with contextlib.suppress(asyncio.CancelledError):  # what a careless library does
            await asyncio.sleep(3600)
        return False

    loop = Loop("test", swallowing, interval=3600)
    task = asyncio.create_task(loop.run_forever())
    try:
        async with asyncio.timeout(10):
            await entered.wait()
        task.cancel()
        await asyncio.wait((task,), timeout=10)
        assert task.done(), "the loop went on after its cancellation was swallowed"
        assert task.cancelled()
    finally:
        task.cancel()
        await asyncio.wait((task,), timeout=5)
