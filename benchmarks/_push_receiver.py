"""Local push receivers for ``push_delivery.py``: many callback paths on a few ports.

One process (uvloop when installed, else the stdlib loop) listens on several ports of
127.0.0.1 and answers every callback path ``/cb/<n>``:

* ``GET`` with ``hub.challenge`` (verification of intent, WebSub §5.3): 200 and the
  challenge as the body, byte for byte;
* ``POST`` (a content delivery, WebSub §7): the time it was complete
  (``time.monotonic()``: CLOCK_MONOTONIC is system-wide on Linux, so it compares with
  the benchmark's commit times), the entry ids it carried (``<id>tag:...:photo/N</id>``
  found by a regular expression, the feed's own ``<id>`` does not match), and whether
  ``X-Hub-Signature`` is the HMAC of the body with that path's secret
  (:func:`secret_for`); then ``204 No Content``, keeping the connection alive.

HTTP/1.1 is parsed by httptools (uvicorn's parser), nothing else runs per request, so the
receiver costs far less than the hubs it measures; it reports its own CPU time.

Control paths: ``GET /_stats`` (counts and the receiver's CPU seconds as JSON),
``GET /_records`` (every POST as ``[n, arrival, [photo ids]]``), ``POST /_reset``.

Run: ``python benchmarks/_push_receiver.py --ports 4``; it prints ``{"ports": [...]}`` on
one line once it listens, and stops on SIGTERM or SIGINT. Only the standard library is
imported at module level (:func:`secret_for` is shared with the peer's process).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import re
import resource
import signal
import sys
import time
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

ENTRY_ID = re.compile(rb"<id>tag:[^<]*?:photo/(\d+)</id>")
CALLBACK = re.compile(r"/cb/(\d+)$")
NO_CONTENT = b"HTTP/1.1 204 No Content\r\n\r\n"
NO_CONTENT_CLOSE = b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
HASHES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def secret_for(n: int) -> str:
    """The secret subscription ``n`` gave the hub (its callback is ``/cb/<n>``)."""
    return f"bench-secret-{n}"


def signature_ok(n: int, header: bytes, body: bytes) -> bool:
    method, _, digest = header.decode("latin-1").partition("=")
    algorithm = HASHES.get(method.lower())
    if algorithm is None:
        return False
    expected = hmac.new(secret_for(n).encode(), body, algorithm).hexdigest()
    return hmac.compare_digest(expected, digest.lower())


class Records:
    """What every connection of the process recorded."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.posts: list[tuple[int, float, list[int]]] = []
        self.pairs: set[tuple[int, int]] = set()
        self.entries = 0
        self.bytes = 0
        self.bad_signatures = 0
        self.unsigned = 0
        self.verifications = 0
        self.connections = 0

    def stats(self) -> dict[str, Any]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "posts": len(self.posts),
            "entries": self.entries,
            "pairs": len(self.pairs),
            "bytes": self.bytes,
            "bad_signatures": self.bad_signatures,
            "unsigned": self.unsigned,
            "verifications": self.verifications,
            "connections": self.connections,
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
        }


class Connection(asyncio.Protocol):
    """One HTTP/1.1 connection, any number of requests on it."""

    def __init__(self, records: Records) -> None:
        import httptools

        self.records = records
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self._begin()

    def _begin(self) -> None:
        self.url = b""
        self.signature = b""
        self.body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)
        self.records.connections += 1

    def data_received(self, data: bytes) -> None:
        import httptools

        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self.transport is not None:
                self.transport.close()

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._begin()

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"x-hub-signature":
            self.signature = value

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        now = time.monotonic()
        assert self.transport is not None
        method = self.parser.get_method()
        parts = urlsplit(self.url.decode("latin-1"))
        keep = self.parser.should_keep_alive()
        if method == b"POST" and (match := CALLBACK.search(parts.path)):
            self._delivery(int(match.group(1)), now)
            self.transport.write(NO_CONTENT if keep else NO_CONTENT_CLOSE)
        elif method == b"POST" and parts.path == "/_reset":
            self.records.reset()
            self._answer(200, b"ok", keep)
        elif parts.path == "/_stats":
            self._answer(200, json.dumps(self.records.stats()).encode(), keep)
        elif parts.path == "/_records":
            self._answer(200, json.dumps(self.records.posts).encode(), keep)
        elif CALLBACK.search(parts.path):
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            self.records.verifications += 1
            challenge = query.get("hub.challenge", query.get("challenge", ""))
            self._answer(200, challenge.encode(), keep)
        else:
            self._answer(404, b"not found", keep)
        if not keep:
            self.transport.close()

    def _delivery(self, n: int, now: float) -> None:
        records = self.records
        body = b"".join(self.body)
        if not self.signature:
            records.unsigned += 1
        elif not signature_ok(n, self.signature, body):
            records.bad_signatures += 1
        photos = [int(m) for m in ENTRY_ID.findall(body)]
        records.posts.append((n, now, photos))
        records.entries += len(photos)
        records.bytes += len(body)
        records.pairs.update((n, p) for p in photos)

    def _answer(self, status: int, body: bytes, keep: bool) -> None:
        assert self.transport is not None
        reason = {200: b"OK", 404: b"Not Found"}[status]
        head = b"HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n" % (
            status,
            reason,
            len(body),
        )
        if not keep:
            head += b"Connection: close\r\n"
        self.transport.write(head + b"\r\n" + body)


async def serve(ports: int) -> None:
    loop = asyncio.get_running_loop()
    records = Records()
    servers = [
        await loop.create_server(lambda: Connection(records), "127.0.0.1", 0, backlog=4096)
        for _ in range(ports)
    ]
    bound = [server.sockets[0].getsockname()[1] for server in servers]
    print(json.dumps({"ports": bound}), flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for server in servers:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Local push receivers (see the docstring).")
    parser.add_argument("--ports", type=int, default=4, help="listening ports (default 4)")
    args = parser.parse_args()
    runner: Any = asyncio.run
    with contextlib.suppress(ImportError):
        import uvloop

        runner = uvloop.run
    runner(serve(args.ports))
    sys.exit(0)


if __name__ == "__main__":
    main()
