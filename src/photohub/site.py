"""The running site: settings, database, broker, live hub, media store and task runner,
started and stopped together. Web handlers, tasks and the CLI all receive one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import Any

from photohub.banner import base_url
from photohub.broker import create_broker
from photohub.config import Settings
from photohub.live.hub import LiveHub
from photohub.live.topic_hub import TopicHub
from photohub.media.storage import MediaStore
from photohub.places import gazetteer
from photohub.startup import shown_url, wait_for_service
from photohub.store import guests
from photohub.store import site as site_store
from photohub.store.db import Database, wait_for
from photohub.store.events import Event
from photohub.tasks import queue
from photohub.tasks.runner import Runner

log = logging.getLogger("photohub")


@dataclass(frozen=True)
class HostState:
    uploads_paused: bool
    moderation: bool
    wall_interval: int
    wall_transition: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "uploads_paused": self.uploads_paused,
            "moderation": self.moderation,
            "wall_interval": self.wall_interval,
            "wall_transition": self.wall_transition,
        }


class Site:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings.db_url)
        self.broker = create_broker(settings.redis_url, settings.redis_prefix)
        self.hub = LiveHub(
            self.db,
            self.broker,
            poll_interval=settings.event_poll_interval,
            heartbeat=settings.heartbeat_seconds,
        )
        # Topic streams' fan-out; it starts with the first stream (live.topic_hub).
        self.topic_streams = TopicHub(
            self.db,
            self.broker,
            poll_interval=settings.event_poll_interval,
            heartbeat=settings.heartbeat_seconds,
        )
        self.media = MediaStore(settings.media_dir)
        from photohub.push.deliver import Deliverer
        from photohub.push.dispatch import follow_outbox
        from photohub.push.loop import Loop
        from photohub.push.queues import create_queues
        from photohub.tasks.definitions import HANDLERS

        self.runner: Runner[Site] = Runner(
            self.db,
            HANDLERS,
            self,
            concurrency=settings.task_concurrency,
            poll_interval=settings.task_poll_interval,
            lease=timedelta(seconds=settings.task_lease_seconds),
        )
        # The push hub: the outbox's reader and this process's delivery worker.
        self.dispatcher = Loop(
            "push dispatch", lambda: follow_outbox(self), settings.event_poll_interval
        )
        self.queues = create_queues(self.db, settings.redis_url, settings.redis_prefix)
        self.deliverer = Deliverer(self)
        self.secret_key = settings.secret_key
        self.admin_token = settings.admin_token
        self.admin_token_created = False
        self._background: list[asyncio.Task[None]] = []

    @cached_property
    def base_url(self) -> str:
        """The site's absolute URL for what leaves it without a request to answer (push
        entries, topic URLs): the configured public URL, else the LAN address guessed."""
        return base_url(self.settings.host, self.settings.port, self.settings.public_url)

    async def start(self, *, run_tasks: bool | None = None, live: bool = True) -> None:
        """Migrate, load secrets, connect the broker, start the live hub and the runner."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.media.prepare()
        # Ready (about 0.2 s, in a thread) before the first geotagged photo needs it.
        gazetteer.preload()
        await self._wait_for_services()
        await self.db.migrate()
        await self._load_secrets()
        async with self.db.write() as conn:
            # Each start checks for files a crash left without their row.
            await queue.enqueue(conn, "sweep_media", {})
            await queue.enqueue(conn, "push_leases", {})  # then every minute, by itself
        await self.broker.start()
        await self.queues.start()
        from photohub.push import dispatch, firehose

        await dispatch.start_cursor(self.db)  # before any change this site takes
        await firehose.configure(self)
        if live:
            await self.hub.start()
        if self.settings.run_tasks if run_tasks is None else run_tasks:
            for loop in (self.runner.run_forever, self.dispatcher.run_forever):
                self._background.append(asyncio.create_task(loop()))
            self._background.append(asyncio.create_task(self.deliverer.loop.run_forever()))

    async def _wait_for_services(self) -> None:
        """Wait for the database, then Redis, each up to ``start_timeout`` (``startup``)."""
        timeout = self.settings.start_timeout
        where = shown_url(self.settings.database_url) if self.settings.database_url else "SQLite"
        await wait_for_service(
            f"the database ({where})",
            lambda: wait_for(self.db, attempts=1),
            "start it, or fix PHOTOHUB_DATABASE_URL",
            timeout,
        )
        if self.settings.redis_url:
            from photohub.broker.redis import ping

            url = self.settings.redis_url
            await wait_for_service(
                f"Redis at {shown_url(url)}",
                lambda: ping(url),
                "start redis-server, or fix PHOTOHUB_REDIS_URL",
                timeout,
            )

    async def close(self) -> None:
        """Stop: end open streams, cancel the background loops (their waits always
        let a cancellation through, ``photohub.wake``), give back the claims of tasks
        and deliveries they interrupted (a restart redoes them at once), disconnect."""
        self.end_streams()
        background, self._background = self._background, []
        for task in background:
            task.cancel()
        for task in background:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.runner.release_claims()
        await self.deliverer.close()
        await self.queues.close()
        await self.hub.close()
        await self.topic_streams.close()
        await self.broker.close()
        await self.db.dispose()

    def end_streams(self) -> None:
        """End every open wall and topic stream (shutdown): clients reconnect, resume."""
        self.hub.end_streams()
        self.topic_streams.end_streams()

    async def _load_secrets(self) -> None:
        # Kept in the database so that every process of one site agrees on them.
        async with self.db.write() as conn:
            if not self.secret_key:
                self.secret_key = await site_store.get(conn, "secret_key") or ""
                if not self.secret_key:
                    self.secret_key = secrets.token_urlsafe(32)
                    await site_store.put(conn, "secret_key", self.secret_key)
            if not self.admin_token:
                self.admin_token = await site_store.get(conn, "admin_token") or ""
                if not self.admin_token:
                    self.admin_token = secrets.token_urlsafe(18)
                    self.admin_token_created = True
                    await site_store.put(conn, "admin_token", self.admin_token)

    async def reset_admin_token(self) -> str:
        token = secrets.token_urlsafe(18)
        async with self.db.write() as conn:
            await site_store.put(conn, "admin_token", token)
        self.admin_token = token
        return token

    async def announce(self, events: Iterable[Event], *, tasks_added: bool = False) -> None:
        """After a commit: push its events live and wake the local task runner."""
        await self.hub.publish(events)
        self.dispatcher.wake()
        if tasks_added:
            self.runner.wake()

    def wake_delivery(self) -> None:
        """Entries were queued here: deliver now rather than at the next poll."""
        self.deliverer.wake()

    async def guest_name(self, guest_id: str) -> str:
        async with self.db.read() as conn:
            row = await guests.get(conn, guest_id)
        return str(row["name"]) if row is not None else ""

    async def host_state(self) -> HostState:
        async with self.db.read() as conn:
            values = await site_store.get_all(conn)
        return host_state_from(values, self.settings)


def host_state_from(values: dict[str, Any], settings: Settings) -> HostState:
    return HostState(
        uploads_paused=bool(values.get("uploads_paused", False)),
        moderation=bool(values.get("moderation", settings.moderation)),
        wall_interval=int(values.get("wall_interval", settings.wall_interval)),
        wall_transition=str(values.get("wall_transition", settings.wall_transition)),
    )
