"""Small files, large memory: every decode is priced from the header and passes a gate.

The hostile files are made here: flat PNGs of many pixels are a few KB on the wire."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PIL import Image

from photohub.media.decoding import DecodeGate, OverBudget
from photohub.media.inspect import MediaError, inspect_image
from photohub.media.renditions import make_renditions
from tests import images
from tests.waiting import eventually

MAX = 100_000_000
MiB = 1024 * 1024


def write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def dest(tmp_path: Path) -> object:
    return lambda size: tmp_path / f"r{size}.webp"


def rendered(tmp_path: Path) -> list[Path]:
    return sorted(tmp_path.glob("r*.webp"))


@pytest.mark.parametrize(
    ("mode", "color", "need_mib"),
    [
        ("RGB", (10, 200, 30), 61),  # 16 MP x 4 bytes (Pillow stores RGB in 4)
        ("I;16", 3000, 30),  # 16-bit: 2 bytes per pixel
        ("1", 1, 15),  # 1-bit: a byte per pixel once decoded
    ],
)
def test_a_check_over_budget_is_refused_before_decoding(
    tmp_path: Path, mode: str, color: object, need_mib: int
) -> None:
    path = write(tmp_path, "big.png", images.flat_png(4000, 4000, mode, color))
    assert path.stat().st_size < 100_000
    gate = DecodeGate(memory=need_mib * MiB - MiB, concurrency=2)
    with pytest.raises(MediaError) as caught:
        inspect_image(path, max_pixels=MAX, gate=gate)
    assert caught.value.reason == "too_much_memory"
    assert "too large to process" in caught.value.message
    assert f"{need_mib - 1} MB" in caught.value.message  # what the server allows
    assert "megapixels" not in caught.value.message
    assert gate.peak_running == 0  # refused before any pixel was decoded
    # The same file with room enough is a fine photo.
    roomy = DecodeGate(memory=need_mib * MiB + 8 * MiB, concurrency=2)
    assert inspect_image(path, max_pixels=MAX, gate=roomy).width == 4000
    assert roomy.peak_running == 1 and roomy.used == 0


def test_the_renditions_price_is_checked_with_the_upload(tmp_path: Path) -> None:
    """A file whose check fits but whose renditions never could is refused at once."""
    path = write(tmp_path, "one-bit.png", images.flat_png(4000, 4000, "1", 1))
    gate = DecodeGate(memory=20 * MiB, concurrency=1)
    inspect_image(path, max_pixels=MAX, gate=gate)  # 16 MB of 1-bit pixels: fits
    with pytest.raises(MediaError) as caught:
        inspect_image(path, max_pixels=MAX, gate=gate, render_price=lambda header: 40 * MiB)
    assert caught.value.reason == "too_much_memory"


def test_renditions_over_budget_write_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, "big.png", images.flat_png(4000, 3000, "RGBA", (1, 2, 3, 4)))
    gate = DecodeGate(memory=40 * MiB, concurrency=2)
    with pytest.raises(MediaError) as caught:
        make_renditions(path, dest(tmp_path), (256, 1024), max_pixels=MAX, gate=gate)  # type: ignore[arg-type]
    assert caught.value.reason == "too_much_memory"
    assert rendered(tmp_path) == []
    assert gate.peak_running == 0


@pytest.mark.parametrize(
    ("mode", "color", "expect"),
    [
        ("1", 1, (255, 255, 255)),
        ("I;16", 0xFFFF, (255, 255, 255)),
        ("RGB", (10, 200, 30), (10, 200, 30)),
        ("P", 3, None),
    ],
)
def test_big_but_fine_images_make_right_renditions_within_their_price(
    tmp_path: Path, mode: str, color: object, expect: tuple[int, int, int] | None
) -> None:
    path = write(tmp_path, "big.png", images.flat_png(6000, 4000, mode, color))
    gate = DecodeGate(memory=512 * MiB, concurrency=1)
    info = inspect_image(path, max_pixels=MAX, gate=gate)
    assert (info.width, info.height) == (6000, 4000)
    made = make_renditions(path, dest(tmp_path), (256, 2048), max_pixels=MAX, gate=gate)  # type: ignore[arg-type]
    assert [(r.size, r.width, r.height) for r in made] == [(256, 256, 171), (2048, 2048, 1365)]
    for rendition in made:
        with Image.open(rendition.path) as image:
            assert image.size == (rendition.width, rendition.height)
            centre = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
            if expect is not None:
                assert centre == pytest.approx(expect, abs=3)
    # One-bit and 16-bit pixels are no longer converted to 4-byte pixels at full size
    # (that priced them at 5 and 10 bytes per pixel).
    if mode in ("1", "I;16"):
        assert gate.peak_used < 6000 * 4000 * 5


@pytest.mark.anyio
async def test_decodes_wait_for_a_slot(tmp_path: Path) -> None:
    """The gate is observed, not timed: with its one slot held, a decode waits in line
    and writes nothing; released, it runs."""
    path = write(tmp_path, "photo.jpg", images.jpeg(1200, 900))
    gate = DecodeGate(memory=256 * MiB, concurrency=1)
    errors: list[BaseException] = []

    def render() -> None:
        try:
            make_renditions(path, dest(tmp_path), (256,), max_pixels=MAX, gate=gate)  # type: ignore[arg-type]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    with gate.reserve(1):
        worker = threading.Thread(target=render)
        worker.start()
        await eventually(lambda: gate.waiting == 1, 10, "the decode to wait for the gate")
        assert gate.running == 1 and rendered(tmp_path) == []
    worker.join(30)
    assert not worker.is_alive() and errors == []
    assert [p.name for p in rendered(tmp_path)] == ["r256.webp"]
    assert gate.peak_running == 1 and gate.running == 0 and gate.used == 0


@pytest.mark.anyio
async def test_memory_not_slots_decides_who_runs() -> None:
    """Two slots free but not the memory: the second decode waits until the first ends."""
    gate = DecodeGate(memory=100, concurrency=2)
    entered = threading.Event()

    def second() -> None:
        with gate.reserve(60):
            entered.set()

    with gate.reserve(60):
        worker = threading.Thread(target=second)
        worker.start()
        await eventually(lambda: gate.waiting == 1, 10, "the second decode to wait")
        assert not entered.is_set()
    worker.join(30)
    assert entered.is_set() and gate.peak_used == 60
    with pytest.raises(OverBudget):
        gate.admit(101)


@pytest.mark.parametrize("chunk", [b"VP8 ", b"VP8L", b"VP8X"])
def test_junk_webp_is_unreadable_not_megapixels(tmp_path: Path, chunk: bytes) -> None:
    path = write(tmp_path, "junk.webp", images.junk_webp(chunk))
    with pytest.raises(MediaError) as caught:
        inspect_image(path, max_pixels=MAX)
    assert caught.value.reason == "truncated"
    assert "not a photo we can read" in caught.value.message
    assert "megapixels" not in caught.value.message
