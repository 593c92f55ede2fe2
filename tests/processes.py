"""Real ``photohub`` processes for tests: started on a free port, stopped afterwards."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.services import REQUIRE
from tests.waiting import stop_process

COMMAND = [sys.executable, "-m", "photohub"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(settings: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a child process: only the settings the test gives (a
    developer's own PHOTOHUB_DATABASE_URL must not leak into a test)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOHUB_")}
    return {"PHOTOHUB_LOG_LEVEL": "warning", **env, **(settings or {})}


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def photohub_serve(data_dir: Path, settings: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``python -m photohub serve`` and yield its base URL once it answers. Its
    output goes to ``serve-<port>.log`` beside ``data_dir`` (shown if it fails)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = data_dir.parent / f"serve-{port}.log"
    command = [*COMMAND, "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--data-dir", str(data_dir)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=clean_env(settings), stdout=out, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 30
            while not _healthy(url):
                if process.poll() is not None:
                    raise RuntimeError(f"photohub serve exited:\n{log.read_text()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"photohub serve did not start:\n{log.read_text()}")
                time.sleep(0.1)
            yield url
        finally:
            stop_process(process, f"photohub serve on port {port}")


class PrivateRedis:
    """A redis-server of this test's own, so it can be stopped and started again."""

    def __init__(self, folder: Path, *, persistent: bool = False) -> None:
        """``persistent``: an append-only file synced on every write (what a hub that
        keeps its delivery queues in Redis must run), else nothing kept on disk."""
        self.port = free_port()
        self.folder = folder
        self.persistent = persistent
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes" if self.persistent else "no",
                "--appendfsync",
                "always",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, f"redis-server on port {self.port}", interrupt=False)
            self.process = None


@contextmanager
def own_redis(
    folder: Path, *, persistent: bool = False, started: bool = True
) -> Iterator[PrivateRedis]:
    """A :class:`PrivateRedis` kept in ``folder`` (made if missing), started unless
    ``started`` is false, stopped at the end. Without redis-server the test is skipped,
    or fails when PHOTOHUB_REQUIRE_SERVICES=1."""
    if shutil.which("redis-server") is None:
        if REQUIRE:
            pytest.fail("redis-server is required (PHOTOHUB_REQUIRE_SERVICES=1) but missing")
        pytest.skip("redis-server not installed")
    folder.mkdir(parents=True, exist_ok=True)
    server = PrivateRedis(folder, persistent=persistent)
    if started:
        server.start()
    try:
        yield server
    finally:
        server.stop()
