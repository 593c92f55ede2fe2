"""HTTP clients for push deliveries: CPU per POST of httpcore's pool and aiohttp's.

    python benchmarks/push_http_clients.py [--posts 4000] [--concurrency 64]

The receiver is ``_push_receiver.py`` in its own process (httptools on uvloop, 4 ports,
1,000 callback paths, ``204`` with keep-alive). Each client POSTs ``--posts`` Atom-sized
bodies (2 KB and 47 KB: one entry, and a batch of about 30), ``--concurrency`` at a time,
once to warm its connections and once measured. Reported: POSTs a second and the
client process's CPU time per POST (``getrusage``), for httpcore 1.x's
``AsyncConnectionPool`` (what the hub used before) and aiohttp's ``ClientSession``
through photohub's checked ``push.http.CallbackClient`` (what it uses now).
httpcore comes with httpx, a test dependency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpcore

from photohub.domain.callbacks import parse_allow_list
from photohub.push.http import CallbackClient

HERE = Path(__file__).parent
SUBSCRIPTIONS = 1000
Run = Callable[[list[int], bytes, int, int], Awaitable[None]]


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def url(ports: list[int], n: int) -> str:
    return f"http://127.0.0.1:{ports[n % len(ports)]}/cb/{n % SUBSCRIPTIONS}"


async def with_httpcore(ports: list[int], body: bytes, posts: int, concurrency: int) -> None:
    async with httpcore.AsyncConnectionPool(
        max_connections=concurrency, max_keepalive_connections=concurrency, retries=0
    ) as pool:
        gate = asyncio.Semaphore(concurrency)
        headers = [(b"Content-Type", b"application/atom+xml")]

        async def one(n: int) -> None:
            async with gate, pool.stream("POST", url(ports, n), headers=headers, content=body) as r:
                async for _ in r.aiter_stream():
                    pass
                assert r.status == 204

        await asyncio.gather(*(one(n) for n in range(posts)))


async def with_aiohttp(ports: list[int], body: bytes, posts: int, concurrency: int) -> None:
    allow = parse_allow_list("127.0.0.1")
    async with CallbackClient(allow, connections=concurrency) as client:
        gate = asyncio.Semaphore(concurrency)
        headers = {"Content-Type": "application/atom+xml"}

        async def one(n: int) -> None:
            async with gate:
                status, _ = await client.request(
                    "POST", url(ports, n), headers=headers, body=body, wait=10, limit=4096
                )
                assert status == 204

        await asyncio.gather(*(one(n) for n in range(posts)))


async def measure(
    run: Run, ports: list[int], body: bytes, posts: int, conc: int
) -> tuple[float, float]:
    await run(ports, body, posts, conc)  # warm: connections open
    started_cpu, started = cpu(), time.perf_counter()
    await run(ports, body, posts, conc)
    return posts / (time.perf_counter() - started), (cpu() - started_cpu) / posts * 1e6


async def main(ports: list[int], options: argparse.Namespace) -> None:
    print(f"{options.posts:,} POSTs, {options.concurrency} at a time, to 127.0.0.1\n")
    print("| client | body bytes | POSTs/s | CPU µs per POST |")
    print("|---|---:|---:|---:|")
    clients: list[tuple[str, Run]] = [("httpcore", with_httpcore), ("aiohttp", with_aiohttp)]
    for name, run in clients:
        for size in (2000, 47000):
            body = b"<feed>" + b"x" * size + b"</feed>"
            rate, cost = await measure(run, ports, body, options.posts, options.concurrency)
            print(f"| {name} | {len(body):,} | {rate:,.0f} | {cost:,.0f} |")


def cli() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--posts", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=64)
    options = parser.parse_args()
    receiver = subprocess.Popen(
        [sys.executable, str(HERE / "_push_receiver.py"), "--ports", "4"], stdout=subprocess.PIPE
    )
    try:
        assert receiver.stdout is not None
        ports = [int(p) for p in json.loads(receiver.stdout.readline())["ports"]]
        try:
            import uvloop

            uvloop.run(main(ports, options))
        except ImportError:
            asyncio.run(main(ports, options))
    finally:
        receiver.terminate()
        receiver.wait()


if __name__ == "__main__":
    cli()
