"""Renditions of 12 MP photos: photohub's pipeline against plain Pillow, per image on one core.

    python benchmarks/renditions.py [--runs N] [--cpu K]

Makes a 12 MP (4000 x 3000) photo-like JPEG (noise over gradients, quality 90, EXIF with GPS),
the same photo tagged orientation 6 (a phone held upright), and a 12 MP HEIC (512 px grid
tiles, as iPhones write). For each, ``make_renditions`` at sizes 256, 1024, 2048 runs N times
in a child process pinned to one core; peak RSS growth is read from ``ru_maxrss`` in that
child (Pillow allocates in C, so tracemalloc would not see it). The baseline, in its own
child, does the same work the obvious way: open, ``ImageOps.exif_transpose``, then per size
``thumbnail()`` on the full-size image (whose ``draft()`` is a no-op once loaded) and WebP at
libwebp's default method 4.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import PIL
import pillow_heif
from PIL import ExifTags, Image, ImageChops, ImageOps, TiffImagePlugin

from photohub.media.renditions import RESAMPLE, WEBP_METHOD, make_renditions

SIZES = (256, 1024, 2048)
MAX_PIXELS = 100_000_000
QUALITY = 80


def photo(width: int = 4000, height: int = 3000) -> Image.Image:
    """Something that compresses like a photo: smooth colour fields, texture, sensor noise."""
    fields = [
        Image.effect_noise((width // 100, height // 100), sigma).resize(
            (width, height), Image.Resampling.BICUBIC
        )
        for sigma in (60, 50, 70)
    ]
    base = Image.merge("RGB", fields)
    gradient = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    base = Image.blend(base, gradient, 0.3)
    texture = Image.effect_noise((width // 4, height // 4), 40).resize(
        (width, height), Image.Resampling.BILINEAR
    )
    grain = Image.effect_noise((width, height), 8)
    detail = ImageChops.add(texture, grain, 2, -64)
    return ImageChops.add(base, Image.merge("RGB", [detail] * 3), 1, -64)


def camera_exif(orientation: int) -> Image.Exif:
    rational = TiffImagePlugin.IFDRational
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Benchmark"
    exif[ExifTags.Base.Model] = "Phone 12MP"
    exif[ExifTags.Base.Orientation] = orientation
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.DateTimeOriginal] = "2026:11:21 22:15:03"
    sub[ExifTags.Base.BodySerialNumber] = "SN-0042"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (rational(48, 1), rational(51, 1), rational(3024, 100))
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (rational(2, 1), rational(17, 1), rational(4020, 100))
    return exif


def make_fixtures(folder: Path) -> dict[str, Path]:
    image = photo()
    cases = {
        "JPEG 12 MP": folder / "photo.jpg",
        "JPEG 12 MP, orientation 6": folder / "portrait.jpg",
        "HEIC 12 MP": folder / "photo.heic",
    }
    image.save(cases["JPEG 12 MP"], "JPEG", quality=90, exif=camera_exif(1))
    image.save(cases["JPEG 12 MP, orientation 6"], "JPEG", quality=90, exif=camera_exif(6))
    pillow_heif.options.GRID_TILE_SIZE = 512
    # x265's "veryfast" keeps generation to seconds; at quality 60 the file is about the size
    # an iPhone writes for 12 MP (2-3 MB).
    pillow_heif.from_pillow(image).save(
        cases["HEIC 12 MP"],
        quality=60,
        enc_params={"preset": "veryfast"},
        exif=camera_exif(1).tobytes(),
    )
    return cases


def naive(src: Path, dest_for: Callable[[int], Path], sizes: tuple[int, ...]) -> None:
    """The obvious Pillow code: full decode, rotate, thumbnail each size, WebP defaults."""
    with Image.open(src) as opened:
        image = ImageOps.exif_transpose(opened)
        for size in sizes:
            copy = image.copy()
            copy.thumbnail((size, size))
            copy.save(dest_for(size), "WEBP", quality=QUALITY, method=4)


def child(impl: str, src: Path, out: Path, runs: int, cpu: int) -> None:
    """Runs in its own process: pinned to one core, so RSS and time are this case's alone.

    Linux carries a parent's peak RSS into ``ru_maxrss`` of a forked child, even across exec,
    so the parent never holds a big image: the fixtures are made in a child too."""
    os.sched_setaffinity(0, {cpu})
    pillow_heif.register_heif_opener()

    def dest(size: int) -> Path:
        return out / f"{impl}_{size}.webp"

    def once() -> None:
        if impl == "photohub":
            make_renditions(src, dest, SIZES, max_pixels=MAX_PIXELS, quality=QUALITY)
        else:
            naive(src, dest, SIZES)

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    once()  # warm-up: imports plugins, faults in code pages; its peak RSS counts
    times, cpu_times = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        once()
        times.append((time.perf_counter() - started) * 1000)
        cpu_times.append((time.process_time() - started_cpu) * 1000)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {"times_ms": times, "cpu_ms": cpu_times, "rss_growth_kib": rss_after - rss_before}
    print(json.dumps(result))


class Measured(NamedTuple):
    times_ms: list[float]
    cpu_ms: list[float]
    rss_growth_kib: int


def run_child(impl: str, src: Path, out: Path, runs: int, cpu: int) -> Measured:
    argv = [sys.executable, __file__, "--child", impl, str(src), str(out)]
    argv += ["--runs", str(runs), "--cpu", str(cpu)]
    done = subprocess.run(argv, check=True, capture_output=True, text=True)
    return Measured(**json.loads(done.stdout))


def p90(values: list[float]) -> float:
    """Nearest-rank 90th percentile: with 7 runs, the slowest but none."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def cpu_model() -> str:
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description="Renditions of 12 MP photos, photohub vs Pillow.")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per case (default 7)")
    parser.add_argument("--cpu", type=int, default=0, help="the core to pin to (default 0)")
    parser.add_argument("--child", nargs=3, metavar=("IMPL", "SRC", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--fixtures", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        impl, src, out = args.child
        child(impl, Path(src), Path(out), args.runs, args.cpu)
        return
    if args.fixtures:
        print(
            json.dumps(
                {name: str(path) for name, path in make_fixtures(Path(args.fixtures)).items()}
            )
        )
        return

    with tempfile.TemporaryDirectory(prefix="photohub-bench-") as tmp:
        folder = Path(tmp)
        print("generating 12 MP fixtures ...", file=sys.stderr)
        made = subprocess.run(
            [sys.executable, __file__, "--fixtures", tmp],
            check=True,
            capture_output=True,
            text=True,
        )
        cases = {name: Path(path) for name, path in json.loads(made.stdout).items()}
        rows = []
        for name, src in cases.items():
            print(f"measuring {name} ...", file=sys.stderr)
            ours = run_child("photohub", src, folder, args.runs, args.cpu)
            plain = run_child("naive", src, folder, args.runs, args.cpu)
            ours_median = statistics.median(ours.times_ms)
            plain_median = statistics.median(plain.times_ms)
            rows.append(
                f"| {name} ({src.stat().st_size / 2**20:.1f} MiB) | {ours_median:.0f} "
                f"| {p90(ours.times_ms):.0f} | {ours.rss_growth_kib / 1024:.0f} "
                f"| {plain_median:.0f} | {plain_median / ours_median:.2f}x "
                f"| {statistics.median(ours.cpu_ms):.0f} | {statistics.median(plain.cpu_ms):.0f} "
                f"| {plain.rss_growth_kib / 1024:.0f} |"
            )

    heif = pillow_heif.libheif_info()
    print(
        f"Renditions {', '.join(map(str, SIZES))} px, WebP q{QUALITY}; {args.runs} runs per case, "
        f"one core (CPU {args.cpu}). photohub: draft(), {RESAMPLE.name}, "
        f"WebP method {WEBP_METHOD}, atomic writes; "
        "naive: exif_transpose + thumbnail() per size, WebP method 4.\n"
    )
    print(
        "| case | photohub median ms | p90 | peak RSS MiB | naive median ms | ratio "
        "| photohub CPU ms | naive CPU ms | naive peak RSS MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"\nMachine: {os.cpu_count()} CPUs, {cpu_model()}; Python {platform.python_version()}; "
        f"Pillow {PIL.__version__}; pillow-heif {pillow_heif.__version__} "
        f"(libheif {heif['libheif']}); load average after the run {load}."
    )


if __name__ == "__main__":
    main()
