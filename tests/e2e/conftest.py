"""Browser tests: a real `photohub serve` subprocess and Debian's Chromium via Playwright."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.services import REQUIRE

from .support import PHONE, LiveServer, OpenPage, run_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    with run_server(tmp_path / "data") as server:
        yield server


@pytest.fixture
def small_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server that refuses photos over 200 kB."""
    with run_server(tmp_path / "data", max_upload_bytes="200000") as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module."""
    if not CHROMIUM.exists():
        if REQUIRE:
            pytest.fail(f"{CHROMIUM} is required (PHOTOHUB_REQUIRE_SERVICES=1) but missing")
        pytest.skip(f"{CHROMIUM} not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def open_page(browser: Browser) -> Iterator[OpenPage]:
    """``open_page(server, viewport=PHONE)``: a page in a fresh browser context (its own
    cookies, i.e. its own guest). Every context is closed after the test, which fails
    if a page threw an uncaught JavaScript error."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def _open(server: LiveServer, viewport: dict[str, int] | None = None) -> Page:
        size = viewport or PHONE
        context = browser.new_context(
            base_url=server.url,
            viewport={"width": size["width"], "height": size["height"]},
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
        return page

    yield _open
    for context in contexts:
        with contextlib.suppress(Exception):
            context.close()
    assert not errors, f"JavaScript errors in the pages: {errors}"
