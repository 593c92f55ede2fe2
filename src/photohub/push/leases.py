"""Leases (``push_leases``, every :data:`LEASE_SWEEP_SECONDS`): active subscriptions whose
lease has ended become ``expired`` (no more deliveries; WebSub §5.3.1); auto-renewing
(Flickr, no lease given) ones are verified again once ``RENEW_AT_FRACTION`` of their
lease has passed (success extends the lease; failure lets it lapse); ended rows are
deleted after :data:`ENDED_KEPT_DAYS` days.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from photohub.domain.verification import (
    RENEW_AT_FRACTION,
    renewal_due,
)
from photohub.store import subscriptions as subs
from photohub.store.db import utcnow
from photohub.tasks import queue

if TYPE_CHECKING:
    from photohub.site import Site

from photohub.push.intent import (
    enqueue_verification,
    renewal_task_args,
    stored_topic,
)

log = logging.getLogger("photohub.push")

LEASES_TASK = "push_leases"
LEASE_SWEEP_SECONDS = 60.0
ENDED_KEPT_DAYS = 7


async def sweep_leases(site: Site, args: dict[str, Any]) -> None:
    """The ``push_leases`` task, every LEASE_SWEEP_SECONDS: expire lapsed leases, start
    the renewal of auto-renewing subscriptions that are due, delete rows ended more
    than ENDED_KEPT_DAYS ago. It schedules its next run first, so an error here delays
    nothing but this run (the task table keeps one pending run: an equal insert is a
    no-op)."""
    async with site.db.write() as conn:
        await queue.enqueue(conn, LEASES_TASK, {}, delay=LEASE_SWEEP_SECONDS)
    now = utcnow()
    async with site.db.write() as conn:
        expired = await subs.expire_lapsed(conn, now)
        removed = await subs.delete_ended(conn, now - timedelta(days=ENDED_KEPT_DAYS))
        due = [
            row
            for row in await subs.renewals_due(conn, now, RENEW_AT_FRACTION)
            if renewal_due(now, row["verified_at"], int(row["lease_seconds"]))
        ]
        for row in due:
            await enqueue_verification(conn, renewal_task_args(row, stored_topic(site, row)))
    if expired or removed or due:
        log.info(
            "push leases: %d expired, %d ended rows deleted, %d renewals started",
            expired,
            removed,
            len(due),
        )
    if due:
        await site.announce([], tasks_added=True)
