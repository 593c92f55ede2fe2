"""Wall fan-out: how fast one ``photohub serve`` process pushes an event to N SSE walls.

For each N (default 1,000, 5,000 and 10,000) the benchmark starts a fresh server, opens N
``/live`` streams from client worker processes (raw asyncio protocols, see
``_sse_clients.py``), then repeatedly commits one public event and times its arrival at
every client:

* **photohub**: ``python -m photohub serve`` (SQLite, in-process broker, exactly what a
  host runs). The host pauses/resumes uploads through ``POST /api/admin/uploads``; the
  response returns after the commit, and the event (``uploads.paused`` /
  ``uploads.resumed``) goes to every wall. t0 is taken just before the request is sent,
  so the figures are an upper bound on "from the commit"; the request's own round trip
  is reported beside them.
* **ceiling**: a minimal raw-ASGI broadcast app (no framework) on the same uvicorn with the
  same settings. ``POST /trigger`` sends one pre-encoded event to every open stream, one
  ``send`` per client, from the trigger's own task (no per-client wake-up), and answers
  once all are written (so its request time is about its last delivery). It runs on
  uvicorn's default loop (uvloop) and on the stdlib asyncio loop, to show the loop's share.
  ``--servers ...,ceiling-tasks`` adds an analysis aid: the same app with one task per
  stream woken through its own queue (the shape of a generator-per-stream design).

Per N and server: p50/p99 of the per-client latency (all measured rounds pooled), the
latency to the last client (median over rounds), deliveries/s = N / that, the ratio to
the uvloop ceiling, and the server's RSS idle and with N idle streams. For one N (1,000 by
default) it also times one real guest upload until ``photo.published`` reaches every
client (this includes making the renditions).

**Reconnect storm** (``--storm 5000``, at the largest N unless ``--storm-at``): with the N
walls open, S more walls connect all at once to ``/live?last_event_id=K`` with K a few
events back (``--storm-back``, as walls do after a server restart or a Wi-Fi drop), and
``--storm-lead`` seconds into the storm the host commits an event (``--storm-trigger
event``) or a guest uploads a photo (``upload``: ``photo.published`` after the renditions).
Reported: its arrival at the N open walls, and at the S storm walls (replayed or live),
for photohub and for the raw-ASGI ceiling (which has no replay: the floor).

Usage: ``python benchmarks/wall_fanout.py [--clients 1000,5000,10000] [--rounds 5]
[--storm 5000]``.
Everything binds 127.0.0.1; servers, workers and temporary folders are removed at exit.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import io
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._sse_clients import Workers, raise_nofile_limit

ADMIN_TOKEN = "wall-fanout-bench-token"
META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
PORT_LINE = re.compile(r"http://127\.0\.0\.1:(\d+)")
CEILING = "ceiling (uvloop)"
CEILING_ASYNCIO = "ceiling (asyncio)"
CEILING_TASKS = "ceiling, task per client (uvloop)"
PHOTOHUB = "photohub"
SERVERS = {
    "photohub": PHOTOHUB,
    "ceiling": CEILING,
    "ceiling-asyncio": CEILING_ASYNCIO,
    "ceiling-tasks": CEILING_TASKS,
}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


# --- the ceiling: raw ASGI, no framework ------------------------------------------------


def ceiling_app(tasks: bool = False) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """Hold every ``/live`` stream's ``send``; ``POST /trigger`` broadcasts one event.

    With ``tasks`` (an analysis aid, not the ceiling) each stream instead waits on its own
    queue and sends from its own task, the shape of a per-stream generator design."""
    import asyncio

    clients: set[Send] = set()
    queues: set[asyncio.Queue[Message | None]] = set()
    rounds = 0
    start: Message = {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-store")],
    }
    ready: Message = {
        "type": "http.response.body",
        "body": b"event: ready\r\ndata: {}\r\n\r\n",
        "more_body": True,
    }

    async def plain(send: Send, status: int, body: bytes) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/plain"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal rounds
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path == "/live" and tasks:
            queue: asyncio.Queue[Message | None] = asyncio.Queue()

            async def watch() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                queue.put_nowait(None)

            await send(start)
            await send(ready)
            queues.add(queue)
            watcher = asyncio.ensure_future(watch())
            try:
                while (pushed := await queue.get()) is not None:
                    await send(pushed)
            finally:
                queues.discard(queue)
                watcher.cancel()
        elif path == "/live":
            await send(start)
            await send(ready)
            clients.add(send)
            try:
                while (await receive())["type"] != "http.disconnect":
                    pass
            finally:
                clients.discard(send)
        elif path == "/trigger":
            while (await receive()).get("more_body"):
                pass
            rounds += 1
            # Encoded once; one message object and one send per client.
            event: Message = {
                "type": "http.response.body",
                "body": b"event: tick\r\ndata: %d\r\n\r\n" % rounds,
                "more_body": True,
            }
            for client in list(clients):
                try:
                    await client(event)
                except Exception:  # a client that went away
                    clients.discard(client)
            for waiting in queues:
                waiting.put_nowait(event)
            await plain(send, 200, b"%d" % (len(clients) + len(queues)))
        elif path == "/healthz":
            await plain(send, 200, b"ok")
        else:
            await plain(send, 404, b"not found")

    return app


def serve_ceiling(loop: str, tasks: bool) -> None:
    """Run the ceiling (internal subcommand); prints its address once it listens."""
    import asyncio

    import uvicorn

    async def run() -> None:
        # The same uvicorn settings as ``photohub serve`` (serving.serve).
        config = uvicorn.Config(
            ceiling_app(tasks),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            timeout_graceful_shutdown=3,
            proxy_headers=True,
            lifespan="on",
        )
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        while not server.started and not serving.done():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        if server.started:
            port = server.servers[0].sockets[0].getsockname()[1]
            print(f"ceiling listening on http://127.0.0.1:{port}/", flush=True)
        await serving

    if loop == "uvloop":
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(run())
    else:
        asyncio.run(run())  # like ``photohub serve``


# --- servers under test -------------------------------------------------------------------


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mib(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        return int(match[1]) / 1024 if match else float("nan")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOHUB_")}
    env.update(
        PHOTOHUB_ADMIN_TOKEN=ADMIN_TOKEN,
        PHOTOHUB_LOG_LEVEL="warning",
        PYTHONUNBUFFERED="1",
    )
    return env


def start_server(name: str, workdir: Path) -> Server:
    log = workdir / f"{re.sub(r'[^a-z]+', '-', name)}.log"
    if name == PHOTOHUB:
        data = workdir / "photohub-data"
        shutil.rmtree(data, ignore_errors=True)
        command = [sys.executable, "-m", "photohub", "serve", "--host", "127.0.0.1"]
        command += ["--port", "0", "--data-dir", str(data)]
    else:
        loop = "asyncio" if name == CEILING_ASYNCIO else "uvloop"
        command = [sys.executable, str(Path(__file__).resolve()), "--serve-ceiling", loop]
        if name == CEILING_TASKS:
            command.append("--ceiling-tasks")
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            env=_clean_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=raise_nofile_limit,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        match = PORT_LINE.search(log.read_text(errors="replace"))
        if match:
            server = Server(name, process, int(match[1]), log)
            httpx.get(server.url + "/healthz", timeout=10).raise_for_status()
            return server
        if process.poll() is not None:
            break
        time.sleep(0.05)
    if process.poll() is None:
        process.kill()
        process.wait()
    raise RuntimeError(f"{name} did not start:\n{log.read_text(errors='replace')}")


# --- measurements -------------------------------------------------------------------------


@dataclass
class Result:
    server: str
    clients: int
    connected: int = 0
    connect_seconds: float = 0.0
    rss_idle: float = 0.0
    rss_streams: float = 0.0
    request_ms: list[float] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    first_ms: list[float] = field(default_factory=list)
    last_ms: list[float] = field(default_factory=list)
    missed: int = 0
    note: str = ""

    @property
    def last(self) -> float:
        return statistics.median(self.last_ms) if self.last_ms else float("nan")

    @property
    def rate(self) -> float:
        return self.clients / (self.last / 1000) if self.last_ms else 0.0


@dataclass
class Storm:
    server: str
    clients: int  # walls open before the storm
    storm: int  # walls connecting at once
    trigger: str
    after_id: int = 0
    connected: int = 0
    failed: int = 0
    storm_seconds: float = 0.0
    request_ms: float = 0.0
    open_ms: list[float] = field(default_factory=list)
    storm_ms: list[float] = field(default_factory=list)
    missed: int = 0
    note: str = ""


@dataclass
class Upload:
    clients: int
    response_ms: float
    latencies_ms: list[float]
    missed: int


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def csrf_of(client: httpx.Client, path: str) -> str:
    response = client.get(path, headers={"accept": "text/html"})
    response.raise_for_status()
    match = META.search(response.text)
    if not match:
        raise RuntimeError(f"{path} has no csrf-token meta tag")
    return match[1]


def host_client(server: Server) -> tuple[httpx.Client, str]:
    """Log in as the host like the admin page does; returns the client and its CSRF token."""
    client = httpx.Client(base_url=server.url, timeout=60)
    csrf = csrf_of(client, "/admin/login")
    response = client.post("/admin/login", data={"token": ADMIN_TOKEN, "csrf_token": csrf})
    if response.status_code != 303:
        raise RuntimeError(f"host login failed: {response.status_code} {response.text[:200]}")
    return client, csrf_of(client, "/admin")


def phone_photo() -> bytes:
    """A 12-megapixel JPEG with some detail, like a phone photo."""
    from PIL import Image, ImageFilter

    image = Image.effect_noise((1008, 756), 60).convert("RGB").resize((4032, 3024))
    image = image.filter(ImageFilter.GaussianBlur(2))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


@dataclass
class Round:
    t0: float  # time.monotonic() just before the triggering request was sent
    request_ms: float
    latencies_ms: list[float]
    missing: int
    armed: int


def timed_round(
    workers: Workers,
    marker: bytes,
    trigger: Callable[[], httpx.Response],
    timeout: float,
) -> Round:
    """Arm the clients (they look for ``marker`` from now on), fire, collect."""
    armed = workers.arm(marker)
    t0 = time.monotonic()
    response = trigger()
    t1 = time.monotonic()
    if response.status_code >= 400:
        raise RuntimeError(f"trigger failed: {response.status_code} {response.text[:200]}")
    times, missing = workers.collect(timeout)
    return Round(t0, (t1 - t0) * 1000, [(t - t0) * 1000 for t in times], missing, armed)


def measure(
    name: str,
    count: int,
    workers: Workers,
    workdir: Path,
    args: argparse.Namespace,
    upload: bool,
    storm: Workers | None = None,
) -> tuple[Result, Upload | None, Storm | None]:
    result = Result(name, count)
    stormed = None
    server = start_server(name, workdir)
    try:
        if args.profile_pid_file:
            Path(args.profile_pid_file).write_text(f"{name} {count} {server.process.pid}\n")
        time.sleep(0.5)
        result.rss_idle = server.rss_mib()
        connected = workers.connect(server.port, count, batch=args.batch)
        result.connected = connected["connected"]
        result.connect_seconds = connected["seconds"]
        if connected["failed"]:
            result.note = f"{connected['failed']} failed to connect: {connected['errors'][:1]}"
        time.sleep(1.0)
        result.rss_streams = server.rss_mib()
        print(
            f"  {name}: {result.connected}/{count} streams in {result.connect_seconds:.1f} s, "
            f"RSS {result.rss_idle:.0f} -> {result.rss_streams:.0f} MiB",
            file=sys.stderr,
        )
        uploaded = None
        if name == PHOTOHUB:
            host, csrf = host_client(server)
            with contextlib.closing(host):
                if upload:
                    uploaded = upload_round(server, workers, args.timeout)
                for index in range(args.warmup + args.rounds):
                    paused = index % 2 == 0
                    kind = "uploads.paused" if paused else "uploads.resumed"

                    def pause(paused: bool = paused) -> httpx.Response:
                        return host.post(
                            "/api/admin/uploads",
                            json={"paused": paused},
                            headers={"x-csrf-token": csrf},
                        )

                    one = timed_round(workers, f"event: {kind}\r\n".encode(), pause, args.timeout)
                    record(result, one, measured=index >= args.warmup)
                    time.sleep(args.pause)
                if storm is not None:
                    paused = (args.warmup + args.rounds) % 2 == 0
                    kind = "uploads.paused" if paused else "uploads.resumed"
                    last = int(host.get("/api/state").json()["last_event_id"])
                    after_id = max(0, last - args.storm_back)

                    def pause_now(paused: bool = paused) -> httpx.Response:
                        return host.post(
                            "/api/admin/uploads",
                            json={"paused": paused},
                            headers={"x-csrf-token": csrf},
                        )

                    trigger: Callable[[], httpx.Response] = pause_now
                    marker = f"event: {kind}\r\n".encode()
                    if args.storm_trigger == "upload":
                        trigger, marker = upload_sender(server), b"event: photo.published\r\n"
                    stormed = storm_round(
                        name, server, workers, storm, count, args, trigger, marker, after_id
                    )
        else:
            with httpx.Client(base_url=server.url, timeout=60) as trigger_client:
                trigger_client.get("/healthz")
                for index in range(args.warmup + args.rounds):
                    marker = b"event: tick\r\ndata: %d\r\n" % (index + 1)
                    one = timed_round(
                        workers, marker, lambda: trigger_client.post("/trigger"), args.timeout
                    )
                    record(result, one, measured=index >= args.warmup)
                    time.sleep(args.pause)
                if storm is not None:
                    rounds = args.warmup + args.rounds + 1
                    marker = b"event: tick\r\ndata: %d\r\n" % rounds
                    stormed = storm_round(
                        name,
                        server,
                        workers,
                        storm,
                        count,
                        args,
                        lambda: trigger_client.post("/trigger"),
                        marker,
                        0,
                        storm_marker=b"event: ready",
                    )
        return result, uploaded, stormed
    finally:
        workers.close_clients()
        if storm is not None:
            storm.close_clients()
        time.sleep(0.5)
        server.stop()


def storm_round(
    name: str,
    server: Server,
    workers: Workers,
    storm: Workers,
    count: int,
    args: argparse.Namespace,
    trigger: Callable[[], httpx.Response],
    marker: bytes,
    after_id: int,
    storm_marker: bytes | None = None,
) -> Storm:
    """S walls connect at once (resuming after ``after_id``); ``storm_lead`` s later the
    trigger commits the event; its arrival is timed at the open walls and the storm's."""
    result = Storm(name, count, args.storm, args.storm_trigger, after_id)
    armed = workers.arm(marker)
    started = time.monotonic()
    # Each storm wall is "ready" once it holds the new event (replayed or live); on the
    # ceiling, which replays nothing, once it is connected.
    storm.start_connect(
        server.port,
        args.storm,
        path=f"/live?last_event_id={after_id}",
        ready_marker=storm_marker or marker,
        batch=args.storm,
        timeout=args.timeout,
    )
    time.sleep(max(0.0, started + args.storm_lead - time.monotonic()))
    t0 = time.monotonic()
    response = trigger()
    result.request_ms = (time.monotonic() - t0) * 1000
    if response.status_code >= 400:
        raise RuntimeError(f"trigger failed: {response.status_code} {response.text[:200]}")
    times, result.missed = workers.collect(args.timeout)
    result.open_ms = [(t - t0) * 1000 for t in times]
    done = storm.finish_connect(args.timeout * 2 + 30)
    result.connected, result.failed = done["connected"], done["failed"]
    result.storm_seconds = done["seconds"]
    if storm_marker is None:
        result.storm_ms = [(t - t0) * 1000 for t in done["times"]]
    if done["failed"]:
        result.note = f"{done['failed']} storm walls failed: {done['errors'][:1]}"
    print(
        f"    storm: {result.connected}/{args.storm} walls resumed after id {after_id} in "
        f"{result.storm_seconds:.1f} s; the event reached {len(times)}/{armed} open walls, "
        f"last {max(result.open_ms, default=float('nan')):.0f} ms; request "
        f"{result.request_ms:.0f} ms",
        file=sys.stderr,
    )
    return result


def record(result: Result, one: Round, *, measured: bool) -> None:
    latencies = one.latencies_ms
    line = (
        f"    {'round' if measured else 'warm-up'} at {one.t0:.3f}: request "
        f"{one.request_ms:.1f} ms, {len(latencies)}/{one.armed} delivered"
    )
    if latencies:
        line += f", first {min(latencies):.1f} ms, last {max(latencies):.1f} ms"
    print(line, file=sys.stderr)
    if not measured:
        return
    result.request_ms.append(one.request_ms)
    result.latencies_ms += latencies
    result.missed += one.missing
    if latencies:
        result.first_ms.append(min(latencies))
        result.last_ms.append(max(latencies))


def upload_sender(server: Server) -> Callable[[], httpx.Response]:
    """A guest's phone, ready to upload one 12 MP photo (the guest page's request)."""
    photo = phone_photo()
    guest = httpx.Client(base_url=server.url, timeout=60)
    csrf = csrf_of(guest, "/upload")

    def send() -> httpx.Response:
        with contextlib.closing(guest):
            return guest.post(
                "/api/photos",
                files={"photo": ("party.jpg", photo, "image/jpeg")},
                data={"title": "benchmark"},
                headers={"x-csrf-token": csrf},
            )

    return send


def upload_round(server: Server, workers: Workers, timeout: float) -> Upload:
    """A real guest upload, timed until ``photo.published`` reached every wall."""
    photo = phone_photo()
    with httpx.Client(base_url=server.url, timeout=60) as guest:
        csrf = csrf_of(guest, "/upload")

        def send() -> httpx.Response:
            return guest.post(
                "/api/photos",
                files={"photo": ("party.jpg", photo, "image/jpeg")},
                data={"title": "benchmark"},
                headers={"x-csrf-token": csrf},
            )

        one = timed_round(workers, b"event: photo.published\r\n", send, timeout)
    print(
        f"    upload at {one.t0:.3f} ({len(photo) / 1e6:.1f} MB JPEG): response "
        f"{one.request_ms:.0f} ms, photo.published at {len(one.latencies_ms)}/{one.armed} walls",
        file=sys.stderr,
    )
    return Upload(one.armed, one.request_ms, one.latencies_ms, one.missing)


# --- report -------------------------------------------------------------------------------


def version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    packages = ", ".join(
        f"{p} {version(p)}"
        for p in ("uvicorn", "uvloop", "httptools", "starlette", "sse-starlette")
    )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"Machine: {os.cpu_count()} CPUs ({model}), Linux {platform.release()}, "
        f"Python {platform.python_version()}; {packages}; load average at the end {load}"
    )


def table(results: list[Result], rounds: int, workers: int) -> str:
    ceilings = {r.clients: r.rate for r in results if r.server == CEILING}
    lines = [
        f"Wall fan-out: one event to N SSE clients, {rounds} rounds per N "
        f"(after 1 warm-up), clients in {workers} worker process(es); latency from just "
        "before the triggering request to the event's arrival at each client.",
        "",
        "| clients | server | connected | connect s | RSS idle -> N (MiB) | request ms "
        "| first ms | p50 ms | p99 ms | last ms | deliveries/s | vs ceiling | missed |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ceiling = ceilings.get(r.clients, 0.0)
        ratio = f"{r.rate / ceiling:.0%}" if ceiling and r.server != CEILING else "-"
        med = statistics.median
        lines.append(
            f"| {r.clients:,} | {r.server} | {r.connected:,} | {r.connect_seconds:.1f} "
            f"| {r.rss_idle:.0f} -> {r.rss_streams:.0f} "
            f"| {med(r.request_ms) if r.request_ms else float('nan'):.1f} "
            f"| {med(r.first_ms) if r.first_ms else float('nan'):.1f} "
            f"| {percentile(r.latencies_ms, 50):.1f} | {percentile(r.latencies_ms, 99):.1f} "
            f"| {r.last:.1f} | {r.rate:,.0f} | {ratio} | {r.missed} |"
        )
    return "\n".join(lines)


def verdict(results: list[Result]) -> str:
    mine = [r for r in results if r.server == PHOTOHUB]
    if not mine:
        return ""
    top = max(mine, key=lambda r: r.clients)
    ceiling = next((r for r in results if r.server == CEILING and r.clients == top.clients), None)
    p99 = percentile(top.latencies_ms, 99)
    checks = [
        (f"{top.clients:,} walls on one process", top.connected == top.clients),
        (f"p99 {p99:.0f} ms <= 250 ms", p99 <= 250),
    ]
    if ceiling is not None and ceiling.rate:
        share = top.rate / ceiling.rate
        checks.append((f"fan-out rate {share:.0%} of the ceiling >= 50%", share >= 0.5))
    return f"Targets at {top.clients:,} clients: " + "; ".join(
        f"{text}: {'PASS' if ok else 'FAIL'}" for text, ok in checks
    )


def storm_table(storms: list[Storm], lead: float, back: int) -> str:
    lines = [
        f"Reconnect storm: with N walls open, S walls connect at once to /live?last_event_id="
        f"(newest - {back}); {lead * 1000:.0f} ms into the storm one event is committed. "
        "Latency from just before the triggering request.",
        "",
        "| walls open | storm | server | trigger | storm walls resumed | storm s | request ms "
        "| open p50 ms | open p99 ms | open last ms | storm p50 ms | storm p99 ms "
        "| storm last ms | missed |",
        "|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in storms:
        lines.append(
            f"| {r.clients:,} | {r.storm:,} | {r.server} | {r.trigger} | {r.connected:,} "
            f"| {r.storm_seconds:.1f} | {r.request_ms:.1f} "
            f"| {percentile(r.open_ms, 50):.1f} | {percentile(r.open_ms, 99):.1f} "
            f"| {max(r.open_ms, default=float('nan')):.1f} "
            f"| {percentile(r.storm_ms, 50):.1f} | {percentile(r.storm_ms, 99):.1f} "
            f"| {max(r.storm_ms, default=float('nan')):.1f} | {r.missed} |"
        )
    return "\n".join(lines)


def storm_verdict(storms: list[Storm]) -> str:
    mine = [r for r in storms if r.server == PHOTOHUB]
    if not mine:
        return ""
    top = max(mine, key=lambda r: r.clients)
    p99 = percentile(top.open_ms, 99)
    return (
        f"Target during a storm of {top.storm:,} walls with {top.clients:,} open: "
        f"p99 {p99:.0f} ms <= 250 ms: {'PASS' if p99 <= 250 else 'FAIL'}"
    )


def upload_line(upload: Upload) -> str:
    lat = upload.latencies_ms
    return (
        f"Upload end to end ({upload.clients:,} walls, 12 MP JPEG, includes the rendition "
        f"task): upload response {upload.response_ms:.0f} ms; photo.published at every wall "
        f"p50 {percentile(lat, 50):.0f} ms, p99 {percentile(lat, 99):.0f} ms, "
        f"last {max(lat) if lat else float('nan'):.0f} ms after the upload was sent"
        + (f"; {upload.missed} walls missed it" if upload.missed else "")
    )


# --- main ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else "")
    parser.add_argument("--clients", default="1000,5000,10000", help="comma-separated N")
    parser.add_argument("--rounds", type=int, default=5, help="measured events per N")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured events first")
    parser.add_argument("--batch", type=int, default=500, help="streams opened at once")
    parser.add_argument("--workers", type=int, default=1, help="client worker processes")
    parser.add_argument(
        "--servers",
        default="photohub,ceiling,ceiling-asyncio",
        help="any of photohub, ceiling (uvloop), ceiling-asyncio, ceiling-tasks (analysis aid)",
    )
    parser.add_argument(
        "--upload-clients", type=int, default=1000, help="N for the upload run (0: none)"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per round")
    parser.add_argument(
        "--storm", type=int, default=5000, help="walls reconnecting at once (0: no storm)"
    )
    parser.add_argument("--storm-at", type=int, default=0, help="N of the storm (default: max)")
    parser.add_argument(
        "--storm-back", type=int, default=3, help="the storm resumes this many events back"
    )
    parser.add_argument(
        "--storm-lead", type=float, default=0.05, help="seconds from storm start to the event"
    )
    parser.add_argument("--storm-trigger", choices=["event", "upload"], default="event")
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between rounds")
    parser.add_argument("--profile-pid-file", default="", help=argparse.SUPPRESS)
    parser.add_argument("--serve-ceiling", choices=["uvloop", "asyncio"], help=argparse.SUPPRESS)
    parser.add_argument("--ceiling-tasks", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve_ceiling:
        raise_nofile_limit()
        serve_ceiling(args.serve_ceiling, args.ceiling_tasks)
        return 0
    counts = [int(part) for part in args.clients.split(",") if part.strip()]
    names = [SERVERS[part.strip()] for part in args.servers.split(",") if part.strip()]
    upload_at = args.upload_clients if args.upload_clients in counts else min(counts)
    if args.upload_clients <= 0:
        upload_at = -1  # no upload run
    limit = raise_nofile_limit()
    if limit < max(counts) + 100:
        print(f"warning: RLIMIT_NOFILE is {limit}, below the client count", file=sys.stderr)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    results: list[Result] = []
    uploads: list[Upload] = []
    storms: list[Storm] = []
    storm_at = args.storm_at or max(counts)
    with contextlib.ExitStack() as cleanup:
        workdir = Path(tempfile.mkdtemp(prefix="wall-fanout-"))
        cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
        workers = Workers(args.workers)
        cleanup.callback(workers.stop)
        storm_workers = Workers(1) if args.storm > 0 else None
        if storm_workers is not None:
            cleanup.callback(storm_workers.stop)
        for count in counts:
            print(f"N = {count:,}", file=sys.stderr)
            for name in names:
                in_storm = count == storm_at and name in (PHOTOHUB, CEILING)
                result, uploaded, stormed = measure(
                    name,
                    count,
                    workers,
                    workdir,
                    args,
                    upload=count == upload_at,
                    storm=storm_workers if in_storm else None,
                )
                results.append(result)
                if uploaded is not None:
                    uploads.append(uploaded)
                if stormed is not None:
                    storms.append(stormed)
    print(table(results, args.rounds, args.workers))
    print()
    for result in results:
        if result.note:
            print(f"Note ({result.server}, {result.clients:,}): {result.note}")
    for uploaded in uploads:
        print(upload_line(uploaded))
    print(verdict(results))
    if storms:
        print()
        print(storm_table(storms, args.storm_lead, args.storm_back))
        print()
        for stormed in storms:
            if stormed.note:
                print(f"Note (storm, {stormed.server}): {stormed.note}")
        print(storm_verdict(storms))
    print()
    print(machine())
    return 0


if __name__ == "__main__":
    sys.exit(main())
