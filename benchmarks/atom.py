"""Atom feeds of photo entries: photohub's renderer (lxml) against feedgen, in one run.

    python benchmarks/atom.py [--entries N] [--runs N] [--cpu K]

Every case renders the same N entries (default 50: three WebP renditions, a thumbnail, five
tags, a location on every other photo, a faver on every third, a tombstone every tenth)
into one complete document, ``--runs`` times after a warm-up, pinned to one core; the table
gives the median and p90 per document and the median per entry. feedgen gets the same fields
through its API and its media and geo extensions, and builds its objects inside the timing,
as a caller would. feedgen is not a photohub dependency: ``pip install -e '.[bench]'`` (or
``pip install feedgen``) adds it; without it only photohub's rows print. feedgen cannot write
RFC 6721 tombstones, so its document has the photos only.

The script also checks what feedgen's document kept: feedgen 1.0 writes only ``href`` on
entry links (python-feedgen#135), which is why photohub renders with lxml itself.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree

from photohub.domain.atom import (
    ATOM,
    Category,
    DeletedEntry,
    Entry,
    Image,
    Person,
    PhotoEntry,
    batches,
    content_html,
    entry_id,
    feed,
)
from photohub.domain.jsonfeed import json_feed

BASE = "https://photos.example.org"
UPDATED = datetime(2026, 11, 21, 22, 15, 3)
META: dict[str, Any] = {
    "feed_id": f"{BASE}/hub/topics/my_photos/7",
    "title": "Ann's photos",
    "self_url": f"{BASE}/hub/topics/my_photos/7",
    "hub_url": f"{BASE}/hub",
    "updated": UPDATED,
}
CAP = 64 * 1024


def sample_entries(count: int) -> list[Entry]:
    entries: list[Entry] = []
    for n in range(1, count + 1):
        if n % 10 == 0:
            entries.append(DeletedEntry(entry_id("photos.example.org", n), UPDATED))
            continue
        files = f"{BASE}/files/{n}_9f2c4e81"
        entries.append(
            PhotoEntry(
                id=entry_id("photos.example.org", n),
                photo_id=n,
                title=f"Harbour at dusk, frame {n}",
                description="The ferries coming in at dusk, from the north pier. " * 2,
                page_url=f"{BASE}/photos/ann/{n}",
                images=tuple(
                    Image(f"{files}_{size}.webp", "image/webp", size, size * 3 // 4, size * 90)
                    for size in (2048, 1024, 256)
                ),
                thumbnail=Image(f"{files}_256.webp", "image/webp", 256, 192),
                author=Person("Ann Example", f"{BASE}/people/12345@N01"),
                published=UPDATED - timedelta(hours=n),
                updated=UPDATED - timedelta(minutes=n),
                tags=tuple(
                    Category(clean, raw)
                    for clean, raw in [
                        ("harbour", "Harbour"),
                        ("dusk", "dusk"),
                        ("ferry", "Ferry"),
                        ("newyork", "New York"),
                        ("geo:lat=48.85", "geo:lat=48.85"),
                    ]
                ),
                location=(40.7 + n / 1000, -74.0 - n / 1000) if n % 2 else None,
                contributors=(Person("Bob", f"{BASE}/people/67890@N01"),) if n % 3 == 0 else (),
            )
        )
    return entries


def photohub_atom(entries: list[Entry]) -> bytes:
    return feed(entries, **META)


def photohub_batches(entries: list[Entry]) -> bytes:
    return b"".join(batch.document for batch in batches(entries, CAP, **META))


def photohub_json(entries: list[Entry]) -> bytes:
    document = json_feed(entries, title=META["title"], feed_url=META["self_url"], hub_url=BASE)
    return json.dumps(document, ensure_ascii=False).encode()


def aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)  # feedgen refuses naive datetimes


def feedgen_atom(entries: list[Entry]) -> bytes:
    """The same fields through feedgen's API (photos only: it has no tombstones)."""
    from feedgen.feed import FeedGenerator

    generator = FeedGenerator()
    generator.load_extension("media")
    generator.load_extension("geo")
    generator.id(META["feed_id"])
    generator.title(META["title"])
    generator.updated(aware(UPDATED))
    generator.link(href=META["self_url"], rel="self", type="application/atom+xml")
    generator.link(href=META["hub_url"], rel="hub")
    generator.author(name="photohub")
    for entry in entries:
        if not isinstance(entry, PhotoEntry):
            continue
        item = generator.add_entry(order="append")
        item.id(entry.id)
        item.title(entry.title)
        item.link(href=entry.page_url, rel="alternate", type="text/html")
        main = entry.images[0]
        item.enclosure(main.url, str(main.length), main.type)
        item.published(aware(entry.published))
        item.updated(aware(entry.updated))
        item.author(name=entry.author.name, uri=entry.author.uri)
        for person in entry.contributors:
            item.contributor(name=person.name, uri=person.uri)
        item.summary(entry.description, type="text")
        item.content(content_html(entry), type="html")
        for tag in entry.tags:
            item.category(term=tag.term, label=tag.label)
        if entry.location is not None:
            item.geo.point(f"{entry.location[0]} {entry.location[1]}")
        for image in entry.images:
            item.media.content(
                url=image.url,
                type=image.type,
                medium="image",
                width=str(image.width),
                height=str(image.height),
                fileSize=str(image.length),
            )
        if entry.thumbnail is not None:
            thumb = entry.thumbnail
            item.media.thumbnail(url=thumb.url, width=str(thumb.width), height=str(thumb.height))
    data: bytes = generator.atom_str(pretty=False)
    return data


def feedgen_kept(document: bytes) -> str:
    """What a subscriber would miss in feedgen's output."""
    links = etree.fromstring(document).findall(f"{{{ATOM}}}entry/{{{ATOM}}}link")
    typed = sum(1 for link in links if link.get("rel") and link.get("type"))
    return f"{typed} of {len(links)} entry links keep rel and type"


def measure(
    renders: list[Callable[[list[Entry]], bytes]], entries: list[Entry], runs: int
) -> list[list[float]]:
    """µs per render for each case, the cases taking turns so that a busy machine's
    slower moments fall on all of them alike."""
    for render in renders:
        render(entries)  # warm-up: imports, caches
    times: list[list[float]] = [[] for _ in renders]
    for _ in range(runs):
        for render, own in zip(renders, times, strict=True):
            started = time.perf_counter_ns()
            render(entries)
            own.append((time.perf_counter_ns() - started) / 1000)
    return times


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description="Atom feed rendering, photohub vs feedgen.")
    parser.add_argument("--entries", type=int, default=50, help="entries per feed (default 50)")
    parser.add_argument("--runs", type=int, default=300, help="timed renders per case")
    parser.add_argument("--cpu", type=int, default=0, help="the core to pin to (default 0)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    entries = sample_entries(args.entries)
    photos = sum(isinstance(entry, PhotoEntry) for entry in entries)
    cases: list[tuple[str, Callable[[list[Entry]], bytes], int]] = [
        ("photohub `feed()` (lxml)", photohub_atom, len(entries)),
        (f"photohub `batches()`, {CAP // 1024} KiB cap", photohub_batches, len(entries)),
        ("photohub `json_feed()` + json.dumps", photohub_json, len(entries)),
    ]
    versions = [f"lxml {etree.__version__}"]
    try:
        import feedgen.version

        cases.append(("feedgen `atom_str()` (photos only)", feedgen_atom, photos))
        versions.append(f"feedgen {feedgen.version.version_str}")
        kept = feedgen_kept(feedgen_atom(entries))
    except ImportError:
        kept = ""
        print(
            "feedgen is not installed: pip install -e '.[bench]' (or pip install feedgen) "
            "to compare with it.",
            file=sys.stderr,
        )

    print(f"measuring {len(cases)} cases, taking turns ...", file=sys.stderr)
    measured = measure([render for _, render, _ in cases], entries, args.runs)
    rows, baseline = [], 0.0
    for (name, render, count), times in zip(cases, measured, strict=True):
        median = statistics.median(times)
        baseline = baseline or median
        rows.append(
            f"| {name} | {median:,.0f} | {p90(times):,.0f} | {median / count:,.1f} "
            f"| {len(render(entries)):,} | {median / baseline:.2f}x |"
        )

    print(
        f"Atom feeds of {len(entries)} entries ({photos} photos, "
        f"{len(entries) - photos} tombstones), {args.runs} renders per case taking turns, "
        f"one core (CPU {args.cpu}).\n"
    )
    print("| case | median µs per feed | p90 µs | µs per entry | bytes | time vs `feed()` |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    if kept:
        print(f"\nfeedgen's document: {kept} (python-feedgen#135).")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"\nMachine: {os.cpu_count()} CPUs, {cpu_model()}; Python {platform.python_version()}; "
        f"{'; '.join(versions)}; load average after the run {load}."
    )


if __name__ == "__main__":
    main()
