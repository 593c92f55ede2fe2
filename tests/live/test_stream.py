"""The SSE stream: ids on every event, resume without loss, audiences respected."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from photohub.site import Site
from photohub.store import events
from tests.servers import collect, running
from tests.waiting import bounded, eventually, until_set

pytestmark = pytest.mark.anyio


async def _append(site: Site, kind: str, audience: str = "public", announce: bool = True) -> int:
    async with site.db.write() as conn:
        event = await events.append(conn, kind, {"kind": kind}, audience=audience)
    if announce:
        await site.announce([event])
    return event.id


async def test_live_events_carry_ids_and_arrive_in_order(site: Site) -> None:
    async with running(site) as url, httpx.AsyncClient(timeout=10) as http:
        started = asyncio.Event()
        reader = asyncio.create_task(collect(http, url + "/live", until="done", started=started))
        await until_set(started, 5, "the stream's ready event", unless=reader)
        first = await _append(site, "photo.published")
        second = await _append(site, "photo.updated")
        done = await _append(site, "done")
        seen = await bounded(reader, 15, "the stream's events")
    kinds = [(e.event, e.id) for e in seen]
    assert kinds[1:] == [
        ("photo.published", str(first)),
        ("photo.updated", str(second)),
        ("done", str(done)),
    ]
    assert all(e.id is not None for e in seen)


async def test_resume_with_last_event_id_misses_nothing(site: Site) -> None:
    before = await _append(site, "photo.published")
    # The browser was offline while these happened.
    missed = [await _append(site, "photo.updated") for _ in range(3)]
    end = await _append(site, "done")
    async with running(site) as url, httpx.AsyncClient(timeout=10) as http:
        by_header = await collect(
            http, url + "/live", until="done", headers={"Last-Event-ID": str(before)}
        )
        by_query = await collect(http, f"{url}/live?last_event_id={before}", until="done")
    for seen in (by_header, by_query):
        assert [e.id for e in seen] == [str(i) for i in [*missed, end]]


async def test_events_committed_elsewhere_arrive_through_the_outbox(site: Site) -> None:
    # Another process wrote the event and its broker message was lost.
    async with running(site) as url, httpx.AsyncClient(timeout=10) as http:
        started = asyncio.Event()
        reader = asyncio.create_task(collect(http, url + "/live", until="done", started=started))
        await until_set(started, 5, "the stream's ready event", unless=reader)
        await _append(site, "done", announce=False)
        seen = await bounded(reader, 15, "the stream's events")
    assert seen[-1].event == "done"


async def test_owner_only_events_reach_only_the_owner_and_the_host(site: Site) -> None:
    from photohub.domain.privacy import Viewer

    await _append(site, "mark")
    start = 0
    private = await _append(site, "photo.ready", audience="guest:" + "a" * 32)
    public = await _append(site, "photo.published")
    await eventually(lambda: site.hub.last_seen >= public, 5, "the hub to dispatch the events")

    async def ids_for(viewer: Viewer) -> list[str]:
        return [str(live.event.id) async for live in site.hub.replay(viewer, start)]

    anonymous = await ids_for(Viewer())
    owner = await ids_for(Viewer(guest_id="a" * 32))
    other = await ids_for(Viewer(guest_id="b" * 32))
    host = await ids_for(Viewer(is_admin=True))
    assert str(private) not in anonymous and str(private) not in other
    assert str(private) in owner and str(private) in host
    assert str(public) in anonymous and str(public) in other
