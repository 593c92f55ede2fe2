"""Helpers for the browser tests: a `photohub serve` subprocess and test photos."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page

from tests.processes import photohub_serve

PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1280, "height": 720}


@dataclass(frozen=True)
class LiveServer:
    url: str
    admin_token: str
    data_dir: Path


@contextlib.contextmanager
def run_server(data_dir: Path, **settings: str) -> Iterator[LiveServer]:
    """`photohub serve` on a free port with a known admin token; stopped with SIGINT."""
    token = secrets.token_urlsafe(16)
    env = {
        "PHOTOHUB_ADMIN_TOKEN": token,
        "PHOTOHUB_TASK_POLL_INTERVAL": "0.1",
        "PHOTOHUB_EVENT_POLL_INTERVAL": "0.3",
        **{f"PHOTOHUB_{name.upper()}": value for name, value in settings.items()},
    }
    with photohub_serve(data_dir, env) as url:
        yield LiveServer(url=url, admin_token=token, data_dir=data_dir)


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
