"""The suite cannot hang: a test whose teardown swallows pytest-timeout's failure and
goes on waiting is ended by the watchdog (``tests/watchdog.py``), which names it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

HANGING = """
import time

import pytest


@pytest.fixture
def stubborn():
    yield
    while True:  # swallows pytest-timeout's Failed, as a loop that will not stop does
        try:
            time.sleep(3600)
        except BaseException:
            pass


@pytest.mark.timeout(1)
def test_hangs_in_teardown(stubborn):
    pass


def test_never_reached():
    pass
"""

CONFTEST = """
from tests.watchdog import Watchdog


def pytest_configure(config):
    config.pluginmanager.register(Watchdog(config), "photohub-watchdog")
"""


def test_a_hang_in_teardown_ends_the_run_and_names_the_test(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "conftest.py").write_text(CONFTEST)
    (suite / "test_hang.py").write_text(HANGING)
    running = tmp_path / "running.txt"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PHOTOHUB_TEST_RUNNING": str(running),
        "PHOTOHUB_TEST_WATCHDOG_MARGIN": "2",
    }
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(suite)]
    command += ["--rootdir", str(suite), "-o", "timeout=1", "-o", "addopts="]
    try:
        done = subprocess.run(
            command, cwd=suite, env=env, capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the watchdog did not end a run whose teardown hangs (60 s)")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "test_hang.py::test_hangs_in_teardown ran over 3 s" in done.stderr
    assert "Current thread" in done.stderr or "Thread 0x" in done.stderr  # the stacks
    assert "test_never_reached" not in done.stdout + done.stderr
    report = running.read_text()
    assert report.startswith("test_hang.py::test_hangs_in_teardown\n")
    assert "in stubborn" in report  # where it hung
