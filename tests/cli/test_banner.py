"""The addresses ``photohub serve`` prints, and how it draws the QR code."""

from __future__ import annotations

from pathlib import Path

import pytest

from photohub import banner
from photohub.banner import Address, address
from tests.cli.helpers import modules_of_text, qr_modules


@pytest.fixture
def lan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(banner, "lan_address", lambda: "192.168.1.23")


@pytest.fixture
def no_lan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(banner, "lan_address", lambda: None)


@pytest.mark.usefixtures("lan")
@pytest.mark.parametrize("host", ["0.0.0.0", "::", ""])
def test_every_interface_means_the_lan_address(host: str) -> None:
    assert address(host, 8000) == Address("http://192.168.1.23:8000")


@pytest.mark.usefixtures("lan")
@pytest.mark.parametrize(
    ("host", "base"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000"),
        ("127.0.1.1", "http://127.0.1.1:8000"),
        ("localhost", "http://localhost:8000"),
        ("::1", "http://[::1]:8000"),
    ],
)
def test_loopback_names_itself_and_warns(host: str, base: str) -> None:
    where = address(host, 8000)
    assert where.base == base
    assert "phones cannot" in where.warning
    assert "--host 0.0.0.0" in where.warning and "--public-url" in where.warning


@pytest.mark.usefixtures("lan")
@pytest.mark.parametrize(
    ("host", "base"),
    [("192.168.1.50", "http://192.168.1.50:8000"), ("fd00::5", "http://[fd00::5]:8000")],
)
def test_a_specific_address_is_used_as_it_is(host: str, base: str) -> None:
    assert address(host, 8000) == Address(base)


@pytest.mark.usefixtures("no_lan")
def test_no_lan_address_warns() -> None:
    where = address("0.0.0.0", 8000)
    assert where.base == "http://127.0.0.1:8000"
    assert "No network address" in where.warning and "--public-url" in where.warning


@pytest.mark.usefixtures("no_lan")
@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
def test_a_public_url_wins_and_needs_no_warning(host: str) -> None:
    assert address(host, 8000, "https://photos.example.org/party/") == Address(
        "https://photos.example.org/party"
    )


def test_colour_follows_the_terminal_and_the_usual_variables() -> None:
    assert banner.use_colour(True, {"TERM": "xterm-256color"})
    assert not banner.use_colour(False, {})
    assert not banner.use_colour(True, {"NO_COLOR": "1"})
    assert not banner.use_colour(True, {"TERM": "dumb"})
    assert banner.use_colour(False, {"FORCE_COLOR": "1"})


@pytest.mark.parametrize("colour", [False, True])
def test_the_drawn_qr_code_is_the_url(colour: bool) -> None:
    url = "http://192.168.1.23:8000/upload"
    text = banner.banner(
        Address(url.removesuffix("/upload")), data_dir=Path("d"), admin_token=None, colour=colour
    )
    expected = qr_modules(url)
    assert modules_of_text(text)[: len(expected)] == expected
    assert ("\033[" in text) is colour


def test_the_banner_hints_name_the_data_dir_absolutely(tmp_path: Path) -> None:
    folder = tmp_path / "a party's photos"
    text = banner.banner(Address("http://h:1"), data_dir=folder, admin_token="secret")
    assert "secret" in text
    assert f"photohub admin token --data-dir '{tmp_path}/a party'\"'\"'s photos'" in text
    text = banner.banner(Address("http://h:1"), data_dir=Path("rel"), admin_token=None)
    assert "secret" not in text
    assert f"photohub admin token --data-dir {Path('rel').absolute()}" in text


def test_a_warning_is_printed_after_the_addresses() -> None:
    text = banner.banner(
        Address("http://127.0.0.1:1", "nobody can reach it"), data_dir=Path("d"), admin_token=None
    )
    assert text.index("Warning: nobody can reach it") > text.index("/upload")
    assert text.rstrip().endswith("Press Ctrl-C to stop photohub.")
