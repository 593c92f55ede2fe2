"""Real ``photohub`` processes for tests: started on a free port, stopped afterwards."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def photohub_serve(data_dir: Path, env: dict[str, str] | None = None, *args: str) -> Iterator[str]:
    """Run ``python -m photohub serve`` and yield its base URL once it answers."""
    port = free_port()
    full_env = {**os.environ, "PHOTOHUB_LOG_LEVEL": "warning", **(env or {})}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "photohub",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            *args,
        ],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    "photohub serve exited:\n" + (process.stdout.read() if process.stdout else "")
                )
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("photohub serve did not answer in 30 s")
            time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
