"""Delivery queues in Redis, for several worker processes (``PHOTOHUB_REDIS_URL``).

Keys, under the site's prefix (``photohub:`` by default):

* ``pq:<subscription id>``: a list of ``<entry id>:<commit time>``, oldest first;
* ``pdue``: a sorted set of subscription ids scored by when their queue is due (a
  claim rescores to the end of its lease, a failure to the end of its backoff);
* ``ps:<subscription id>``: a hash of the delivery state (``attempts``, ``ok`` the last
  success, ``fail_at`` and ``fail``), what getSubscriptions shows.

* ``pqueued``: a sorted set of the entry ids ever added (scored by when), kept for the
  entries' retention time: what makes adding idempotent.

Adding is one Lua script: unless the entry is in ``pqueued`` already, every RPUSH and a
``ZADD NX`` (an idle queue becomes due now; one already claimed or backing off keeps
its score). An entry is added once per change with all its subscriptions (``push.fanout``),
so an add that is repeated (a publish and a sweep racing, a push whose answer was lost
to a Redis crash) queues nothing twice, whether the first is still queued or delivered.
Claiming is a Lua script, so two workers never take the same queue: it takes the due
ids and rescores them in one step. Only the worker holding a claim removes from a
queue's head (``LTRIM``), and new entries go to its tail, so a trim never loses an entry
added meanwhile; the script that trims also decides, atomically, whether the queue is
still due.

Durability is Redis's: run it with ``appendonly yes`` (``appendfsync always`` for
strict at-least-once across a Redis crash; ``everysec`` may lose the last second of
queued entries). Entries reach Redis after their change's commit, from the journal in
``push_entries.targets`` (``push.fanout``): while Redis is unreachable the journal keeps
them and a sweep pushes them once it is back, so nothing is lost on the way in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis

from photohub.broker.queues import Backoff, Outcome, QueuedRef, QueueState

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

_CLAIM = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], 'XX', ARGV[2], id) end
return ids
"""
_ADD = """
if redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1]) == 0 then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
for i = 3, #KEYS do redis.call('RPUSH', KEYS[i], ARGV[4]) end
for i = 5, #ARGV do redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[i]) end
return 1
"""
# How long an added entry is remembered: its retention (push.deliver.ENTRY_RETENTION)
# and a day (an entry older than that is swept from the database: never sent again).
REMEMBERED = timedelta(days=8)
_DELIVERED = """
if tonumber(ARGV[1]) > 0 then redis.call('LTRIM', KEYS[1], ARGV[1], -1) end
redis.call('HSET', KEYS[3], 'attempts', 0, 'ok', ARGV[2])
if tonumber(ARGV[4]) > tonumber(ARGV[2]) or redis.call('LLEN', KEYS[1]) > 0 then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
else
  redis.call('ZREM', KEYS[2], ARGV[3])
end
return 1
"""


def _now() -> float:
    return datetime.now(UTC).timestamp()


def _moment(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(float(value), UTC).replace(tzinfo=None)


def _refs(items: Sequence[bytes | str]) -> list[QueuedRef]:
    """A queue's items (``<entry id>:<commit time>``) as refs; the handle is the
    position (only the claim holder trims the head)."""
    refs = []
    for position, raw in enumerate(items):
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        entry, _, committed = text.partition(":")
        moment = _moment(committed) or datetime.now(UTC).replace(tzinfo=None)
        refs.append(QueuedRef(position, int(entry), moment))
    return refs


def _stamp(moment: datetime) -> float:
    return moment.replace(tzinfo=UTC).timestamp()


class RedisQueues:
    in_transaction = False

    def __init__(self, url: str, prefix: str = "photohub:") -> None:
        self._url = url
        self._prefix = prefix
        self._due = prefix + "pdue"
        self._added = prefix + "pqueued"
        self._redis: aioredis.Redis | None = None

    @property
    def redis(self) -> aioredis.Redis:
        if self._redis is None:
            raise RuntimeError("RedisQueues.start() was not called")
        return self._redis

    def _queue(self, subscription_id: int) -> str:
        return f"{self._prefix}pq:{subscription_id}"

    def _state(self, subscription_id: int) -> str:
        return f"{self._prefix}ps:{subscription_id}"

    async def start(self) -> None:
        self._redis = aioredis.Redis.from_url(self._url, health_check_interval=15)
        self._claim = self._redis.register_script(_CLAIM)
        self._add = self._redis.register_script(_ADD)
        self._delivered = self._redis.register_script(_DELIVERED)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    async def add(
        self,
        conn: AsyncConnection | None,
        entry_id: int,
        subscription_ids: Sequence[int],
        committed: datetime,
    ) -> None:
        ids = sorted(set(subscription_ids))
        if not ids:
            return
        item = f"{entry_id}:{_stamp(committed):.6f}"
        now = _now()
        keys = [self._added, self._due, *(self._queue(i) for i in ids)]
        forget = now - REMEMBERED.total_seconds()
        await self._add(keys=keys, args=[entry_id, now, forget, item, *ids])

    async def extend(
        self,
        conn: AsyncConnection | None,
        subscription_id: int,
        entry_ids: Sequence[int],
        committed: datetime,
    ) -> None:
        if not entry_ids:
            return
        stamp = f"{_stamp(committed):.6f}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(self._queue(subscription_id), *(f"{e}:{stamp}" for e in entry_ids))
            pipe.zadd(self._due, {str(subscription_id): _now()}, nx=True)
            await pipe.execute()

    async def claim(self, limit: int, lease: timedelta) -> list[int]:
        now = _now()
        args = [now, now + lease.total_seconds(), limit]
        ids = await self._claim(keys=[self._due], args=args)
        return [int(i) for i in ids]

    async def peek(self, subscription_ids: Sequence[int], limit: int) -> dict[int, list[QueuedRef]]:
        ids = sorted(set(subscription_ids))
        async with self.redis.pipeline(transaction=False) as pipe:
            for subscription_id in ids:
                pipe.lrange(self._queue(subscription_id), 0, limit - 1)
            answers = await pipe.execute()
        return {i: _refs(items) for i, items in zip(ids, answers, strict=True)}

    async def finish(self, outcomes: Sequence[Outcome], backoff: Backoff) -> None:
        now = _now()
        failed = [o for o in outcomes if o.failure is not None]
        async with self.redis.pipeline(transaction=False) as pipe:
            for o in outcomes:
                i = o.subscription_id
                if o.failure is None:
                    keys = [self._queue(i), self._due, self._state(i)]
                    args = [len(o.sent), now, i, now + o.hold]
                    await self._delivered(keys=keys, args=args, client=pipe)
            for o in failed:
                pipe.hincrby(self._state(o.subscription_id), "attempts", 1)
                reason = (o.failure or "")[:1000]
                pipe.hset(self._state(o.subscription_id), mapping={"fail_at": now, "fail": reason})
            answers = await pipe.execute()
        if not failed:
            return
        counts = answers[-2 * len(failed) :: 2]
        waits = {
            str(o.subscription_id): now + backoff(int(n))
            for o, n in zip(failed, counts, strict=True)
        }
        await self.redis.zadd(self._due, waits)

    async def release(self, subscription_ids: Sequence[int]) -> None:
        if subscription_ids:
            now = _now()
            await self.redis.zadd(self._due, {str(i): now for i in subscription_ids}, xx=True)

    async def drop(self, subscription_id: int) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._queue(subscription_id), self._state(subscription_id))
            pipe.zrem(self._due, str(subscription_id))
            await pipe.execute()

    async def states(self, subscription_ids: Sequence[int]) -> dict[int, QueueState]:
        ids = sorted(set(subscription_ids))
        if not ids:
            return {}
        # MULTI/EXEC: the three reads of a queue are one moment (a finish in between
        # would show a success with its entry still queued).
        async with self.redis.pipeline(transaction=True) as pipe:
            for subscription_id in ids:
                pipe.llen(self._queue(subscription_id))
                pipe.hgetall(self._state(subscription_id))
                pipe.zscore(self._due, str(subscription_id))
            answers = await pipe.execute()
        found: dict[int, QueueState] = {}
        for index, subscription_id in enumerate(ids):
            depth, state, due = answers[3 * index : 3 * index + 3]
            fields = {k.decode(): v.decode() for k, v in state.items()}
            found[subscription_id] = QueueState(
                depth=int(depth),
                attempts=int(fields.get("attempts", 0)),
                last_success_at=_moment(fields.get("ok")),
                last_failure_at=_moment(fields.get("fail_at")),
                last_failure=fields.get("fail"),
                due_at=_moment(due) if depth else None,
            )
        return found
