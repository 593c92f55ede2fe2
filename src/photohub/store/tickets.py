"""Upload tickets (``upload_tickets``): the receipts of asynchronous uploads and replaces,
which ``flickr.photos.upload.checkTickets`` reports on.

Flickr's ``checkTickets`` needs no authentication, so knowing a ticket id is what lets
someone read it: ids are random (53 bits, safe as a JavaScript number) rather than
sequential, so they cannot be guessed or counted. A ticket is ``PENDING`` until the
transaction that stores its photo also marks it ``COMPLETE``; a failure marks it
``FAILED``. A ticket still pending after ``STALE_AFTER`` belonged to a process that
stopped before finishing (its file is swept on the next start), and reads as failed.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.store.db import utcnow
from photohub.store.schema import upload_tickets

# Flickr's ``complete`` values.
PENDING, COMPLETE, FAILED = 0, 1, 2
STALE_AFTER = timedelta(minutes=10)
"""Far longer than storing a received file takes; then the work is known to be lost."""
KEEP_FOR = timedelta(days=7)
"""How long finished tickets are kept for clients to check."""
ERROR_MAX = 500


def _new_id() -> int:
    return secrets.randbelow(2**53 - 1) + 1


async def create(conn: AsyncConnection, user_id: int) -> int:
    """A new pending ticket of ``user_id``; returns its id."""
    ticket_id = _new_id()
    await conn.execute(
        upload_tickets.insert().values(
            id=ticket_id, user_id=user_id, status=PENDING, created_at=utcnow()
        )
    )
    return ticket_id


async def complete(conn: AsyncConnection, ticket_id: int, photo_id: int) -> None:
    """Mark the ticket done; call in the transaction that stores the photo."""
    query = upload_tickets.update().where(upload_tickets.c.id == ticket_id)
    await conn.execute(query.values(status=COMPLETE, photo_id=photo_id, error=None))


async def fail(conn: AsyncConnection, ticket_id: int, error: str) -> None:
    """Mark a pending ticket failed, with the reason (kept for the logs and the host)."""
    query = upload_tickets.update().where(
        upload_tickets.c.id == ticket_id, upload_tickets.c.status == PENDING
    )
    await conn.execute(query.values(status=FAILED, error=error[:ERROR_MAX]))


async def get_many(conn: AsyncConnection, ticket_ids: Iterable[int]) -> dict[int, RowMapping]:
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    query = sa.select(upload_tickets).where(upload_tickets.c.id.in_(ids))
    return {int(row["id"]): row for row in (await conn.execute(query)).mappings()}


def status_of(row: RowMapping, now: datetime) -> int:
    """The ticket's ``complete`` value as clients should see it (stale pending = failed)."""
    status = int(row["status"])
    if status == PENDING and now - row["created_at"] > STALE_AFTER:
        return FAILED
    return status


async def prune(conn: AsyncConnection, before: datetime) -> int:
    """Delete tickets created before ``before``; returns how many."""
    query = upload_tickets.delete().where(upload_tickets.c.created_at < before)
    return int((await conn.execute(query)).rowcount)
