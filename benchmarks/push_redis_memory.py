"""Push delivery queues in Redis: bytes of Redis memory per subscription.

    python benchmarks/push_redis_memory.py [--subscriptions 100000] [--backlog 10]
        [--deep-subscriptions 1000] [--deep-entries 100] [--chunk 5000]
        [--redis redis://127.0.0.1:6379/13]

The issue's target: Flickr reported 300 MB of Redis for 1,000 subscriptions; photohub
should need at most 100 MB for 100,000. The match index is in SQL (``push_index``), so
what a subscription costs in Redis is its delivery queue (``broker.queues_redis``, used
when ``PHOTOHUB_REDIS_URL`` is set): ``pq:<id>``, a list of ``<entry id>:<commit
time>``; its member of the due set ``pdue``; ``ps:<id>``, the hash of its delivery state.

**Workload**, all through ``RedisQueues``' own methods (no key is written by hand), with
subscription ids 1..``--subscriptions`` and entry ids from 1,000,001 (seven digits, as on
a site with a million changes), committed now:

1. one entry queued for every subscription: ``add`` once per entry with the subscriber
   ids, ``--chunk`` ids a call (one MULTI/EXEC each), as ``push.fanout`` does after a
   change's commit; these queues were never delivered, so they have no state hash yet;
2. idle, as after real deliveries: every queue claimed (``claim``, ``--chunk`` at a time),
   its head read (``peek``, ``deliver.ENTRIES_PER_POST``) and finished as delivered
   (``finish`` with ``Outcome(id, refs)``): the list is empty, so Redis drops it, the id
   leaves ``pdue`` and only the state hash (``attempts``, ``ok``) is left;
3. a backlog: ``--backlog`` entries queued for every (idle) subscription, one ``add`` per
   entry and chunk again; then delivered as in 2;
4. a deep backlog: ``--deep-entries`` entries each for ``--deep-subscriptions`` of the
   idle subscriptions (0 skips it), to show what an entry costs in a long list; then
   delivered again.

**Measured** after each stage: ``used_memory`` of ``INFO memory`` (the allocator's count,
median of 5 readings 0.1 s apart) minus its reading before stage 1, and the sum of
``MEMORY USAGE <key> SAMPLES 0`` over *all* the run's keys (exact, not sampled; a lower
bound: it leaves out the keyspace's hash table, 8 bytes a slot, and some allocator
overhead; here 10-20% less than the used_memory delta). Per
subscription: the footprint divided by ``--subscriptions``; for stage 4, the idle
footprint per subscription plus the stage's increase divided by
``--deep-subscriptions``, i.e. what a subscription with that backlog costs. "MB per
100,000" is that times 100,000, as if every subscription were in that state; MB are
10^6 bytes; the delta columns are against before stage 1 (stage 4's includes every idle
state hash). The Flickr column is the same per 1,000 subscriptions, beside their 300 MB.
From stage 3 and the marginal entry cost the script also works out how long a backlog,
on average, the target allows. The figures depend on Redis's encodings (7.0 keeps every
list as a quicklist; 7.2 stores short lists as a plain listpack): the version and the
listpack settings are printed.

Per entry: stage 3 minus stage 2 over subscriptions x backlog (a queue's key and due
member shared among its entries), the marginal cost (the same less stage 1's one-entry
queue, over backlog - 1 entries) and, from stage 4, the increase over the idle state
(read again after stage 3's deliveries) over subscriptions x entries.

The key prefix is the run's own, ``pmb<5 hex>:``, as long as photohub's default
``photohub:`` so that key names cost what they do in production; the script checks that
nothing uses it first, and deletes (UNLINK) every key under it at the end, also on an
error; it never runs FLUSHDB. Other clients of the same Redis change ``used_memory``
meanwhile: the readings' spread is printed, and ``MEMORY USAGE`` is not affected.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import secrets
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import redis.asyncio as aioredis

from photohub.broker.queues import Outcome
from photohub.broker.queues_redis import RedisQueues
from photohub.push.deliver import ENTRIES_PER_POST
from photohub.store.db import utcnow

FIRST_ENTRY = 1_000_001
LEASE = timedelta(seconds=65)  # deliver.claim_lease for the default 30 s timeout
TARGET_MB_PER_100K = 100.0
FLICKR_MB_PER_1K = 300.0
MB = 1_000_000
READINGS = 5
CONFIG = ("list-max-listpack-size", "hash-max-listpack-entries", "zset-max-listpack-entries")


def backoff(attempts: int) -> float:
    return 2.0


T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- measuring -----------------------------------------------------------------------


@dataclass
class Reading:
    used: int  # used_memory, median of READINGS
    spread: int  # max - min of those readings
    clients: int  # mem_clients_normal (connection buffers, part of used_memory), median
    keys: int
    usage: int  # sum of MEMORY USAGE over the run's keys


async def used_memory(client: aioredis.Redis) -> tuple[int, int, int]:
    """used_memory (median, spread) and mem_clients_normal (median)."""
    values, clients = [], []
    for n in range(READINGS):
        if n:
            await asyncio.sleep(0.1)
        info: dict[str, Any] = await client.info("memory")
        values.append(int(info["used_memory"]))
        clients.append(int(info["mem_clients_normal"]))
    median = int(statistics.median(values))
    return median, max(values) - min(values), int(statistics.median(clients))


async def run_keys(client: aioredis.Redis, prefix: str) -> list[bytes]:
    return [key async for key in client.scan_iter(match=prefix + "*", count=10_000)]


async def memory_usage(client: aioredis.Redis, keys: list[bytes], chunk: int) -> int:
    total = 0
    for part in chunks(keys, chunk):
        async with client.pipeline(transaction=False) as pipe:
            for key in part:
                pipe.execute_command("MEMORY", "USAGE", key, "SAMPLES", "0")
            total += sum(int(size or 0) for size in await pipe.execute())
    return total


async def measure(client: aioredis.Redis, prefix: str, chunk: int) -> Reading:
    used, spread, clients = await used_memory(client)
    keys = await run_keys(client, prefix)
    return Reading(used, spread, clients, len(keys), await memory_usage(client, keys, chunk))


# --- the workload, through RedisQueues -----------------------------------------------


async def queue_entries(
    q: RedisQueues, ids: Sequence[int], entries: int, first: int, chunk: int
) -> int:
    """``entries`` new entries for every subscription in ``ids``: one ``add`` per entry
    and chunk of subscriber ids. Returns the next entry id."""
    committed = utcnow()
    for entry_id in range(first, first + entries):
        for part in chunks(ids, chunk):
            await q.add(None, entry_id, part, committed)
    return first + entries


async def deliver_all(q: RedisQueues, expected: int, depth: int, chunk: int) -> None:
    """Claim, peek and finish as delivered every due queue, as a delivery worker does;
    checks that ``expected`` queues of ``depth`` entries were served."""
    served = 0
    while ids := await q.claim(chunk, LEASE):
        heads = await q.peek(ids, ENTRIES_PER_POST)
        if any(len(refs) != depth for refs in heads.values()):
            raise SystemExit(f"a claimed queue did not hold {depth} entries")
        await q.finish([Outcome(i, refs) for i, refs in heads.items()], backoff)
        served += len(ids)
    if served != expected:
        raise SystemExit(f"delivered {served} queues, expected {expected}")


async def warm_up(q: RedisQueues) -> None:
    """Load both Lua scripts and create nothing that stays (a throwaway subscription 0)."""
    await q.add(None, 1, [0], utcnow())
    await deliver_all(q, 1, 1, 10)
    await q.drop(0)


# --- the run -------------------------------------------------------------------------


@dataclass
class Stage:
    name: str
    reading: Reading
    per_subscription: float  # used_memory bytes per subscription in this state
    usage_per_subscription: float  # MEMORY USAGE bytes per subscription
    seconds: float


@dataclass
class Run:
    stages: list[Stage]
    per_entry: list[tuple[str, float, float]]  # (what, used_memory bytes, MEMORY USAGE bytes)
    baseline: Reading
    budget: float | None  # queued entries per subscription the target allows (stage 3 on)
    server: dict[str, Any]
    config: dict[str, str]


async def run(options: argparse.Namespace) -> Run:
    n, chunk, backlog = options.subscriptions, options.chunk, options.backlog
    deep_n, deep_entries = min(options.deep_subscriptions, n), options.deep_entries
    prefix = f"pmb{secrets.token_hex(3)[:5]}:"
    client = aioredis.Redis.from_url(options.redis)
    q = RedisQueues(options.redis, prefix)
    try:
        if await run_keys(client, prefix):
            raise SystemExit(f"keys under {prefix} exist already; run again")
        server: dict[str, Any] = await client.info("server")
        server.update(await client.info("memory"))
        config: dict[str, str] = {}
        for name in CONFIG:
            for key, value in (await client.config_get(name)).items():
                config[str(key)] = str(value)
        await q.start()
        await warm_up(q)
        base = await measure(client, prefix, chunk)
        if base.keys:
            raise SystemExit("the warm-up left keys behind")
        ids = list(range(1, n + 1))
        stages: list[Stage] = []

        def record(
            name: str, reading: Reading, started: float, over: Reading | None = None
        ) -> Stage:
            if over is None:
                used_each = (reading.used - base.used) / n
                usage_each = (reading.usage - base.usage) / n
            else:  # stage 4: the idle footprint, plus the increase over `over` per queue
                idle = stages[1]
                used_each = idle.per_subscription + (reading.used - over.used) / deep_n
                usage_each = idle.usage_per_subscription + (reading.usage - over.usage) / deep_n
            stage = Stage(name, reading, used_each, usage_each, time.perf_counter() - started)
            stages.append(stage)
            print(f"{name}: {reading.keys:,} keys, {stage.seconds:.1f} s", file=sys.stderr)
            return stage

        started = time.perf_counter()
        entry = await queue_entries(q, ids, 1, FIRST_ENTRY, chunk)
        one = record("1. 1 queued entry each", await measure(client, prefix, chunk), started)

        started = time.perf_counter()
        await deliver_all(q, n, 1, chunk)
        idle = record("2. idle (delivered)", await measure(client, prefix, chunk), started)

        started = time.perf_counter()
        entry = await queue_entries(q, ids, backlog, entry, chunk)
        deep = record(
            f"3. {backlog} queued entries each", await measure(client, prefix, chunk), started
        )
        await deliver_all(q, n, backlog, chunk)

        s1, s2, s3 = (s.reading.used - base.used for s in (one, idle, deep))
        u1, u2, u3 = (s.reading.usage - base.usage for s in (one, idle, deep))
        per_entry = [
            (
                f"stage 3 - stage 2, over {n:,} x {backlog} entries",
                (s3 - s2) / (n * backlog),
                (u3 - u2) / (n * backlog),
            )
        ]
        if backlog > 1:
            per_entry.append(
                (
                    f"marginal: (stage 3 - stage 2) - (stage 1 - before), over {n:,} x "
                    f"{backlog - 1} entries",
                    ((s3 - s2) - s1) / (n * (backlog - 1)),
                    ((u3 - u2) - u1) / (n * (backlog - 1)),
                )
            )
        if deep_n and deep_entries:
            again = await measure(client, prefix, chunk)
            print(
                f"idle again: {again.keys:,} keys, used_memory {again.used - base.used:+,} "
                f"(stage 2: {s2:+,})",
                file=sys.stderr,
            )
            started = time.perf_counter()
            await queue_entries(q, ids[:deep_n], deep_entries, entry, chunk)
            four = record(
                f"4. {deep_entries} queued entries each for {deep_n:,}",
                await measure(client, prefix, chunk),
                started,
                over=again,
            )
            per_entry.append(
                (
                    f"stage 4 - idle, over {deep_n:,} x {deep_entries} entries",
                    (four.reading.used - again.used) / (deep_n * deep_entries),
                    (four.reading.usage - again.usage) / (deep_n * deep_entries),
                )
            )
            await deliver_all(q, deep_n, deep_entries, chunk)
        budget = None
        if backlog > 1:  # stage 3's footprint, plus the marginal entry cost beyond it
            marginal = ((s3 - s2) - s1) / (n * (backlog - 1))
            budget = backlog + (TARGET_MB_PER_100K * MB / 100_000 - s3 / n) / marginal
        return Run(stages, per_entry, base, budget, server, config)
    finally:
        await q.close()
        deleted = 0
        keys = await run_keys(client, prefix)
        for part in chunks(keys, 10_000):
            deleted += int(await client.unlink(*part))
        left = len(await run_keys(client, prefix))
        print(f"deleted {deleted:,} keys under {prefix}; {left} left", file=sys.stderr)
        await client.aclose()


# --- the report ----------------------------------------------------------------------


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def report(result: Run, options: argparse.Namespace, seconds: float) -> None:
    n = options.subscriptions
    print(
        f"Push delivery queues in Redis: {n:,} subscriptions, entries added {options.chunk:,} "
        f"subscriber ids per `add`, delivered by `claim`/`peek`/`finish`; used_memory "
        f"before the run {result.baseline.used / MB:,.1f} MB.\n"
    )
    print(
        "| stage | keys | used_memory delta MB | bytes per subscription "
        "| MEMORY USAGE sum MB | bytes per subscription (MEMORY USAGE) "
        "| MB per 100,000 subscriptions | target <= 100 MB per 100,000 "
        "| MB per 1,000 (Flickr: 300) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|---:|")
    for stage in result.stages:
        per_100k = stage.per_subscription * 100_000 / MB
        delta = (stage.reading.used - result.baseline.used) / MB
        print(
            f"| {stage.name} | {stage.reading.keys:,} | {delta:,.1f} "
            f"| {stage.per_subscription:,.0f} | {stage.reading.usage / MB:,.1f} "
            f"| {stage.usage_per_subscription:,.0f} | {per_100k:,.1f} "
            f"| {'yes' if per_100k <= TARGET_MB_PER_100K else 'no'} "
            f"| {stage.per_subscription * 1_000 / MB:,.2f} |"
        )
    print()
    print("| bytes per queued entry | used_memory | MEMORY USAGE |")
    print("|---|---:|---:|")
    for what, used, usage in result.per_entry:
        print(f"| {what} | {used:,.1f} | {usage:,.1f} |")
    print()
    spread = max(stage.reading.spread for stage in result.stages)
    clients = max(abs(s.reading.clients - result.baseline.clients) for s in result.stages)
    if result.budget is not None:
        print(
            f"- The target (1,000 bytes per subscription) holds while subscriptions average "
            f"up to about {result.budget:,.0f} queued entries each (stage 3 plus the "
            f"marginal entry cost, every subscription backlogged). Flickr's figure is "
            f"{FLICKR_MB_PER_1K * 100:,.0f} MB per 100,000."
        )
    print(
        f"- used_memory: median of {READINGS} readings per stage, largest spread "
        f"{spread:,} bytes; connection buffers (mem_clients_normal) differed from before "
        f"the run by at most {clients:,} bytes. MEMORY USAGE: every key of the run "
        f"(SAMPLES 0), not sampled."
    )
    server, config = result.server, result.config
    print(
        f"\nRedis {server.get('redis_version')} ({server.get('mem_allocator')}; "
        + ", ".join(f"{k} {v}" for k, v in sorted(config.items()))
        + f"). Machine: {os.cpu_count()} CPUs, {cpu_model()}; Python "
        f"{platform.python_version()}; run {seconds:.0f} s; load average after the run "
        f"{os.getloadavg()[0]:.2f}."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--backlog", type=int, default=10, help="stage 3: entries each")
    parser.add_argument("--deep-subscriptions", type=int, default=1_000, help="stage 4 (0: skip)")
    parser.add_argument("--deep-entries", type=int, default=100, help="stage 4: entries each")
    parser.add_argument("--chunk", type=int, default=5_000, help="ids per add/claim/peek/finish")
    options = parser.parse_args()
    started = time.perf_counter()
    result = asyncio.run(run(options))
    report(result, options, time.perf_counter() - started)


if __name__ == "__main__":
    main()
