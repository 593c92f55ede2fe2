"""A page on another origin follows a topic in Chromium: its EventSource opens a signed
stream URL and its fetch reads the feed's hub links (CORS, web/topics.py). The page is
served by a second server on loopback (another port: another origin, and the same
address space, so Chromium's local-network rules stay out of it), so every request to
photohub is cross-origin and Chromium enforces the answers' CORS headers itself."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from photohub.domain import stream_urls
from photohub.domain.topics import make_topic

from .support import LiveServer, run_server

PAGE = b"<!doctype html><title>elsewhere</title><p>a page of another site</p>"


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def elsewhere() -> Iterator[str]:
    """Another site's page, on 127.0.0.1 at a free port."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()  # serve_forever notices within its 0.5 s poll
        thread.join(timeout=10)
        httpd.server_close()
        assert not thread.is_alive(), "the other site's server did not stop within 10 s"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[LiveServer, str]]:
    key = secrets.token_urlsafe(32)
    with run_server(tmp_path / "data", secret_key=key) as live:
        yield live, key


def test_another_origin_follows_a_signed_stream_and_reads_the_hub_links(
    browser: Browser, server: tuple[LiveServer, str], elsewhere: str
) -> None:
    live, key = server
    topic = make_topic("tags", {"tags": "cats"})
    signed = stream_urls.signed_url(live.url, topic, int(time.time()) + 300, key)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(elsewhere)
        opened = page.evaluate(
            """(url) => new Promise((resolve) => {
                const source = new EventSource(url);
                source.addEventListener('ready', () => { source.close(); resolve('ready'); });
                source.onerror = () => { source.close(); resolve('error'); };
                setTimeout(() => resolve('timeout'), 8000);
            })""",
            signed,
        )
        assert opened == "ready"
        # page.evaluate has no timeout of its own: each fetch is given one.
        feed = page.evaluate(
            """async (url) => {
                const response = await fetch(url, {signal: AbortSignal.timeout(10000)});
                return {status: response.status, link: response.headers.get('Link'),
                        etag: response.headers.get('ETag')};
            }""",
            live.url + topic.path,
        )
        assert feed["status"] == 200
        assert f'<{live.url}/hub>; rel="hub"' in feed["link"]
        assert feed["etag"]
        # An expired signature is still refused across origins (the stream never opens).
        expired = stream_urls.signed_url(live.url, topic, int(time.time()) - 5, key)
        refused = page.evaluate(
            """async (url) => {
                const response = await fetch(url, {
                    headers: {Accept: 'text/event-stream'}, signal: AbortSignal.timeout(10000),
                });
                return response.status;
            }""",
            expired,
        )
        assert refused == 403
    finally:
        context.close()
