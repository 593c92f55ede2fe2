"""What decoding an image costs in memory, and the gate every decode passes.

The size of a file says nothing about the memory its decode takes: an 11 KB PNG of
9400x9400 one-bit pixels is 88 MB once decoded and was 353 MB more once converted to RGB.
So each decode is *priced* from the header, before any pixel is decoded: the pixels of every
buffer the pipeline holds at once, times the bytes per pixel of its mode as Pillow stores it
(1 for ``1``/``L``/``P``, 2 for 16-bit grey, 4 for everything else, RGB included), plus
what the decoder keeps beside it (libwebp's canvases, libheif's planes, a progressive
JPEG's coefficients). A :class:`DecodeGate` then keeps the prices of the decodes running in
one process under one share of memory (``PHOTOHUB_DECODE_MEMORY``) and their number under
``PHOTOHUB_DECODE_CONCURRENCY``: a decode priced above the whole share is refused before it
starts (:class:`OverBudget`); the others wait their turn, in arrival order.

After a large decode the freed memory is handed back to the system with glibc's
``malloc_trim``: Pillow allocates in 16 MB blocks, below glibc's (self-raising) mmap
threshold, so they land in per-thread malloc arenas that keep them. Measured in
``benchmarks/image_memory.py``: four concurrent 88 MP PNGs left ~700 MB held without it,
under 25 MB with it.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import ctypes.util
import functools
import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

DEFAULT_MEMORY = 1024 * 1024 * 1024
DEFAULT_CONCURRENCY = 2
# Decodes priced at this or more give their memory back to the system when they end.
TRIM_FROM = 32 * 1024 * 1024

# What a decoder holds beside the decoded image, in bytes per pixel of the canvas.
# libwebp's animation decoder keeps two RGBA canvases; libheif (measured: 131 MiB for a
# 12 MP HEIC, about 11 bytes per pixel) holds YCbCr planes, reference pictures and an
# RGB copy.
_DECODER_EXTRA = {"webp": 8, "heif": 8}


def pixel_bytes(mode: str) -> int:
    """Bytes one pixel of ``mode`` takes in a Pillow image (RGB is stored as 4)."""
    if mode in ("1", "L", "P"):
        return 1
    if mode.startswith("I;16"):
        return 2
    return 4


def jpeg_draft_size(size: tuple[int, int], wanted: tuple[int, int]) -> tuple[int, int]:
    """The size Pillow's ``JpegImageFile.draft(None, wanted)`` decodes at (scale 1-8)."""
    width, height = size
    scale = min(width // max(1, wanted[0]), height // max(1, wanted[1]))
    for factor in (8, 4, 2, 1):
        if scale >= factor:
            return math.ceil(width / factor), math.ceil(height / factor)
    return size


def resize_bytes(
    src: tuple[int, int], dst: tuple[int, int], bpp: int, reducing_gap: float | None
) -> int:
    """Memory of ``Image.resize(dst, reducing_gap=...)`` from ``src``: the box-reduced copy
    (when the gap allows one), the horizontal pass and the result."""
    (width, height), (tw, th) = src, dst
    if (width, height) == (tw, th):
        return 0
    fx = fy = 1
    if reducing_gap is not None:
        fx = max(1, int(width / tw / reducing_gap))
        fy = max(1, int(height / th / reducing_gap))
    rw, rh = math.ceil(width / fx), math.ceil(height / fy)
    reduced = rw * rh if fx * fy > 1 else 0
    return (reduced + tw * rh + tw * th) * bpp


@dataclass(frozen=True)
class Header:
    """What the price of a decode depends on, all read from the file's header."""

    format: str  # photohub's: jpeg, png, webp, gif, heif
    mode: str  # Pillow's mode before any draft
    size: tuple[int, int]
    progressive: bool = False  # a progressive JPEG: libjpeg holds every coefficient
    transparent: bool = False  # a transparent colour or alpha (renditions keep it: RGBA)

    def decoder_bytes(self, decoded: tuple[int, int]) -> int:
        """What the decoder holds besides the Pillow image of size ``decoded``."""
        pixels = self.size[0] * self.size[1]
        if self.format == "jpeg" and self.progressive:
            # One 2-byte coefficient per component per pixel of the full-size image, at
            # whatever scale it is decoded (chroma subsampling ignored: an upper bound).
            return pixels * 2 * (1 if self.mode == "L" else 4 if self.mode == "CMYK" else 3)
        return decoded[0] * decoded[1] * _DECODER_EXTRA.get(self.format, 0)


def check_bytes(header: Header) -> int:
    """Price of the upload check: the first frame decoded once (a JPEG at 1/8, grey)."""
    if header.format == "jpeg":
        decoded = jpeg_draft_size(header.size, (1, 1))
        mode = "L" if header.mode in ("RGB", "L") else header.mode
    else:
        decoded, mode = header.size, header.mode
    return decoded[0] * decoded[1] * pixel_bytes(mode) + header.decoder_bytes(decoded)


def render_bytes(
    header: Header, decoded: tuple[int, int], target: tuple[int, int], reducing_gap: float
) -> int:
    """Price of making renditions (renditions._encode) from ``decoded`` pixels (the size
    after ``draft``) down to ``target``, the largest rendition.

    The pipeline holds at most: the decoded image and, for modes resize cannot work in,
    its converted copy (the decoded one is then closed); the resize's buffers (with a
    premultiplied copy first when there is alpha, as Pillow makes one); and four
    target-sized copies (conversions, sRGB, rotation, the WebP encoder's RGB).
    """
    mode = header.mode
    pixels = decoded[0] * decoded[1]
    decoded_bytes = pixels * pixel_bytes(mode) + header.decoder_bytes(decoded)
    tail = 4 * target[0] * target[1] * 4
    if mode.startswith("I"):  # 16/32-bit grey: resized as it is, converted once small
        resized = resize_bytes(decoded, target, pixel_bytes(mode), None)
        return decoded_bytes + resized + tail
    alpha = mode in ("RGBA", "LA", "PA") or header.transparent
    if mode in ("RGBA", "LA") or (mode in ("RGB", "L") and not alpha):
        work_mode, converted = mode, 0
    else:  # 1 -> L; P, PA, CMYK, RGB or L with a transparent colour, ... -> RGB(A)
        work_mode = "L" if mode == "1" else "RGBA"
        converted = pixels * pixel_bytes(work_mode)
    work_bpp = pixel_bytes(work_mode)
    resized = resize_bytes(decoded, target, work_bpp, reducing_gap)
    if alpha and decoded != target:
        resized += pixels * 4  # Image.resize premultiplies into a full-size copy first
    if converted:
        return max(decoded_bytes + converted, converted + resized + tail)
    return decoded_bytes + resized + tail


class OverBudget(Exception):
    """A decode priced above everything the gate may ever hand out."""

    def __init__(self, need: int, limit: int) -> None:
        super().__init__(f"decode needs {need} bytes, the limit is {limit}")
        self.need = need
        self.limit = limit


class DecodeGate:
    """Decodes of one process: at most ``concurrency`` at once, their prices summing to
    at most ``memory`` bytes, served in arrival order (a large decode is not starved by a
    stream of small ones). Waiting happens in the decoding thread, never on the event
    loop. The counters are there to be observed (tests, benchmarks)."""

    def __init__(self, memory: int, concurrency: int) -> None:
        if memory < 1 or concurrency < 1:
            raise ValueError("decode memory and concurrency must be positive")
        self.memory = memory
        self.concurrency = concurrency
        self.running = 0
        self.used = 0
        self.peak_running = 0
        self.peak_used = 0
        self._queue: collections.deque[object] = collections.deque()
        self._cond = threading.Condition()

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._queue)

    def admit(self, need: int) -> None:
        """Raise :class:`OverBudget` if a decode priced ``need`` could never run."""
        if need > self.memory:
            raise OverBudget(need, self.memory)

    @contextlib.contextmanager
    def reserve(self, need: int) -> Iterator[None]:
        """Hold ``need`` bytes of the share (and one of the slots) for the block."""
        self.admit(need)
        ticket = object()
        with self._cond:
            self._queue.append(ticket)
            try:
                while not (self._queue[0] is ticket and self._fits(need)):
                    self._cond.wait()
            finally:
                self._queue.remove(ticket)
                self._cond.notify_all()
            self.running += 1
            self.used += need
            self.peak_running = max(self.peak_running, self.running)
            self.peak_used = max(self.peak_used, self.used)
        try:
            yield
        finally:
            # Give the memory back *before* the share is: a decode let in next would
            # otherwise allocate beside pages this one freed but malloc still holds.
            if need >= TRIM_FROM:
                give_back_memory()
            with self._cond:
                self.running -= 1
                self.used -= need
                self._cond.notify_all()

    def _fits(self, need: int) -> bool:
        return self.running < self.concurrency and self.used + need <= self.memory


_GATES: dict[tuple[int, int], DecodeGate] = {}
_GATES_LOCK = threading.Lock()


def shared_gate(memory: int = DEFAULT_MEMORY, concurrency: int = DEFAULT_CONCURRENCY) -> DecodeGate:
    """The process's gate for these limits (one per configuration, so every decode of a
    site, upload checks and renditions alike, shares one)."""
    with _GATES_LOCK:
        gate = _GATES.get((memory, concurrency))
        if gate is None:
            gate = _GATES[(memory, concurrency)] = DecodeGate(memory, concurrency)
        return gate


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        trim: Callable[[int], int] = libc.malloc_trim  # glibc only
    except (OSError, AttributeError, TypeError):
        return None
    return trim


def give_back_memory() -> None:
    """Return the free pages of every malloc arena to the system (glibc; no-op elsewhere)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
