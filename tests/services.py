"""Which real services the tests use, and what happens when one is missing."""

from __future__ import annotations

import os
import socket

import pytest

PG_ADMIN_URL = os.environ.get(
    "PHOTOHUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("PHOTOHUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE = os.environ.get("PHOTOHUB_REQUIRE_SERVICES") == "1"


def _reachable(url: str, default_port: int) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 1
        ):
            return True
    except OSError:
        return False


def need(service: str, url: str, port: int) -> None:
    """Skip when a service is missing, unless CI demands every service."""
    if _reachable(url, port):
        return
    if REQUIRE:
        pytest.fail(f"{service} at {url} is required (PHOTOHUB_REQUIRE_SERVICES=1) but unreachable")
    pytest.skip(f"{service} not reachable at {url}")
