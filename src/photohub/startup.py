"""Waiting at start for the services a process needs (the database, Redis).

``photohub serve`` and ``photohub worker`` are often started beside their database and
Redis (a compose file, a boot sequence, a restart during a blip): each process waits
until every service answers, up to ``PHOTOHUB_START_TIMEOUT`` seconds, saying once what
it waits for and how to fix it, rather than exiting at the first refused connection.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit, urlunsplit

from photohub.outage import unreachable

log = logging.getLogger("photohub")

RETRY_SECONDS = 0.5


def shown_url(url: str) -> str:
    """``url`` without its password, fit for a log line."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + host))


async def wait_for_service(
    what: str, check: Callable[[], Awaitable[None]], fix: str, seconds: float
) -> None:
    """Call ``check`` until it returns, at most ``seconds``; it raises while
    the service is out of reach. The first failure is logged (``what`` it waits for,
    ``fix``: what the operator can do), the wait's end too; after ``seconds`` the last
    error is raised. An error that is not about reaching the service is raised at once."""
    deadline = time.monotonic() + max(0.0, seconds)
    started = time.monotonic()
    waited = False
    while True:
        try:
            await check()
        except Exception as exc:
            if not unreachable(exc) or time.monotonic() >= deadline:
                raise
            if not waited:
                log.warning(
                    "waiting for %s (%s: %s); %s; giving up after %g s",
                    what,
                    type(exc).__name__,
                    str(exc).strip() or "no answer",
                    fix,
                    seconds,
                )
                waited = True
            await asyncio.sleep(RETRY_SECONDS)
            continue
        if waited:
            log.warning("%s answers after %.1f s", what, time.monotonic() - started)
        return
