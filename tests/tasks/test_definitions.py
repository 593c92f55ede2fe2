"""Task definitions against a real site."""

from __future__ import annotations

import os
import time

import pytest

from photohub.site import Site
from photohub.store import photos
from photohub.store.db import utcnow
from photohub.tasks.definitions import ORPHAN_AGE, sweep_media

pytestmark = pytest.mark.anyio


async def test_sweep_removes_old_files_without_a_row_and_keeps_the_rest(site: Site) -> None:
    old = time.time() - ORPHAN_AGE - 10
    orphan = site.media.original_path(424242, "a" * 24, "jpg")
    orphan_rendition = site.media.rendition_path(424242, "a" * 24, 256)
    fresh = site.media.original_path(434343, "b" * 24, "jpg")  # an upload committing now
    async with site.db.write() as conn:
        now = utcnow()
        kept_id = await photos.insert(
            conn,
            secret="c" * 24,
            format="jpeg",
            ext="jpg",
            bytes=1,
            width=1,
            height=1,
            renditions=[],
            created_at=now,
            updated_at=now,
        )
    kept = site.media.original_path(kept_id, "c" * 24, "jpg")
    half_written = site.media.renditions / ".1_x_256.webp.abcd.tmp"
    for path in (orphan, orphan_rendition, fresh, kept, half_written):
        path.write_bytes(b"x")
    for path in (orphan, orphan_rendition, kept, half_written):
        os.utime(path, (old, old))
    await sweep_media(site, {})
    assert not orphan.exists() and not orphan_rendition.exists() and not half_written.exists()
    assert fresh.exists() and kept.exists()
