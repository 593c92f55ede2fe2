"""API overhead: ``flickr.test.echo`` against a bare Starlette route on the same server.

    python benchmarks/api_overhead.py [--seconds S] [--connections C]

Starts one ``python -m photohub serve`` (SQLite, exactly as a host runs it), registers
an app in its database, then loads two URLs of that same process with ``wrk`` (Debian's
package; ``apt-get install wrk``), one after the other, each for S seconds:

* **bare route**: ``GET /healthz``, a plain Starlette function returning ``ok``;
* **flickr.test.echo**: ``GET /services/rest/?method=flickr.test.echo&api_key=...&format=json
  &nojsoncallback=1&foo=bar``: parameter parsing, the API key check, dispatch, argument
  validation, and JSON rendering.

Prints requests/s, latency p50/p99 from wrk, and echo as a share of the bare route.
Target (issue 3): echo >= 50% of the bare route.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.wall_fanout import PHOTOHUB, start_server
from photohub.config import Settings
from photohub.store import apps, users
from photohub.store.db import Database


@dataclass
class Load:
    name: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


def _ms(text: str) -> float:
    value = float(re.sub(r"[a-z]+$", "", text))
    if text.endswith("us"):
        return value / 1000
    if text.endswith("ms"):
        return value
    return value * 1000  # "s"


def run_wrk(name: str, url: str, seconds: int, connections: int) -> Load:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    p50 = _ms(re.search(r"50%\s+(\S+)", out)[1])  # type: ignore[index]
    p99 = _ms(re.search(r"99%\s+(\S+)", out)[1])  # type: ignore[index]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return Load(name, rate, p50, p99, int(bad[1]) if bad else 0)


async def register_app(data_dir: Path) -> str:
    db = Database(Settings(data_dir=data_dir).db_url)
    try:
        async with db.write() as conn:
            owner = await users.create(conn, username="bench", password_hash="-")
            app = await apps.create(conn, int(owner["id"]), "benchmark")
    finally:
        await db.dispose()
    return str(app["api_key"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        server = start_server(PHOTOHUB, workdir)
        try:
            api_key = asyncio.run(register_app(workdir / "photohub-data"))
            echo = (
                f"{server.url}/services/rest/?method=flickr.test.echo&api_key={api_key}"
                "&format=json&nojsoncallback=1&foo=bar"
            )
            warm = run_wrk("warm-up", echo, 2, options.connections)
            del warm
            loads = [
                run_wrk(
                    "bare route (/healthz)",
                    server.url + "/healthz",
                    options.seconds,
                    options.connections,
                ),
                run_wrk("flickr.test.echo", echo, options.seconds, options.connections),
            ]
        finally:
            server.stop()
    bare = loads[0].requests_per_s
    print(f"API overhead, {options.connections} connections, {options.seconds} s each (wrk -t1)")
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    print()
    print("| route | requests/s | p50 ms | p99 ms | errors | vs bare route |")
    print("|---|---:|---:|---:|---:|---:|")
    for load in loads:
        print(
            f"| {load.name} | {load.requests_per_s:,.0f} | {load.p50_ms:.2f} | "
            f"{load.p99_ms:.2f} | {load.errors} | {load.requests_per_s / bare:.0%} |"
        )


if __name__ == "__main__":
    main()
