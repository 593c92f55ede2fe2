"""Helpers for tests that need a real server (streams cannot go through ASGITransport,
which buffers whole responses) and an SSE reader."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from photohub.app import create_app
from photohub.site import Site
from tests.waiting import bounded, cancelled, eventually


@contextlib.asynccontextmanager
async def serving(
    app: Any, host: str = "127.0.0.1", before_stop: Callable[[], Awaitable[None]] | None = None
) -> AsyncIterator[int]:
    """Serve the ASGI ``app`` with uvicorn on ``host``, a free port, in this event loop;
    yield the port. ``before_stop`` runs once the server is told to stop (to end open
    streams, which would otherwise hold it)."""
    config = uvicorn.Config(
        app, host=host, port=0, log_level="warning", lifespan="off", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: server.started or task.done(), 10, f"uvicorn to start on {host}")
    except BaseException:
        await cancelled(task, what="uvicorn, not started", reraise=False)
        raise
    if not server.started:
        task.result()  # its own error, if it failed
        raise RuntimeError(f"uvicorn ended before it started on {host}")
    try:
        yield int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        try:
            if before_stop is not None:
                await bounded(before_stop(), 10, "the open streams to end (server stopping)")
        finally:
            await bounded(task, 10, "uvicorn to stop (an open connection holds it?)")


@contextlib.asynccontextmanager
async def running(site: Site) -> AsyncIterator[str]:
    """Serve ``site`` on 127.0.0.1, a free port, in this event loop; yield its URL."""

    async def end_streams() -> None:
        await site.hub.close()  # ends open streams so the server can stop
        site.topic_streams.end_streams()  # and the topic streams (live.topic_stream)

    app = create_app(site=site, manage_site=False)
    async with serving(app, before_stop=end_streams) as port:
        yield f"http://127.0.0.1:{port}"


@dataclass
class SSE:
    event: str
    id: str | None
    data: str

    def json(self) -> Any:
        return json.loads(self.data)


async def read_events(response: httpx.Response) -> AsyncIterator[SSE]:
    """Parse a text/event-stream (comments skipped). A stream need not end: bound the
    reading (``collect``, ``tests.waiting.bounded``)."""
    event: str = "message"
    ident: str | None = None
    data: list[str] = []
    async for line in response.aiter_lines():
        if line == "":
            if data:
                yield SSE(event, ident, "\n".join(data))
            event, ident, data = "message", None, []
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                event = value
            elif field == "id":
                ident = value
            elif field == "data":
                data.append(value)


async def collect(
    client: httpx.AsyncClient,
    url: str,
    *,
    until: str,
    headers: dict[str, str] | None = None,
    started: asyncio.Event | None = None,
) -> list[SSE]:
    """Read events from ``url`` until one of kind ``until`` arrives (10 s at most)."""
    seen: list[SSE] = []

    async def read() -> None:
        async with client.stream("GET", url, headers=headers) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            async for item in read_events(response):
                seen.append(item)
                if item.event == "ready" and started is not None:
                    started.set()
                if item.event == until:
                    return

    await bounded(
        read(),
        10,
        f"an event {until!r} from {url}",
        detail=lambda: f"got {[e.event for e in seen]}",
    )
    return seen
