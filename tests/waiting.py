"""Bounded waits for tests. Every wait a test makes has a deadline, and when the deadline
passes the test fails saying what did not happen, instead of hanging until the per-test
watchdog ends the whole run.

The waits use ``asyncio.wait`` with a timeout, never ``await task`` under a timeout: a
task that swallows its cancellation (Python 3.11's ``wait_for`` can lose one, see
``photohub.wake``) would hold an ``await`` forever, and ``asyncio.wait`` returns anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, NoReturn, TypeAlias, TypeVar

import pytest

T = TypeVar("T")

CANCEL_GRACE = 5.0  # seconds a cancelled wait is given to end before the test moves on

Process: TypeAlias = subprocess.Popen[Any] | asyncio.subprocess.Process


def _fail(seconds: float, what: str, detail: Callable[[], object] | None = None) -> NoReturn:
    message = f"timed out after {seconds:g} s waiting for {what}"
    if detail is not None:
        message += f" ({detail()})"
    pytest.fail(message)


async def _settle(futures: Iterable[asyncio.Future[Any]], seconds: float) -> bool:
    """Cancel the ``futures`` not yet done and wait for them (at most ``seconds``);
    True when every one has ended."""
    pending = [f for f in futures if not f.done()]
    for future in pending:
        future.cancel()
    if pending:
        await asyncio.wait(pending, timeout=seconds)
    return all(f.done() for f in pending)


async def bounded(
    awaitable: Awaitable[T],
    seconds: float,
    what: str,
    *,
    detail: Callable[[], object] | None = None,
) -> T:
    """The result of ``awaitable``, or a test failure (``timed out after 10 s waiting
    for <what>``) when it takes longer than ``seconds``; it is then cancelled. ``what``
    names what is awaited; ``detail()``, if given, is added to the failure message."""
    future = asyncio.ensure_future(awaitable)
    try:
        done, _ = await asyncio.wait({future}, timeout=seconds)
    finally:
        # Also when this wait itself is cancelled or interrupted: leave nothing behind.
        if not future.done():
            ended = await _settle([future], CANCEL_GRACE)
            if not ended:
                _fail(seconds, what + ", and it ignored its cancellation", detail)
    if not done:
        _fail(seconds, what, detail)
    return future.result()


async def eventually(
    predicate: Callable[[], object],
    seconds: float,
    what: str,
    *,
    interval: float = 0.02,
    detail: Callable[[], object] | None = None,
) -> Any:
    """Poll ``predicate()`` (a plain or an async function) every ``interval`` seconds
    until it returns something true, and return that; fail the test after ``seconds``."""

    async def poll() -> Any:
        while True:
            value = predicate()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            await asyncio.sleep(interval)

    return await bounded(poll(), seconds, what, detail=detail)


async def until_set(
    event: asyncio.Event,
    seconds: float,
    what: str,
    *,
    unless: asyncio.Future[Any] | None = None,
) -> None:
    """Wait for ``event``; fail after ``seconds``. ``unless``: the task meant to set it:
    should it end first, its exception is raised (or the test fails) at once, rather
    than after the timeout with the reason lost."""
    setter = asyncio.ensure_future(event.wait())
    watched: set[asyncio.Future[Any]] = {setter} if unless is None else {setter, unless}
    try:
        await asyncio.wait(watched, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        await _settle([setter], CANCEL_GRACE)
    if event.is_set():
        return
    if unless is not None and unless.done():
        error = None if unless.cancelled() else unless.exception()
        if error is not None:
            raise error
        pytest.fail(f"the task that was to signal {what} ended without doing so: {unless!r}")
    _fail(seconds, what)


async def cancelled(
    *tasks: asyncio.Future[Any], seconds: float = 10.0, what: str, reraise: bool = True
) -> None:
    """Cancel ``tasks`` and wait (at most ``seconds``) until they have ended; fail the
    test naming ``what`` if one outlives that. ``reraise``: raise the first exception,
    other than a cancellation, that one of them ended with."""
    if not await _settle(tasks, seconds):
        alive = [t for t in tasks if not t.done()]
        pytest.fail(f"{what} did not end within {seconds:g} s of being cancelled: {alive!r}")
    for task in tasks:
        if task.cancelled():
            continue
        error = task.exception()  # retrieved either way: no "never retrieved" warning
        if error is not None and reraise:
            raise error


def stop_process(
    process: subprocess.Popen[Any], what: str, *, interrupt: bool = True, grace: float = 10.0
) -> None:
    """End a child process for good: SIGINT (``interrupt``, a clean stop) and up to
    ``grace`` seconds for it, then SIGKILL and 5 s more; fail the test naming ``what``
    if it still runs. Call it from a ``finally``."""
    if process.poll() is None and interrupt:
        process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    if process.poll() is None:
        process.kill()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{what} (pid {process.pid}) outlived SIGKILL by 5 s")


def _returncode(process: Process) -> int | None:
    if isinstance(process, subprocess.Popen):
        return process.poll()
    return process.returncode


async def _exited(process: Process, seconds: float) -> bool:
    """Whether ``process`` has exited, giving it up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        if _returncode(process) is not None:
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.05)


async def stop_process_async(
    process: Process, what: str, *, interrupt: bool = True, grace: float = 10.0
) -> None:
    """:func:`stop_process` without blocking the event loop (a server of the test, in
    this loop, may still have to answer the process while it stops)."""
    if _returncode(process) is None and interrupt:
        process.send_signal(signal.SIGINT)
        await _exited(process, grace)
    if _returncode(process) is None:
        process.kill()
        if not await _exited(process, 5):
            pytest.fail(f"{what} (pid {process.pid}) outlived SIGKILL by 5 s")
