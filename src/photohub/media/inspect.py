"""Validate an uploaded image and read what photohub keeps from it.

The type is decided by the file's content (magic bytes, ``media.sniff``, then Pillow's
parser restricted to that one format), never by its name. The pixel count is checked
from the header before any pixel is decoded, and the file is then decoded once to catch a
photo cut off in transfer. That decode is priced from the header first and passes the
process's :class:`DecodeGate` (``media.decoding``); so is the renditions' decode it
announces, so that a file whose renditions could never be made is refused now rather than
stored. Every problem with the bytes surfaces as :class:`MediaError`, whose ``message`` a
party guest can read; failing to *read the file at all* (missing, permissions) is an
``OSError`` as usual.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import SupportsFloat

import pillow_heif
from PIL import ExifTags, Image, ImageFile

from photohub.media.decoding import DecodeGate, Header, OverBudget, check_bytes, shared_gate
from photohub.media.sniff import (
    JPEG,
    OPEN_LOCK,
    WEBP,
    ImageKind,
    is_other_image,
    kind_from_magic,
    webp_size,
)

# Once, at import: HEIC/HEIF (iPhone photos) open through Pillow like any other format.
pillow_heif.register_heif_opener()

ACCEPTED_TYPES = "JPEG, PNG, WebP, GIF or HEIC"


class MediaError(Exception):
    """A file photohub will not take. ``reason`` is a machine code (``empty``, ``not_image``,
    ``unsupported``, ``truncated``, ``too_many_pixels``, ``too_much_memory``); ``message``
    is for the guest."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class ImageInfo:
    format: str
    """``jpeg``, ``png``, ``webp``, ``gif`` or ``heif``."""
    mime: str
    ext: str
    """File extension photohub stores the original under (``jpg``, ``png``, ..., ``heic``)."""
    width: int
    """As displayed: after the EXIF orientation (orientation 5-8 swap width and height)."""
    height: int
    taken_at: datetime | None
    """EXIF DateTimeOriginal (else DateTime), naive camera-local time; None if absent or bad."""
    latitude: float | None
    """Signed decimal degrees from the GPS IFD (south negative); None if absent or invalid."""
    longitude: float | None
    """Signed decimal degrees (west negative)."""


_MESSAGES = {
    "empty": "The file is empty. Please choose the photo again.",
    "not_image": f"This file is not a photo. Please choose a {ACCEPTED_TYPES} image.",
    "unsupported": f"This kind of image is not supported. Please send a {ACCEPTED_TYPES} photo.",
    "truncated": (
        "This is not a photo we can read: it is damaged or incomplete. Please try sending it again."
    ),
}


def error(reason: str) -> MediaError:
    """A MediaError with the standard guest message for ``reason``."""
    return MediaError(reason, _MESSAGES[reason])


def _too_many_pixels(pixels: int | None, max_pixels: int) -> MediaError:
    if Image.MAX_IMAGE_PIXELS is not None:  # Pillow's guard, when it is the stricter one
        max_pixels = min(max_pixels, Image.MAX_IMAGE_PIXELS)
    size = f" ({pixels / 1e6:.3g} megapixels)" if pixels else ""
    return MediaError(
        "too_many_pixels",
        f"This image is too large{size}; the limit is {max_pixels / 1e6:.3g} megapixels. "
        "Please send a smaller version.",
    )


def _memory_words(size: int) -> str:
    if size >= 1024**3:
        return f"{size / 1024**3:.1f} GB"
    return f"{max(1, round(size / 1024**2))} MB"


def too_much_memory(exc: OverBudget) -> MediaError:
    """The guest's error for a decode priced above what the server gives decoding."""
    return MediaError(
        "too_much_memory",
        f"This image is too large to process: opening it would take about "
        f"{_memory_words(exc.need)} of memory, and this server allows "
        f"{_memory_words(exc.limit)}. Please send a smaller version.",
    )


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise error("truncated")
    if width * height > max_pixels:
        raise _too_many_pixels(width * height, max_pixels)


@contextlib.contextmanager
def open_image(path: Path, *, max_pixels: int) -> Iterator[tuple[ImageFile.ImageFile, ImageKind]]:
    """Open an accepted image lazily (header only) with the pixel count checked.

    Inside the block, whatever Pillow or libheif raise on bad data (decoding, EXIF parsing,
    converting) becomes a MediaError, so callers decode and convert without their own guard;
    so does a decode the :class:`DecodeGate` refuses (``too_much_memory``).
    Pillow's bomb guard stays on: its DecompressionBombError and, turned into an error here,
    its DecompressionBombWarning both mean "too_many_pixels". The effective limit is thus the
    smaller of ``max_pixels`` and ``PIL.Image.MAX_IMAGE_PIXELS`` (89.5 MP by default).
    ``ImageFile.LOAD_TRUNCATED_IMAGES`` is never touched: a cut-off file must fail to decode.
    """
    with path.open("rb") as fp:
        head = fp.read(64)
        if not head:
            raise error("empty")
        kind = kind_from_magic(head)
        if kind is None:
            raise error("unsupported" if is_other_image(head, fp) else "not_image")
        if kind is WEBP:
            size = webp_size(head)
            if size is None:  # no image chunk libwebp would take: junk, not a photo
                raise error("truncated")
            _check_pixels(size, max_pixels)
        fp.seek(0)
        try:
            with OPEN_LOCK, warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(fp, formats=[kind.pillow])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(None, max_pixels) from exc
        except Exception as exc:  # the magic matched but the parser did not: corrupt
            raise error("truncated") from exc
        with image:
            try:
                _check_pixels(image.size, max_pixels)
                yield image, kind
            except MediaError:
                raise
            except OverBudget as exc:
                raise too_much_memory(exc) from None
            except Exception as exc:
                raise error("truncated") from exc


def header_of(image: Image.Image, kind: ImageKind) -> Header:
    """What the price of decoding ``image`` depends on (read before any pixel is)."""
    return Header(
        format=kind.format,
        mode=image.mode,
        size=image.size,
        progressive=bool(image.info.get("progressive") or image.info.get("progression")),
        transparent=image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info,
    )


def exif_orientation(image: Image.Image) -> int:
    """EXIF orientation 1-8; 1 when absent or unreadable (pillow-heif has already applied it
    to HEIF pixels and reports 1)."""
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _exif_text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    return value.strip("\x00 \t\r\n")


def _parse_datetime(value: object) -> datetime | None:
    text = _exif_text(value)
    if not text:
        return None
    # "2026:11:21 22:15:03", possibly followed by sub-seconds or an offset; some tools use "-".
    for pattern in ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        try:
            parsed = datetime.strptime(text[:19], pattern)
        except ValueError:
            continue
        return parsed if parsed.year >= 1800 else None
    return None


def _taken_at(exif: Image.Exif) -> datetime | None:
    with contextlib.suppress(Exception):
        taken = _parse_datetime(exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal))
        if taken is not None:
            return taken
    with contextlib.suppress(Exception):
        return _parse_datetime(exif.get(ExifTags.Base.DateTime))
    return None


def _degrees(value: object, ref: object, negative: str, positive: str) -> float | None:
    """Degrees/minutes/seconds rationals + an N/S or E/W ref -> signed decimal degrees."""
    parts = list(value) if isinstance(value, tuple | list) else [value]
    if not 1 <= len(parts) <= 3:
        return None
    total = 0.0
    for part, divisor in zip(parts, (1, 60, 3600), strict=False):
        if not isinstance(part, SupportsFloat):
            return None
        try:
            number = float(part)  # IFDRational; a zero denominator gives nan
        except (TypeError, ValueError, ZeroDivisionError, OverflowError):
            return None
        if not math.isfinite(number) or number < 0:
            return None
        total += number / divisor
    sign = (_exif_text(ref) or positive).upper()[:1]
    if sign not in (negative, positive):
        return None
    return -total if sign == negative else total


def _gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        lat = _degrees(
            gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "S", "N"
        )
        lon = _degrees(
            gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "W", "E"
        )
    except Exception:
        return None, None
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None, None
    if lat == 0 and lon == 0:  # "no fix" as written by some cameras, not a place in the sea
        return None, None
    return lat, lon


def inspect_image(
    path: Path,
    *,
    max_pixels: int,
    gate: DecodeGate | None = None,
    render_price: Callable[[Header], int] | None = None,
) -> ImageInfo:
    """Identify, bound and fully validate an uploaded image; read its EXIF date and GPS.

    Decoding is the only reliable test for a file cut off in transfer, so the pixels are
    decoded once: JPEG through ``draft()`` at 1/8 scale, grey only (entropy decoding still
    walks the whole file, so truncation shows, at a fraction of a full decode's cost).
    That decode passes ``gate`` (default: the process's gate with the default limits);
    ``render_price``: the price of the decode that will make the renditions, refused now
    if the gate could never run it. Raises MediaError for anything wrong with the
    content, never another exception.
    """
    gate = gate or shared_gate()
    with open_image(path, max_pixels=max_pixels) as (image, kind):
        width, height = image.size  # before draft(), which shrinks it
        header = header_of(image, kind)
        need = check_bytes(header)
        gate.admit(max(need, render_price(header) if render_price else 0))
        with gate.reserve(need):
            try:
                if kind is JPEG:
                    image.draft("L" if image.mode == "RGB" else None, (1, 1))
                image.load()  # first frame only, for animations
                orientation = exif_orientation(image)
                try:
                    exif = image.getexif()  # a PNG's eXIf after its pixels needs load()
                except Exception:
                    exif = Image.Exif()
            finally:
                image.close()  # the pixels go before the gate's slot (and its trim) does
        if orientation in (5, 6, 7, 8):
            width, height = height, width
        latitude, longitude = _gps(exif)
        return ImageInfo(
            format=kind.format,
            mime=kind.mime,
            ext=kind.ext,
            width=width,
            height=height,
            taken_at=_taken_at(exif),
            latitude=latitude,
            longitude=longitude,
        )
