"""Dispatch: from the event outbox to the subscriptions' queues.

Every change to a photo commits an event row with it (the outbox, ``store.events``).
:func:`follow_outbox` reads the events after a cursor kept in the database (one reader
at a time: the cursor row is locked, ``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE``
on SQLite) and turns them into tasks in the same transaction, so no change is lost
and none is read twice:

* any ``photo.*`` event -> ``push_photo {photo_id}``. The task table drops an insert
  equal to a pending task (Flickr's ``olt::insert``), and a photo pushed less than
  ``push_collapse_seconds`` ago gets its task delayed to the end of that window, so a
  burst of edits goes out once, with the photo as it is by then, while the first
  change of a quiet photo goes at once;
* ``photo.faved`` -> ``push_fave {photo_id, user_id}`` (my_faves, contacts_faves); the
  keys a fave reached are remembered with the photo, so its deletion reaches them too.

:func:`push_photo` reads the photo as it is now. Pushable (``domain.privacy.pushable``):
its entry is rendered once and queued for every active subscription its index keys
reach (``domain.push_match``), and what it matched is remembered (``push_photos``).
No longer pushable (deleted, made non-public or unsafe, its owner opted out) but told
before: a tombstone (RFC 6721) goes to the subscriptions it matched then. A photo that
stops matching a subscription (a tag removed, a person untagged) gets a tombstone there.

**One entry per change.** A task runs again when its worker died after the commit, when
a step after the commit failed (Redis away), or when two tasks of one photo both run
after its last change (the upload's ``photo.created`` task running after the renditions
were made, then the ``photo.published`` one). Each entry is therefore named after the
change it renders: the photo's newest event, read first in the task's transaction, and
the entry's kind (:func:`change_name`). A second run of the same change finds its
entries (``push_entries.add_change``) and queues nothing again; only a new event makes
a new entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.domain import atom
from photohub.domain.privacy import location_public, pushable
from photohub.domain.push_match import (
    STREET_ACCURACY,
    PhotoFacts,
    admits,
    fave_keys,
    is_fave_key,
    photo_keys,
)
from photohub.domain.topics import stored_topic
from photohub.push import entries, fanout
from photohub.store import events, faves, push_entries, push_index, push_photos, tags, users
from photohub.store import photos as photo_store
from photohub.store.db import Database, utcnow
from photohub.store.schema import site_settings

if TYPE_CHECKING:
    from photohub.site import Site

PHOTO_TASK = "push_photo"
FAVE_TASK = "push_fave"
FAVED = "photo.faved"
CURSOR_KEY = "push_cursor"
EVENTS_PER_STEP = 500
TASK_ATTEMPTS = 10


async def _cursor(conn: AsyncConnection) -> int | None:
    query = sa.select(site_settings.c.value).where(site_settings.c.key == CURSOR_KEY)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    value = await conn.scalar(query)
    return None if value is None else int(value)


async def _set_cursor(conn: AsyncConnection, value: int, *, new: bool) -> None:
    if new:
        await conn.execute(site_settings.insert().values(key=CURSOR_KEY, value=value))
    else:
        await conn.execute(
            site_settings.update().where(site_settings.c.key == CURSOR_KEY).values(value=value)
        )


def _delay(told: datetime | None, now: datetime, window: float) -> float:
    """Seconds to hold a photo's next push so that it is at least ``window`` after the
    last one (0 for a photo not pushed lately)."""
    if told is None:
        return 0.0
    return max(0.0, (told + timedelta(seconds=window) - now).total_seconds())


async def start_cursor(db: Database) -> None:
    """Place the cursor at the newest event if there is none yet (a new hub does not
    push history; that is backfill's job). ``Site.start`` calls this before the site
    takes any change: placed later, by the dispatcher's first step, it would skip a
    change made in between (the first upload right after a first start)."""
    try:
        async with db.write() as conn:
            if await _cursor(conn) is None:
                await _set_cursor(conn, await events.last_id(conn), new=True)
    except sa.exc.IntegrityError:  # another process starting at the same time placed it
        pass


async def follow_outbox(site: Site, limit: int = EVENTS_PER_STEP) -> bool:
    """Turn the events after the cursor into dispatch tasks (the cursor is placed at
    start, :func:`start_cursor`). Returns True when it read events (there may be
    more)."""
    from photohub.tasks import queue

    async with site.db.write() as conn:
        cursor = await _cursor(conn)
        if cursor is None:
            await _set_cursor(conn, await events.last_id(conn), new=True)
            return False
        batch = await events.since(conn, cursor, limit)
        if not batch:
            return False
        now = utcnow()
        photo_ids = {e.photo_id for e in batch if e.photo_id is not None and e.kind != FAVED}
        told = await push_photos.told_at(conn, [int(p) for p in photo_ids])
        for event in batch:
            if event.photo_id is None or not event.kind.startswith("photo."):
                continue
            if event.kind == FAVED:
                args = {"photo_id": event.photo_id, "user_id": int(event.data["user_id"])}
                await queue.enqueue(conn, FAVE_TASK, args, max_attempts=TASK_ATTEMPTS)
                continue
            delay = _delay(told.get(event.photo_id), now, site.settings.push_collapse_seconds)
            await queue.enqueue(
                conn,
                PHOTO_TASK,
                {"photo_id": event.photo_id},
                delay=delay,
                max_attempts=TASK_ATTEMPTS,
            )
        await _set_cursor(conn, batch[-1].id, new=False)
    site.runner.wake()
    return True


async def photo_facts(
    conn: AsyncConnection,
    row: RowMapping,
    owner: RowMapping | None,
    tag_rows: Sequence[Mapping[Any, Any]],
) -> PhotoFacts:
    """What matching needs of a pushable photo (and its tag rows), read in a few
    indexed queries."""
    owner_id = int(row["user_id"]) if row["user_id"] is not None else None
    people = await push_photos.people_ids(conn, int(row["id"]))
    public_place = row["latitude"] is not None and location_public(
        row["visibility"], row["geo_perm"]
    )
    places = (row["place_city"], row["place_region"], row["place_country"])
    return PhotoFacts(
        owner_id=owner_id,
        owner_is_institution=bool(owner["is_institution"]) if owner is not None else False,
        hidden=bool(row["hidden"]),
        tags=tuple(str(t["tag"]) for t in tag_rows),
        people=tuple(people),
        owner_watchers=tuple(await push_index.watchers(conn, [owner_id])) if owner_id else (),
        people_watchers=tuple(await push_index.watchers(conn, people)),
        location=(float(row["latitude"]), float(row["longitude"])) if public_place else None,
        accuracy=row["accuracy"],
        woe_ids=tuple(int(p) for p in places if p is not None) if public_place else (),
    )


def is_pushable(row: RowMapping | None, owner: RowMapping | None) -> bool:
    if row is None:
        return False
    opted_out = owner is not None and bool(owner["push_opt_out"] or owner["api_opt_out"])
    return pushable(
        row["state"],
        bool(row["approved"]),
        row["visibility"],
        int(row["safety_level"]),
        owner_opted_out=opted_out,
    )


async def reached(conn: AsyncConnection, keys: list[str], facts: PhotoFacts | None) -> set[int]:
    """Active subscriptions under ``keys`` that the photo belongs to (``facts`` None:
    every one under them, for a tombstone)."""
    found: set[int] = set()
    for candidate in await push_index.active_under(conn, keys):
        outside = (
            facts is not None
            and candidate["topic_name"] == "geo"
            and not admits(stored_topic(candidate["topic"]), facts)
        )
        if not outside:
            found.add(int(candidate["id"]))
    return found


def change_name(photo_id: int, event_id: int | None, kind: str) -> str | None:
    """The unique name of the entry of kind ``kind`` (``photo``, ``left``, ``gone``,
    ``fave:<user id>``) that renders the photo as of event ``event_id`` (None: the photo
    has no event, e.g. a row written by hand; every run then adds an entry)."""
    return None if event_id is None else f"{photo_id}:{event_id}:{kind}"


async def _queue(
    site: Site,
    conn: AsyncConnection,
    photo_id: int,
    entry: atom.Entry,
    targets: set[int],
    keys: list[str],
    facts: PhotoFacts | None = None,
    *,
    change: str | None,
) -> fanout.Added:
    """Store the entry of ``change``, queue it for ``targets`` (unless an earlier run of
    the change did); what to publish after the commit. ``keys`` (and the public location
    in ``facts``) are what topic streams match it on."""
    if not targets and not keys:
        return fanout.Added()
    geo = None
    if facts is not None and facts.location is not None:
        lat, lon = facts.location
        geo = {"lat": lat, "lon": lon, "accuracy": float(facts.accuracy or STREET_ACCURACY)}
    body = atom.render_entry(entry)
    return await fanout.add(site, conn, photo_id, body, targets, keys=keys, geo=geo, change=change)


async def _owner(conn: AsyncConnection, row: RowMapping | None) -> RowMapping | None:
    if row is None or row["user_id"] is None:
        return None
    return await users.get(conn, int(row["user_id"]))


async def push_photo(site: Site, args: dict[str, Any]) -> None:
    """The ``push_photo`` task (see the module docstring)."""
    photo_id = int(args["photo_id"])
    owed = fanout.Added()
    queued = False
    async with site.db.write() as conn:
        row = await photo_store.get(conn, photo_id, lock=True)
        # First, before any of the photo's data: what is read next is at least this new.
        event_id = await push_entries.newest_change(conn, photo_id, skip=(FAVED,))
        owner = await _owner(conn, row)
        told = await push_photos.get(conn, photo_id)
        told_keys = list(told["keys"]) if told is not None else []
        now = utcnow()
        if row is not None and is_pushable(row, owner):
            tag_rows = (await tags.tags_of(conn, [photo_id]))[photo_id]
            facts = await photo_facts(conn, row, owner, tag_rows)
            keys = photo_keys(facts)
            targets = await reached(conn, keys, facts)
            entry = entries.photo_entry(site.base_url, row, tag_rows)
            change = change_name(photo_id, event_id, "photo")
            owed += await _queue(site, conn, photo_id, entry, targets, keys, facts, change=change)
            # Keys its faves reached stay: a later deletion goes to those subscribers too.
            faved = [k for k in told_keys if is_fave_key(k)]
            dropped = [k for k in told_keys if k not in set(keys) and not is_fave_key(k)]
            left = await reached(conn, dropped, None) - targets if dropped else set()
            comment = "no longer in this topic"
            tombstone = entries.deleted_entry(site.base_url, photo_id, now, comment)
            change = change_name(photo_id, event_id, "left")
            owed += await _queue(site, conn, photo_id, tombstone, left, dropped, change=change)
            await push_photos.put(conn, photo_id, sorted({*keys, *faved}), now)
            queued = bool(targets or left)
        elif told is not None:
            comment = "deleted" if row is None else "no longer public"
            tombstone = entries.deleted_entry(site.base_url, photo_id, now, comment)
            targets = await reached(conn, told_keys, None)
            change = change_name(photo_id, event_id, "gone")
            owed += await _queue(site, conn, photo_id, tombstone, targets, told_keys, change=change)
            await push_photos.forget(conn, photo_id)
            queued = bool(targets)
    await fanout.publish(site, owed)
    if queued:
        site.wake_delivery()


async def push_fave(site: Site, args: dict[str, Any]) -> None:
    """The ``push_fave`` task: a pushable photo someone (still) faves goes to their
    my_faves and to their contacts' contacts_faves, the faver as ``atom:contributor``."""
    photo_id, faver_id = int(args["photo_id"]), int(args["user_id"])
    async with site.db.write() as conn:
        # The photo's row lock orders this with its push_photo tasks (both update
        # what was told of the photo).
        row = await photo_store.get(conn, photo_id, lock=True)
        event_id = await push_entries.newest_change(conn, photo_id, kinds=(FAVED,))
        if not is_pushable(row, await _owner(conn, row)) or row is None:
            return
        faver = await users.get(conn, faver_id)
        if faver is None or not await faves.is_fave(conn, faver_id, photo_id):
            return
        keys = fave_keys(faver_id, await push_index.watchers(conn, [faver_id]))
        targets = await reached(conn, keys, None)
        tag_rows = (await tags.tags_of(conn, [photo_id]))[photo_id]
        contributor = atom.Person(str(faver["username"]))
        entry = entries.photo_entry(site.base_url, row, tag_rows, (contributor,))
        # Remembered with the photo, so its deletion reaches these subscribers too.
        told = await push_photos.get(conn, photo_id)
        told_keys = list(told["keys"]) if told is not None else []
        when = told["pushed_at"] if told is not None else utcnow()
        await push_photos.put(conn, photo_id, sorted({*told_keys, *keys}), when)
        change = change_name(photo_id, event_id, f"fave:{faver_id}")
        owed = await _queue(site, conn, photo_id, entry, targets, keys, change=change)
    await fanout.publish(site, owed)
    if targets:
        site.wake_delivery()
