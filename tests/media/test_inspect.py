from __future__ import annotations

import functools
import io
import resource
import struct
import time
import warnings
import zipfile
import zlib
from datetime import datetime
from pathlib import Path

import pillow_heif
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageFile, TiffImagePlugin

from photohub.media.inspect import MediaError, inspect_image

MAX = 100_000_000
R = TiffImagePlugin.IFDRational


def noise(size: tuple[int, int]) -> Image.Image:
    """Photo-like content: enough entropy that a JPEG of it has a long scan to cut."""
    bands = [Image.effect_noise(size, 48) for _ in range(3)]
    return Image.merge("RGB", bands)


def dms(value: float) -> tuple[TiffImagePlugin.IFDRational, ...]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60 * 1000)
    return R(degrees, 1), R(minutes, 1), R(seconds, 1000)


def camera_exif(
    *,
    orientation: int | None = None,
    lat: float | None = None,
    lon: float | None = None,
    taken: str | None = "2026:11:21 22:15:03",
    serial: str | None = "SN-0042-SECRET",
) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    if taken is not None:
        sub[ExifTags.Base.DateTimeOriginal] = taken
    if serial is not None:
        sub[ExifTags.Base.BodySerialNumber] = serial
    if lat is not None and lon is not None:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        gps[ExifTags.GPS.GPSLatitude] = dms(abs(lat))
        gps[ExifTags.GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
        gps[ExifTags.GPS.GPSLongitude] = dms(abs(lon))
    return exif


def save(image: Image.Image, path: Path, format: str, **params: object) -> Path:
    image.save(path, format=format, **params)
    return path


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature + IHDR claiming width x height, and a tiny IDAT: no pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def reason(path: Path, max_pixels: int = MAX) -> str:
    with pytest.raises(MediaError) as caught:
        inspect_image(path, max_pixels=max_pixels)
    assert caught.value.message  # always words for the guest
    return caught.value.reason


# --- accepted types, decided by content ---------------------------------------------------


def test_jpeg_with_orientation_6_reports_displayed_size(tmp_path: Path) -> None:
    path = save(
        Image.new("RGB", (60, 40), "red"),
        tmp_path / "a.jpg",
        "JPEG",
        exif=camera_exif(orientation=6),
    )
    info = inspect_image(path, max_pixels=MAX)
    assert (info.format, info.mime, info.ext) == ("jpeg", "image/jpeg", "jpg")
    assert (info.width, info.height) == (40, 60)
    assert info.taken_at == datetime(2026, 11, 21, 22, 15, 3)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(48.8584, 2.2945), (-33.8568, 151.2153), (-22.9519, -43.2105), (40.6892, -74.0445)],
)
def test_gps_is_signed_decimal_degrees(tmp_path: Path, lat: float, lon: float) -> None:
    path = save(noise((32, 24)), tmp_path / "gps.jpg", "JPEG", exif=camera_exif(lat=lat, lon=lon))
    info = inspect_image(path, max_pixels=MAX)
    assert info.latitude == pytest.approx(lat, abs=1e-6)
    assert info.longitude == pytest.approx(lon, abs=1e-6)


def gps_exif(lat: object, lat_ref: object, lon: object, lon_ref: object) -> Image.Exif:
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = lat_ref
    gps[ExifTags.GPS.GPSLatitude] = lat
    gps[ExifTags.GPS.GPSLongitudeRef] = lon_ref
    gps[ExifTags.GPS.GPSLongitude] = lon
    return exif


@pytest.mark.parametrize(
    "exif",
    [
        gps_exif((R(95, 1), R(0, 1), R(0, 1)), "N", (R(2, 1), R(0, 1), R(0, 1)), "E"),  # > 90
        gps_exif((R(45, 1), R(0, 1), R(0, 1)), "X", (R(2, 1), R(0, 1), R(0, 1)), "E"),  # bad ref
        gps_exif((R(45, 0), R(0, 1), R(0, 1)), "N", (R(2, 1), R(0, 1), R(0, 1)), "E"),  # x/0
        gps_exif((R(0, 1), R(0, 1), R(0, 1)), "N", (R(0, 1), R(0, 1), R(0, 1)), "E"),  # no fix
    ],
    ids=["out-of-range", "bad-ref", "zero-denominator", "null-island"],
)
def test_garbage_gps_is_none(tmp_path: Path, exif: Image.Exif) -> None:
    path = save(noise((16, 16)), tmp_path / "g.jpg", "JPEG", exif=exif)
    info = inspect_image(path, max_pixels=MAX)
    assert (info.latitude, info.longitude) == (None, None)


def test_taken_at_falls_back_to_datetime_and_ignores_garbage(tmp_path: Path) -> None:
    exif = camera_exif(taken=None)
    exif[ExifTags.Base.DateTime] = "2025:01:02 03:04:05"
    path = save(noise((16, 16)), tmp_path / "dt.jpg", "JPEG", exif=exif)
    assert inspect_image(path, max_pixels=MAX).taken_at == datetime(2025, 1, 2, 3, 4, 5)

    path = save(
        noise((16, 16)), tmp_path / "bad.jpg", "JPEG", exif=camera_exif(taken="0000:00:00 00:00:00")
    )
    info = inspect_image(path, max_pixels=MAX)
    assert (info.taken_at, info.latitude) == (None, None)


def test_heic(tmp_path: Path) -> None:
    exif = camera_exif(lat=-22.9519, lon=-43.2105)
    path = tmp_path / "IMG_0001.HEIC"
    pillow_heif.from_pillow(noise((64, 48))).save(path, quality=50, exif=exif.tobytes())
    info = inspect_image(path, max_pixels=MAX)
    assert (info.format, info.mime, info.ext) == ("heif", "image/heic", "heic")
    assert (info.width, info.height) == (64, 48)
    assert info.latitude == pytest.approx(-22.9519, abs=1e-6)
    assert info.longitude == pytest.approx(-43.2105, abs=1e-6)
    assert info.taken_at == datetime(2026, 11, 21, 22, 15, 3)


def test_png_gif_webp(tmp_path: Path) -> None:
    rgba = Image.new("RGBA", (30, 20), (0, 255, 0, 128))
    frames = [Image.new("P", (40, 10), i) for i in range(3)]
    cases = {
        "png": save(rgba, tmp_path / "a.png", "PNG"),
        "webp": save(rgba, tmp_path / "a.webp", "WEBP"),
        "gif": save(frames[0], tmp_path / "a.gif", "GIF", save_all=True, append_images=frames[1:]),
    }
    sizes = {"png": (30, 20), "webp": (30, 20), "gif": (40, 10)}
    for format, path in cases.items():
        info = inspect_image(path, max_pixels=MAX)
        assert (info.format, info.ext, info.mime) == (format, format, f"image/{format}")
        assert (info.width, info.height) == sizes[format]
        assert (info.taken_at, info.latitude, info.longitude) == (None, None, None)


def test_type_is_decided_by_content_not_name(tmp_path: Path) -> None:
    path = save(Image.new("RGB", (8, 8)), tmp_path / "holiday.jpg", "PNG")
    assert inspect_image(path, max_pixels=MAX).format == "png"


# --- refusals --------------------------------------------------------------------------------


def test_empty(tmp_path: Path) -> None:
    (tmp_path / "empty.jpg").write_bytes(b"")
    assert reason(tmp_path / "empty.jpg") == "empty"


def test_not_images(tmp_path: Path) -> None:
    zipped = tmp_path / "photo.jpg"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("a.txt", "hello " * 100)
    text = tmp_path / "notes.png"
    text.write_text("Just some words, not a picture.\n" * 5)
    video = tmp_path / "clip.heic"
    video.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 100)
    one_byte = tmp_path / "x.gif"
    one_byte.write_bytes(b"G")
    for path in (zipped, text, video, one_byte):
        assert reason(path) == "not_image", path


def test_other_image_types_are_unsupported(tmp_path: Path) -> None:
    small = Image.new("RGB", (16, 16), "blue")
    svg = tmp_path / "logo.jpg"
    svg.write_text('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>')
    avif = tmp_path / "a.avif"
    avif.write_bytes(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 64)
    paths = [
        save(small, tmp_path / "a.bmp", "BMP"),
        save(small, tmp_path / "a.tif", "TIFF"),
        save(small, tmp_path / "a.ico", "ICO"),  # found by Pillow's own identification
        save(small, tmp_path / "a.ppm", "PPM"),
        svg,
        avif,
    ]
    for path in paths:
        assert reason(path) == "unsupported", path


@pytest.mark.parametrize("progressive", [False, True])
def test_jpeg_cut_in_half_is_truncated(tmp_path: Path, progressive: bool) -> None:
    whole = io.BytesIO()
    noise((640, 480)).save(whole, "JPEG", quality=90, progressive=progressive)
    data = whole.getvalue()
    path = tmp_path / "half.jpg"
    path.write_bytes(data[: len(data) // 2])
    assert reason(path) == "truncated"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_other_truncated_and_corrupt_files(tmp_path: Path) -> None:
    for format in ("PNG", "GIF", "WEBP"):
        whole = io.BytesIO()
        noise((120, 90)).save(whole, format)
        data = whole.getvalue()
        path = tmp_path / f"half.{format}"
        path.write_bytes(data[: len(data) // 2])
        assert reason(path) == "truncated", format
    heic = io.BytesIO()
    pillow_heif.from_pillow(noise((64, 64))).save(heic, quality=50)
    (tmp_path / "half.heic").write_bytes(heic.getvalue()[: len(heic.getvalue()) // 2])
    assert reason(tmp_path / "half.heic") == "truncated"
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x17" * 200)
    assert reason(garbage) == "truncated"


def test_pixel_bomb_is_refused_from_the_header(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(50_000, 50_000))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    assert reason(path) == "too_many_pixels"
    assert time.perf_counter() - started < 2
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 100 * 1024  # decoding would have needed 2.5 GB


def test_max_pixels_is_checked_before_decoding(tmp_path: Path) -> None:
    path = save(Image.new("RGB", (100, 100)), tmp_path / "a.png", "PNG")
    assert reason(path, max_pixels=9_999) == "too_many_pixels"
    assert inspect_image(path, max_pixels=10_000).width == 100


def test_webp_canvas_is_checked_before_pillow_allocates_it(tmp_path: Path) -> None:
    # VP8X header: a 10,000 x 10,000 canvas and no image data.
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00" * 4
    vp8x += (9_999).to_bytes(3, "little") + (9_999).to_bytes(3, "little")
    path = tmp_path / "bomb.webp"
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x)
    assert reason(path, max_pixels=50_000_000) == "too_many_pixels"


def test_pillow_bomb_warning_never_escapes(tmp_path: Path) -> None:
    # 100 MP: above Pillow's warning limit (89.5 MP), below its hard error (179 MP).
    path = tmp_path / "big.png"
    path.write_bytes(png_header_only(10_000, 10_000))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert reason(path, max_pixels=500_000_000) == "too_many_pixels"
    assert caught == []


# --- robustness: anything at all is either an image or a MediaError -------------------------


@functools.cache
def seeds() -> tuple[bytes, bytes]:
    jpeg, png = io.BytesIO(), io.BytesIO()
    noise((24, 16)).save(jpeg, "JPEG", exif=camera_exif(orientation=6, lat=1.5, lon=-2.5))
    Image.new("RGBA", (12, 9), (1, 2, 3, 4)).save(png, "PNG")
    return jpeg.getvalue(), png.getvalue()


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds())))
    for _ in range(draw(st.integers(1, 6))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        del data[draw(st.integers(0, len(data))) :]
    return bytes(data)


def only_media_errors(data: bytes, folder: Path) -> None:
    path = folder / "upload"
    path.write_bytes(data)
    try:
        info = inspect_image(path, max_pixels=MAX)
    except MediaError as exc:
        assert exc.reason in {"empty", "not_image", "unsupported", "truncated", "too_many_pixels"}
    else:
        assert info.width > 0 and info.height > 0


@settings(max_examples=100, deadline=None, database=None)
@given(data=st.binary(max_size=1024))
def test_random_bytes(data: bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    only_media_errors(data, tmp_path_factory.mktemp("fuzz"))


@settings(max_examples=100, deadline=None, database=None)
@given(data=mutated())
def test_mutated_images(data: bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    only_media_errors(data, tmp_path_factory.mktemp("fuzz"))
