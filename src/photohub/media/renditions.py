"""WebP renditions of an original: upright, sRGB, without metadata, written atomically.

The original is opened once and decoded once, at the smallest scale that still covers the
largest rendition (``draft()`` for JPEG). The largest rendition is made from it; each smaller
one from the previous, which is cheaper and, downscaling by 2x and more, looks the same.
Renditions carry no EXIF, XMP or ICC data at all: GPS and camera serial numbers stay in the
original, which is never served as is (DESIGN §6).

The decode is priced from the header (:func:`price`, ``media.decoding``) and runs inside the
process's :class:`DecodeGate`. Memory is kept low on purpose: a mode resize cannot work in
is converted and the full-size decode closed at once; one-bit images become 8-bit grey (not
4-byte RGB); 16-bit grey is shrunk before it is converted.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms

from photohub.media.decoding import (
    DecodeGate,
    Header,
    jpeg_draft_size,
    render_bytes,
    shared_gate,
)
from photohub.media.inspect import exif_orientation, header_of, open_image
from photohub.media.sniff import JPEG

# WebP `method` (0 fastest .. 6 smallest) dominates the cost. Measured on one core of the
# benchmark machine (2 GHz Xeon, about 1.6x slower than DESIGN §7's), quality 80, 12 MP photo
# -> 2048 px: method 0 encodes in ~175 ms, 1 in ~225, 2 in ~300, 4 (libwebp's default) in
# ~630, 6 in ~1,800 (at 1024 px: 0 in 51 ms, 4 in 175). Sizes are within 1-5% of each other
# and PSNR within 0.5 dB (36.2 dB at 0, 36.7 at 4), invisible at rendition sizes. The target
# is ~300 ms per 12 MP photo for all three sizes; decoding (~115 ms) and resizing (~145 ms)
# take most of that already, so only method 0 comes near it (see benchmarks/renditions.py).
WEBP_METHOD = 0

# Pillow's resamplers are antialiased when shrinking; their cost grows with the filter's
# support. 12 MP -> 2048 px on one core: BILINEAR ~145-175 ms, HAMMING ~145, BICUBIC ~245,
# LANCZOS ~340. HAMMING costs what BILINEAR does but keeps nearly BICUBIC's sharpness
# (mean edge response 18.7 vs 19.3; BILINEAR 16.4; PSNR against LANCZOS 43.7 dB vs BILINEAR
# 42.2): the 100 ms it saves per photo matter more than the difference, invisible at q80.
RESAMPLE = Image.Resampling.HAMMING
# Shrinking by 4x and more first takes a box reduce (as Image.thumbnail does): much cheaper,
# and indistinguishable once the final resample runs over the remaining 2x.
REDUCING_GAP = 2.0
# How much smaller than its size the largest rendition of a JPEG may be, when that lets the
# decoder scale by 1/2, 1/4 or 1/8 (see _encode).
DRAFT_SLACK = 0.97

_TRANSPOSE = {  # EXIF orientation -> the operation that makes the pixels upright
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True)
class Rendition:
    size: int
    """The requested long-edge size (the label in the file name), e.g. 256, 1024, 2048."""
    path: Path
    width: int
    """Actual pixels: smaller than ``size`` on the long edge when the original is smaller."""
    height: int


def fit(size: tuple[int, int], long_edge: int) -> tuple[int, int]:
    """``size`` scaled so its long edge is ``long_edge``; never enlarged."""
    width, height = size
    if max(width, height) <= long_edge:
        return width, height
    if width >= height:
        return long_edge, max(1, round(height * long_edge / width))
    return max(1, round(width * long_edge / height)), long_edge


def make_renditions(
    src: Path,
    dest_for: Callable[[int], Path],
    sizes: Sequence[int],
    *,
    max_pixels: int,
    quality: int = 80,
    gate: DecodeGate | None = None,
) -> list[Rendition]:
    """Write one WebP per size (long edge = size, never upscaled) at ``dest_for(size)``.

    All renditions are encoded in memory first, so a bad original (MediaError) writes
    nothing. Files are then written to a temporary name in the destination's folder, fsynced
    and renamed over the final name: a crash or power cut never leaves a half file under a
    final name. If writing fails, whatever this call wrote is removed and the OSError
    propagates unchanged, since a full disk is worth a retry where a bad file is not.
    Returns the renditions in the order of ``sizes`` (duplicates made once). The decode
    passes ``gate`` (default: the process's gate with the default limits); one priced
    above its whole share is a MediaError (``too_much_memory``).
    """
    order = list(dict.fromkeys(sizes))
    if any(size < 1 for size in order):
        raise ValueError(f"rendition sizes must be positive: {sizes!r}")
    if not order:
        return []
    encoded = _encode(
        src,
        sorted(order, reverse=True),
        max_pixels=max_pixels,
        quality=quality,
        gate=gate or shared_gate(),
    )
    return _write([(size, *encoded[size]) for size in order], dest_for)


def _draft_wanted(target: tuple[int, int]) -> tuple[int, int]:
    return math.ceil(target[0] * DRAFT_SLACK), math.ceil(target[1] * DRAFT_SLACK)


def price(header: Header, largest: int) -> int:
    """Bytes making renditions up to ``largest`` pixels takes for an image of this header
    (checked on upload, so that a file whose renditions could never be made is refused
    before it is stored)."""
    target = fit(header.size, largest)
    decoded = header.size
    if header.format == JPEG.format:
        decoded = jpeg_draft_size(header.size, _draft_wanted(target))
        target = (min(target[0], decoded[0]), min(target[1], decoded[1]))
    return render_bytes(header, decoded, target, REDUCING_GAP)


def _encode(
    src: Path, descending: list[int], *, max_pixels: int, quality: int, gate: DecodeGate
) -> dict[int, tuple[bytes, int, int]]:
    with open_image(src, max_pixels=max_pixels) as (image, kind):
        header = header_of(image, kind)
        stored = image.size
        icc = image.info.get("icc_profile")
        target = fit(stored, descending[0])
        box: tuple[float, float, float, float] | None = None
        if kind is JPEG:
            # Decode at 1/2, 1/4 or 1/8 scale when the largest rendition allows: the IDCT
            # does the first shrink almost for free. ``box`` maps the exact source area.
            # DRAFT_SLACK lets a 4000x3000 photo decode at 2000x1500 for the 2048 size: a
            # 2% smaller largest rendition for a decode that does a quarter of the work.
            drafted = image.draft(None, _draft_wanted(target))
            if drafted is not None:
                box = drafted[1]
        decoded = image.size  # after draft
        need = render_bytes(
            header, decoded, (min(target[0], decoded[0]), min(target[1], decoded[1])), REDUCING_GAP
        )
        with gate.reserve(need):
            try:
                image.load()
                # Read after load(): a PNG's getexif() decodes the pixels to find an eXIf
                # chunk placed after them, which must not happen outside the gate.
                orientation = exif_orientation(image)
                largest = _largest(image, target, box, icc if isinstance(icc, bytes) else None)
            finally:
                image.close()  # the full-size pixels go before the gate's slot (and its trim)
            return _encode_sizes(largest, orientation, stored, descending, quality)


def _largest(
    image: Image.Image,
    target: tuple[int, int],
    box: tuple[float, float, float, float] | None,
    icc: bytes | None,
) -> Image.Image:
    """The decoded image, upright-to-be (not yet rotated), at the largest rendition's size,
    in sRGB. The full-size decode is closed as soon as a converted copy replaces it."""
    image.load()
    source: Image.Image = image
    if source.mode.startswith("I") and source.size != target:
        # 16/32-bit grey: resize works in these modes (reduce does not), and converting
        # to 8 bits takes two 4-byte copies: shrink first, convert the small image.
        source = source.resize(target, RESAMPLE)
    base, icc = _workable(source, icc)
    if base is not image:
        image.close()  # frees the full-size decode now, not when the file is closed
    if base.size[0] < target[0] or base.size[1] < target[1]:
        target = base.size  # within DRAFT_SLACK: keep the decoded size, never enlarge
    if base.size != target:
        largest = base.resize(target, RESAMPLE, box=box, reducing_gap=REDUCING_GAP)
    else:  # already small; the caller closes ``image``, so never hand it back itself
        largest = base.copy() if base is image else base
    del base
    return _to_srgb(largest, icc)


def _encode_sizes(
    largest: Image.Image,
    orientation: int,
    stored: tuple[int, int],
    descending: list[int],
    quality: int,
) -> dict[int, tuple[bytes, int, int]]:
    """Each rendition, largest first, as (WebP bytes, width, height)."""
    # Rotating after shrinking touches a quarter of the pixels (rotation commutes with
    # scaling to a long edge); same table as ImageOps.exif_transpose.
    if orientation in _TRANSPOSE:
        largest = largest.transpose(_TRANSPOSE[orientation])
    display = (stored[1], stored[0]) if orientation >= 5 else stored

    encoded: dict[int, tuple[bytes, int, int]] = {}
    previous = largest
    for size in descending:
        target = fit(display, size)
        if previous.size[0] > target[0] or previous.size[1] > target[1]:
            previous = previous.resize(target, RESAMPLE, reducing_gap=REDUCING_GAP)
        encoded[size] = (_webp(previous, quality), *previous.size)
    return encoded


def _workable(image: Image.Image, icc: bytes | None) -> tuple[Image.Image, bytes | None]:
    """A mode resize and WebP handle (L, LA, RGB, RGBA), keeping transparency.

    Returns the ICC profile still to apply (None once it has been used or cannot apply).
    """
    mode = image.mode
    if mode == "1":  # 8-bit grey: a quarter of RGB's memory, and resize can shrink it
        return image.convert("L"), icc
    if mode == "CMYK":
        return _cmyk_to_rgb(image, icc), None
    if mode.startswith("I"):  # 16-bit greyscale PNG: Pillow's convert("L") would clip
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L"), None
    if mode in ("RGB", "L") and "transparency" in image.info:
        return image.convert("RGBA"), icc
    if mode in ("RGB", "RGBA", "L", "LA"):
        return image, icc
    # P (GIF, PNG palettes), PA, 1, RGBX, ...
    return image.convert("RGBA" if image.has_transparency_data else "RGB"), icc


def _profile(icc: bytes, colour_space: str) -> ImageCms.ImageCmsProfile | None:
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    except Exception:  # a broken profile must not cost the photo; colours fall back
        return None
    return profile if profile.profile.xcolor_space.strip() == colour_space else None


def _cmyk_to_rgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    profile = _profile(icc, "CMYK") if icc else None
    if profile is not None:
        with contextlib.suppress(Exception):
            converted = ImageCms.profileToProfile(image, profile, _SRGB, outputMode="RGB")
            if converted is not None:
                return converted
    return image.convert("RGB")


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert wide-gamut photos (iPhone Display P3, Adobe RGB) to sRGB.

    Renditions carry no profile, and browsers show an untagged image as sRGB: without this,
    a P3 photo would look washed out.
    """
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    profile = _profile(icc, "RGB")
    if profile is None or "srgb" in (profile.profile.profile_description or "").lower():
        return image
    with contextlib.suppress(Exception):
        converted = ImageCms.profileToProfile(image, profile, _SRGB, outputMode=image.mode)
        if converted is not None:
            return converted
    return image


def _webp(image: Image.Image, quality: int) -> bytes:
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if image.mode == "LA" else "RGB")
    # Pillow's WebP writer only embeds EXIF/XMP/ICC passed to save(), and none is; an image
    # without info cannot leak any even if that default changes.
    image.info = {}
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=quality, method=WEBP_METHOD)
    return out.getvalue()


def _write(
    encoded: list[tuple[int, bytes, int, int]], dest_for: Callable[[int], Path]
) -> list[Rendition]:
    written: list[Path] = []  # temporary and final files this call created
    try:
        staged: list[tuple[Path, Rendition]] = []
        for size, data, width, height in encoded:
            dest = dest_for(size)
            temp = _write_temp(dest, data)
            written.append(temp)
            staged.append((temp, Rendition(size, dest, width, height)))
        for temp, rendition in staged:
            os.replace(temp, rendition.path)
            written.append(rendition.path)
    except BaseException:
        for path in written:
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    return [rendition for _, rendition in staged]


def _write_temp(dest: Path, data: bytes) -> Path:
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # served files: a proxy running as another user reads them
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)
