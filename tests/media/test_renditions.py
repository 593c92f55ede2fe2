from __future__ import annotations

import io
import os
import struct
from collections.abc import Callable
from pathlib import Path

import pillow_heif
import pytest
from PIL import ExifTags, Image, ImageCms, TiffImagePlugin

from photohub.media.inspect import MediaError, inspect_image
from photohub.media.renditions import Rendition, make_renditions

MAX = 100_000_000
SERIAL = "SN-0042-SECRET"
R = TiffImagePlugin.IFDRational


def noise(size: tuple[int, int]) -> Image.Image:
    return Image.merge("RGB", [Image.effect_noise(size, 48) for _ in range(3)])


def camera_exif(orientation: int = 1) -> Image.Exif:
    """Orientation, a place (Rio: south and west) and a camera serial number."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.BodySerialNumber] = SERIAL
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (R(22, 1), R(57, 1), R(684, 100))
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (R(43, 1), R(12, 1), R(378, 10))
    return exif


XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    b'22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="22,57.114S" exif:BodySerialNumber="' + SERIAL.encode() + b'"/>'
    b"</rdf:RDF></x:xmpmeta>"
)
SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def quadrants(size: tuple[int, int]) -> Image.Image:
    """Red top-left, green top-right, blue bottom-left, yellow bottom-right."""
    width, height = size
    image = Image.new("RGB", size)
    image.paste((255, 0, 0), (0, 0, width // 2, height // 2))
    image.paste((0, 255, 0), (width // 2, 0, width, height // 2))
    image.paste((0, 0, 255), (0, height // 2, width // 2, height))
    image.paste((255, 255, 0), (width // 2, height // 2, width, height))
    return image


def near(actual: object, expected: tuple[int, ...], tolerance: int = 40) -> bool:
    assert isinstance(actual, tuple)
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def dest_in(folder: Path) -> Callable[[int], Path]:
    return lambda size: folder / f"r_{size}.webp"


def assert_no_metadata(rendition: Rendition) -> None:
    data = rendition.path.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    for fourcc in (b"EXIF", b"XMP ", b"ICCP"):
        assert fourcc not in data
    assert SERIAL.encode() not in data
    with Image.open(rendition.path) as image:
        assert image.format == "WEBP"
        assert (image.width, image.height) == (rendition.width, rendition.height)
        assert not {"exif", "xmp", "icc_profile"} & set(image.info)
        exif = image.getexif()
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
        assert ExifTags.Base.BodySerialNumber not in exif.get_ifd(ExifTags.IFD.Exif)
        assert 0xA431 not in exif


def test_orientation_6_jpeg_becomes_portrait_and_loses_gps_and_serial(tmp_path: Path) -> None:
    src = tmp_path / "phone.jpg"
    quadrants((60, 40)).save(
        src, "JPEG", quality=95, exif=camera_exif(6), xmp=XMP, icc_profile=SRGB_ICC
    )
    with Image.open(src) as original:  # the fixture really carries what must go
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert "xmp" in original.info and "icc_profile" in original.info

    made = make_renditions(src, dest_in(tmp_path), (16, 1024), max_pixels=MAX)

    assert [(r.size, r.width, r.height) for r in made] == [(16, 11, 16), (1024, 40, 60)]
    for rendition in made:
        assert_no_metadata(rendition)
    with Image.open(made[1].path) as upright:
        rgb = upright.convert("RGB")
    # Orientation 6 = turn 90 degrees clockwise: stored top-left (red) ends top-right.
    assert near(rgb.getpixel((30, 15)), (255, 0, 0))  # top-right
    assert near(rgb.getpixel((30, 45)), (0, 255, 0))  # bottom-right: was top-right
    assert near(rgb.getpixel((10, 15)), (0, 0, 255))  # top-left: was bottom-left
    assert near(rgb.getpixel((10, 45)), (255, 255, 0))  # bottom-left: was bottom-right


def test_sizes_long_edge_and_never_upscale(tmp_path: Path) -> None:
    landscape = tmp_path / "land.png"
    Image.linear_gradient("L").resize((640, 320)).save(landscape)
    made = make_renditions(landscape, dest_in(tmp_path), (2048, 256, 400), max_pixels=MAX)
    assert [(r.size, r.width, r.height) for r in made] == [
        (2048, 640, 320),  # smaller than the size: its own size, still made
        (256, 256, 128),
        (400, 400, 200),
    ]
    assert [r.path for r in made] == [tmp_path / f"r_{s}.webp" for s in (2048, 256, 400)]

    portrait = tmp_path / "port.png"
    Image.new("RGB", (150, 450), "purple").save(portrait)
    made = make_renditions(portrait, dest_in(tmp_path), (256,), max_pixels=MAX)
    assert [(r.width, r.height) for r in made] == [(85, 256)]


def test_heic(tmp_path: Path) -> None:
    src = tmp_path / "IMG_0001.HEIC"
    pillow_heif.from_pillow(quadrants((64, 48))).save(src, quality=90, exif=camera_exif().tobytes())
    assert inspect_image(src, max_pixels=MAX).format == "heif"
    made = make_renditions(src, dest_in(tmp_path), (32, 256), max_pixels=MAX)
    assert [(r.width, r.height) for r in made] == [(32, 24), (64, 48)]
    for rendition in made:
        assert_no_metadata(rendition)
    with Image.open(made[1].path) as image:
        assert near(image.convert("RGB").getpixel((8, 8)), (255, 0, 0))


def test_png_alpha_is_kept(tmp_path: Path) -> None:
    src = tmp_path / "sticker.png"
    image = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (10, 10, 30, 30))
    image.save(src)
    (made,) = make_renditions(src, dest_in(tmp_path), (256,), max_pixels=MAX)
    with Image.open(made.path) as out:
        assert out.mode == "RGBA"
        assert out.getpixel((1, 1))[3] == 0  # type: ignore[index]
        assert near(out.getpixel((20, 20)), (255, 0, 0, 255))


@pytest.mark.parametrize("mode", ["P", "LA"])
def test_palette_and_grey_alpha_keep_transparency(tmp_path: Path, mode: str) -> None:
    src = tmp_path / f"{mode}.png"
    if mode == "P":  # palette entry 0 transparent (tRNS), entry 1 blue
        image = Image.new("P", (20, 20), 0)
        image.putpalette([0, 0, 0, 0, 0, 255])
        image.paste(1, (5, 5, 15, 15))
        image.save(src, transparency=0)
    else:
        image = Image.new("LA", (20, 20), (0, 0))
        image.paste((200, 255), (5, 5, 15, 15))
        image.save(src)
    (made,) = make_renditions(src, dest_in(tmp_path), (64,), max_pixels=MAX)
    with Image.open(made.path) as out:
        assert out.mode == "RGBA"
        assert out.getpixel((0, 0))[3] == 0  # type: ignore[index]
        assert out.getpixel((10, 10))[3] == 255  # type: ignore[index]


def swapped_primaries_icc() -> bytes:
    """An RGB profile whose red and blue primaries are swapped: what it calls red is blue."""
    icc = bytearray(SRGB_ICC.replace("sRGB".encode("utf-16-be"), "swap".encode("utf-16-be")))
    count = struct.unpack(">I", icc[128:132])[0]
    entries = {bytes(icc[132 + 12 * i : 136 + 12 * i]): 132 + 12 * i for i in range(count)}
    red, blue = entries[b"rXYZ"] + 4, entries[b"bXYZ"] + 4
    icc[red : red + 8], icc[blue : blue + 8] = icc[blue : blue + 8], icc[red : red + 8]
    return bytes(icc)


@pytest.mark.parametrize(
    ("format", "mode", "icc", "expected"),
    [
        ("JPEG", "RGB", swapped_primaries_icc(), (0, 0, 255)),
        ("PNG", "RGBA", swapped_primaries_icc(), (0, 0, 255, 128)),
        ("JPEG", "RGB", b"not a profile at all", (255, 0, 0)),  # ignored, not fatal
    ],
    ids=["jpeg", "png-alpha", "broken"],
)
def test_colours_are_converted_to_srgb_and_the_profile_dropped(
    tmp_path: Path, format: str, mode: str, icc: bytes, expected: tuple[int, ...]
) -> None:
    src = tmp_path / f"wide.{format.lower()}"
    Image.new(mode, (40, 30), (255, 0, 0, 128)).save(src, format, quality=95, icc_profile=icc)
    (made,) = make_renditions(src, dest_in(tmp_path), (16,), max_pixels=MAX)
    assert_no_metadata(made)
    with Image.open(made.path) as out:
        assert out.mode == mode
        assert near(out.getpixel((5, 5)), expected, 12)


def test_animated_gif_uses_the_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (30, 20), colour) for colour in ("red", "blue", "green")]
    src = tmp_path / "anim.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=100, loop=0)
    (made,) = make_renditions(src, dest_in(tmp_path), (256,), max_pixels=MAX)
    with Image.open(made.path) as out:
        assert getattr(out, "n_frames", 1) == 1
        assert near(out.convert("RGB").getpixel((15, 10)), (255, 0, 0), 10)


def test_webp_input_and_cmyk_and_16_bit(tmp_path: Path) -> None:
    webp = tmp_path / "in.webp"
    Image.new("RGB", (50, 50), (0, 128, 255)).save(webp)
    cmyk = tmp_path / "print.jpg"
    Image.new("CMYK", (50, 50), (0, 255, 255, 0)).save(cmyk)  # red ink
    grey16 = tmp_path / "scan.png"
    Image.new("I;16", (50, 50), 32768).save(grey16)  # mid grey, not white
    expected = {webp: (0, 128, 255), cmyk: (255, 0, 0), grey16: (128, 128, 128)}
    for src, colour in expected.items():
        folder = tmp_path / src.stem
        folder.mkdir()
        (made,) = make_renditions(src, dest_in(folder), (32,), max_pixels=MAX)
        with Image.open(made.path) as out:
            assert out.mode == "RGB"
            assert near(out.getpixel((16, 16)), colour, 12), src


def test_bad_original_writes_nothing(tmp_path: Path) -> None:
    whole = io.BytesIO()
    noise((400, 300)).save(whole, "JPEG")
    src = tmp_path / "cut.jpg"
    src.write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(MediaError) as caught:
        make_renditions(src, dest_in(out), (64, 128), max_pixels=MAX)
    assert caught.value.reason == "truncated"
    assert list(out.iterdir()) == []

    bomb = tmp_path / "big.png"
    Image.new("L", (200, 200)).save(bomb)
    with pytest.raises(MediaError) as caught:
        make_renditions(bomb, dest_in(out), (64,), max_pixels=10_000)
    assert caught.value.reason == "too_many_pixels"
    assert list(out.iterdir()) == []


def test_failure_while_writing_leaves_no_file(tmp_path: Path) -> None:
    src = tmp_path / "a.jpg"
    noise((300, 200)).save(src)
    out = tmp_path / "out"
    out.mkdir()

    def dest(size: int) -> Path:  # the third size's folder does not exist
        return out / f"{size}.webp" if size < 1024 else out / "missing" / f"{size}.webp"

    with pytest.raises(FileNotFoundError):
        make_renditions(src, dest, (64, 256, 1024), max_pixels=MAX)
    assert list(out.iterdir()) == []


def test_failure_while_renaming_removes_renamed_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "a.jpg"
    noise((300, 200)).save(src)
    out = tmp_path / "out"
    out.mkdir()
    real_replace = os.replace
    calls: list[str] = []

    def flaky_replace(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> None:
        calls.append(str(b))
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_replace(a, b)

    monkeypatch.setattr(os, "replace", flaky_replace)
    with pytest.raises(OSError, match="No space"):
        make_renditions(src, dest_in(out), (64, 128, 256), max_pixels=MAX)
    assert len(calls) == 2
    assert list(out.iterdir()) == []


def test_rewrite_replaces_previous_renditions(tmp_path: Path) -> None:
    src = tmp_path / "a.png"
    Image.new("RGB", (100, 80), "green").save(src)
    dest = tmp_path / "r_64.webp"
    dest.write_bytes(b"stale")
    (made,) = make_renditions(src, dest_in(tmp_path), (64,), max_pixels=MAX)
    assert made.path == dest and dest.read_bytes()[:4] == b"RIFF"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "r_64.webp"]


def test_sizes_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="positive"):
        make_renditions(tmp_path / "none.jpg", dest_in(tmp_path), (0, 256), max_pixels=MAX)
    assert make_renditions(tmp_path / "none.jpg", dest_in(tmp_path), (), max_pixels=MAX) == []
