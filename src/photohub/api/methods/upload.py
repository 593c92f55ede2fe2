"""flickr.photos.upload.*: the status of asynchronous uploads (``/services/upload/`` and
``/services/replace/`` with ``async=1`` answer with a ticket id)."""

from __future__ import annotations

from typing import Any

from photohub.api.args import Arg, ListOf, Text
from photohub.api.call import Call
from photohub.api.registry import Result, registry
from photohub.store import tickets
from photohub.store.db import utcnow

MAX_TICKETS = 100


def _ticket_id(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


@registry.method(
    "flickr.photos.upload.checkTickets",
    "Check the status of asynchronous uploads: complete is 0 (not yet), 1 (done, with the "
    "photo id) or 2 (failed); an unknown ticket is marked invalid.",
    args=(
        Arg(
            "tickets",
            ListOf(Text(40), max_items=MAX_TICKETS),
            required=True,
            doc="A comma-separated list of ticket ids.",
        ),
    ),
    description="As on Flickr, no authentication is needed: ticket ids are random, so "
    "only whoever was given one can check it. A ticket still unfinished after ten minutes "
    "belonged to a server that stopped, and reads as failed.",
)
async def check_tickets(call: Call) -> Result:
    wanted = list(dict.fromkeys(call.args["tickets"]))
    async with call.site.db.read() as conn:
        rows = await tickets.get_many(conn, filter(None, map(_ticket_id, wanted)))
    now = utcnow()
    items: list[dict[str, Any]] = []
    for raw in wanted:
        ticket_id = _ticket_id(raw)
        row = rows.get(ticket_id) if ticket_id is not None else None
        if row is None:
            items.append({"id": raw, "invalid": 1})
            continue
        status = tickets.status_of(row, now)
        item: dict[str, Any] = {"id": raw, "complete": status}
        if status == tickets.COMPLETE and row["photo_id"] is not None:
            item["photoid"] = str(row["photo_id"])
        items.append(item)
    return {"uploader": {"ticket": items}}
