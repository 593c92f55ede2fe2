"""The task runner: claims due tasks and runs their handlers, inside ``serve`` or in
``photohub worker`` processes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any, Generic, TypeVar

from photohub.outage import Outage
from photohub.store.db import Database
from photohub.tasks import queue
from photohub.wake import wait_woken

log = logging.getLogger("photohub.tasks")

C = TypeVar("C")
Handler = Callable[[C, dict[str, Any]], Awaitable[None]]


class PermanentError(Exception):
    """Raised by a handler when retrying cannot help (the task is marked failed)."""


class RetryLater(Exception):
    """Raised by a handler for an expected failure that may pass (a callback that did
    not answer): the task is retried with backoff, and the failure logged in one line,
    its message, without a traceback. Tracebacks are for bugs: any other exception."""


_RETRY_OUTCOMES = {"pending": "retried later", "failed": "given up", "merged": "merged"}


class Runner(Generic[C]):
    def __init__(
        self,
        db: Database,
        handlers: Mapping[str, Handler[C]],
        context: C,
        *,
        concurrency: int = 2,
        poll_interval: float = 0.5,
        lease: timedelta = queue.LEASE,
    ) -> None:
        """``lease``: how long a claim holds a task (renewed every third of it while it
        runs); a task whose worker was killed is run again once it lapses."""
        self.db = db
        self.handlers = handlers
        self.context = context
        self.concurrency = max(1, concurrency)
        self.poll_interval = poll_interval
        self.lease = lease
        self._wake = asyncio.Event()
        self._claimed: dict[int, queue.Task] = {}  # claimed here, outcome not recorded yet

    def wake(self) -> None:
        """Claim now instead of at the next poll (a task was just inserted here)."""
        self._wake.set()

    async def run_task(self, task: queue.Task) -> str:
        """Run one claimed task and record the outcome; returns "done" or the new status."""
        handler = self.handlers.get(task.name)
        heartbeat = asyncio.create_task(self._keep_claim(task))
        try:
            if handler is None:
                raise PermanentError(f"no handler for task {task.name!r}")
            await handler(self.context, task.args)
        except asyncio.CancelledError:
            raise
        except PermanentError as exc:
            log.warning("task %s %s failed for good: %s", task.name, task.args, exc)
            await queue.fail(self.db, _last_try(task), f"{type(exc).__name__}: {exc}")
            self._claimed.pop(task.id, None)
            return "failed"
        except RetryLater as exc:
            status = await queue.fail(self.db, task, f"{type(exc).__name__}: {exc}")
            self._claimed.pop(task.id, None)
            log.log(
                logging.WARNING if status == "failed" else logging.INFO,
                "task %s failed (attempt %d of %d, %s): %s",
                task.name,
                task.attempts,
                task.max_attempts,
                _RETRY_OUTCOMES.get(status, status),
                exc,
            )
            return status
        except Exception as exc:
            log.exception("task %s %s failed (attempt %d)", task.name, task.args, task.attempts)
            status = await queue.fail(self.db, task, f"{type(exc).__name__}: {exc}")
            self._claimed.pop(task.id, None)
            return status
        finally:
            heartbeat.cancel()
        await queue.complete(self.db, task)
        self._claimed.pop(task.id, None)
        return "done"

    async def _keep_claim(self, task: queue.Task) -> None:
        """Renew the task's claim while it runs (a lost renewal only risks a rerun)."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                await queue.renew(self.db, task, self.lease)
            except Exception:
                log.warning("could not renew the claim of task %s", task.id, exc_info=True)

    async def run_due(self) -> int:
        """Run every task that is due now (concurrently up to ``concurrency``); returns
        how many ran. Used by tests and by the loop."""
        ran = 0
        while True:
            batch = await queue.claim(self.db, self.concurrency, self.lease)
            if not batch:
                return ran
            self._claimed.update((task.id, task) for task in batch)
            await asyncio.gather(*(self.run_task(task) for task in batch))
            ran += len(batch)

    async def release_claims(self) -> None:
        """Give back the claims of tasks stopped before they ended (call once the loop
        is cancelled): a restarted worker runs them at once, not after their lease."""
        claimed, self._claimed = list(self._claimed.values()), {}
        try:
            await queue.release(self.db, claimed)
        except Exception:  # their leases lapse instead
            log.warning("could not release %d task claims", len(claimed), exc_info=True)

    async def run_forever(self) -> None:
        outage = Outage(log, "the task runner")
        while True:
            try:
                await self.run_due()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database restarting must not kill the runner
                outage.failed(exc)  # logged once per outage, retried with a backoff
                await asyncio.sleep(outage.delay(self.poll_interval))
                continue
            outage.recovered()
            self._wake.clear()
            await wait_woken(self._wake, self.poll_interval)


def _last_try(task: queue.Task) -> queue.Task:
    return queue.Task(task.id, task.name, task.args, task.max_attempts, task.max_attempts)
