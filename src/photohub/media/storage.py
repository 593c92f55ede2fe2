"""Where media files live: originals, renditions, and uploads in flight.

Everything is under one root, so a photo's files are found from its row alone. Files
are written to a temporary name and renamed, so a crash never leaves a half file
under a final name, and a failed upload never leaves an orphan.

A file's name carries its photo's secret (``{id}_{secret}_{size}.webp``). A new secret
(``actions.file_urls``) gives the same file a second name first (``add_name``: a hard
link, else a copy), and only once the database says so is the old name removed; a
stray name either way is settled from the row (``settle``).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from photohub.domain.photos import rendition_name

RENDITION_NAME = re.compile(r"^(\d{1,18})_([0-9a-f]{24})_(\d{2,5})\.webp$")
# Any photo file: originals (``_o.jpg``) and renditions; group 2 is the secret.
PHOTO_FILE_NAME = re.compile(r"^(\d{1,18})_([0-9a-f]{24})(_[0-9a-z]{1,5}\.[0-9a-z]{1,5})$")


def new_secret() -> str:
    """96 random bits, hex: file URLs cannot be guessed from a photo id."""
    return secrets.token_hex(12)


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.originals = root / "originals"
        self.renditions = root / "renditions"
        self.incoming = root / "incoming"

    def prepare(self) -> None:
        for folder in (self.originals, self.renditions, self.incoming):
            folder.mkdir(parents=True, exist_ok=True)
        # Leftovers of uploads cut off by a crash or restart.
        for leftover in self.incoming.iterdir():
            with contextlib.suppress(OSError):
                leftover.unlink()

    def incoming_file(self) -> Path:
        """A fresh temporary file for an upload being received."""
        fd, name = tempfile.mkstemp(dir=self.incoming, suffix=".part")
        os.close(fd)
        return Path(name)

    def original_path(self, photo_id: int, secret: str, ext: str) -> Path:
        return self.originals / f"{photo_id}_{secret}_o.{ext}"

    def rendition_path(self, photo_id: int, secret: str, size: int) -> Path:
        return self.renditions / rendition_name(photo_id, secret, size)

    def resolve_rendition(self, name: str) -> tuple[int, str, int, Path] | None:
        """Parse a rendition file name from a URL; None if it is not one of ours."""
        match = RENDITION_NAME.match(name)
        if match is None:
            return None
        photo_id, secret, size = int(match[1]), match[2], int(match[3])
        return photo_id, secret, size, self.rendition_path(photo_id, secret, size)

    def remove(self, paths: Iterable[Path]) -> None:
        for path in paths:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def files_by_photo(self) -> dict[int, list[Path]]:
        """Every original and rendition on disk, grouped by the photo id in its name."""
        found: dict[int, list[Path]] = {}
        for folder in (self.originals, self.renditions):
            for path in folder.iterdir():
                head = path.name.split("_", 1)[0]
                if head.isdigit():
                    found.setdefault(int(head), []).append(path)
        return found

    def temp_files(self) -> list[Path]:
        """Half-written renditions (``.name.xxxx.tmp``) a crash can leave behind."""
        return [p for p in self.renditions.iterdir() if p.name.startswith(".")]

    def photo_files(self, photo_id: int, secret: str, ext: str, sizes: Iterable[int]) -> list[Path]:
        return [self.original_path(photo_id, secret, ext)] + [
            self.rendition_path(photo_id, secret, size) for size in sizes
        ]

    def add_name(self, source: Path, target: Path) -> None:
        """Give the file ``source`` the second name ``target``: a hard link (no bytes
        copied, and a reader of either name gets the same file), or where the file system
        has none a copy written under a temporary name and renamed into place."""
        try:
            os.link(source, target)
        except FileExistsError:
            raise
        except OSError:
            fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            os.close(fd)
            try:
                shutil.copyfile(source, name)
                with open(name, "rb") as written:
                    os.fsync(written.fileno())
                os.replace(name, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(name)
                raise

    def sync_names(self) -> None:
        """Make new names durable before the database refers to them (a power cut after
        the commit must not find the row pointing at a name the disk never kept)."""
        for folder in (self.originals, self.renditions):
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def settle(self, photo_id: int, secret: str, ext: str, sizes: Iterable[int]) -> int:
        """Leave the photo's files only under its current ``secret``: a name under another
        secret is removed, or renamed to the current one where that file is missing and
        expected (nothing is lost whichever step a crash interrupted). The caller holds
        the photo's row lock, so no rotation is under way. Returns the names changed."""
        expected = set(self.photo_files(photo_id, secret, ext, sizes))
        changed = 0
        for folder in (self.originals, self.renditions):
            for path in folder.glob(f"{photo_id}_*"):
                match = PHOTO_FILE_NAME.match(path.name)
                if match is None or int(match[1]) != photo_id or match[2] == secret:
                    continue
                current = path.with_name(f"{photo_id}_{secret}{match[3]}")
                with contextlib.suppress(FileNotFoundError):
                    if current in expected and not current.exists():
                        path.replace(current)
                    else:
                        path.unlink()
                    changed += 1
        return changed


def secret_in_name(path: Path) -> str | None:
    """The secret a photo file's name carries (None: not a photo file)."""
    match = PHOTO_FILE_NAME.match(path.name)
    return None if match is None else match[2]
