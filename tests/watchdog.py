"""A hard limit per test, setup and teardown included, that nothing can swallow.

pytest-timeout (``timeout`` in pyproject.toml) fails a test that overruns by raising in
the main thread, and the run goes on. That exception can be caught (an event loop
winding down, a ``finally`` that awaits again) and it fires once, so a hang that moves
on into fixture teardown outlives it. This watchdog is the backstop: a thread, armed
for the whole of a test's setup, call and teardown at the test's timeout plus
:data:`MARGIN`, that writes the test's name and every thread's stack, then ends the
process. faulthandler's own timer, armed a little later, ends it too should the
thread not get to run (a C extension holding the GIL).

``scripts/test`` names a file in ``PHOTOHUB_TEST_RUNNING``: the test now running is
written there as it starts, and the watchdog's report too, so a run ended from
outside (the whole-run limit) or by the watchdog still says which test was running.
"""

from __future__ import annotations

import faulthandler
import os
import sys
import tempfile
import threading
from collections.abc import Generator
from pathlib import Path
from typing import IO

import pytest

# Seconds after pytest-timeout's own limit (the watchdog's own test sets less).
MARGIN = float(os.environ.get("PHOTOHUB_TEST_WATCHDOG_MARGIN", "60"))
FAULTHANDLER_GRACE = 15.0  # faulthandler's timer, after the watchdog's
EXIT_CODE = 3


def item_timeout(item: pytest.Item) -> float:
    """The pytest-timeout limit that applies to ``item`` (its marker, else the ini)."""
    marker = item.get_closest_marker("timeout")
    if marker is not None:
        value = marker.kwargs.get("timeout", marker.args[0] if marker.args else None)
        if value is not None:
            return float(value)
    configured = item.config.getini("timeout")
    return float(configured or 0) or 120.0


class Watchdog:
    """Registered by ``tests/conftest.py``; one per test run."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        path = os.environ.get("PHOTOHUB_TEST_RUNNING", "")
        if not path:  # run without scripts/test: a file of this run's own
            handle, path = tempfile.mkstemp(prefix="photohub-running-", suffix=".txt")
            os.close(handle)
            self._own: Path | None = Path(path)
        else:
            self._own = None
        self.running = Path(path)

    def pytest_unconfigure(self) -> None:
        if self._own is not None:
            self._own.unlink(missing_ok=True)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> Generator[None, object, object]:
        limit = item_timeout(item) + MARGIN
        report = self.running.open("w", encoding="utf-8")
        report.write(f"{item.nodeid}\n")
        report.flush()
        timer = threading.Timer(limit, self._overrun, args=(item.nodeid, limit, report))
        timer.daemon = True
        timer.start()
        faulthandler.dump_traceback_later(limit + FAULTHANDLER_GRACE, exit=True, file=report)
        try:
            return (yield)
        finally:
            faulthandler.cancel_dump_traceback_later()
            timer.cancel()
            report.truncate(0)
            report.close()

    def _overrun(self, nodeid: str, limit: float, report: IO[str]) -> None:
        message = (
            f"\n\nphotohub watchdog: {nodeid} ran over {limit:.0f} s (setup, call and "
            "teardown together); the stacks of every thread follow, then the run ends.\n"
        )
        capture = self.config.pluginmanager.getplugin("capturemanager")
        if capture is not None:  # hand the terminal back: fd 2 is a capture file now
            try:
                capture.suspend_global_capture(in_=True)
            except Exception as exc:  # the run is ending anyway; say so and go on
                message += f"(output capture could not be suspended: {exc!r})\n"
        for out in (report, sys.__stderr__):
            if out is None:
                continue
            try:
                out.write(message)
                out.flush()
                faulthandler.dump_traceback(file=out, all_threads=True)
                out.flush()
            except (OSError, ValueError):
                continue
        os._exit(EXIT_CODE)
