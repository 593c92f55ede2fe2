"""Asynchronous uploads: a ticket opened before the answer, finished after it.

Flickr's ``async=1`` answers with a ticket id at once and lets the client poll
``flickr.photos.upload.checkTickets``. photohub receives and checks the file first (so a
bad file is still refused in the answer), opens the ticket, answers, and then stores the
photo: the transaction that commits the photo row also marks the ticket complete, so a
ticket never says complete for a photo that is not there. Any failure after the answer
marks the ticket failed; a process that dies before either leaves a pending ticket that
``store.tickets.status_of`` reports as failed once it is stale.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable

from photohub.domain.errors import PhotohubError
from photohub.site import Site
from photohub.store import tickets as ticket_store
from photohub.store.db import utcnow

log = logging.getLogger("photohub.uploads")

PRUNE_CHANCE = 0.01
"""Share of new tickets that also delete tickets older than ``store.tickets.KEEP_FOR``."""


async def open_ticket(site: Site, user_id: int) -> int:
    """A new pending ticket for an upload by ``user_id``; returns its id."""
    async with site.db.write() as conn:
        ticket_id = await ticket_store.create(conn, user_id)
        if random.random() < PRUNE_CHANCE:
            await ticket_store.prune(conn, utcnow() - ticket_store.KEEP_FOR)
    return ticket_id


async def run_ticket(site: Site, ticket_id: int, work: Callable[[], Awaitable[object]]) -> None:
    """Run the rest of an asynchronous upload (after its answer went out). ``work``
    marks the ticket complete in its own transaction; if it fails, the ticket is marked
    failed here. Never raises: nobody is waiting for it."""
    try:
        await work()
    except Exception as exc:
        if isinstance(exc, PhotohubError):
            reason = exc.message
            log.warning("asynchronous upload (ticket %s) refused: %s", ticket_id, reason)
        else:
            reason = "The photo could not be stored."
            log.exception("asynchronous upload (ticket %s) failed", ticket_id)
        try:
            async with site.db.write() as conn:
                await ticket_store.fail(conn, ticket_id, reason)
        except Exception:
            # The ticket stays pending and reads as failed once stale.
            log.exception("could not mark upload ticket %s failed", ticket_id)
