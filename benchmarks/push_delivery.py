"""Push delivery: signed Atom POSTs per second from photohub's hub, and Flask-WebSub's.

    python benchmarks/push_delivery.py [--subscriptions 1000] [--uploads 100]
        [--modes burst,paced] [--pace 2] [--peer-uploads 20] [--peer-modes burst]
        [--servers photohub,peer] [--database-url postgresql://postgres@127.0.0.1:5432/test]
        [--photohub-redis redis://127.0.0.1:6379/14] [--push-concurrency 64]
        [--receiver-ports 4] [--profile /tmp/push]

The workload (the same for both hubs, in one run):

* **Receivers**: one separate process (``_push_receiver.py``: raw asyncio protocols with
  httptools on uvloop) listening on ``--receiver-ports`` ports of 127.0.0.1, one callback
  path per subscription spread over them. It records when each POST was complete and the
  entry ids it carried, checks every ``X-Hub-Signature`` against that path's secret,
  answers ``204`` and keeps the connection open; its own CPU time is reported.
* **Subscriptions**: ``--subscriptions`` active WebSub subscriptions, each with a secret
  and its own callback path, all to the topic ``tags=bench`` (every upload carries the
  tag, so every upload reaches every subscription: subscriptions x uploads entries).
* **Uploads**: ready, public photos, each committed in one transaction with its
  ``photo.published`` event (the outbox), as the rendition task commits them. Making
  renditions is left out: it is the same work whichever hub follows, it is measured by
  ``renditions.py`` (about 200 ms of one core per 12 MP JPEG), and here it would take
  the cores the hub needs. ``burst`` commits them back to back; ``paced`` commits
  ``--pace`` per second.

**photohub**: one process (``_photohub``, below) running a Site with SQLite, or
PostgreSQL with ``--database-url`` (an admin URL: the script creates a scratch database
on that server and drops it afterwards), started as ``photohub serve`` starts it
(``Site.start(run_tasks=True)`` on uvloop: task runner, outbox dispatcher and delivery
worker in the process), settings ``push_allow=127.0.0.1`` and ``push_collapse_seconds=0``,
the rest default (``push_concurrency`` 64, ``task_concurrency`` 2; delivery queues in
SQL, or in Redis with ``--photohub-redis``, under a key prefix of the run's own that is
deleted at the end). Subscriptions are written with ``store.subscriptions.save`` and
``mark_verified``. The benchmark commits each upload in that process and takes the commit
time right after the commit returns.

**peer**: Flask-WebSub 0.4.1's hub (PyPI), run as its docs describe: the Flask hub
blueprint, ``SQLite3HubStorage``, Celery with a Redis broker and one ``celery worker``
(prefork, ``--peer-concurrency`` processes, Celery's default: one per CPU). Its
dependencies are installed into a separate virtual environment (``--peer-venv``, default
``$TMPDIR/photohub-bench-flask-websub``; reused when it is there): Celery and kombu pin
exact versions (vine, python-dateutil, packaging) that photohub's environment should not
get. The broker is Redis at ``--peer-redis``
(default db 14, which no test uses) with a key prefix of the run's own; the script
deletes its keys at the end. Subscriptions go through Flask-WebSub's own protocol:
``POST /hub`` (its blueprint, through Flask's test client) and its worker's verification
GET, answered by the receivers. Each upload is one ``send_change_notification.delay(topic,
content)`` with the Atom document photohub renders for that photo alone (so the peer
fetches nothing), signed with sha256 like photohub's (its ``SIGNATURE_ALGORITHM``; its
default is sha512). The "commit" time is when ``delay()`` returned. Flask-WebSub makes
one Celery task per (subscription, update), one POST each, through ``requests`` (a new
connection per POST). It drains that backlog at a steady rate (about 150 POSTs/s here),
so 100 uploads would take it some 11 minutes: by default it gets ``--peer-uploads 20``
(20,000 POSTs), which gives the same POSTs/s; its latencies are then those of a 5x
shorter backlog (better than it would show with 100). ``--peer-uploads 100`` runs the
whole workload.

**Figures**: deliveries = POSTs the receivers got; entries = distinct (subscription,
photo) pairs delivered; seconds = first commit to last delivery; latency = arrival of a
pair's first POST minus its photo's commit, p50 / p99 over every pair (one clock:
``time.monotonic()`` is CLOCK_MONOTONIC, system-wide on Linux); fan-out = commit to the
last subscription's delivery of a photo, median over photos. photohub puts every entry a
subscription's queue holds into one POST (up to ``push_batch_bytes``), so under load it
sends fewer POSTs than entries: both are given, and entries per POST. "Per worker
process" divides by the processes that deliver (photohub: 1; the peer: its pool). CPU
seconds are read from ``/proc`` over the measured part of the run: the hub's process
(tree), the receivers, and Redis for the peer (its broker queues what photohub queues in
its database; for PostgreSQL the server's CPU is not counted). At the end photohub's
process reports entries still queued, and how many of them sit in a queue that is not due
(nothing would ever send them). ``--profile PREFIX`` samples the hub with py-spy, if
installed, into ``PREFIX-<run>.txt`` (collapsed stacks).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import platform
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._push_receiver import secret_for

HERE = Path(__file__).resolve()
PUBLIC_URL = "http://photos.bench"
TOPIC_PATH = "/push/topics/tags?tags=bench"
TOPIC_URL = PUBLIC_URL + TOPIC_PATH
TAGS = "bench harbour dusk ferry"
RENDITIONS = [
    {"size": 2048, "width": 2048, "height": 1536},
    {"size": 1024, "width": 1024, "height": 768},
    {"size": 256, "width": 256, "height": 192},
]
PEER_PACKAGE = "Flask-WebSub[celery,redis]==0.4.1"
# Flask-WebSub's ``redis`` extra brings redis-py but not kombu's own ``redis`` extra,
# whose ``packaging`` kombu 5.7's Redis transport imports.
PEER_EXTRA = "kombu[redis]"
PEER_SIGNATURE = "sha256"
LEASE_SECONDS = 864_000


# --- small helpers shared by every process (standard library only) --------------------


def emit(message: dict[str, Any]) -> None:
    """One JSON line to the parent."""
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def callback_url(ports: list[int], n: int) -> str:
    return f"http://127.0.0.1:{ports[n % len(ports)]}/cb/{n}"


def pace_times(count: int, pace: float) -> list[float]:
    """Offsets (s) from the start at which each upload is committed (0 = all at once)."""
    return [i / pace if pace > 0 else 0.0 for i in range(count)]


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its live descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    usage: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        ppid = int(fields[1])
        children.setdefault(ppid, []).append(int(entry))
        usage[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += usage.get(current, 0.0)
        todo.extend(children.get(current, []))
    return total


@contextlib.contextmanager
def profiled(path: str, pid: int, name: str) -> Iterator[None]:
    """With ``--profile``: py-spy (if installed) samples the hub's process tree while
    the block runs, into ``<path>-<name>.txt`` (collapsed stacks, one per line)."""
    spy = shutil.which("py-spy") if path else None
    if spy is None:
        yield
        return
    out = f"{path}-{name}.txt"
    command = [spy, "record", "--pid", str(pid), "--subprocesses", "-f", "raw", "-o", out]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        print(f"profile of {name}: {out}", file=sys.stderr)


def read_line(stream: IO[str], what: str) -> dict[str, Any]:
    line = stream.readline()
    if not line:
        raise RuntimeError(f"{what} ended without answering")
    message: dict[str, Any] = json.loads(line)
    return message


# --- photohub's process -------------------------------------------------------------


async def _photohub_process(args: argparse.Namespace) -> None:
    """``_photohub``: a Site with its background loops; subscriptions; uploads on cue."""
    import asyncio

    import sqlalchemy as sa

    from photohub.config import Settings
    from photohub.domain import photos as rules
    from photohub.domain.tags import make_tags
    from photohub.domain.topics import make_topic
    from photohub.site import Site
    from photohub.store import events, users
    from photohub.store import photos as photo_store
    from photohub.store import site as site_store
    from photohub.store import subscriptions as subs
    from photohub.store import tags as tag_store
    from photohub.store.db import utcnow
    from photohub.store.push_schema import push_queue as queue_table
    from photohub.store.push_schema import push_subscriptions

    ports = [int(p) for p in args.ports.split(",")]
    settings = Settings(
        data_dir=Path(args.data_dir),
        database_url=args.database_url,
        redis_url=args.redis,
        redis_prefix=args.prefix or "photohub:",
        admin_token="push-delivery-bench",
        public_url=PUBLIC_URL,
        push_allow="127.0.0.1",
        push_collapse_seconds=0.0,
    )
    if args.concurrency:
        settings = settings.with_overrides(push_concurrency=args.concurrency)
    site = Site(settings)
    await site.start(run_tasks=True)
    try:
        for _ in range(500):  # the dispatcher's first step places the outbox cursor
            async with site.db.read() as conn:
                if await site_store.get(conn, "push_cursor") is not None:
                    break
            await asyncio.sleep(0.01)
        topic = make_topic("tags", {"tags": "bench"})
        async with site.db.write() as conn:
            owner = await users.create(conn, username="bench", password_hash="-")
            for n in range(args.subscriptions):
                subscription_id = await subs.save(
                    conn,
                    user_id=None,
                    dialect="websub",
                    topic=topic,
                    callback=callback_url(ports, n),
                    lease_seconds=LEASE_SECONDS,
                    secret=secret_for(n),
                )
                assert subscription_id is not None
                await subs.mark_verified(conn, subscription_id, utcnow())
        emit(
            {
                "ready": True,
                "settings": {
                    "push_concurrency": settings.push_concurrency,
                    "task_concurrency": settings.task_concurrency,
                    "push_batch_bytes": settings.push_batch_bytes,
                },
            }
        )
        await asyncio.to_thread(sys.stdin.readline)  # go
        commits: dict[int, float] = {}
        started = time.monotonic()
        for i, offset in enumerate(pace_times(args.uploads, args.pace)):
            wait = started + offset - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            async with site.db.write() as conn:
                now = utcnow()
                photo_id = await photo_store.insert(
                    conn,
                    secret=secrets.token_hex(12),
                    user_id=owner["id"],
                    title=f"Harbour at dusk, frame {i + 1}",
                    description="The ferries coming in at dusk, from the north pier.",
                    visibility="public",
                    state="ready",
                    format="jpeg",
                    ext="jpg",
                    bytes=3_400_000,
                    width=4000,
                    height=3000,
                    renditions=RENDITIONS,
                    created_at=now,
                    updated_at=now,
                )
                await tag_store.set_tags(conn, photo_id, make_tags(TAGS), int(owner["id"]))
                row = await photo_store.get(conn, photo_id)
                assert row is not None
                event = await events.append(
                    conn, "photo.published", rules.photo_view(row, row["author"]), photo_id=photo_id
                )
            commits[photo_id] = time.monotonic()
            await site.announce([event])
        emit({"commits": commits})
        await asyncio.to_thread(sys.stdin.readline)  # stop
        subs_t, queued = push_subscriptions, queue_table
        count = sa.select(sa.func.count()).select_from(queued)
        for _ in range(100):  # POSTs in flight record their outcome
            async with site.db.read() as conn:
                left = int(await conn.scalar(count) or 0)
            if not left:
                break
            await asyncio.sleep(0.1)
        async with site.db.read() as conn:
            # Queued entries whose subscription is not due: nothing will send them.
            stranded = await conn.scalar(
                count.join(subs_t, subs_t.c.id == queued.c.subscription_id).where(
                    subs_t.c.due_at.is_(None)
                )
            )
            failing = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(subs_t)
                .where(subs_t.c.last_failure.is_not(None))
            )
        emit({"queued": left, "stranded": int(stranded or 0), "failing": int(failing or 0)})
    finally:
        await site.close()


def photohub_process(args: argparse.Namespace) -> None:
    """On uvloop when it is installed, as ``photohub serve`` runs."""
    import asyncio

    factory = None
    with contextlib.suppress(ImportError):
        import uvloop

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(_photohub_process(args))


def render_documents(count: int) -> list[str]:
    """The Atom document photohub sends for each upload alone (base64), for the peer:
    photos made as ``_photohub`` makes them, in a scratch Site, rendered by the code the
    hub uses (``push.entries.photo_entry``, ``domain.atom``)."""
    import asyncio

    async def render() -> list[str]:
        from photohub.config import Settings
        from photohub.domain import atom
        from photohub.domain.tags import make_tags
        from photohub.domain.topics import DISPLAY_NAMES
        from photohub.push import entries
        from photohub.site import Site
        from photohub.store import photos as photo_store
        from photohub.store import tags as tag_store
        from photohub.store import users
        from photohub.store.db import utcnow

        documents: list[str] = []
        with tempfile.TemporaryDirectory(prefix="push-docs-") as folder:
            site = Site(Settings(data_dir=Path(folder), public_url=PUBLIC_URL, admin_token="x"))
            await site.start(run_tasks=False, live=False)
            try:
                async with site.db.write() as conn:
                    owner = await users.create(conn, username="bench", password_hash="-")
                    for i in range(count):
                        now = utcnow()
                        photo_id = await photo_store.insert(
                            conn,
                            secret=secrets.token_hex(12),
                            user_id=owner["id"],
                            title=f"Harbour at dusk, frame {i + 1}",
                            description="The ferries coming in at dusk, from the north pier.",
                            visibility="public",
                            state="ready",
                            format="jpeg",
                            ext="jpg",
                            bytes=3_400_000,
                            width=4000,
                            height=3000,
                            renditions=RENDITIONS,
                            created_at=now,
                            updated_at=now,
                        )
                        await tag_store.set_tags(conn, photo_id, make_tags(TAGS), int(owner["id"]))
                        row = await photo_store.get(conn, photo_id)
                        assert row is not None
                        tag_rows = (await tag_store.tags_of(conn, [photo_id]))[photo_id]
                        body = atom.render_entry(entries.photo_entry(PUBLIC_URL, row, tag_rows))
                        head = atom.head(
                            TOPIC_URL, DISPLAY_NAMES["tags"], TOPIC_URL, PUBLIC_URL + "/hub", now
                        )
                        documents.append(base64.b64encode(head + body + atom.TAIL).decode())
            finally:
                await site.close()
        return documents

    return asyncio.run(render())


# --- the peer: Flask-WebSub's hub (runs in the peer's virtual environment) ----------


def _peer_hub(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """Celery app, Flask app and Hub, built alike in the worker and the publisher (the
    task names Flask-WebSub registers depend on the order hubs are made)."""
    import importlib

    celery_module: Any = importlib.import_module("celery")
    flask: Any = importlib.import_module("flask")
    hub_module: Any = importlib.import_module("flask_websub.hub")

    celery = celery_module.Celery("photohub_bench_peer", broker=args.redis)
    celery.conf.update(
        broker_transport_options={"global_keyprefix": args.prefix},
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
        worker_hijack_root_logger=False,
    )
    app = flask.Flask("photohub_bench_peer")
    storage = hub_module.SQLite3HubStorage(args.storage)
    hub = hub_module.Hub(storage, celery, SIGNATURE_ALGORITHM=PEER_SIGNATURE)
    app.register_blueprint(hub.build_blueprint(url_prefix="/hub"))
    return celery, app, hub


def peer_worker(args: argparse.Namespace) -> None:
    """``_peer_worker``: ``celery worker`` for the hub (prefork)."""
    import logging

    logging.basicConfig(level=logging.ERROR)
    celery, _, _ = _peer_hub(args)
    celery.worker_main(
        [
            "worker",
            "--loglevel=ERROR",
            f"--concurrency={args.concurrency}",
            "--pool=prefork",
            "--without-gossip",
            "--without-mingle",
        ]
    )


def peer_publisher(args: argparse.Namespace) -> None:
    """``_peer``: subscribe through the hub's endpoint, wait until its worker verified
    them all, then publish on cue."""
    import sqlite3

    _, app, hub = _peer_hub(args)
    ports = [int(p) for p in args.ports.split(",")]
    client = app.test_client()
    for n in range(args.subscriptions):
        answer = client.post(
            "/hub",
            data={
                "hub.mode": "subscribe",
                "hub.topic": TOPIC_URL,
                "hub.callback": callback_url(ports, n),
                "hub.secret": secret_for(n),
                "hub.lease_seconds": str(LEASE_SECONDS),
            },
        )
        if answer.status_code != 202:
            raise RuntimeError(f"POST /hub answered {answer.status_code}: {answer.data!r}")
    deadline = time.monotonic() + 300
    verified = 0
    while time.monotonic() < deadline:
        with contextlib.closing(sqlite3.connect(args.storage)) as db:
            verified = int(db.execute("select count(*) from hub").fetchone()[0])
        if verified >= args.subscriptions:
            break
        time.sleep(0.2)
    emit({"ready": True, "verified": verified})
    with open(args.documents) as handle:
        documents: list[str] = json.load(handle)
    headers = {
        "Content-Type": "application/atom+xml; charset=utf-8",
        "Link": f'<{PUBLIC_URL}/hub>; rel="hub", <{TOPIC_URL}>; rel="self"',
    }
    sys.stdin.readline()  # go
    commits: dict[int, float] = {}
    started = time.monotonic()
    for i, offset in enumerate(pace_times(len(documents), args.pace)):
        wait = started + offset - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        hub.send_change_notification.delay(TOPIC_URL, {"headers": headers, "content": documents[i]})
        commits[i + 1] = time.monotonic()
    emit({"commits": commits})
    sys.stdin.readline()  # stop


# --- the parent: receivers, runs, figures ------------------------------------------


@dataclass
class Receivers:
    process: subprocess.Popen[str]
    ports: list[int]

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[0]}{path}", timeout=60) as r:
            return json.loads(r.read())

    def reset(self) -> None:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.ports[0]}/_reset", data=b"", method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()


@contextlib.contextmanager
def receivers(count: int) -> Iterator[Receivers]:
    process = subprocess.Popen(
        [sys.executable, str(HERE.parent / "_push_receiver.py"), "--ports", str(count)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ports = [int(p) for p in read_line(process.stdout, "the receiver")["ports"]]
        yield Receivers(process, ports)
    finally:
        stop(process)


def stop(process: subprocess.Popen[Any], wait: float = 20) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Run:
    server: str
    mode: str
    subscriptions: int
    uploads: int
    processes: int
    commits: dict[int, float] = field(default_factory=dict)
    posts: list[tuple[int, float, list[int]]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    hub_cpu: float = 0.0
    receiver_cpu: float = 0.0
    broker_cpu: float | None = None
    broker_peak_mib: float | None = None
    peak_queue: int | None = None
    note: str = ""
    settings: str = ""
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def expected(self) -> int:
        return self.subscriptions * self.uploads

    def figures(self) -> dict[str, float]:
        first_seen: dict[tuple[int, int], float] = {}
        for n, arrival, photos in self.posts:
            for photo in photos:
                key = (n, photo)
                if key not in first_seen or arrival < first_seen[key]:
                    first_seen[key] = arrival
        latencies = sorted(
            (arrival - self.commits[photo]) * 1000
            for (_, photo), arrival in first_seen.items()
            if photo in self.commits
        )
        last = max((arrival for _, arrival, _ in self.posts), default=0.0)
        start = min(self.commits.values(), default=0.0)
        seconds = max(last - start, 1e-9)
        fanout: dict[int, float] = {}
        for (_, photo), arrival in first_seen.items():
            fanout[photo] = max(fanout.get(photo, 0.0), arrival)
        spans = [(at - self.commits[p]) * 1000 for p, at in fanout.items() if p in self.commits]
        posts = len(self.posts)
        return {
            "posts": posts,
            "entries": len(first_seen),
            "seconds": seconds,
            "posts_s": posts / seconds,
            "entries_s": len(first_seen) / seconds,
            "per_post": len(first_seen) / posts if posts else 0.0,
            "p50": percentile(latencies, 0.50),
            "p99": percentile(latencies, 0.99),
            "fanout": statistics.median(spans) if spans else 0.0,
        }


def percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def wait_for_deliveries(
    run: Run, rx: Receivers, timeout: float, sample: Any = None
) -> dict[str, Any]:
    """Poll the receivers until every pair arrived, nothing moved for 30 s, or timeout."""
    deadline = time.monotonic() + timeout
    last_pairs, last_move = -1, time.monotonic()
    stats: dict[str, Any] = {}
    while time.monotonic() < deadline:
        stats = rx.get("/_stats")
        if sample is not None:
            sample()
        if stats["pairs"] >= run.expected:
            return stats
        if stats["pairs"] != last_pairs:
            last_pairs, last_move = stats["pairs"], time.monotonic()
        elif time.monotonic() - last_move > 30:
            run.note = f"stalled: {stats['pairs']:,} of {run.expected:,} entries after 30 s idle"
            return stats
        time.sleep(0.1)
    run.note = f"timed out: {stats.get('pairs', 0):,} of {run.expected:,} entries"
    return stats


def run_photohub(options: argparse.Namespace, rx: Receivers, mode: str, scratch: Path) -> Run:
    server = "photohub, Redis queues" if options.photohub_redis else "photohub"
    run = Run(server, mode, options.subscriptions, options.uploads, 1)
    database_url, drop = scratch_database(options.database_url)
    prefix = f"photohub-push-bench-{secrets.token_hex(4)}:"
    try:
        command = [
            sys.executable,
            str(HERE),
            "_photohub",
            "--ports",
            ",".join(map(str, rx.ports)),
            "--subscriptions",
            str(options.subscriptions),
            "--uploads",
            str(options.uploads),
            "--pace",
            str(options.pace if mode == "paced" else 0),
            "--data-dir",
            str(scratch / f"photohub-{mode}"),
            "--database-url",
            database_url,
            "--concurrency",
            str(options.push_concurrency),
            "--redis",
            options.photohub_redis,
            "--prefix",
            prefix,
        ]
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert process.stdin is not None and process.stdout is not None
        try:
            ready = read_line(process.stdout, "photohub")
            run.settings = ", ".join(f"{k} {v:,}" for k, v in ready["settings"].items())
            rx.reset()
            before_rx = rx.get("/_stats")["cpu_seconds"]
            before = tree_cpu(process.pid)
            with profiled(options.profile, process.pid, f"photohub-{mode}"):
                process.stdin.write("go\n")
                process.stdin.flush()
                commits = read_line(process.stdout, "photohub")["commits"]
                run.commits = {int(k): v for k, v in commits.items()}
                run.stats = wait_for_deliveries(run, rx, options.timeout)
            run.hub_cpu = tree_cpu(process.pid) - before
            run.receiver_cpu = run.stats["cpu_seconds"] - before_rx
            run.load = os.getloadavg()
            run.posts = [
                (int(n), float(t), [int(p) for p in ps]) for n, t, ps in rx.get("/_records")
            ]
            process.stdin.write("stop\n")
            process.stdin.flush()
            left = read_line(process.stdout, "photohub")
            if left["queued"] or left["failing"]:
                run.note += (
                    f"{'; ' if run.note else ''}still queued at the end {left['queued']} (of "
                    f"which {left['stranded']} in queues not due), subscriptions with a "
                    f"failure {left['failing']}"
                )
        finally:
            with contextlib.suppress(OSError):
                process.stdin.close()
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                stop(process)
    finally:
        drop()
        if options.photohub_redis:
            broker = redis_client(options.photohub_redis)
            keys = list(broker.scan_iter(match=prefix + "*", count=1000))
            if keys:
                broker.delete(*keys)
            broker.close()
    return run


def scratch_database(admin_url: str) -> tuple[str, Any]:
    """("", no-op) for SQLite; else a fresh PostgreSQL database and its dropper."""
    if not admin_url:
        return "", lambda: None
    import asyncio

    import asyncpg

    name = "photohub_push_bench_" + secrets.token_hex(4)
    plain = admin_url.replace("postgresql+asyncpg://", "postgresql://")

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(plain)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return plain.rsplit("/", 1)[0] + "/" + name, drop


def peer_python(options: argparse.Namespace) -> tuple[Path | None, str]:
    """The peer's interpreter (its venv made on first use), or None and why not."""
    venv = Path(options.peer_venv)
    python = venv / "bin" / "python"
    check = [str(python), "-c", "import flask_websub.hub, celery, kombu.transport.redis"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python, ""
    print(f"installing {PEER_PACKAGE} into {venv} ...", file=sys.stderr)
    made = subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], capture_output=True)
    if made.returncode != 0:
        return None, f"could not create a virtual environment: {made.stderr.decode()[-500:]}"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    installed = subprocess.run([*pip, PEER_PACKAGE, PEER_EXTRA], capture_output=True, text=True)
    if installed.returncode != 0:
        return None, f"pip install {PEER_PACKAGE} failed: {installed.stderr[-800:]}"
    if subprocess.run(check, capture_output=True).returncode != 0:
        return None, f"{PEER_PACKAGE} installed but its hub or Redis transport does not import"
    return python, ""


def redis_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url)


def run_peer(
    options: argparse.Namespace, rx: Receivers, mode: str, scratch: Path, python: Path, docs: Path
) -> Run:
    run = Run(
        "Flask-WebSub", mode, options.subscriptions, options.peer_uploads, options.peer_concurrency
    )
    prefix = f"photohub-push-bench-{secrets.token_hex(4)}:"
    storage = scratch / f"flask-websub-{mode}.sqlite3"
    common = ["--redis", options.peer_redis, "--prefix", prefix, "--storage", str(storage)]
    log = open(scratch / f"celery-{mode}.log", "w")  # noqa: SIM115 (closed below)
    worker = subprocess.Popen(
        [
            str(python),
            str(HERE),
            "_peer_worker",
            *common,
            "--concurrency",
            str(options.peer_concurrency),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    publisher = subprocess.Popen(
        [
            str(python),
            str(HERE),
            "_peer",
            *common,
            "--ports",
            ",".join(map(str, rx.ports)),
            "--subscriptions",
            str(options.subscriptions),
            "--documents",
            str(docs),
            "--pace",
            str(options.pace if mode == "paced" else 0),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    broker = redis_client(options.peer_redis)
    assert publisher.stdin is not None and publisher.stdout is not None
    try:
        ready = read_line(publisher.stdout, "the peer's publisher")
        if ready["verified"] < options.subscriptions:
            log.flush()
            tail = (scratch / f"celery-{mode}.log").read_text()[-1500:]
            run.note = f"only {ready['verified']} of {options.subscriptions} subscriptions verified"
            print(f"the peer's worker said:\n{tail}", file=sys.stderr)
        rx.reset()
        before_rx = rx.get("/_stats")["cpu_seconds"]
        before = tree_cpu(worker.pid)
        cpu = broker.info("cpu")
        broker_before = float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])
        memory_before = float(broker.info("memory")["used_memory"])
        peak = {"memory": memory_before, "queue": 0}

        def sample() -> None:
            peak["memory"] = max(peak["memory"], float(broker.info("memory")["used_memory"]))
            peak["queue"] = max(peak["queue"], int(broker.llen(prefix + "celery")))

        with profiled(options.profile, worker.pid, f"peer-{mode}"):
            publisher.stdin.write("go\n")
            publisher.stdin.flush()
            commits = read_line(publisher.stdout, "the peer")["commits"]
            run.commits = {int(k): v for k, v in commits.items()}
            run.stats = wait_for_deliveries(run, rx, options.timeout, sample)
        run.hub_cpu = tree_cpu(worker.pid) - before
        cpu = broker.info("cpu")
        run.broker_cpu = float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"]) - broker_before
        run.broker_peak_mib = (peak["memory"] - memory_before) / 2**20
        run.peak_queue = int(peak["queue"])
        run.receiver_cpu = run.stats["cpu_seconds"] - before_rx
        run.load = os.getloadavg()
        run.posts = [(int(n), float(t), [int(p) for p in ps]) for n, t, ps in rx.get("/_records")]
        publisher.stdin.write("stop\n")
        publisher.stdin.flush()
    except BaseException:
        log.flush()
        tail = (scratch / f"celery-{mode}.log").read_text()[-3000:]
        print(f"the peer's worker said:\n{tail}", file=sys.stderr)
        raise
    finally:
        with contextlib.suppress(OSError):
            publisher.stdin.close()
        stop(publisher)
        stop(worker, wait=30)
        log.close()
        left = list(broker.scan_iter(match=prefix + "*", count=1000))
        if left:
            broker.delete(*left)
        broker.close()
    return run


def cpu_model() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def table(runs: list[Run]) -> list[str]:
    """One row per run; ratios against the peer's run of the same mode."""
    peers = {r.mode: r.figures() for r in runs if r.server == "Flask-WebSub"}
    lines = [
        "| server | run | uploads | deliveries (POSTs) | entries | seconds | POSTs/s | POSTs/s "
        "per worker process | entries/s | entries per POST | p50 ms | p99 ms | median fan-out "
        "ms | hub CPU s | receiver CPU s | POSTs/s vs peer | entries/s vs peer |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        f = run.figures()
        peer = peers.get(run.mode)
        hub_cpu = f"{run.hub_cpu:.1f}"
        if run.broker_cpu is not None:
            hub_cpu += f" (+ Redis {run.broker_cpu:.1f})"
        ratio_posts = ratio_entries = "-"
        if peer is not None and run.server != "Flask-WebSub" and peer["posts_s"] > 0:
            ratio_posts = f"{f['posts_s'] / peer['posts_s']:.2f}x"
            ratio_entries = f"{f['entries_s'] / peer['entries_s']:.1f}x"
        lines.append(
            f"| {run.server} | {run.mode} | {run.uploads} | {f['posts']:,.0f} "
            f"| {f['entries']:,.0f} | {f['seconds']:.1f} | {f['posts_s']:,.0f} "
            f"| {f['posts_s'] / run.processes:,.0f} | {f['entries_s']:,.0f} "
            f"| {f['per_post']:.1f} | {f['p50']:,.0f} | {f['p99']:,.0f} | {f['fanout']:,.0f} "
            f"| {hub_cpu} | {run.receiver_cpu:.1f} | {ratio_posts} | {ratio_entries} |"
        )
    return lines


def redis_reachable(url: str) -> str:
    """ "" when Redis answers at ``url``, else why not."""
    try:
        client = redis_client(url)
        client.ping()
        client.close()
    except Exception as exc:  # any failure means: no broker for the peer
        return f"Redis at {url} did not answer ({exc})"
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command")
    for name in ("_photohub", "_peer", "_peer_worker"):
        internal = sub.add_parser(name)
        internal.add_argument("--ports", default="")
        internal.add_argument("--subscriptions", type=int, default=0)
        internal.add_argument("--uploads", type=int, default=0)
        internal.add_argument("--pace", type=float, default=0.0)
        internal.add_argument("--data-dir", default="")
        internal.add_argument("--database-url", default="")
        internal.add_argument("--redis", default="")
        internal.add_argument("--prefix", default="")
        internal.add_argument("--storage", default="")
        internal.add_argument("--documents", default="")
        internal.add_argument("--concurrency", type=int, default=0)
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--uploads", type=int, default=100, help="photohub's uploads per run")
    parser.add_argument("--modes", default="burst,paced", help="photohub's runs: burst, paced")
    parser.add_argument("--pace", type=float, default=2.0, help="uploads per second when paced")
    parser.add_argument("--servers", default="photohub,peer")
    parser.add_argument("--database-url", default="", help="PostgreSQL admin URL (else SQLite)")
    parser.add_argument(
        "--push-concurrency", type=int, default=0, help="photohub's push_concurrency (default 64)"
    )
    parser.add_argument(
        "--photohub-redis", default="", help="Redis URL: photohub's queues and broker in Redis"
    )
    parser.add_argument("--receiver-ports", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run at most")
    parser.add_argument("--peer-uploads", type=int, default=20, help="the peer's uploads per run")
    parser.add_argument("--peer-modes", default="burst", help="the peer's runs: burst, paced")
    parser.add_argument(
        "--peer-venv", default=str(Path(tempfile.gettempdir()) / "photohub-bench-flask-websub")
    )
    parser.add_argument("--peer-redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--peer-concurrency", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--profile", default="", help="py-spy the hubs into PREFIX-<run>.txt (analysis aid)"
    )
    options = parser.parse_args()
    if options.command == "_photohub":
        photohub_process(options)
        return
    if options.command == "_peer":
        peer_publisher(options)
        return
    if options.command == "_peer_worker":
        peer_worker(options)
        return

    # A SIGTERM (a timeout) unwinds like an error, so receivers, workers, scratch
    # databases and Redis keys are still cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    servers = options.servers.split(",")
    load_before = os.getloadavg()
    runs: list[Run] = []
    skipped = ""
    with (
        tempfile.TemporaryDirectory(prefix="push-delivery-") as folder,
        receivers(options.receiver_ports) as rx,
    ):
        scratch = Path(folder)
        if "photohub" in servers:
            for mode in options.modes.split(","):
                print(f"photohub, {mode} ...", file=sys.stderr)
                runs.append(run_photohub(options, rx, mode, scratch))
        if "peer" in servers:
            python, skipped = peer_python(options)
            skipped = skipped or redis_reachable(options.peer_redis)
            if python is not None and not skipped:
                docs = scratch / "documents.json"
                docs.write_text(json.dumps(render_documents(options.peer_uploads)))
                for mode in options.peer_modes.split(","):
                    print(f"Flask-WebSub, {mode} ...", file=sys.stderr)
                    runs.append(run_peer(options, rx, mode, scratch, python, docs))
    backend = "PostgreSQL" if options.database_url else "SQLite"
    settings = next((r.settings for r in runs if r.settings), "")
    print(
        f"Push delivery: {options.subscriptions:,} WebSub subscriptions with secrets, one "
        f"callback path each on {options.receiver_ports} ports of one receiver process; every "
        f"upload matches every subscription; burst = all uploads at once, paced = "
        f"{options.pace:g} uploads/s. photohub: one process, {backend}, {settings}. "
        f"Flask-WebSub {PEER_PACKAGE.split('==')[1]}: Celery worker with "
        f"{options.peer_concurrency} prefork processes, Redis broker.\n"
    )
    print("\n".join(table(runs)))
    print()
    for run in runs:
        s = run.stats
        extra = ""
        if run.peak_queue is not None:
            extra = (
                f", broker queue peak {run.peak_queue:,} messages, Redis memory "
                f"+{run.broker_peak_mib:.0f} MiB"
            )
        print(
            f"- {run.server} {run.mode}: {s.get('bad_signatures', 0)} bad and "
            f"{s.get('unsigned', 0)} unsigned POSTs, {s.get('connections', 0):,} connections "
            f"opened, {s.get('bytes', 0) / 2**20:.1f} MiB of Atom, load average at the end "
            f"{run.load[0]:.2f}{extra}{'; ' + run.note if run.note else ''}"
        )
    if skipped:
        print(f"\nFlask-WebSub was not run: {skipped}")
    print(
        f"\nMachine: {os.cpu_count()} CPUs, {cpu_model()}; Python {platform.python_version()}; "
        f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}. "
        "Receivers, hub and (for the peer) Redis share the machine's cores."
    )


if __name__ == "__main__":
    main()
