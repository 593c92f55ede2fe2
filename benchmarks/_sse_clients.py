"""A cheap SSE load generator: thousands of raw HTTP/1.1 streams in one event loop.

Each client is an ``asyncio.Protocol`` that sends one ``GET`` and scans the bytes it
receives for a marker (for example ``b"event: uploads.paused\\r\\n"``). No HTTP library,
no parsing beyond the status line: the cost per delivery is one ``data_received``
callback and one ``bytes.find``, so the load generator stays far cheaper than the server
it measures. Chunked transfer framing needs no decoding: a marker never spans a chunk
header because the servers send each event as one chunk, and a marker split across two
reads is still found (the scanner keeps the tail of the previous read).

The clients run in worker processes (``multiprocessing``), driven over a pipe by the
benchmark. Receive times are ``time.monotonic()`` values: CLOCK_MONOTONIC is system-wide
on Linux, so they compare directly with the benchmark's own clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import resource
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, cast

HEADER_END = b"\r\n\r\n"


def raise_nofile_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = 1_048_576 if hard == resource.RLIM_INFINITY else hard
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Client(asyncio.Protocol):
    """One SSE stream. ``ready`` resolves once ``ready_marker`` arrived (or fails)."""

    def __init__(self, pool: Pool, request: bytes, ready_marker: bytes) -> None:
        self.pool = pool
        self.request = request
        self.transport: asyncio.Transport | None = None
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.header = b""
        self.in_body = False
        self.marker = ready_marker
        self.tail = b""
        self.got: float | None = None
        self.armed = False
        self.alive = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        if not self.in_body:
            self.header += data
            end = self.header.find(HEADER_END)
            if end < 0:
                return
            if not self.header.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")):
                line = self.header.split(b"\r\n", 1)[0].decode(errors="replace")
                self._fail(f"status: {line}")
                return
            self.in_body = True
            data = self.header[end + len(HEADER_END) :]
            self.header = b""
        if self.got is not None:
            return
        marker = self.marker
        scan = self.tail + data if self.tail else data
        if marker in scan:
            self.got = now
            self.tail = b""
            if not self.ready.done():
                self.ready.set_result(None)
            elif self.armed:
                self.pool.delivered()
            return
        keep = len(marker) - 1  # a marker split across two reads is still found
        self.tail = scan[-keep:] if keep else b""

    def arm(self, marker: bytes) -> None:
        self.marker = marker
        self.tail = b""
        self.got = None
        self.armed = True

    def _fail(self, why: str) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(why))
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        was_alive = self.alive
        self.alive = False
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"closed before ready: {exc!r}"))
        elif was_alive and self.armed and self.got is None:
            self.pool.delivered()  # nothing more will come: count it as missing


@dataclass
class Pool:
    """The clients of one worker process."""

    clients: list[Client] = field(default_factory=list)
    pending: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def delivered(self) -> None:
        self.pending -= 1
        if self.pending <= 0:
            self.done.set()

    async def connect(
        self,
        host: str,
        port: int,
        path: str,
        count: int,
        batch: int,
        ready_marker: bytes,
        within: float,
    ) -> dict[str, Any]:
        """Open ``count`` streams, ``batch`` at a time: each batch waits until every
        stream of it has its ready marker, so the accept queue never overflows."""
        loop = asyncio.get_running_loop()
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n"
            "Cache-Control: no-cache\r\nUser-Agent: photohub-bench\r\n\r\n"
        ).encode()
        started = time.monotonic()
        failed = 0
        errors: list[str] = []
        for first in range(0, count, batch):
            size = min(batch, count - first)
            made: list[Client] = []

            async def one(made: list[Client] = made) -> None:
                client = Client(self, request, ready_marker)
                await loop.create_connection(lambda: client, host, port)
                made.append(client)
                await client.ready

            results = await asyncio.wait_for(
                asyncio.gather(*(one() for _ in range(size)), return_exceptions=True),
                within,
            )
            for client in made:
                if client.ready.done() and client.ready.exception() is None:
                    self.clients.append(client)
                elif client.transport is not None:
                    client.transport.close()
            for result in results:
                if isinstance(result, BaseException):
                    failed += 1
                    if len(errors) < 3:
                        errors.append(repr(result))
        return {
            "connected": len(self.clients),
            "failed": failed,
            "errors": errors,
            "seconds": time.monotonic() - started,
            "times": [c.got for c in self.clients if c.got is not None],
        }

    def arm(self, marker: bytes) -> int:
        alive = [c for c in self.clients if c.alive]
        for client in alive:
            client.arm(marker)
        self.pending = len(alive)
        self.done = asyncio.Event()
        if self.pending == 0:
            self.done.set()
        return len(alive)

    async def collect(self, within: float) -> dict[str, Any]:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.done.wait(), within)
        times = [c.got for c in self.clients if c.armed and c.got is not None]
        missing = sum(1 for c in self.clients if c.armed and c.got is None)
        for client in self.clients:
            client.armed = False
        return {"times": times, "missing": missing}

    async def close(self) -> int:
        for client in self.clients:
            if client.transport is not None:
                client.transport.close()
        closed = len(self.clients)
        self.clients = []
        await asyncio.sleep(0)
        return closed


async def _serve_commands(conn: Connection) -> None:
    loop = asyncio.get_running_loop()
    pool = Pool()
    while True:
        command: tuple[Any, ...] = await loop.run_in_executor(None, conn.recv)
        name = command[0]
        reply: Any
        try:
            if name == "connect":
                reply = await pool.connect(*command[1:])
            elif name == "arm":
                reply = pool.arm(command[1])
            elif name == "collect":
                reply = await pool.collect(command[1])
            elif name == "close":
                reply = await pool.close()
            elif name == "quit":
                await pool.close()
                conn.send(("ok", None))
                return
            else:
                raise ValueError(f"unknown command {name!r}")
        except Exception as exc:  # report, keep serving: the benchmark decides
            conn.send(("error", repr(exc)))
        else:
            conn.send(("ok", reply))


def worker_main(conn: Connection) -> None:
    """Entry point of a client worker process."""
    raise_nofile_limit()
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:  # pragma: no cover - uvicorn[standard] brings uvloop
        runner = asyncio.Runner()
    with runner:
        runner.run(_serve_commands(conn))


class Workers:
    """Client worker processes, used from synchronous code."""

    def __init__(self, count: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conns: list[Connection] = []
        self.processes: list[multiprocessing.process.BaseProcess] = []
        for _ in range(count):
            parent, child = ctx.Pipe()
            process = ctx.Process(target=worker_main, args=(child,), daemon=True)
            process.start()
            child.close()
            self.conns.append(parent)
            self.processes.append(process)

    def _call_all(self, commands: list[tuple[Any, ...]], timeout: float) -> list[Any]:
        for conn, command in zip(self.conns, commands, strict=True):
            conn.send(command)
        replies = []
        for conn in self.conns:
            if not conn.poll(timeout):
                raise TimeoutError("client worker did not answer")
            status, value = conn.recv()
            if status != "ok":
                raise RuntimeError(f"client worker failed: {value}")
            replies.append(value)
        return replies

    def split(self, count: int) -> list[int]:
        share, extra = divmod(count, len(self.conns))
        return [share + (1 if i < extra else 0) for i in range(len(self.conns))]

    def connect(
        self,
        port: int,
        count: int,
        *,
        path: str = "/live",
        ready_marker: bytes = b"event: ready",
        batch: int = 500,
        timeout: float = 120.0,
    ) -> dict[str, Any]:
        self.start_connect(port, count, path=path, ready_marker=ready_marker, batch=batch)
        return self.finish_connect(timeout * (count // max(1, batch) + 2))

    def start_connect(
        self,
        port: int,
        count: int,
        *,
        path: str = "/live",
        ready_marker: bytes = b"event: ready",
        batch: int = 500,
        timeout: float = 120.0,
    ) -> None:
        """Start opening streams and return at once (``finish_connect`` gets the result):
        a reconnect storm runs while the benchmark does something else."""
        per_batch = max(1, batch // len(self.conns))
        for conn, share in zip(self.conns, self.split(count), strict=True):
            conn.send(("connect", "127.0.0.1", port, path, share, per_batch, ready_marker, timeout))

    def finish_connect(self, timeout: float) -> dict[str, Any]:
        replies = []
        for conn in self.conns:
            if not conn.poll(timeout):
                raise TimeoutError("client worker did not answer")
            status, value = conn.recv()
            if status != "ok":
                raise RuntimeError(f"client worker failed: {value}")
            replies.append(value)
        return {
            "times": [t for r in replies for t in r["times"]],
            "connected": sum(r["connected"] for r in replies),
            "failed": sum(r["failed"] for r in replies),
            "errors": [e for r in replies for e in r["errors"]],
            "seconds": max(r["seconds"] for r in replies),
        }

    def arm(self, marker: bytes) -> int:
        return sum(self._call_all([("arm", marker)] * len(self.conns), 30.0))

    def collect(self, timeout: float) -> tuple[list[float], int]:
        replies = self._call_all([("collect", timeout)] * len(self.conns), timeout + 30.0)
        times = [t for r in replies for t in r["times"]]
        return times, sum(r["missing"] for r in replies)

    def close_clients(self) -> int:
        return sum(self._call_all([("close",)] * len(self.conns), 60.0))

    def stop(self) -> None:
        for conn in self.conns:
            with contextlib.suppress(OSError, EOFError, BrokenPipeError):
                conn.send(("quit",))
        for process in self.processes:
            process.join(10)
            if process.is_alive():
                process.terminate()
                process.join(5)
            if process.is_alive():
                process.kill()
                process.join()
        for conn in self.conns:
            conn.close()
