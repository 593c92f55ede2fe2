"""photohub.wake: a wait for a wake-up or a timeout that a cancellation always ends."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from photohub.wake import wait_woken
from tests.cancel_at_wake import cancel_as_woken

pytestmark = pytest.mark.anyio

LONG = 3600.0  # a poll interval no round waits out


def looping(
    wait: Callable[[asyncio.Event], Coroutine[Any, Any, Any]],
) -> Callable[[], tuple[Coroutine[Any, Any, None], asyncio.Event, Callable[[], None]]]:
    """A background loop of the usual shape (clear, wait for a wake-up or the poll,
    work) around ``wait``."""

    def start() -> tuple[Coroutine[Any, Any, None], asyncio.Event, Callable[[], None]]:
        event = asyncio.Event()

        async def loop() -> None:
            while True:
                event.clear()
                await wait(event)

        return loop(), event, event.set

    return start


async def test_wait_woken_says_whether_it_was_woken() -> None:
    event = asyncio.Event()
    assert await wait_woken(event, 0.01) is False
    asyncio.get_running_loop().call_soon(event.set)
    assert await wait_woken(event, LONG) is True
    assert await wait_woken(event, 0) is True  # already set


async def test_a_loop_cancelled_as_it_is_woken_always_stops() -> None:
    rounds = await cancel_as_woken(looping(lambda event: wait_woken(event, LONG)), 5000)
    assert rounds.lost == []
    assert rounds.ran == 10_000


async def _old_form(event: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), LONG)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="wait_for is fixed in 3.12")
async def test_the_same_rounds_catch_the_old_wait_for_form_on_3_11() -> None:
    """The harness is able to see the bug: the form every loop used before loses the
    cancellation (the task goes on) on Python 3.11."""
    rounds = await cancel_as_woken(looping(_old_form), 5000)
    assert rounds.lost, f"no cancellation lost in {rounds.ran} rounds"
