"""tests.waiting: each wait ends by its deadline and fails saying what did not happen,
even when what it waits on ignores cancellation."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.waiting import bounded, cancelled, eventually, stop_process, until_set

pytestmark = pytest.mark.anyio

Failed = pytest.fail.Exception


async def stubborn(gate: asyncio.Event) -> None:
    """A task that swallows its first cancellation (as a lost one looks)."""
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        await gate.wait()


async def test_bounded_returns_the_result_in_time() -> None:
    assert await bounded(asyncio.sleep(0, "done"), 1, "a nap") == "done"


async def test_bounded_fails_naming_what_did_not_happen() -> None:
    started = time.monotonic()
    with pytest.raises(Failed, match=r"timed out after 0.1 s waiting for the reply \(none yet\)"):
        await bounded(asyncio.sleep(3600), 0.1, "the reply", detail=lambda: "none yet")
    assert time.monotonic() - started < 5


async def test_bounded_ends_even_if_the_awaited_task_ignores_cancellation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("tests.waiting.CANCEL_GRACE", 0.1)
    gate = asyncio.Event()
    task = asyncio.create_task(stubborn(gate))
    await asyncio.sleep(0)
    with pytest.raises(Failed, match="ignored its cancellation"):
        await bounded(task, 0.1, "the stubborn task")
    gate.set()
    await bounded(task, 1, "the stubborn task, let go")


async def test_bounded_passes_on_the_awaited_exception() -> None:
    async def broken() -> None:
        raise TimeoutError("its own")

    with pytest.raises(TimeoutError, match="its own"):
        await bounded(broken(), 1, "the broken one")


async def test_eventually_polls_plain_and_async_predicates() -> None:
    ticks: list[int] = []

    def later() -> bool:
        ticks.append(1)
        return len(ticks) >= 3

    async def at_once() -> str:
        return "yes"

    assert await eventually(later, 1, "three ticks", interval=0.001)
    assert await eventually(at_once, 1, "an answer") == "yes"
    with pytest.raises(Failed, match="waiting for never"):
        await eventually(lambda: False, 0.1, "never")


async def test_until_set_raises_what_ended_the_setter_at_once() -> None:
    event = asyncio.Event()

    async def dies() -> None:
        raise ValueError("no stream")

    setter = asyncio.create_task(dies())
    started = time.monotonic()
    with pytest.raises(ValueError, match="no stream"):
        await until_set(event, 10, "the ready event", unless=setter)
    assert time.monotonic() - started < 5
    with pytest.raises(Failed, match="waiting for the ready event"):
        await until_set(event, 0.1, "the ready event")
    event.set()
    await until_set(event, 0.1, "the ready event")


async def test_cancelled_ends_tasks_and_fails_on_a_survivor() -> None:
    sleeper = asyncio.create_task(asyncio.sleep(3600))
    await cancelled(sleeper, what="the sleeper")
    assert sleeper.cancelled()
    gate = asyncio.Event()
    task = asyncio.create_task(stubborn(gate))
    await asyncio.sleep(0)
    with pytest.raises(Failed, match=r"the stubborn loop did not end within 0\.1 s"):
        await cancelled(task, seconds=0.1, what="the stubborn loop")
    gate.set()
    await bounded(task, 1, "the stubborn task, let go")


def test_stop_process_kills_what_ignores_sigint(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    code = (
        "import pathlib, signal, sys, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
        "pathlib.Path(sys.argv[1]).touch(); time.sleep(60)"
    )
    process = subprocess.Popen([sys.executable, "-c", code, str(ready)])
    try:
        deadline = time.monotonic() + 20
        while not ready.exists():
            assert process.poll() is None, "the child exited early"
            assert time.monotonic() < deadline, "the child did not start within 20 s"
            time.sleep(0.02)
    finally:
        stop_process(process, "the stubborn child", grace=0.2)
    assert process.returncode == -9
