"""Both delivery-queue backends (SQL, Redis) keep the same contract: batched reads of
many queues' heads, and batched outcomes that remove only what was delivered, back off
what failed, and hold what is rated."""

from __future__ import annotations

from datetime import timedelta

import pytest

from photohub.broker.queues import Outcome
from photohub.domain.topics import make_topic
from photohub.site import Site
from photohub.store import push_entries
from photohub.store import subscriptions as subs
from photohub.store.db import utcnow
from tests.push.hubs import settings  # noqa: F401  (both backends)

pytestmark = pytest.mark.anyio
LEASE = timedelta(seconds=30)


async def subscription(site: Site, n: int) -> int:
    async with site.db.write() as conn:
        subscription_id = await subs.save(
            conn,
            user_id=None,
            dialect="websub",
            topic=make_topic("tags", {"tags": f"t{n}"}),
            callback=f"http://receiver.test/cb/{n}",
            lease_seconds=3600,
            secret=None,
        )
        assert subscription_id is not None
        await subs.mark_verified(conn, subscription_id, utcnow())
    return subscription_id


async def queued(site: Site, subscription_ids: list[int], count: int) -> list[int]:
    """``count`` new entries, each queued to every one of ``subscription_ids``."""
    entry_ids = []
    for n in range(count):
        committed = utcnow()
        async with site.db.write() as conn:
            entry_id = await push_entries.add_entry(conn, None, f"<entry>{n}</entry>".encode())
            if site.queues.in_transaction:
                await site.queues.add(conn, entry_id, subscription_ids, committed)
        if not site.queues.in_transaction:
            await site.queues.add(None, entry_id, subscription_ids, committed)
        entry_ids.append(entry_id)
    return entry_ids


async def test_peek_reads_the_heads_of_many_queues_in_order(site: Site) -> None:
    a, b, empty = [await subscription(site, n) for n in range(3)]
    both = await queued(site, [a, b], 3)
    only_b = await queued(site, [b], 2)
    heads = await site.queues.peek([b, a, empty], 4)
    assert [ref.entry_id for ref in heads[a]] == both
    assert [ref.entry_id for ref in heads[b]] == both + only_b[:1]
    assert heads[empty] == []


async def test_finish_records_many_outcomes_at_once(site: Site) -> None:
    done, partly, failing, rated = ids = [await subscription(site, n) for n in range(4)]
    entries = await queued(site, ids, 3)
    assert sorted(await site.queues.claim(10, LEASE)) == sorted(ids)
    heads = await site.queues.peek(ids, 10)
    outcomes = [
        Outcome(done, heads[done]),
        Outcome(partly, heads[partly][:1]),
        Outcome(failing, failure="the callback answered HTTP 503"),
        Outcome(rated, heads[rated], hold=600.0),
    ]
    await site.queues.finish(outcomes, lambda attempts: 600.0 * attempts)

    heads = await site.queues.peek(ids, 10)
    assert heads[done] == [] and [r.entry_id for r in heads[partly]] == entries[1:]
    assert [r.entry_id for r in heads[failing]] == entries  # kept for the retry
    # Only the queue with entries left and no backoff or hold is due again now.
    assert await site.queues.claim(10, LEASE) == [partly]
    states = await site.queues.states(ids)
    assert states[failing].attempts == 1 and states[failing].depth == 3
    assert states[failing].last_failure == "the callback answered HTTP 503"
    assert states[done].last_success_at is not None and states[done].attempts == 0

    # New entries wait: for the rated queue's slot, the failing one's backoff; the
    # delivered-everything queue is idle, so adding makes it due at once.
    await queued(site, [done, failing, rated], 1)
    assert await site.queues.claim(10, LEASE) == [done]


async def test_a_second_failure_counts_on(site: Site) -> None:
    failing = await subscription(site, 0)
    await queued(site, [failing], 1)
    waits: list[int] = []

    def backoff(attempts: int) -> float:
        waits.append(attempts)
        return 0.0

    for _ in range(2):
        assert await site.queues.claim(10, LEASE) == [failing]
        await site.queues.finish([Outcome(failing, failure="refused")], backoff)
    assert waits == [1, 2]
    assert (await site.queues.states([failing]))[failing].attempts == 2
