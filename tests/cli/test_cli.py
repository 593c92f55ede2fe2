"""The ``photohub`` command as a host uses it."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from photohub.cli import main
from tests import images
from tests.cli.helpers import Serve
from tests.processes import COMMAND, clean_env, free_port, photohub_serve
from tests.servers import read_events
from tests.waiting import stop_process


def run(*args: str, data_dir: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [*COMMAND, *args, "--data-dir", str(data_dir)],
        env=clean_env(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "worker", "admin"):
        assert command in result.output
    admin = CliRunner().invoke(main, ["admin", "--help"])
    assert "uploads" in admin.output and "token" in admin.output


def test_a_bad_setting_is_named(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["admin", "uploads", "status", "--data-dir", str(tmp_path)],
        env={"PHOTOHUB_MAX_UPLOAD_BYTES": "lots"},
    )
    assert result.exit_code != 0
    assert "PHOTOHUB_MAX_UPLOAD_BYTES" in result.output


def _banner(data_dir: Path) -> tuple[str, int]:
    with Serve(data_dir, "--host", "127.0.0.1") as server:
        return server.banner(), server.port()


def test_serve_prints_the_addresses_a_qr_code_and_the_host_password_once(
    tmp_path: Path,
) -> None:
    first, port = _banner(tmp_path)
    base = f"http://127.0.0.1:{port}"
    assert f"{base}/wall" in first
    assert f"{base}/upload" in first
    assert f"{base}/admin/login?token=" in first
    assert "█" in first or "▀" in first  # the QR code, in block characters
    token = first.split("/admin/login?token=")[1].split()[0]
    assert run("admin", "token", data_dir=tmp_path).strip() == token

    second, _ = _banner(tmp_path)
    assert token not in second  # shown on first start only
    assert "photohub admin token" in second


def test_admin_pause_reaches_an_open_upload_page(tmp_path: Path) -> None:
    async def scenario(url: str) -> list[str]:
        async with httpx.AsyncClient(timeout=30) as http:
            kinds: list[str] = []
            async with http.stream("GET", url + "/live") as response:
                async for event in read_events(response):
                    kinds.append(event.event)
                    if event.event == "ready":
                        # The host types the command in another terminal.
                        await asyncio.to_thread(run, "admin", "uploads", "pause", data_dir=tmp_path)
                    if event.event == "uploads.paused":
                        return kinds
        return kinds

    with photohub_serve(tmp_path, {"PHOTOHUB_EVENT_POLL_INTERVAL": "0.2"}) as url:
        kinds = asyncio.run(asyncio.wait_for(scenario(url), 30))
        state = httpx.get(url + "/api/state").json()["state"]
    assert kinds[-1] == "uploads.paused"
    assert state["uploads_paused"] is True
    assert "paused" in run("admin", "uploads", "status", data_dir=tmp_path)
    assert "open" in run("admin", "uploads", "resume", data_dir=tmp_path)


def test_a_separate_worker_makes_the_renditions(tmp_path: Path) -> None:
    env = {"PHOTOHUB_RUN_TASKS": "0", "PHOTOHUB_ADMIN_TOKEN": secrets.token_hex(8)}
    with photohub_serve(tmp_path, env) as url, httpx.Client(base_url=url, timeout=30) as guest:
        page = guest.get("/upload", headers={"accept": "text/html"})
        csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
        response = guest.post(
            "/api/photos",
            files={"photo": ("a.jpg", images.jpeg(), "image/jpeg")},
            headers={"x-csrf-token": csrf},
        )
        assert response.status_code == 201
        assert guest.get("/api/mine").json()["photos"][0]["state"] == "processing"
        worker = subprocess.Popen(
            [*COMMAND, "worker", "--data-dir", str(tmp_path)],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            states = []
            for _ in range(300):
                states = [p["state"] for p in guest.get("/api/mine").json()["photos"]]
                if states == ["ready"]:
                    break
                time.sleep(0.1)
            assert states == ["ready"]
        finally:
            stop_process(worker, "photohub worker", grace=15)


def test_an_unreachable_database_gives_a_message_not_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [*COMMAND, "admin", "uploads", "status", "--data-dir", str(tmp_path)],
        env={
            **os.environ,
            "PHOTOHUB_DATABASE_URL": f"postgresql://nobody@127.0.0.1:{free_port()}/x",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "photohub could not start" in result.stderr
    assert "Traceback" not in result.stderr
