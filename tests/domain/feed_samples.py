"""Sample entries for the feed renderers' tests (domain/atom.py, domain/jsonfeed.py)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from photohub.domain.atom import Category, DeletedEntry, Image, Person, PhotoEntry, entry_id

HOST = "photos.example.org"
BASE = f"https://{HOST}"
META: dict[str, Any] = {
    "feed_id": f"{BASE}/hub/topics/my_photos/7",
    "title": "Ann's photos",
    "self_url": f"{BASE}/hub/topics/my_photos/7",
    "hub_url": f"{BASE}/hub",
    "updated": datetime(2026, 11, 21, 22, 15, 3),
}
HOSTILE = (
    "<script>alert('x')</script> ]]> &amp; \x00\x01\x08\x0b\x0c\x1f\ufffe\uffff\ud800 "
    "😀🏳️‍🌈 שלום עולם \u202eevil\u202c مرحبا tab\tnew\nline\r\nreturn\rend"
)
# What survives: everything but the characters XML 1.0 cannot carry.
SURVIVES = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", "", HOSTILE)


def photo(n: int = 42, **changes: Any) -> PhotoEntry:
    entry = PhotoEntry(
        id=entry_id(HOST, n),
        photo_id=n,
        title=f"Sunset {n}",
        description="Over the bay.\nSecond line.",
        page_url=f"{BASE}/photos/ann/{n}",
        images=(
            Image(f"{BASE}/files/{n}_s3cr3t_2048.webp", "image/webp", 2048, 1536, 401_234),
            Image(f"{BASE}/files/{n}_s3cr3t_1024.webp", "image/webp", 1024, 768, 120_001),
        ),
        thumbnail=Image(f"{BASE}/files/{n}_s3cr3t_256.webp", "image/webp", 256, 192),
        author=Person("Ann Example", f"{BASE}/people/12345@N01"),
        published=datetime(2026, 11, 20, 18, 30, 0),
        updated=datetime(2026, 11, 21, 9, 1, 2),
        tags=(Category("newyork", "New York!"), Category("geo:lat=48.85", "geo:lat=48.85")),
    )
    return replace(entry, **changes)


def tombstone(n: int = 42, **changes: Any) -> DeletedEntry:
    entry = DeletedEntry(ref=entry_id(HOST, n), when=datetime(2026, 11, 22, 8, 0, 0))
    return replace(entry, **changes)
