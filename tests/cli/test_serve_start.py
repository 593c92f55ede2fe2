"""What a host sees when ``photohub serve`` starts: a quiet start, the banner last, a QR
code that scans (in the terminal and as a PNG to print), hints naming the data folder,
addresses where it really listens; and admin commands that refuse a folder with no site."""

from __future__ import annotations

import re
import shlex
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from photohub.cli import main
from tests.cli.helpers import (
    BANNER_END,
    Serve,
    modules_of_png,
    modules_of_text,
    qr_modules,
    serve_env,
)
from tests.processes import COMMAND

LOOPBACK_WARNING = "only this computer can reach"


def _settle(url: str) -> None:
    """Requests, then a moment for anything they or the start would still log."""
    for page in ("/healthz", "/upload"):
        assert httpx.get(url + page, timeout=10).status_code == 200
    time.sleep(0.5)


def test_a_first_start_is_quiet_and_ends_with_the_banner(tmp_path: Path) -> None:
    data = tmp_path / "party"
    with Serve(data, "--host", "127.0.0.1") as server:
        banner = server.banner()
        port = server.port()
        base = f"http://127.0.0.1:{port}"
        _settle(base)
        out, err = server.stdout, server.stderr
    # Nothing but the banner at the default level: no migrations, no server chatter, no
    # access log, before or after it.
    assert err == "", err
    assert "INFO" not in out and "alembic" not in out
    assert out.rstrip().endswith(BANNER_END)
    assert out == banner

    for page in ("upload", "wall", "mine"):
        assert f"{base}/{page}" in out
    assert f"{base}/admin/login?token=" in out
    assert f"Data folder:       {data.absolute()}   (new)" in out
    assert f"photohub admin token --data-dir {data.absolute()}" in out
    # Bound to loopback: the addresses say so, and why phones cannot use them.
    assert LOOPBACK_WARNING in out and "--host 0.0.0.0" in out and "--public-url" in out

    # The QR code, drawn in the terminal (plain text here: no terminal) and saved to print.
    expected = qr_modules(f"{base}/upload")
    assert modules_of_text(out)[: len(expected)] == expected
    png = data / "upload-qr.png"
    assert f"QR code to print:  {png.absolute()}" in out
    assert png.stat().st_size > 0
    assert modules_of_png(png, len(expected)) == expected


def test_the_password_hint_is_a_command_to_paste(tmp_path: Path) -> None:
    data = tmp_path / "my party"  # a space: the hint must quote it
    with Serve(data, "--host", "127.0.0.1") as first:
        token = first.banner().split("/admin/login?token=")[1].split()[0]
    with Serve(data, "--host", "127.0.0.1") as second:
        banner = second.banner()
    assert token not in banner  # shown on the first start only
    hint = re.search(r"Host password:\s+(photohub admin token .*)", banner)
    assert hint is not None, banner
    assert "(new)" not in banner
    words = shlex.split(hint.group(1))
    assert words[:3] == ["photohub", "admin", "token"]
    shown = subprocess.run(
        [*COMMAND, *words[1:]],
        cwd=tmp_path.parent,  # from another folder: the hint names the data dir
        env=serve_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == token


def test_verbose_shows_migrations_server_logs_and_requests(tmp_path: Path) -> None:
    with Serve(tmp_path / "data", "--host", "127.0.0.1", "-v") as server:
        base = f"http://127.0.0.1:{server.port()}"
        httpx.get(base + "/healthz", timeout=10)
        server.wait_for('"GET /healthz HTTP/1.1" 200', stream="stderr", timeout=10)
        err = server.stderr
    assert "INFO alembic.runtime.migration Running upgrade" in err
    assert "Application startup complete" in err


def test_the_access_log_alone_shows_requests_not_startup(tmp_path: Path) -> None:
    with Serve(tmp_path / "data", "--host", "127.0.0.1", "--access-log") as server:
        base = f"http://127.0.0.1:{server.port()}"
        httpx.get(base + "/healthz", timeout=10)
        server.wait_for('"GET /healthz HTTP/1.1" 200', stream="stderr", timeout=10)
        err = server.stderr
    assert "alembic" not in err and "startup complete" not in err


def test_a_public_url_is_printed_and_put_in_the_qr_codes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    public = "https://photos.example.org/party"
    # Bound to loopback behind a proxy (the usual reason for a public URL): no warning.
    with Serve(data, "--host", "127.0.0.1", "--public-url", public + "/") as server:
        out = server.banner()
    for page in ("upload", "wall", "mine"):
        assert f"  {public}/{page}\n" in out
    assert "127.0.0.1" not in out and LOOPBACK_WARNING not in out
    expected = qr_modules(f"{public}/upload")
    assert modules_of_text(out)[: len(expected)] == expected
    assert modules_of_png(data / "upload-qr.png", len(expected)) == expected


def test_on_a_terminal_the_qr_code_is_black_on_white(tmp_path: Path) -> None:
    # FORCE_COLOR stands for a terminal: dark modules on a white ground, whatever the
    # terminal's own colours, so the code scans on light and dark terminals alike.
    with Serve(tmp_path / "data", "--host", "::1", env={"FORCE_COLOR": "1"}) as server:
        out = server.banner()
    qr_lines = [line for line in out.splitlines() if "\033[" in line]
    assert len(qr_lines) > 10
    assert all(line.startswith("\033[38;5;16;48;5;231m") for line in qr_lines)
    assert all(line.endswith("\033[0m") for line in qr_lines)
    port = re.search(r"http://\[::1\]:(\d+)/upload", out)
    assert port is not None, out  # IPv6 bracketed
    expected = qr_modules(f"http://[::1]:{port.group(1)}/upload")
    assert modules_of_text(out)[: len(expected)] == expected
    assert LOOPBACK_WARNING in out


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["--public-url", "photos.example.org"], {}, "--public-url"),
        (["--public-url", "ftp://photos.example.org"], {}, "--public-url"),
        ([], {"PHOTOHUB_PUBLIC_URL": "photos.example.org"}, "PHOTOHUB_PUBLIC_URL"),
    ],
)
def test_a_public_url_that_is_not_http_is_refused(
    tmp_path: Path, args: list[str], env: dict[str, str], named: str
) -> None:
    result = CliRunner().invoke(
        main, ["serve", "--data-dir", str(tmp_path / "data"), *args], env=env
    )
    assert result.exit_code == 2, result.output
    assert named in result.output
    assert "http:// or https:// URL" in result.output
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["admin", "token"],
        ["admin", "uploads", "status"],
        ["admin", "moderation", "on"],
        ["admin", "create-user", "Ana", "--password", "correct horse battery"],
        ["admin", "create-token", "Ana"],
    ],
)
def test_admin_commands_refuse_a_folder_with_no_site(tmp_path: Path, command: list[str]) -> None:
    folder = tmp_path / "elsewhere"
    result = CliRunner().invoke(main, [*command, "--data-dir", str(folder)])
    assert result.exit_code == 1, result.output
    assert f"no photohub site in {folder.absolute()}" in result.output
    assert "--data-dir" in result.output
    assert not folder.exists()


def test_admin_token_in_an_empty_folder_fails_without_making_a_database(
    tmp_path: Path,
) -> None:
    shown = subprocess.run(
        [*COMMAND, "admin", "token", "--data-dir", str(tmp_path)],
        env=serve_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 1
    assert shown.stdout == ""  # no password printed
    assert f"no photohub site in {tmp_path}" in shown.stderr
    assert "Traceback" not in shown.stderr
    assert list(tmp_path.iterdir()) == []
