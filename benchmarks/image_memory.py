"""Memory of hostile uploads: photohub's priced, gated decodes vs plain Pillow.

For each file (small on the wire, large once decoded, plus a normal phone photo) and each
concurrency (1 and 4 uploads at once), a fresh Python process decodes it the way photohub
does (the upload check, then the renditions, through one ``DecodeGate`` with the default
limits) or the naive way (``Image.open().convert("RGB")``, ``ImageOps.exif_transpose``,
``thumbnail`` per size, WebP), and reports the peak RSS it added (VmHWM, reset before; exact)
and the RSS still held once every decode has ended. "price" is photohub's estimate for
one decode, made from the header before decoding.

    python benchmarks/image_memory.py            # the whole table (a few minutes)
    python benchmarks/image_memory.py --quick    # concurrency 1 only
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from PIL import Image, ImageOps

SIZES = (256, 1024, 2048)
MiB = 1024 * 1024


def _files(folder: Path) -> dict[str, Path]:
    """The hostile files and a normal photo, written once."""
    made: dict[str, Path] = {}

    def save(name: str, image: Image.Image, fmt: str, **options: object) -> None:
        path = folder / name
        image.save(path, fmt, **options)
        made[name] = path

    save("1-bit PNG 9400x9400", Image.new("1", (9400, 9400), 1), "PNG")
    save("RGB PNG 9400x9400", Image.new("RGB", (9400, 9400), (10, 200, 30)), "PNG")
    save("16-bit PNG 9400x9400", Image.new("I;16", (9400, 9400), 3000), "PNG")
    save("CMYK JPEG 8000x8000", Image.new("CMYK", (8000, 8000), (10, 200, 30, 5)), "JPEG")
    noise = Image.merge("RGB", [Image.effect_noise((4000, 3000), 48) for _ in range(3)])
    save("phone JPEG 4000x3000", noise, "JPEG", quality=90)
    return made


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def _reset_peak() -> None:
    """Linux: reset the process's peak RSS (VmHWM) to its current RSS."""
    Path("/proc/self/clear_refs").write_text("5")


def _peak() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _photohub(path: Path, out: Path, index: int) -> None:
    from photohub.media.decoding import shared_gate
    from photohub.media.inspect import inspect_image
    from photohub.media.renditions import make_renditions, price

    gate = shared_gate()
    inspect_image(path, max_pixels=100_000_000, gate=gate, render_price=lambda h: price(h, 2048))
    make_renditions(path, lambda s: out / f"{index}-{s}.webp", SIZES, max_pixels=100_000_000)


def _baseline(path: Path, out: Path, index: int) -> None:
    with Image.open(path) as opened:
        image = ImageOps.exif_transpose(opened.convert("RGB"))
    for size in sorted(SIZES, reverse=True):
        image.thumbnail((size, size))
        image.save(out / f"{index}-{size}.webp", "WEBP", quality=80, method=0)


def _child(kind: str, path: Path, concurrency: int) -> None:
    """One measurement, in a fresh process; prints JSON."""
    import gc

    from photohub.media import decoding
    from photohub.media.inspect import header_of, open_image
    from photohub.media.renditions import price

    with open_image(path, max_pixels=100_000_000) as (image, image_kind):
        estimate = price(header_of(image, image_kind), 2048)
    gc.collect()
    decoding.give_back_memory()
    before = _rss()
    _reset_peak()
    work = _photohub if kind == "photohub" else _baseline
    errors: list[BaseException] = []

    def run(out: Path, index: int) -> None:
        try:
            work(path, out, index)
        except BaseException as exc:
            errors.append(exc)

    with tempfile.TemporaryDirectory() as out:
        threads = [threading.Thread(target=run, args=(Path(out), i)) for i in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        made = len(list(Path(out).glob("*.webp")))
    if errors:
        raise errors[0]
    assert made == concurrency * len(SIZES), f"{made} renditions made"
    gc.collect()
    peak = _peak()
    print(
        json.dumps(
            {
                "peak": peak - before,
                "held": _rss() - before,
                "price": estimate,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="concurrency 1 only")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], Path(args.child[1]), int(args.child[2]))
        return
    concurrencies = (1,) if args.quick else (1, 4)
    print(f"# {platform.machine()} {platform.python_implementation()} {platform.python_version()}")
    print("# MiB; peak = RSS added at the peak, held = RSS still added after; price = estimate")
    header = f"{'file':24} {'kB':>5} {'n':>2} {'price':>6} | {'photohub':>15} | {'baseline':>15}"
    print(header)
    print(f"{'':24} {'':>5} {'':>2} {'':>6} | {'peak':>7} {'held':>7} | {'peak':>7} {'held':>7}")
    with tempfile.TemporaryDirectory() as folder:
        for name, path in _files(Path(folder)).items():
            for concurrency in concurrencies:
                rows = {}
                for kind in ("photohub", "baseline"):
                    done = subprocess.run(
                        [sys.executable, __file__, "--child", kind, str(path), str(concurrency)],
                        check=True,
                        capture_output=True,
                        text=True,
                    )
                    rows[kind] = json.loads(done.stdout.strip().splitlines()[-1])
                ours, naive = rows["photohub"], rows["baseline"]
                print(
                    f"{name:24} {path.stat().st_size // 1024:>5} {concurrency:>2} "
                    f"{ours['price'] / MiB:>6.0f} | {ours['peak'] / MiB:>7.0f} "
                    f"{ours['held'] / MiB:>7.0f} | {naive['peak'] / MiB:>7.0f} "
                    f"{naive['held'] / MiB:>7.0f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
