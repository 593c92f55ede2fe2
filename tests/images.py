"""Images made in the tests (no binary fixtures in the tree)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from PIL import Image


def jpeg(
    width: int = 640,
    height: int = 480,
    color: tuple[int, int, int] = (200, 30, 30),
    *,
    gps: tuple[float, float] | None = None,
    orientation: int | None = None,
    serial: str | None = None,
) -> bytes:
    image = Image.new("RGB", (width, height), color)
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if serial is not None:
        exif.get_ifd(0x8769)[0xA431] = serial  # BodySerialNumber
    if gps is not None:
        lat, lon = gps

        def dms(value: float) -> tuple[float, float, float]:
            value = abs(value)
            degrees = int(value)
            minutes = int((value - degrees) * 60)
            seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
            return (float(degrees), float(minutes), seconds)

        exif[0x8825] = {
            1: "N" if lat >= 0 else "S",
            2: dms(lat),
            3: "E" if lon >= 0 else "W",
            4: dms(lon),
        }
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif.tobytes())
    return out.getvalue()


def png(width: int = 320, height: int = 240) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (10, 120, 200, 128)).save(out, "PNG")
    return out.getvalue()


def huge_png_header(width: int = 50_000, height: int = 50_000) -> bytes:
    """A valid-looking PNG claiming enormous dimensions (no pixels allocated)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "not a photo " * 100)
    return out.getvalue()


def flat_png(width: int, height: int, mode: str = "RGB", color: object = None) -> bytes:
    """A PNG of one colour: a few KB on the wire whatever its size in pixels (the shape of
    a "small file, large memory" upload). ``mode``: 1, L, I;16, RGB, RGBA, P, ..."""
    image = Image.new(mode, (width, height), color)  # type: ignore[arg-type]
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False, compress_level=9)
    return out.getvalue()


def junk_webp(chunk: bytes = b"VP8 ") -> bytes:
    """A RIFF/WEBP file whose image chunk is junk (all 0xff: the largest sizes a reader
    that skips the checks could make of it)."""
    payload = chunk + struct.pack("<I", 64) + b"\xff" * 64
    return b"RIFF" + struct.pack("<I", 4 + len(payload)) + b"WEBP" + payload
