"""Buddy icons: any accepted image, made a 48x48 JPEG (Flickr's size and format).

The upload is checked by content like a photo (``inspect_image``), then cropped to its
centre square, made upright, shrunk and saved without any metadata: a phone picture's GPS
never reaches the public icon. Each new icon gets a new random file name, so its URL can
be cached for good and the old one simply stops existing.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import secrets
import tempfile
from pathlib import Path

from PIL import Image

from photohub.domain.people import BUDDYICON_SIZE
from photohub.media.inspect import exif_orientation, inspect_image, open_image
from photohub.media.sniff import JPEG

ICON_NAME = re.compile(r"^(\d{1,18})_([0-9a-f]{16})\.jpg$")
QUALITY = 90
# Transparent icons are laid on white, as on Flickr's own pages.
BACKGROUND = (255, 255, 255)

_TRANSPOSE = {  # EXIF orientation -> the operation that makes the pixels upright
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def icons_dir(media_root: Path) -> Path:
    return media_root / "icons"


def icon_path(media_root: Path, name: str) -> Path | None:
    """The file behind a buddy icon name from a URL; None if it is not one of ours."""
    if ICON_NAME.match(name) is None:
        return None
    return icons_dir(media_root) / name


def make_buddyicon(src: Path, media_root: Path, user_id: int, *, max_pixels: int) -> str:
    """Make the icon from the image at ``src``; returns its file name. Raises MediaError
    (with a message for the person) when ``src`` is not an image photohub takes."""
    inspect_image(src, max_pixels=max_pixels)
    data = _encode(src, max_pixels=max_pixels)
    name = f"{user_id}_{secrets.token_hex(8)}.jpg"
    folder = icons_dir(media_root)
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / name, data)
    return name


def _encode(src: Path, *, max_pixels: int) -> bytes:
    size = BUDDYICON_SIZE
    with open_image(src, max_pixels=max_pixels) as (image, kind):
        orientation = exif_orientation(image)
        if kind is JPEG:
            image.draft("RGB", (size * 2, size * 2))  # decode at 1/8 scale when it can
        image.load()
        picture: Image.Image = image
        if picture.mode not in ("RGB", "L"):
            rgba = picture.convert("RGBA")
            picture = Image.new("RGB", rgba.size, BACKGROUND)
            picture.paste(rgba, mask=rgba.getchannel("A"))
        width, height = picture.size
        side = min(width, height)
        left, top = (width - side) // 2, (height - side) // 2
        picture = picture.resize(
            (size, size), Image.Resampling.LANCZOS, box=(left, top, left + side, top + side)
        )
        if orientation in _TRANSPOSE:
            picture = picture.transpose(_TRANSPOSE[orientation])
        picture = picture.convert("RGB")
        picture.info = {}  # no EXIF, XMP or ICC: nothing is passed to save() either
        out = io.BytesIO()
        picture.save(out, format="JPEG", quality=QUALITY)
        return out.getvalue()


def _write(dest: Path, data: bytes) -> None:
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(name, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def remove(media_root: Path, name: str | None) -> None:
    if name and (path := icon_path(media_root, name)) is not None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
