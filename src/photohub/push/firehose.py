"""The firehose ("Engage Kitten Hose", Flickr 2011): one endpoint of the host's that
receives every public photo's upload, update and deletion.

It is configured, not subscribed (``PHOTOHUB_PUSH_FIREHOSE_URL``, ``_SECRET``,
``_RATE``), and kept as a subscription row of its own (topic ``/push/firehose``, no
owner, no lease to renew) under the index key ``firehose``, which every pushable photo
not hidden from search carries (``domain.push_match``). So it rides the same machinery
as every subscriber: its own queue, batched Atom POSTs signed with its secret, backoff,
at-least-once. Its rate is a ceiling on entries per second: after a POST of n entries
its queue is due again n / rate seconds later, and what arrives faster waits in it.

Every process applies the configuration at start; changing the URL replaces the row
(the old endpoint's queue goes with it), clearing it removes the firehose.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.domain.push_match import FIREHOSE
from photohub.store import push_index
from photohub.store.db import utcnow
from photohub.store.push_schema import push_subscriptions as subs
from photohub.store.subscriptions import url_key

if TYPE_CHECKING:
    from photohub.site import Site

TOPIC = "/push/firehose"
NAME = "firehose"
TITLE = "every public photo (firehose)"
NEVER = datetime(9999, 1, 1)  # a configured endpoint has no lease to run out


async def configure(site: Site) -> int | None:
    """Make the stored firehose match the settings; its subscription id, or None."""
    try:
        return await _configure(site)
    except sa.exc.IntegrityError:  # another process stored the same one just now
        return await _configure(site)


async def _configure(site: Site) -> int | None:
    settings = site.settings
    url, secret = settings.push_firehose_url.strip(), settings.push_firehose_secret or None
    rate = settings.push_firehose_rate if settings.push_firehose_rate > 0 else None
    replaced: int | None = None
    found: int | None = None
    async with site.db.write() as conn:
        query = sa.select(subs.c.id, subs.c.callback).where(subs.c.topic_name == NAME)
        current = (await conn.execute(query)).first()
        if current is not None and current.callback != url:
            await conn.execute(subs.delete().where(subs.c.id == current.id))
            replaced, current = int(current.id), None
        values = {"secret": secret, "max_rate": rate, "state": "active", "expires_at": NEVER}
        if url and current is not None:
            await conn.execute(subs.update().where(subs.c.id == current.id).values(**values))
            found = int(current.id)
        elif url:
            found = await _insert(conn, url, values)
    if replaced is not None:
        await site.queues.drop(replaced)
    return found


async def _insert(conn: AsyncConnection, url: str, values: dict[str, Any]) -> int:
    now = utcnow()
    result = await conn.execute(
        subs.insert()
        .values(
            user_id=None,
            dialect="websub",
            topic=TOPIC,
            topic_name=NAME,
            topic_args={},
            callback=url,
            topic_key=url_key(TOPIC),
            callback_key=url_key(url),
            verify_token=None,
            lease_seconds=0,
            auto_renew=False,
            created_at=now,
            verified_at=now,
            **values,
        )
        .returning(subs.c.id)
    )
    subscription_id = int(result.scalar_one())
    await push_index.put(conn, subscription_id, [FIREHOSE])
    return subscription_id
