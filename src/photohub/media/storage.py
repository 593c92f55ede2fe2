"""Where media files live: originals, renditions, and uploads in flight.

Everything is under one root, so a photo's files are found from its row alone. Files
are written to a temporary name and renamed, so a crash never leaves a half file
under a final name, and a failed upload never leaves an orphan.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
from collections.abc import Iterable
from pathlib import Path

from photohub.domain.photos import rendition_name

RENDITION_NAME = re.compile(r"^(\d{1,18})_([0-9a-f]{24})_(\d{2,5})\.webp$")


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
