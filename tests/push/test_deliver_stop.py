"""Stopping the delivery worker with POSTs in flight: the loop stops when cancelled,
the POSTs are stopped, and their claims are given back (no failure counted), so a
restarted worker sends those entries at once, and each is delivered once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from photohub.push.dispatch import follow_outbox
from photohub.site import Site
from tests.push.hubs import changed, new_photo, receiver, settings, subscribe, tags_topic
from tests.push.receiver import Receiver
from tests.waiting import cancelled, eventually

__all__ = ["receiver", "settings"]  # fixtures
pytestmark = pytest.mark.anyio


async def test_a_delivery_stopped_by_shutdown_is_sent_again_at_once(
    site: Site, receiver: Receiver
) -> None:
    subscription_id = await subscribe(site, receiver, "/slow", tags_topic("stop"))
    receiver.post_delay_by_path["/slow"] = 3600  # answers after the worker stopped
    photo_id = await new_photo(site, None, tags="stop")
    await changed(site, photo_id)
    while await follow_outbox(site):
        pass
    await site.runner.run_due()
    loop = asyncio.create_task(site.deliverer.loop.run_forever())
    try:
        await eventually(lambda: site.deliverer._running, 20, "the POST to be in flight")
    finally:
        await cancelled(loop, what="the delivery loop")
    await asyncio.wait_for(site.deliverer.close(), 20)  # what Site.close does next
    [state] = (await site.queues.states([subscription_id])).values()
    assert state.depth == 1 and state.attempts == 0 and state.last_failure is None
    receiver.post_delay_by_path["/slow"] = 0.0
    # Due now, not after the lease: a claim takes it at once (and gives it back).
    assert await site.queues.claim(10, timedelta(seconds=60)) == [subscription_id]
    await site.queues.release([subscription_id])
    assert await asyncio.wait_for(site.deliverer.run_until_idle(), 20) == 1
    assert len(receiver.posts_to("/slow")) == 1
    [state] = (await site.queues.states([subscription_id])).values()
    assert state.depth == 0 and state.attempts == 0
