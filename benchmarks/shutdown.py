"""Stopping: seconds from SIGTERM to exit, with streams open and work in flight.

Cases (each run ``--runs`` times on a fresh process; the table shows the median, min, max):

* **photohub serve** (SQLite, tasks in the server): N ``/live`` walls, T topic streams (a
  signed topic URL asked for ``text/event-stream``), D push deliveries in flight to a
  callback that never answers (one photo matching D subscriptions) and one task running
  (the verification GET of a WebSub subscription, to a callback that never answers);
* **photohub serve + worker** (PostgreSQL and Redis, ``--database-url``/``--redis-url``;
  skipped without them): the same, the streams on a ``serve`` with
  ``PHOTOHUB_RUN_TASKS=0`` and the deliveries and the task on a ``worker``; both get
  SIGTERM at once, the time is until both exited (each is shown too);
* **baseline, idle streams**: a raw ASGI app on uvicorn with photohub's settings
  (``timeout_graceful_shutdown=3``) holding the same number of idle SSE streams, each
  ending only when its client goes (what an app that does not end its streams gets);
* **baseline, nothing open**: the same app with no stream (the floor: a process exit).

Clients are raw asyncio protocols in worker processes (``_sse_clients.py``); the held
callback runs in this process. Usage: ``python benchmarks/shutdown.py [--walls 1000]
[--topic-streams 100] [--deliveries 20] [--runs 3] [--database-url postgresql://...
--redis-url redis://...]`` (the database URL names a server where the script may create
and drop a scratch database). Everything binds 127.0.0.1; processes and folders are
removed at exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._sse_clients import Workers, raise_nofile_limit

SECRET = secrets.token_urlsafe(24)
PUBLIC_URL = "http://photos.test"
PORT_LINE = re.compile(r"baseline listening on http://127\.0\.0\.1:(\d+)/")
KILL_AFTER = 60.0


# --- the baseline server ------------------------------------------------------------------


def serve_baseline() -> None:
    """A raw ASGI app (internal subcommand): ``/live`` is an SSE stream that sends one
    ``ready`` event and then waits for its client to go; ``/healthz`` answers."""
    import uvicorn

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["path"] != "/live":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})
            return
        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        ready = b"id: 0\r\nevent: ready\r\ndata: {}\r\n\r\n"
        await send({"type": "http.response.body", "body": ready, "more_body": True})
        while (await receive())["type"] != "http.disconnect":
            pass

    async def run() -> None:
        config = uvicorn.Config(  # photohub serve's settings (serving.serve)
            app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            timeout_graceful_shutdown=3,
            proxy_headers=True,
        )
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        while not server.started and not serving.done():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        if server.started:
            port = server.servers[0].sockets[0].getsockname()[1]
            print(f"baseline listening on http://127.0.0.1:{port}/", flush=True)
        await serving

    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(run())


# --- the callback that never answers -------------------------------------------------------


@dataclass
class Callback:
    arrived: dict[str, int] = field(default_factory=dict)
    url: str = ""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.arrived[scope["path"]] = self.arrived.get(scope["path"], 0) + 1
        while (await receive())["type"] != "http.disconnect":
            pass  # held until the hub stops


@contextlib.asynccontextmanager
async def callback_server() -> AsyncIterator[Callback]:
    import uvicorn

    callback = Callback()
    config = uvicorn.Config(
        callback, host="127.0.0.1", port=0, log_level="error", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    callback.url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    try:
        yield callback
    finally:
        server.should_exit = True
        await asyncio.wait((task,), timeout=10)


# --- processes -----------------------------------------------------------------------------


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOHUB_")}
    env.update(PHOTOHUB_LOG_LEVEL="warning", PYTHONUNBUFFERED="1", **extra)
    return env


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Proc:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    port: int = 0

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def spawn(name: str, command: list[str], env: dict[str, str], log: Path) -> Proc:
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            env=clean_env(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=raise_nofile_limit,
        )
    return Proc(name, process, log)


async def until(check: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not await asyncio.to_thread(check):
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


async def sigterm(procs: list[Proc]) -> dict[str, float]:
    sent = time.monotonic()
    for proc in procs:
        proc.process.send_signal(signal.SIGTERM)
    took: dict[str, float] = {}
    while len(took) < len(procs):
        for proc in procs:
            if proc.name not in took and proc.process.poll() is not None:
                took[proc.name] = time.monotonic() - sent
        if time.monotonic() - sent > KILL_AFTER:
            for proc in procs:
                if proc.name not in took:
                    proc.kill()
                    took[proc.name] = float("inf")
        await asyncio.sleep(0.005)
    return took


# --- one run -------------------------------------------------------------------------------


@dataclass
class Setup:
    walls: int
    topic_streams: int
    deliveries: int
    workers: Workers
    folder: Path
    database_url: str = ""
    redis_url: str = ""


async def prepare(env: dict[str, str], setup: Setup, callback: Callback) -> Any:
    """Migrate the site and subscribe ``deliveries`` callbacks; returns the helper site."""
    from photohub.config import Settings
    from photohub.domain.topics import make_topic
    from photohub.site import Site
    from photohub.store import subscriptions as subs
    from photohub.store.db import utcnow

    site = Site(
        Settings(
            data_dir=Path(env["PHOTOHUB_DATA_DIR"]),
            database_url=env.get("PHOTOHUB_DATABASE_URL", ""),
            redis_url=env.get("PHOTOHUB_REDIS_URL", ""),
            redis_prefix=env.get("PHOTOHUB_REDIS_PREFIX", "photohub:"),
            secret_key=SECRET,
            admin_token=env["PHOTOHUB_ADMIN_TOKEN"],
            public_url=PUBLIC_URL,
            push_allow="127.0.0.1",
        )
    )
    await site.start(run_tasks=False, live=False)
    async with site.db.write() as conn:
        for n in range(setup.deliveries):
            sid = await subs.save(
                conn,
                user_id=None,
                dialect="websub",
                topic=make_topic("tags", {"tags": "bench"}),
                callback=f"{callback.url}/deliver/{n}",
                lease_seconds=3600,
            )
            assert sid is not None
            await subs.mark_verified(conn, sid, utcnow())
    return site


async def publish(site: Any) -> None:
    from photohub.store import events
    from tests import factories

    async with site.db.write() as conn:
        photo_id = await factories.photo(conn, None, title="bench", tags="bench")
        await events.append(conn, "photo.published", {"id": photo_id}, photo_id=photo_id)


async def photohub_run(setup: Setup, scale_out: bool, callback: Callback) -> dict[str, float]:
    """One run on a fresh site (a new data folder; at scale, a new scratch database)."""
    if not scale_out:
        return await photohub_run_on(setup, "", callback)
    async with scratch_database(setup.database_url) as database_url:
        return await photohub_run_on(setup, database_url, callback)


async def photohub_run_on(setup: Setup, database_url: str, callback: Callback) -> dict[str, float]:
    from photohub.domain import stream_urls
    from photohub.domain.topics import make_topic

    data = setup.folder / "data"
    shutil.rmtree(data, ignore_errors=True)
    env = {
        "PHOTOHUB_DATA_DIR": str(data),
        "PHOTOHUB_SECRET_KEY": SECRET,
        "PHOTOHUB_ADMIN_TOKEN": "bench-token",
        "PHOTOHUB_PUBLIC_URL": PUBLIC_URL,
        "PHOTOHUB_PUSH_ALLOW": "127.0.0.1",
        "PHOTOHUB_PUSH_TIMEOUT": "120",
        "PHOTOHUB_TASK_POLL_INTERVAL": "0.2",
        "PHOTOHUB_EVENT_POLL_INTERVAL": "0.2",
    }
    scale_out = bool(database_url)
    if scale_out:
        env["PHOTOHUB_DATABASE_URL"] = database_url
        env["PHOTOHUB_REDIS_URL"] = setup.redis_url
        env["PHOTOHUB_REDIS_PREFIX"] = f"bench-{secrets.token_hex(6)}:"
    callback.arrived.clear()
    site = await prepare(env, setup, callback)
    port = free_port()
    command = [sys.executable, "-m", "photohub"]
    procs: list[Proc] = []
    try:
        serve_env = {**env, "PHOTOHUB_RUN_TASKS": "0"} if scale_out else env
        serve = spawn(
            "serve",
            [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
            serve_env,
            setup.folder / f"serve-{port}.log",
        )
        serve.port = port
        procs.append(serve)
        await until(lambda: healthy(port), 60, "photohub serve to start")
        if scale_out:
            worker = spawn("worker", [*command, "worker"], env, setup.folder / f"worker-{port}.log")
            procs.append(worker)
            await until(
                lambda: "running tasks" in worker.log.read_text(), 60, "the worker to start"
            )
        await publish(site)
        await until(
            lambda: (
                sum(1 for p in callback.arrived if p.startswith("/deliver/")) >= setup.deliveries
            ),
            60,
            f"{setup.deliveries} deliveries in flight",
        )
        await asyncio.to_thread(subscribe, port, callback.url + "/verify")
        await until(lambda: "/verify" in callback.arrived, 60, "the verification task")
        await connect(setup, port, make_topic, stream_urls)
        took = await sigterm(procs)
        await asyncio.to_thread(setup.workers.close_clients)
        took["total"] = max(took.values())
        return took
    except Exception:
        for proc in procs:
            print(f"--- {proc.name} log:\n{proc.log.read_text()[-3000:]}", file=sys.stderr)
        raise
    finally:
        for proc in procs:
            proc.kill()
        await site.close()


def subscribe(port: int, callback: str) -> None:
    """A WebSub subscription: its verification is the task left running."""
    answer = httpx.post(
        f"http://127.0.0.1:{port}/hub",
        data={
            "hub.mode": "subscribe",
            "hub.topic": PUBLIC_URL + "/push/topics/tags?tags=verify",
            "hub.callback": callback,
        },
        timeout=10,
    )
    answer.raise_for_status()


async def connect(setup: Setup, port: int, make_topic: Any, stream_urls: Any) -> None:
    topic = make_topic("tags", {"tags": "bench"})
    path = stream_urls.signed_url("", topic, int(time.time()) + 3600, SECRET)
    walls = await asyncio.to_thread(setup.workers.connect, port, setup.walls)
    if walls["connected"] != setup.walls:
        raise RuntimeError(f"walls: {walls}")
    if setup.topic_streams:
        streams = await asyncio.to_thread(
            setup.workers.connect, port, setup.topic_streams, path=path
        )
        if streams["connected"] != setup.walls + setup.topic_streams:  # in all
            raise RuntimeError(f"topic streams: {streams}")


async def baseline_run(setup: Setup, streams: int) -> dict[str, float]:
    proc = spawn(
        "baseline",
        [sys.executable, str(Path(__file__).resolve()), "--serve-baseline"],
        {},
        setup.folder / f"baseline-{secrets.token_hex(4)}.log",
    )
    try:
        deadline = time.monotonic() + 60
        while not (match := PORT_LINE.search(proc.log.read_text())):
            if time.monotonic() > deadline or proc.process.poll() is not None:
                raise RuntimeError(f"the baseline did not start:\n{proc.log.read_text()}")
            await asyncio.sleep(0.05)
        port = int(match[1])
        if streams:
            opened = await asyncio.to_thread(setup.workers.connect, port, streams)
            if opened["connected"] != streams:
                raise RuntimeError(f"baseline streams: {opened}")
        took = await sigterm([proc])
        await asyncio.to_thread(setup.workers.close_clients)
        return {"total": took["baseline"]}
    finally:
        proc.kill()


# --- scratch PostgreSQL database --------------------------------------------------------------


@contextlib.asynccontextmanager
async def scratch_database(url: str) -> AsyncIterator[str]:
    import asyncpg

    name = f"photohub_bench_{secrets.token_hex(4)}"
    admin = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


# --- report ---------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"Machine: {os.cpu_count()} CPUs ({model}), Linux {platform.release()}, "
        f"Python {platform.python_version()}; load average at the end {load}"
    )


def row(case: str, open_: str, runs: list[dict[str, float]], baseline: float) -> str:
    totals = [r["total"] for r in runs]
    median = statistics.median(totals)
    parts = sorted({k for r in runs for k in r} - {"total"})
    detail = ", ".join(f"{k} {statistics.median(r[k] for r in runs):.2f}" for k in parts)
    return (
        f"| {case} | {open_} | {median:.2f} | {min(totals):.2f} | {max(totals):.2f} | "
        f"{median / baseline:.2f}x | {detail or '-'} |"
    )


async def main_async(args: argparse.Namespace) -> int:
    raise_nofile_limit()
    streams = args.walls + args.topic_streams
    folder = Path(tempfile.mkdtemp(prefix="photohub-shutdown-"))
    workers = Workers(args.client_workers)
    setup = Setup(args.walls, args.topic_streams, args.deliveries, workers, folder)
    results: dict[str, list[dict[str, float]]] = {}
    try:
        async with callback_server() as callback:
            cases: list[tuple[str, Any]] = [
                ("photohub serve (SQLite)", lambda: photohub_run(setup, False, callback)),
                ("baseline, idle streams", lambda: baseline_run(setup, streams)),
                ("baseline, nothing open", lambda: baseline_run(setup, 0)),
            ]
            if args.database_url and args.redis_url:
                setup.database_url = args.database_url  # a server: scratch db per run
                setup.redis_url = args.redis_url
                cases.insert(
                    1,
                    (
                        "photohub serve + worker (PostgreSQL, Redis)",
                        lambda: photohub_run(setup, True, callback),
                    ),
                )
            for number in range(args.runs):
                for name, run in cases:
                    print(f"run {number + 1}: {name}", file=sys.stderr, flush=True)
                    results.setdefault(name, []).append(await run())
    finally:
        workers.stop()
        shutil.rmtree(folder, ignore_errors=True)
    idle = statistics.median(r["total"] for r in results["baseline, idle streams"])
    work = (
        f"{args.walls} walls + {args.topic_streams} topic streams, "
        f"{args.deliveries} deliveries + 1 task in flight"
    )
    print(f"Seconds from SIGTERM to exit, {args.runs} runs each (median, min, max)")
    print()
    print("| case | open | median s | min | max | vs idle baseline | per process (median s) |")
    print("|---|---|---|---|---|---|---|")
    for name, runs in results.items():
        open_ = (
            work
            if name.startswith("photohub")
            else f"{streams} idle SSE streams"
            if "idle" in name
            else "nothing"
        )
        print(row(name, open_, runs, idle))
    print()
    print(machine())
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--walls", type=int, default=1000)
    parser.add_argument("--topic-streams", type=int, default=100)
    parser.add_argument("--deliveries", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--client-workers", type=int, default=1)
    parser.add_argument("--database-url", default="", help="PostgreSQL server (scratch db)")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--serve-baseline", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve_baseline:
        serve_baseline()
        return 0
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
