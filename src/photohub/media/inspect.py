"""Validate an uploaded image and read what photohub keeps from it.

The type is decided by the file's content (magic bytes, then Pillow's parser restricted to
that one format), never by its name: a zip renamed ``.jpg`` is "not an image", a BMP is an
image type we do not take. The pixel count is checked from the header before any pixel is
decoded, and the file is then decoded once to catch a photo cut off in transfer. Every
problem with the bytes surfaces as :class:`MediaError`, whose ``message`` a party guest can
read; failing to *read the file at all* (missing, permissions) is an ``OSError`` as usual.
"""

from __future__ import annotations

import contextlib
import math
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, SupportsFloat

import pillow_heif
from PIL import ExifTags, Image, ImageFile

# Once, at import: HEIC/HEIF (iPhone photos) open through Pillow like any other format.
pillow_heif.register_heif_opener()

ACCEPTED_TYPES = "JPEG, PNG, WebP, GIF or HEIC"


class MediaError(Exception):
    """A file photohub will not take. ``reason`` is a machine code (``empty``, ``not_image``,
    ``unsupported``, ``truncated``, ``too_many_pixels``); ``message`` is for the guest."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class ImageKind:
    """One accepted image type."""

    format: str  # photohub's name: jpeg, png, webp, gif, heif
    pillow: str  # Pillow's format name, to restrict Image.open to that one parser
    mime: str
    ext: str


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


JPEG = ImageKind("jpeg", "JPEG", "image/jpeg", "jpg")
PNG = ImageKind("png", "PNG", "image/png", "png")
GIF = ImageKind("gif", "GIF", "image/gif", "gif")
WEBP = ImageKind("webp", "WEBP", "image/webp", "webp")
HEIC = ImageKind("heif", "HEIF", "image/heic", "heic")
HEIF = ImageKind("heif", "HEIF", "image/heif", "heic")

# ISO BMFF major brands pillow-heif decodes (HEVC); the same list its own _accept uses.
_HEIF_BRANDS = {
    b"heic": HEIC,
    b"heix": HEIC,
    b"heim": HEIC,
    b"heis": HEIC,
    b"hevc": HEIC,
    b"hevx": HEIC,
    b"hevm": HEIC,
    b"hevs": HEIC,
    b"mif1": HEIF,
    b"msf1": HEIF,
}
# Other image brands in the same container: AVIF, and Canon's CR3 raw.
_OTHER_BMFF_IMAGE_BRANDS = {b"avif", b"avis", b"crx "}
# Image types that are not ours; anything else Pillow recognises is "unsupported" too.
_UNSUPPORTED_MAGIC = (
    b"II*\x00",  # TIFF, and the TIFF-based raw formats (DNG, NEF, CR2, ARW, ...)
    b"MM\x00*",
    b"II+\x00",  # BigTIFF
    b"MM\x00+",
    b"IIRO",  # Olympus ORF
    b"IIU\x00",  # Panasonic RW2
    b"8BPS",  # Photoshop
    b"\x00\x00\x00\x0cjP  \r\n\x87\n",  # JPEG 2000
    b"\xff\x4f\xff\x51",  # JPEG 2000 codestream
    b"\x00\x00\x00\x0cJXL \r\n\x87\n",  # JPEG XL
    b"\xff\x0a",  # JPEG XL codestream
    b"qoif",
    b"DDS ",
)
_BMP_HEADER_SIZES = {12, 40, 52, 56, 64, 108, 124}

_MESSAGES = {
    "empty": "The file is empty. Please choose the photo again.",
    "not_image": f"This file is not a photo. Please choose a {ACCEPTED_TYPES} image.",
    "unsupported": f"This kind of image is not supported. Please send a {ACCEPTED_TYPES} photo.",
    "truncated": "This photo is damaged or incomplete. Please try sending it again.",
}

# Image.open is the one place Pillow warns about decompression bombs for our formats, and
# a warnings filter is process-wide state: the lock keeps concurrent opens (worker threads)
# from restoring each other's filters in the wrong order.
_OPEN_LOCK = threading.Lock()


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


def _bmff_brand(head: bytes) -> bytes | None:
    return head[8:12] if head[4:8] == b"ftyp" else None


def _kind_from_magic(head: bytes) -> ImageKind | None:
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    brand = _bmff_brand(head)
    return _HEIF_BRANDS.get(brand) if brand else None


def _is_other_image(head: bytes, fp: BinaryIO) -> bool:
    """Whether an unaccepted file is still an image (-> "unsupported", not "not_image")."""
    if head.startswith(_UNSUPPORTED_MAGIC) or _bmff_brand(head) in _OTHER_BMFF_IMAGE_BRANDS:
        return True
    if head[:2] == b"BM" and int.from_bytes(head[14:18], "little") in _BMP_HEADER_SIZES:
        return True
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(b"<svg") or (start.startswith(b"<?xml") and b"<svg" in head.lower()):
        return True
    # Last, Pillow's own identification over all its formats (ICO, PCX, TGA, PPM, ...).
    try:
        fp.seek(0)
        with _OPEN_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Image.open(fp).close()
    except Exception:
        return False
    return True


def _webp_size(head: bytes) -> tuple[int, int] | None:
    """Canvas size from a WebP header. Needed before Image.open: Pillow's WebP plugin creates
    the decoder, which allocates the whole canvas, inside open."""
    chunk = head[12:16]
    if chunk == b"VP8X" and len(head) >= 30:
        w = int.from_bytes(head[24:27], "little") + 1
        h = int.from_bytes(head[27:30], "little") + 1
        return w, h
    if chunk == b"VP8 " and len(head) >= 30:
        w = int.from_bytes(head[26:28], "little") & 0x3FFF
        h = int.from_bytes(head[28:30], "little") & 0x3FFF
        return w, h
    if chunk == b"VP8L" and len(head) >= 25:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


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
    converting) becomes a MediaError, so callers decode and convert without their own guard.
    Pillow's bomb guard stays on: its DecompressionBombError and, turned into an error here,
    its DecompressionBombWarning both mean "too_many_pixels". The effective limit is thus the
    smaller of ``max_pixels`` and ``PIL.Image.MAX_IMAGE_PIXELS`` (89.5 MP by default).
    ``ImageFile.LOAD_TRUNCATED_IMAGES`` is never touched: a cut-off file must fail to decode.
    """
    with path.open("rb") as fp:
        head = fp.read(64)
        if not head:
            raise error("empty")
        kind = _kind_from_magic(head)
        if kind is None:
            raise error("unsupported" if _is_other_image(head, fp) else "not_image")
        if kind is WEBP and (size := _webp_size(head)) is not None:
            _check_pixels(size, max_pixels)
        fp.seek(0)
        try:
            with _OPEN_LOCK, warnings.catch_warnings():
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
            except Exception as exc:
                raise error("truncated") from exc


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


def inspect_image(path: Path, *, max_pixels: int) -> ImageInfo:
    """Identify, bound and fully validate an uploaded image; read its EXIF date and GPS.

    Decoding is the only reliable test for a file cut off in transfer, so the pixels are
    decoded once: JPEG through ``draft()`` at 1/8 scale, grey only (entropy decoding still
    walks the whole file, so truncation shows, at a fraction of a full decode's cost).
    Raises MediaError for anything wrong with the content, never another exception.
    """
    with open_image(path, max_pixels=max_pixels) as (image, kind):
        width, height = image.size  # before draft(), which shrinks it
        if kind is JPEG:
            image.draft("L" if image.mode == "RGB" else None, (1, 1))
        image.load()  # first frame only, for animations
        if exif_orientation(image) in (5, 6, 7, 8):
            width, height = height, width
        try:
            exif = image.getexif()
        except Exception:
            exif = Image.Exif()
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
