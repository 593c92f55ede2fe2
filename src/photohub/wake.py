"""Waiting for a wake-up or a timeout, in a way a cancellation always ends.

Python 3.11's ``asyncio.wait_for(event.wait(), timeout)`` runs the wait as an inner
task; a cancellation that arrives while that task has just finished (the event was
set in the same loop iteration) is swallowed: ``wait_for`` returns the result, the
caller's task stays "cancelling" and a ``while True`` loop around it goes on for ever
(python/cpython#86296, fixed in 3.12). ``asyncio.timeout()`` waits in the caller's own
task, so the ``CancelledError`` always reaches it. Every background loop of photohub
waits through :func:`wait_woken`.
"""

from __future__ import annotations

import asyncio


async def wait_woken(event: asyncio.Event, within: float | None) -> bool:
    """Wait until ``event`` is set (True) or ``within`` seconds pass (False; None waits
    without a limit). A cancellation of the caller is always raised, never lost: also
    one that code the loop called since its last wait swallowed (a library that catches
    ``CancelledError``, seen under load with the delivery worker's step), since the
    task still counts the request (``Task.cancelling``)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
    try:
        async with asyncio.timeout(within):
            await event.wait()
    except TimeoutError:
        return False
    return True
