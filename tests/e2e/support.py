"""Helpers for the browser tests: a `photohub serve` subprocess and test photos."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page

PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1280, "height": 720}


@dataclass(frozen=True)
class LiveServer:
    url: str
    admin_token: str
    data_dir: Path
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def run_server(data_dir: Path, **settings: str) -> Iterator[LiveServer]:
    """`photohub serve` on a free port with a known admin token; stopped with SIGINT."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    token = secrets.token_urlsafe(16)
    # Only our settings: a developer's PHOTOHUB_DATABASE_URL must not leak into tests.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOHUB_")}
    env.update(
        {
            "PHOTOHUB_ADMIN_TOKEN": token,
            "PHOTOHUB_LOG_LEVEL": "warning",
            "PHOTOHUB_TASK_POLL_INTERVAL": "0.1",
            "PHOTOHUB_EVENT_POLL_INTERVAL": "0.3",
            **{f"PHOTOHUB_{name.upper()}": value for name, value in settings.items()},
        }
    )
    log = data_dir / "server.log"
    command = [sys.executable, "-m", "photohub", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--data-dir", str(data_dir)]
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while not _healthy(url):
                if process.poll() is not None:
                    raise RuntimeError(f"photohub serve exited:\n{log.read_text()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"photohub serve did not start:\n{log.read_text()}")
                time.sleep(0.1)
            yield LiveServer(url=url, admin_token=token, data_dir=data_dir, log=log)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=8)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)


OpenPage = Callable[..., Page]


def make_jpeg(
    path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (1600, 1200)
) -> Path:
    """A photo of one distinct colour (with a stripe, so it is not trivially flat)."""
    image = Image.new("RGB", size, colour)
    stripe = Image.new("RGB", (size[0], size[1] // 8), (255, 255, 255))
    image.paste(stripe, (0, size[1] // 2))
    image.save(path, "JPEG", quality=90)
    return path


def make_noisy_jpeg(path: Path, size: tuple[int, int] = (900, 700)) -> Path:
    """A JPEG that compresses badly (random noise): several hundred kB."""
    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    image.save(path, "JPEG", quality=95)
    return path
