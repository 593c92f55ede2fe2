"""The topic streams' log reader (live.topic_stream.TopicHub) stops when it is cancelled
right as its doorbell rings (tests.cancel_at_wake)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from photohub.broker.memory import MemoryBroker
from photohub.live.topic_stream import TopicHub
from photohub.site import Site
from tests.cancel_at_wake import cancel_as_woken

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_log_reader_cancelled_as_its_bell_rings_stops(site: Site) -> None:
    hub = TopicHub(site.db, MemoryBroker(), poll_interval=3600)

    def start() -> tuple[Coroutine[Any, Any, None], asyncio.Event, Callable[[], None]]:
        return hub._read_log(), hub._bell, hub._bell.set

    rounds = await cancel_as_woken(start, 300)
    assert rounds.lost == []
    assert rounds.ran == 600
