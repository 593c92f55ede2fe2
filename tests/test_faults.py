"""The fault suite: real ``serve`` and ``worker`` processes on a PostgreSQL database and a
Redis (``appendonly yes``) of the test's own, a WebSub subscriber (the firehose, every
public upload), and a burst of guest uploads during which the worker, Redis, ``serve``
(mid-upload) and then all three are killed with SIGKILL and started again. Afterwards
every upload the server acknowledged is held by the subscriber, and every change was
rendered as one entry, delivered once.

Counted, and printed per scenario:

* ``lost``: acknowledged uploads the subscriber never got;
* ``duplicates``: changes rendered as more than one entry (rows of ``push_entries`` per
  photo: each photo here changes once, its upload) or delivered as more than one
  distinct entry (by photo: every entry of a photo has the photo's Atom id);
* ``redelivered``: the one entry of a photo POSTed again. Delivery is at-least-once: a
  worker killed between a subscriber's 2xx and recording it sends that POST again (the
  same entry, same id and ``updated``, for the subscriber to drop). Allowed only where a
  worker was killed, at most what it had in flight.

An upload whose request died with ``serve`` is sent again, as a phone would; if the
first had been committed, both photos are real uploads (each pushed once): counted as
``unacknowledged`` and held to the same rules, but not as lost when missing.
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from lxml import etree
from sqlalchemy.ext.asyncio import create_async_engine

from photohub.config import Settings
from tests import images
from tests.processes import COMMAND, PrivateRedis, clean_env, free_port, own_redis
from tests.push.receiver import Receiver, receiving
from tests.waiting import bounded, eventually, stop_process_async

# About 75 s on a 2-core machine; the default per-test limit (120 s) is too close.
pytestmark = [pytest.mark.anyio, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(240)]

UPLOADS = 12  # per scenario
IN_FLIGHT = 4  # uploads the client sends at once
PUSH_CONCURRENCY = 4
_ATOM = "{http://www.w3.org/2005/Atom}"
_GONE = "{http://purl.org/atompub/tombstones/1.0}deleted-entry"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[PrivateRedis]:
    with own_redis(tmp_path / "redis", persistent=True) as server:
        yield server


@dataclass
class Processes:
    """``serve`` (on one port, kept across restarts) and one ``worker``."""

    env: dict[str, str]
    data_dir: Path
    port: int = field(default_factory=free_port)
    serve: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = self.data_dir.parent / f"{name}.log"
        with log.open("ab") as out:
            return subprocess.Popen(
                [*COMMAND, name, *args],
                env=clean_env(self.env),
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def start_serve(self) -> None:
        args = ("--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.data_dir))
        self.serve = self._start("serve", *args)

    def start_worker(self) -> None:
        self.worker = self._start("worker")

    async def healthy(self) -> None:
        async def answers() -> bool:
            assert self.serve is not None and self.serve.poll() is None, "serve exited"
            try:
                async with httpx.AsyncClient(timeout=1) as client:
                    return (await client.get(self.url + "/healthz")).status_code == 200
            except httpx.HTTPError:
                return False

        await eventually(answers, 30, "photohub serve to answer", interval=0.1)

    @staticmethod
    async def kill(process: subprocess.Popen[bytes] | None, what: str) -> None:
        if process is not None:
            process.send_signal(signal.SIGKILL)
            await stop_process_async(process, what, interrupt=False)

    async def stop(self) -> None:
        for process, what in ((self.worker, "the worker"), (self.serve, "serve")):
            if process is not None:
                await stop_process_async(process, what, grace=15)

    def logs(self) -> str:
        folder = self.data_dir.parent
        return "\n".join(f"--- {p.name}\n{p.read_text()[-4000:]}" for p in folder.glob("*.log"))


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as receiver:
        yield receiver


@pytest.fixture
async def processes(
    tmp_path: Path, postgres_url: str, redis_server: PrivateRedis, receiver: Receiver
) -> AsyncIterator[Processes]:
    env = {
        "PHOTOHUB_DATABASE_URL": postgres_url,
        "PHOTOHUB_REDIS_URL": redis_server.url,
        "PHOTOHUB_ADMIN_TOKEN": "fault-suite",
        "PHOTOHUB_RUN_TASKS": "0",  # for serve; the worker runs them
        "PHOTOHUB_RENDITION_SIZES": "256",
        "PHOTOHUB_PUSH_ALLOW": "127.0.0.1",
        "PHOTOHUB_PUBLIC_URL": "http://photos.test",
        "PHOTOHUB_PUSH_FIREHOSE_URL": receiver.url + "/firehose",
        "PHOTOHUB_PUSH_FIREHOSE_RATE": "0",
        "PHOTOHUB_PUSH_TIMEOUT": "1",
        "PHOTOHUB_PUSH_CONCURRENCY": str(PUSH_CONCURRENCY),
        "PHOTOHUB_PUSH_COLLAPSE_SECONDS": "0.5",
        "PHOTOHUB_TASK_POLL_INTERVAL": "0.1",
        "PHOTOHUB_TASK_LEASE_SECONDS": "3",
        "PHOTOHUB_EVENT_POLL_INTERVAL": "0.2",
        "PHOTOHUB_START_TIMEOUT": "30",
        "PHOTOHUB_LOG_LEVEL": "warning",
    }
    env["PHOTOHUB_DATA_DIR"] = str(tmp_path / "data")  # the media both share
    running = Processes(env, tmp_path / "data")
    running.start_serve()
    running.start_worker()
    try:
        await running.healthy()
        yield running
    except BaseException:
        print(running.logs())
        raise
    finally:
        await running.stop()


@dataclass
class Phone:
    """One guest's phone: its own cookies and token, a new session after a failure."""

    url: str
    client: httpx.AsyncClient | None = None
    token: str = ""

    async def session(self) -> tuple[httpx.AsyncClient, str]:
        if self.client is None:
            client = httpx.AsyncClient(timeout=10)
            try:
                page = await client.get(self.url + "/upload", headers={"accept": "text/html"})
            except BaseException:
                await client.aclose()
                raise
            match = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
            if match is None:
                await client.aclose()
                raise httpx.HTTPError(f"no token on the upload page ({page.status_code})")
            self.client, self.token = client, match[1]
        return self.client, self.token

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()
            self.client = None


@dataclass
class Uploads:
    """Guests uploading from phones: what failed is sent again, what was acknowledged
    (201) is remembered."""

    url: str
    acked: list[int] = field(default_factory=list)
    retried: int = 0
    last_failure: str = ""

    async def one(self, phone: Phone, title: str) -> None:
        for _ in range(120):
            response = None
            try:
                client, token = await phone.session()
                response = await client.post(
                    self.url + "/api/photos",
                    files={"photo": ("p.jpg", images.jpeg(), "image/jpeg")},
                    data={"title": title},
                    headers={
                        "x-csrf-token": token,
                        "origin": self.url,
                        "sec-fetch-site": "same-origin",
                    },
                )
            except httpx.HTTPError as exc:
                self.last_failure = f"{type(exc).__name__}: {exc}"
            if response is not None and response.status_code == 201:
                self.acked.append(int(response.json()["photo"]["id"]))
                return
            if response is not None:
                self.last_failure = f"{response.status_code}: {response.text[:300]}"
            self.retried += 1  # serve is down or restarting: again, as a phone would
            await phone.close()
            await asyncio.sleep(0.25)
        pytest.fail(f"upload {title!r} never succeeded; last: {self.last_failure}")

    async def burst(self, name: str, count: int, during: Callable[[], Any]) -> None:
        """``count`` uploads from IN_FLIGHT phones at once; ``during()`` (the fault)
        runs once a third of them are acknowledged."""
        titles = iter(f"{name}-{n}" for n in range(count))

        async def uploader() -> None:
            phone = Phone(self.url)
            try:
                for title in titles:
                    await self.one(phone, title)
            finally:
                await phone.close()

        async def fault() -> None:
            await eventually(lambda: len(self.acked) >= count // 3, 60, f"uploads before {name}")
            await during()

        await bounded(
            asyncio.gather(fault(), *(uploader() for _ in range(IN_FLIGHT))),
            80,
            f"the {name} burst",
            detail=lambda: self.last_failure,
        )


def held(receiver: Receiver) -> Counter[int]:
    """How many times each photo's entry reached the firehose."""
    found: Counter[int] = Counter()
    for post in receiver.posts_to("/firehose"):
        root = etree.fromstring(post.body)
        for entry in root.iter(_ATOM + "entry"):
            found[int(str(entry.findtext(_ATOM + "id")).rsplit("/", 1)[1])] += 1
        assert not list(root.iter(_GONE)), "a tombstone for an upload"
    return found


async def hub_state(url: str) -> tuple[Counter[int], set[int], int]:
    """Entries per photo, pushable photos, and what is still to do (tasks, journal)."""
    engine = create_async_engine(Settings(database_url=url).db_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT photo_id, change FROM push_entries"))
            entries = Counter(int(r.photo_id) for r in rows if r.photo_id is not None)
            photos = {
                int(i)
                for i in await conn.scalars(sa.text("SELECT id FROM photos WHERE state = 'ready'"))
            }
            busy = int(
                await conn.scalar(
                    sa.text(
                        "SELECT (SELECT count(*) FROM tasks WHERE name IN "
                        "('push_photo', 'push_fave', 'process_image')) "
                        "+ (SELECT count(*) FROM push_entries "
                        "WHERE targets IS NOT NULL AND pushed_at IS NULL)"
                    )
                )
                or 0
            )
    finally:
        await engine.dispose()
    return entries, photos, busy


@dataclass
class Report:
    scenario: str
    acked: int
    unacknowledged: int
    lost: int
    duplicates: int
    redelivered: int
    retried: int

    def line(self) -> str:
        return (
            f"{self.scenario:8} acked={self.acked:3} unacknowledged={self.unacknowledged} "
            f"lost={self.lost} duplicates={self.duplicates} redelivered={self.redelivered} "
            f"client-retries={self.retried}"
        )


async def settle(
    name: str, uploads: Uploads, receiver: Receiver, url: str, before: set[int]
) -> Report:
    """Wait (bounded) until every acknowledged upload is held and the hub has nothing
    left to do, then count this scenario's photos."""

    seen: dict[str, object] = {}

    async def done() -> bool:
        _, photos, busy = await hub_state(url)
        got = held(receiver)
        seen["busy"] = busy
        seen["not held"] = sorted(p for p in photos - before if not got[p])
        seen["acked, not ready"] = sorted(set(uploads.acked) - photos)
        return not busy and not seen["not held"] and not seen["acked, not ready"]

    await eventually(
        done, 60, f"every upload of {name} delivered", interval=0.3, detail=lambda: seen
    )
    entries, photos, _ = await hub_state(url)
    got = held(receiver)
    mine = photos - before
    acked = set(uploads.acked) - before
    return Report(
        scenario=name,
        acked=len(acked),
        unacknowledged=len(mine - acked),
        lost=sum(1 for p in acked if not got[p]),
        duplicates=sum(max(0, entries[p] - 1) for p in mine),
        redelivered=sum(max(0, got[p] - 1) for p in mine),
        retried=uploads.retried,
    )


async def test_every_subscriber_holds_every_upload_once_whatever_is_killed(
    processes: Processes, redis_server: PrivateRedis, receiver: Receiver, postgres_url: str
) -> None:
    async def kill_worker() -> None:
        await processes.kill(processes.worker, "the worker")
        processes.start_worker()

    async def kill_redis() -> None:
        redis_server.stop()  # SIGKILL: what the append-only file has survives
        await asyncio.sleep(2)
        redis_server.start()

    async def kill_serve() -> None:
        await processes.kill(processes.serve, "serve")  # requests are in flight
        processes.start_serve()

    async def kill_all() -> None:
        await processes.kill(processes.worker, "the worker")
        await processes.kill(processes.serve, "serve")
        redis_server.stop()
        # Started before Redis is back: both wait for it (PHOTOHUB_START_TIMEOUT).
        processes.start_worker()
        processes.start_serve()
        await asyncio.sleep(2)
        redis_server.start()

    scenarios: list[tuple[str, Callable[[], Any], bool]] = [
        ("worker", kill_worker, True),
        ("redis", kill_redis, False),
        ("serve", kill_serve, False),
        ("all", kill_all, True),
    ]
    reports: list[tuple[Report, bool]] = []
    failed = True
    try:
        await run(scenarios, reports, processes, receiver, postgres_url)
        failed = False
    finally:
        if failed:
            print(processes.logs())
    for report, kills_worker in reports:
        assert report.lost == 0, report.line()
        assert report.duplicates == 0, report.line()
        allowed = PUSH_CONCURRENCY * 200 if kills_worker else 0
        assert report.redelivered <= allowed, report.line()
    assert processes.worker is not None and processes.worker.poll() is None


async def run(
    scenarios: list[tuple[str, Callable[[], Any], bool]],
    reports: list[tuple[Report, bool]],
    processes: Processes,
    receiver: Receiver,
    postgres_url: str,
) -> None:
    for name, fault, kills_worker in scenarios:
        uploads = Uploads(processes.url)
        _, before_photos, _ = await hub_state(postgres_url)
        await uploads.burst(name, UPLOADS, fault)
        await processes.healthy()
        report = await settle(name, uploads, receiver, postgres_url, before_photos)
        print(report.line())
        reports.append((report, kills_worker))
