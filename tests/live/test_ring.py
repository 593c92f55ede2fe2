"""Resuming from memory: the ring of recent events, shared outbox reads for older gaps,
privacy judged now, and ids that only grow on the wire (finding 9 and finding 2's /live
part of issue 11)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from photohub.broker.memory import MemoryBroker
from photohub.domain.privacy import ANONYMOUS, Viewer, owner_audience
from photohub.live.frames import encode
from photohub.live.hub import LiveHub
from photohub.live.ring import EventRing
from photohub.live.stream import LiveStream
from photohub.site import Site
from photohub.store import events as outbox
from photohub.store.events import Event
from tests.live.test_wall_privacy import _made_private
from tests.waiting import bounded, eventually

pytestmark = pytest.mark.anyio


def _published(ident: int, photo_id: int, title: str) -> Event:
    return Event(ident, "photo.published", "public", photo_id, {"id": photo_id, "title": title})


def _frames(ring: EventRing, after: int = 0) -> list[bytes]:
    return [live.frame for live in ring.after(after)]


def test_the_ring_is_complete_above_its_floor_and_slices_by_id() -> None:
    ring = EventRing(3)
    ring.reset(10)
    for ident in range(11, 16):
        ring.add(encode(_published(ident, ident, f"t{ident}")))
    assert (ring.floor, ring.top, len(ring)) == (12, 15, 3)
    assert ring.covers(12) and not ring.covers(11)
    assert [live.event.id for live in ring.after(12)] == [13, 14, 15]
    assert [live.event.id for live in ring.after(14)] == [15]
    assert ring.after(15) == [] and ring.after(99) == []
    ring.add(encode(_published(14, 14, "again")))  # an id it already has: ignored
    assert [live.event.id for live in ring.after(12)] == [13, 14, 15]


def test_a_withdrawal_turns_older_public_entries_into_tombstones() -> None:
    ring = EventRing(10)
    owner = Event(2, "photo.updated", owner_audience("g" * 32), 7, {"id": 7, "title": "mine"})
    ring.add(encode(_published(1, 7, "Lakeside secret")))
    ring.add(encode(owner))
    ring.add(encode(_published(3, 8, "another photo")))
    ring.add(encode(Event(4, "photo.deleted", "public", 7, {"id": 7})))
    ring.add(encode(_published(5, 7, "public again")))  # later: not withdrawn
    frames = _frames(ring)
    assert frames[0] == b'id: 1\r\nevent: photo.deleted\r\ndata: {"id":7}\r\n\r\n'
    assert b"Lakeside" not in b"".join(frames)
    assert b'"mine"' in frames[1]  # the owner still sees their own photo
    assert b"another photo" in frames[2] and b"public again" in frames[4]


@contextlib.asynccontextmanager
async def _hub(site: Site, ring_size: int) -> AsyncIterator[LiveHub]:
    hub = LiveHub(site.db, MemoryBroker(), ring_size=ring_size, poll_interval=3600)
    await hub.start()
    try:
        yield hub
    finally:
        await hub.close()


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often the outbox is read for a replay (``since_now``: only replays read it; the
    site's own hub, which polls with ``since`` whenever it likes, serves none here)."""
    counted = {"since_now": 0}
    real = outbox.since_now

    async def counting(*args: Any, **kw: Any) -> Any:
        counted["since_now"] += 1
        return await real(*args, **kw)

    monkeypatch.setattr(outbox, "since_now", counting)
    return counted


async def _public_events(site: Site, count: int) -> list[Event]:
    written = []
    async with site.db.write() as conn:
        for index in range(count):
            written.append(await outbox.append(conn, "photo.updated", {"n": index}))
    return written


async def _ids(hub: LiveHub, viewer: Viewer, after: int) -> list[int]:
    return [live.event.id async for live in hub.replay(viewer, after)]


async def test_a_recent_resume_is_served_from_memory_without_a_query(
    site: Site, reads: dict[str, int]
) -> None:
    written = await _public_events(site, 20)
    async with _hub(site, ring_size=64) as hub:
        more = await _public_events(site, 5)
        for event in more:
            hub.dispatch(event)
        catch_ups = 0
        real_catch_up = hub._catch_up

        async def counting_catch_up(upto: int | None = None) -> bool:
            nonlocal catch_ups
            catch_ups += 1
            return await real_catch_up(upto)

        hub._catch_up = counting_catch_up  # type: ignore[method-assign]
        reads["since_now"] = 0
        everyone = await asyncio.gather(*(_ids(hub, ANONYMOUS, written[-3].id) for _ in range(50)))
    assert reads == {"since_now": 0} and catch_ups == 0  # no outbox read of any kind
    expected = [e.id for e in written[-2:] + more]
    assert all(ids == expected for ids in everyone)


async def test_an_older_gap_is_read_once_for_every_stream_waiting_for_it(
    site: Site, reads: dict[str, int]
) -> None:
    written = await _public_events(site, 30)
    async with _hub(site, ring_size=10) as hub:  # holds the newest 10 only
        assert hub.ring.floor == written[-11].id
        everyone = await asyncio.gather(*(_ids(hub, ANONYMOUS, written[2].id) for _ in range(50)))
        assert reads["since_now"] == 1  # one read served all 50
        # A stream further back than a read under way starts its own; later ones join.
        await asyncio.gather(
            _ids(hub, ANONYMOUS, written[5].id),
            _ids(hub, ANONYMOUS, written[0].id),
            _ids(hub, ANONYMOUS, written[1].id),
        )
        assert reads["since_now"] == 3
    assert all(ids == [e.id for e in written[3:]] for ids in everyone)


async def test_a_replay_after_made_private_gives_tombstones_from_the_ring_and_the_outbox(
    site: Site, client: httpx.AsyncClient
) -> None:
    """Both ways a resume is served judge each event by the photo now: a hub started
    after the change (its ring loaded from the outbox) and a ring too small to reach back
    (the gap is read from the outbox)."""
    _, photo_id = await _made_private(site, client)
    for size in (4096, 1):
        async with _hub(site, ring_size=size) as hub:
            replayed = [live async for live in hub.replay(ANONYMOUS, 0)]
            about = [live for live in replayed if live.event.photo_id == photo_id]
            assert about, size
            assert all(live.event.kind == "photo.deleted" for live in about), size
            assert all(live.event.data == {"id": photo_id} for live in about), size
            assert b"Lakeside" not in b"".join(live.frame for live in replayed), size


async def test_events_arriving_during_a_replay_come_once_and_in_id_order(site: Site) -> None:
    """A stream resuming from before the ring while new events arrive (and push the ring's
    floor up under it): every id after the resume point, once, ids only growing."""
    first = await _public_events(site, 10)
    async with _hub(site, ring_size=3) as hub:
        got: list[bytes] = []
        arrived: list[int] = []
        gone = asyncio.Event()

        async def arrive(count: int) -> None:
            for event in await _public_events(site, count):
                hub.dispatch(event)
                arrived.append(event.id)

        async def send(message: Any) -> None:
            chunk = message.get("body", b"")
            if chunk:
                got.append(chunk)
            if len(got) == 1:  # mid-replay: two more events, the ring moves on
                await arrive(2)

        async def receive() -> Any:
            await gone.wait()
            return {"type": "http.disconnect"}

        stream = LiveStream(site.db, hub, ANONYMOUS, first[1].id)
        scope = {"type": "http", "method": "GET"}
        task = asyncio.create_task(stream(scope, receive, send))
        try:
            await eventually(lambda: any(b"event: ready" in c for c in got), 5, "the ready event")
            await arrive(1)  # live now
            await eventually(lambda: str(arrived[-1]).encode() in got[-1], 5, "the live event")
        finally:
            gone.set()
            await bounded(task, 5, "the stream to end")
    ids = [
        int(c.split(b"\r\n", 1)[0][4:]) for c in got if c.startswith(b"id: ") and b"ready" not in c
    ]
    assert ids == [e.id for e in first[2:]] + arrived


async def test_an_event_that_overtakes_a_lower_id_waits_for_it(site: Site) -> None:
    """Another process's broker message came first (or one was lost): the hub reads the
    outbox up to the event and writes both, in id order."""
    async with _hub(site, ring_size=16) as hub:
        got: list[bytes] = []

        async def send(message: Any) -> None:
            got.append(message["body"])

        hub.go_live(hub.connect(ANONYMOUS), send, hub.last_seen)
        lower, higher = await _public_events(site, 2)
        follow = asyncio.create_task(hub._arrive(higher))
        await bounded(follow, 5, "the hub to catch up")
        await hub._arrive(lower)  # late: already written
        assert [c.split(b"\r\n", 1)[0] for c in got] == [
            f"id: {lower.id}".encode(),
            f"id: {higher.id}".encode(),
        ]
        assert [live.event.id for live in hub.ring.after(0)][-2:] == [lower.id, higher.id]
