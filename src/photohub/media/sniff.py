"""Telling an image's type from its first bytes, before any image parser sees the file.

The type is decided by the file's content (magic bytes), never by its name: a zip renamed
``.jpg`` is "not an image", a BMP is an image type we do not take. What else must be read
from a header before Pillow opens it lives here too: a WebP's canvas size, because
Pillow's WebP plugin allocates the whole canvas inside ``Image.open``. Nothing here
raises for bad bytes; ``media.inspect`` turns the answers into guest errors.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image


@dataclass(frozen=True)
class ImageKind:
    """One accepted image type."""

    format: str  # photohub's name: jpeg, png, webp, gif, heif
    pillow: str  # Pillow's format name, to restrict Image.open to that one parser
    mime: str
    ext: str


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

# Image.open is the one place Pillow warns about decompression bombs for our formats, and
# a warnings filter is process-wide state: the lock keeps concurrent opens (worker threads)
# from restoring each other's filters in the wrong order.
OPEN_LOCK = threading.Lock()


def _bmff_brand(head: bytes) -> bytes | None:
    return head[8:12] if head[4:8] == b"ftyp" else None


def kind_from_magic(head: bytes) -> ImageKind | None:
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


def is_other_image(head: bytes, fp: BinaryIO) -> bool:
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
        with OPEN_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Image.open(fp).close()
    except Exception:
        return False
    return True


def webp_size(head: bytes) -> tuple[int, int] | None:
    """Canvas size from a WebP header. Needed before Image.open: Pillow's WebP plugin creates
    the decoder, which allocates the whole canvas, inside open.

    Only a header whose structure holds is read (the VP8 start code, the VP8L signature,
    the VP8X chunk's fixed size, as libwebp checks them): reading numbers out of junk
    refused a damaged file as "161 megapixels". None for anything else: not a WebP we can
    read."""
    chunk = head[12:16]
    chunk_size = int.from_bytes(head[16:20], "little")
    if chunk == b"VP8X" and len(head) >= 30 and chunk_size == 10:
        w = int.from_bytes(head[24:27], "little") + 1
        h = int.from_bytes(head[27:30], "little") + 1
        return w, h
    if chunk == b"VP8 " and len(head) >= 30 and head[23:26] == b"\x9d\x01\x2a":
        w = int.from_bytes(head[26:28], "little") & 0x3FFF
        h = int.from_bytes(head[28:30], "little") & 0x3FFF
        return w, h
    if chunk == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None
