"""The hub writes each event to every stream itself; a slow stream never holds up the rest."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from photohub.broker.memory import MemoryBroker
from photohub.domain.privacy import Viewer
from photohub.live.hub import LiveHub
from photohub.store.db import Database
from photohub.store.events import Event
from tests.waiting import bounded, cancelled

pytestmark = pytest.mark.anyio


def _event(ident: int) -> Event:
    return Event(ident, "photo.published", "public", None, {"id": ident})


def _hub(max_backlog: int = 1000, heartbeat: float = 15.0) -> LiveHub:
    db = Database("sqlite+aiosqlite:///:memory:")
    return LiveHub(db, MemoryBroker(), max_backlog=max_backlog, heartbeat=heartbeat)


async def test_a_slow_stream_does_not_hold_up_the_others_and_keeps_its_order() -> None:
    hub = _hub(max_backlog=3)
    gate = asyncio.Event()
    fast_got: list[bytes] = []
    slow_got: list[bytes] = []

    async def fast_send(message: Any) -> None:
        fast_got.append(message["body"])

    async def slow_send(message: Any) -> None:  # a full socket: the write waits
        await gate.wait()
        slow_got.append(message["body"])

    fast, slow = hub.connect(Viewer()), hub.connect(Viewer())
    hub.go_live(fast, fast_send, 0)
    hub.go_live(slow, slow_send, 0)
    try:
        for ident in (1, 2, 3):
            hub.dispatch(_event(ident))
        assert len(fast_got) == 3  # written at once, without waiting for the slow one
        assert slow_got == [] and slow.pending is not None
        pending = slow.pending
        gate.set()
        await bounded(pending, 5, "the slow stream's held-up write to finish")
        assert slow_got == fast_got and slow.pending is None

        gate.clear()  # now it stops reading for good
        for ident in range(4, 9):
            hub.dispatch(_event(ident))
        assert len(fast_got) == 8
        assert slow.ended.is_set() and slow not in hub.listeners  # it resumes from the outbox
        assert fast in hub.listeners
    finally:
        blocked = slow.pending  # a write waiting on the gate for good: cancelled
        hub.disconnect(slow)
        hub.disconnect(fast)
        if blocked is not None:
            await cancelled(blocked, what="the slow stream's blocked write", reraise=False)


async def test_events_the_replay_already_sent_are_not_sent_again() -> None:
    hub = _hub()
    got: list[bytes] = []

    async def send(message: Any) -> None:
        got.append(message["body"])

    listener = hub.connect(Viewer())
    hub.go_live(listener, send, 5)
    hub.dispatch(_event(5))
    hub.dispatch(_event(6))
    assert got == [b'id: 6\r\nevent: photo.published\r\ndata: {"id":6}\r\n\r\n']


async def test_only_quiet_streams_get_a_heartbeat_comment() -> None:
    hub = _hub(heartbeat=0.3)
    quiet: list[bytes] = []
    busy: list[bytes] = []

    async def quiet_send(message: Any) -> None:
        quiet.append(message["body"])

    async def busy_send(message: Any) -> None:
        busy.append(message["body"])

    hub.go_live(hub.connect(Viewer()), quiet_send, 0)
    hub.go_live(hub.connect(Viewer(guest_id="a" * 32)), busy_send, 0)
    beat = asyncio.create_task(hub._beat())
    try:
        for ident in range(1, 8):  # events for the busy one only, every 0.1 s
            hub.dispatch(Event(ident, "photo.ready", "guest:" + "a" * 32, None, {}))
            await asyncio.sleep(0.1)
    finally:
        await cancelled(beat, what="the heartbeat loop")
    assert quiet and set(quiet) == {b": ping\r\n\r\n"}
    assert b": ping\r\n\r\n" not in busy and len(busy) == 7
