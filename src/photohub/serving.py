"""Running photohub as a process: the web server (``photohub serve``) and the task
worker (``photohub worker``), from start to a clean stop on SIGINT or SIGTERM.

A stop ends open streams at once (so uvicorn does not wait out its graceful-shutdown
timeout), then ``Site.close`` cancels the loops and gives back the claims of tasks and
deliveries they interrupted, so a restart redoes them (docs/architecture.md "Stopping").
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import signal
import sys
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import click

from photohub.config import Settings
from photohub.site import Site

if TYPE_CHECKING:
    import uvicorn


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # uvicorn[standard] brings it; plain asyncio otherwise
        return None
    return uvloop.new_event_loop


async def start_site(site: Site, **options: bool) -> Site:
    """Start the site, or stop with a message a host can act on."""
    try:
        await site.start(**options)
    except Exception as exc:
        await site.close()
        where = site.settings.database_url or site.settings.data_dir
        raise click.ClickException(
            f"photohub could not start: {type(exc).__name__}: {exc}\n"
            f"(database: {where}; redis: {site.settings.redis_url or 'not used'})"
        ) from exc
    return site


async def serve(settings: Settings) -> None:
    import uvicorn

    from photohub.app import create_app

    new_site = not has_site(settings)
    site = await start_site(Site(settings))
    try:
        config = uvicorn.Config(
            create_app(site=site, manage_site=False),
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            log_config=_uvicorn_log_config(),
            access_log=settings.access_log,
            timeout_graceful_shutdown=3,
            proxy_headers=True,
        )
        if settings.access_log:  # uvicorn logs requests at INFO, under a quieter level too
            logging.getLogger("uvicorn.access").setLevel(logging.INFO)
        server = _server_class()(config)
        stopping = asyncio.Event()

        def stop() -> None:
            if server.should_exit:  # a second signal: stop waiting for connections
                server.force_exit = True
            server.should_exit = True
            stopping.set()

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        serving = asyncio.create_task(server.serve())
        while not server.started and not serving.done():  # noqa: ASYNC110 (uvicorn has no event)
            await asyncio.sleep(0.05)
        if server.started:
            _announce(site, server.servers[0].sockets[0].getsockname()[1], new_site=new_site)
        # Open streams never finish by themselves: end them as soon as a signal comes,
        # and again until uvicorn has stopped (a stream opened before it closed its
        # sockets), so it does not wait out its graceful-shutdown timeout.
        signalled = asyncio.create_task(stopping.wait())
        await asyncio.wait((serving, signalled), return_when=asyncio.FIRST_COMPLETED)
        signalled.cancel()
        while not serving.done():
            site.end_streams()
            await asyncio.wait((serving,), timeout=0.1)
        await serving
    finally:
        # Then the loops stop and give back what they had claimed (Site.close).
        await site.close()


def _uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's logging, its access log on stderr too: stdout carries the banner alone."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    return config


def _announce(site: Site, port: int, *, new_site: bool) -> None:
    """Print the banner, last of a start (docs/settings.md "What photohub serve prints")."""
    from photohub.banner import at_start, use_colour

    token = site.admin_token if site.admin_token_created else None
    colour = use_colour(sys.stdout.isatty())
    text = at_start(site.settings, port, admin_token=token, new_site=new_site, colour=colour)
    click.echo(text, color=True)
    sys.stdout.flush()


def has_site(settings: Settings) -> bool:
    """Whether a site already exists there (a database not SQLite is taken to exist)."""
    return settings.sqlite_path is None or settings.sqlite_path.exists()


def _server_class() -> type[uvicorn.Server]:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn without its own signal handling: ``_serve`` handles SIGINT and SIGTERM
        (uvicorn would raise the signal again once it stopped, killing the process
        before the site is closed and its claims given back)."""

        @contextlib.contextmanager
        def capture_signals(self) -> Generator[None, None, None]:
            yield

    return Server


async def work(settings: Settings) -> None:
    site = await start_site(Site(settings), run_tasks=True, live=False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    click.echo("photohub worker: running tasks (Ctrl-C to stop)")
    try:
        await stop.wait()
    finally:
        await site.close()
