"""File URLs follow access: the one action every change that can take access away calls.

Holding a photo's file URL is the permission to fetch it (``domain.file_access`` says
why), so a change after which someone may no longer see a photo gives the photo a new
secret, and its files new names. Every such path goes through this module, which asks
the pure decision in ``domain.file_access``:

- a visibility change (``visibility_changed``): towards private at any step;
- a contact removed or their marks narrowed (``relation_changed``): every photo of the
  owner with a visibility that contact stops seeing;
- a geo permission narrowed (``geo_perm_changed``): only if served files carried a
  location, which they do not.

Deleting a photo removes its files after the commit (``actions.photos.delete``).

The rotation is crash-safe and never shows a reader half a change. Inside the
transaction that changes the row, each file gets its new name as a second name
(``MediaStore.add_name``: a hard link) and the names are synced; the old names are
removed only after the commit (``rotating``). A process dying before the commit leaves
the old names (still right) and stray new ones; dying after it leaves the new names
(right) and stray old ones. ``settle_names`` (run by ``sweep_media`` at every start)
removes the stray ones under the row lock. A reader that opened a file keeps reading
it (``web.files`` opens before it answers); one that comes after the old name is gone
gets a 404.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.domain.file_access import (
    geo_change_shrinks_files,
    lost_visibilities,
    visibility_shrinks,
)
from photohub.domain.privacy import Relation
from photohub.media.storage import MediaStore, new_secret, secret_in_name
from photohub.store import photos as photo_store

if TYPE_CHECKING:
    from photohub.site import Site

log = logging.getLogger("photohub.media")


@dataclass
class Rotation:
    """New names given inside one transaction; old names to remove once it commits."""

    media: MediaStore
    names: list[tuple[Path, Path]] = field(default_factory=list)  # (old, new)
    rotated: list[int] = field(default_factory=list)  # photo ids

    def undo(self) -> None:
        """The transaction failed: the new names go, the old ones stay right."""
        self.media.remove(new for _, new in reversed(self.names))
        self.names.clear()

    def finish(self) -> None:
        """The transaction committed: the old names stop answering."""
        self.media.remove(old for old, _ in self.names)
        self.names.clear()


@contextlib.contextmanager
def rotating(media: MediaStore) -> Iterator[Rotation]:
    """Wrap the write transaction (``with rotating(..) as r: async with db.write()``) so
    that old names are removed after its commit, and new names after its failure."""
    rotation = Rotation(media)
    try:
        yield rotation
    except BaseException:
        rotation.undo()
        raise
    rotation.finish()


async def rotate(conn: AsyncConnection, rotation: Rotation, rows: Iterable[RowMapping]) -> None:
    """Give each photo (rows locked by the caller) a new secret and its files new names.
    Old URLs stop working once the transaction commits; new ones work from then on."""
    media = rotation.media
    for row in rows:
        photo_id, secret = int(row["id"]), new_secret()
        sizes = [r["size"] for r in row["renditions"] or []]
        old = media.photo_files(photo_id, row["secret"], row["ext"], sizes)
        new = media.photo_files(photo_id, secret, row["ext"], sizes)
        for source, target in zip(old, new, strict=True):
            try:
                media.add_name(source, target)
            except FileNotFoundError:
                continue  # not made yet (processing) or never stored (a test row)
            rotation.names.append((source, target))
        await photo_store.update(conn, photo_id, secret=secret)
        rotation.rotated.append(photo_id)
    if rotation.names:
        media.sync_names()


async def visibility_changed(
    conn: AsyncConnection, rotation: Rotation, row: RowMapping, visibility: str
) -> bool:
    """The photo ``row`` (locked, as it was) is becoming ``visibility``; True if rotated."""
    if not visibility_shrinks(row["visibility"], visibility):
        return False
    await rotate(conn, rotation, [row])
    return True


async def relation_changed(
    conn: AsyncConnection, rotation: Rotation, owner_id: int, before: Relation, after: Relation
) -> list[int]:
    """The owner's marks for one contact went from ``before`` to ``after`` (a stranger:
    removed). Every photo of the owner that contact stops seeing rotates (other holders of
    its URLs fetch the new ones from the API); returns their ids."""
    lost = lost_visibilities(before, after)
    if not lost:
        return []
    rows = await photo_store.of_owner(conn, owner_id, lost, lock=True)
    await rotate(conn, rotation, rows)
    return [int(r["id"]) for r in rows]


async def geo_perm_changed(
    conn: AsyncConnection, rotation: Rotation, row: RowMapping, geo_perm: int
) -> bool:
    """The photo ``row``'s location permission is becoming ``geo_perm``; True if rotated."""
    if not geo_change_shrinks_files(int(row["geo_perm"]), geo_perm):
        return False
    await rotate(conn, rotation, [row])
    return True


async def settle_names(site: Site, on_disk: dict[int, list[Path]]) -> int:
    """After a crash mid-rotation: leave each stored photo's files under its current
    secret only (``MediaStore.settle``). Photos still processing are left to their task,
    which names its renditions under the secret it finds when it commits."""
    async with site.db.read() as conn:
        current = await photo_store.secrets_of(conn, on_disk)
    stray = [
        photo_id
        for photo_id, paths in on_disk.items()
        if photo_id in current
        and current[photo_id]["state"] != "processing"
        and any(secret_in_name(p) not in (None, current[photo_id]["secret"]) for p in paths)
    ]
    changed = 0
    for photo_id in stray:
        async with site.db.write() as conn:
            row = await photo_store.get(conn, photo_id, lock=True)
            if row is None or row["state"] == "processing":
                continue
            sizes = [r["size"] for r in row["renditions"] or []]
            changed += await asyncio.to_thread(
                site.media.settle, photo_id, row["secret"], row["ext"], sizes
            )
    if changed:
        log.warning("settled %d file names left by an interrupted secret change", changed)
    return changed
