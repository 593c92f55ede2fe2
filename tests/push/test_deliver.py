"""The delivery worker's loop, running as `photohub serve` runs it: slow and failing
callbacks hold their own slots only, and the others' entries keep arriving; outcomes
gathered into one transaction are all recorded."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import pytest

from photohub.push.dispatch import follow_outbox
from photohub.site import Site
from tests.push.hubs import (
    changed,
    entries,
    new_photo,
    receiver,
    settings,
    subscribe,
    tags_topic,
)
from tests.push.receiver import Receiver
from tests.waiting import cancelled, eventually

__all__ = ["receiver", "settings"]  # fixtures
pytestmark = pytest.mark.anyio
SLOTS = 8
SLOW = [f"/slow/{n}" for n in range(SLOTS - 1)]  # all slots but one


@contextlib.asynccontextmanager
async def delivering(site: Site) -> AsyncIterator[None]:
    """The worker's background loop, as Site.start(run_tasks=True) runs it."""
    task = asyncio.create_task(site.deliverer.loop.run_forever())
    try:
        yield
    finally:
        await cancelled(task, what="the delivery loop")


async def publish(site: Site, tag: str) -> int:
    photo_id = await new_photo(site, None, tags=tag)
    await changed(site, photo_id)
    while await follow_outbox(site):
        pass
    await site.runner.run_due()
    site.wake_delivery()
    return photo_id


async def until(
    condition: Callable[[], object], what: str = "the receiver to get the POSTs expected"
) -> None:
    """Wait (a hang guard, not a timing check) until ``condition()`` holds."""
    await eventually(condition, 20, what, interval=0.01)


def photos_to(receiver: Receiver, path: str) -> list[str]:
    return [e.id.rsplit("/", 1)[1] for p in receiver.posts_to(path) for e in entries(p)]


async def test_slow_callbacks_hold_only_their_own_slots(site: Site, receiver: Receiver) -> None:
    site.settings = replace(site.settings, push_concurrency=SLOTS, push_timeout=30.0)
    for path in SLOW:
        receiver.post_delay_by_path[path] = 3.0
        await subscribe(site, receiver, path, tags_topic("cats"))
    await subscribe(site, receiver, "/fast/a", tags_topic("cats"))
    await subscribe(site, receiver, "/fast/b", tags_topic("cats"))
    async with delivering(site):
        first = await publish(site, "cats")
        await until(lambda: receiver.posts_to("/fast/a") and receiver.posts_to("/fast/b"))
        # Every slow POST is still in flight, and later entries still get through.
        assert not any(receiver.posts_to(path) for path in SLOW)
        second = await publish(site, "cats")
        await until(lambda: len(photos_to(receiver, "/fast/a")) == 2)
        assert photos_to(receiver, "/fast/b") in ([str(first), str(second)], [str(first)])
        assert not any(receiver.posts_to(path) for path in SLOW)
        await until(lambda: all(receiver.posts_to(path) for path in SLOW))
    for path in SLOW:
        assert photos_to(receiver, path)[0] == str(first)


async def test_a_failing_callback_backs_off_and_the_rest_are_recorded(
    site: Site, receiver: Receiver
) -> None:
    site.settings = replace(site.settings, push_concurrency=SLOTS)
    receiver.post_status_by_path["/broken"] = 503
    ids = {}
    for path in ["/broken", *[f"/ok/{n}" for n in range(20)]]:
        ids[path] = await subscribe(site, receiver, path, tags_topic("dogs"))
    oks = [path for path in ids if path.startswith("/ok/")]
    async with delivering(site):
        photo_id = await publish(site, "dogs")
        async with asyncio.timeout(20):  # a hang guard: until every outcome is recorded
            while True:
                states = await site.queues.states(list(ids.values()))
                if states[ids["/broken"]].attempts and all(
                    states[ids[path]].last_success_at for path in oks
                ):
                    break
                await asyncio.sleep(0.02)
    broken = states[ids["/broken"]]
    assert broken.depth == 1 and broken.last_failure == "the callback answered HTTP 503"
    assert receiver.posts_to("/broken")  # it was tried, and its entry kept for the retry
    for path in oks:
        assert photos_to(receiver, path) == [str(photo_id)]
        assert states[ids[path]].depth == 0


async def test_a_post_in_flight_does_not_make_the_worker_spin(
    site: Site, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver.post_delay_by_path["/slow"] = 1.5
    await subscribe(site, receiver, "/slow", tags_topic("owls"))
    claims: list[int] = []
    claim = site.queues.claim

    async def counted(limit: int, lease: Any) -> list[int]:
        found = await claim(limit, lease)
        claims.append(len(found))
        return found

    monkeypatch.setattr(site.queues, "claim", counted)
    async with delivering(site):
        await publish(site, "owls")
        await until(lambda: receiver.posts_to("/slow"))
    # While the one POST was in flight the loop waited for it (or its 0.5 s poll):
    # a few claims, not one per turn of the event loop.
    assert sum(claims) == 1 and len(claims) <= 10, claims
