"""The topic streams' log reader (live.topic_hub.TopicHub) stops when it is cancelled
right as its doorbell rings (tests.cancel_at_wake), and re-checks what it reads against
the photos as they are now (domain.push_recheck)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, MutableMapping
from typing import Any

import pytest

from photohub.actions import geo as geo_actions
from photohub.actions import photos as photo_actions
from photohub.broker.memory import MemoryBroker
from photohub.domain.privacy import Viewer
from photohub.domain.topics import make_topic
from photohub.live.topic_hub import TopicHub, keyset_of
from photohub.push.dispatch import follow_outbox
from photohub.site import Site
from tests import factories
from tests.cancel_at_wake import cancel_as_woken
from tests.push.hubs import changed, new_photo, pump
from tests.waiting import eventually

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_log_reader_cancelled_as_its_bell_rings_stops(site: Site) -> None:
    hub = TopicHub(site.db, MemoryBroker(), poll_interval=3600)

    def start() -> tuple[Coroutine[Any, Any, None], asyncio.Event, Callable[[], None]]:
        return hub._read_log(), hub._bell, hub._bell.set

    rounds = await cancel_as_woken(start, 300)
    assert rounds.lost == []
    assert rounds.ran == 600


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_live_path_sends_an_entry_only_as_its_photo_is_now(site: Site) -> None:
    """An entry the hub reads after its photo changed (the hub behind, a doorbell lost):
    the stream gets what the photo allows now, not what it allowed when stored."""
    await follow_outbox(site)
    hub = TopicHub(site.db, MemoryBroker(), poll_interval=3600)
    got: list[bytes] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        got.append(message["body"])

    try:
        cats = make_topic("tags", {"tags": "cats"})
        streams = [await hub.connect(cats, keyset_of(cats))]
        circle = make_topic("geo", {"lat": "48.86", "lon": "2.35", "radius": "5"})
        streams.append(await hub.connect(circle, keyset_of(circle)))
        for stream in streams:
            hub.go_live(stream, send, 0)
        async with site.db.write() as conn:
            ann = await factories.user(conn, "ann")
        viewer = Viewer(user_id=int(ann["id"]))
        paris = {"latitude": 48.8566, "longitude": 2.3522, "accuracy": 16, "geo_perm": 1}
        private, unlocated, kept = [
            await new_photo(site, ann, title=f"secret-{n}", tags="cats", **paris)
            for n in ("private", "unlocated", "kept")
        ]
        for photo_id in (private, unlocated, kept):
            await changed(site, photo_id)
        await pump(site)  # the entries are stored; the hub has not read them yet
        await photo_actions.set_perms(site, viewer, private, "private")
        await geo_actions.set_geo_perm(site, viewer, unlocated, 6)
        await hub.catch_up()
        await eventually(lambda: all(s.pending is None for s in streams), 10, "the writes")
    finally:
        await hub.close()
    text = b"".join(got).decode()
    assert "secret-kept" in text  # the control arrived (twice: tags and geo)
    assert text.count("48.8566 2.3522") == 2
    assert "secret-private" not in text
    # On tags, without its location (the kept one carries the only points); not on geo.
    assert text.count("<title>secret-unlocated</title>") == 1
