"""A real ``photohub serve`` on port 0 whose output a test reads as it comes, and readers
of the QR codes it prints and saves."""

from __future__ import annotations

import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from types import TracebackType

import segno
from PIL import Image

from tests.processes import COMMAND, clean_env

BANNER_END = "Press Ctrl-C to stop photohub."
_ANSI = re.compile(r"\033\[[0-9;]*m")
_HALVES = {"\u2588": (1, 1), "\u2580": (1, 0), "\u2584": (0, 1), " ": (0, 0)}


def serve_env(settings: dict[str, str] | None = None) -> dict[str, str]:
    """A child's environment at photohub's default log level, colours left to photohub."""
    env = clean_env(settings)
    if not settings or "PHOTOHUB_LOG_LEVEL" not in settings:
        del env["PHOTOHUB_LOG_LEVEL"]  # clean_env quietens children; these test the default
    for name in ("NO_COLOR", "FORCE_COLOR"):
        if not settings or name not in settings:
            env.pop(name, None)
    return env


class Serve:
    """``photohub serve --port 0 --data-dir DATA_DIR ARGS...``, stdout and stderr read by
    threads; every wait is bounded. Stopped (SIGINT, then kill) on leaving the block."""

    def __init__(self, data_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        command = [*COMMAND, "serve", "--port", "0", "--data-dir", str(data_dir), *args]
        self.process = subprocess.Popen(
            command,
            env=serve_env(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self._out: list[str] = []
        self._err: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(stream, into), daemon=True)
            for stream, into in ((self.process.stdout, self._out), (self.process.stderr, self._err))
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: object, into: list[str]) -> None:
        assert stream is not None
        for line in stream:  # type: ignore[attr-defined]
            into.append(line)

    @property
    def stdout(self) -> str:
        return "".join(self._out)

    @property
    def stderr(self) -> str:
        return "".join(self._err)

    def wait_for(self, text: str, *, stream: str = "stdout", timeout: float = 30) -> str:
        """Wait until ``text`` is in the stream; return the whole stream."""
        deadline = time.monotonic() + timeout
        while True:
            seen = self.stdout if stream == "stdout" else self.stderr
            if text in seen:
                return seen
            if self.process.poll() is not None or time.monotonic() > deadline:
                time.sleep(0.2)  # let the readers catch the last lines
                raise AssertionError(
                    f"{text!r} not printed (exit code {self.process.poll()}):\n"
                    f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
                )
            time.sleep(0.05)

    def banner(self) -> str:
        return self.wait_for(BANNER_END)

    def port(self) -> int:
        """The port it listens on, as its banner prints it."""
        match = re.search(r":(\d+)/upload", self.banner())
        assert match is not None, self.stdout
        return int(match.group(1))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        for reader in self._readers:
            reader.join(5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> Serve:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def qr_modules(url: str) -> list[list[int]]:
    """The modules (1 = dark) of the QR code photohub makes for ``url``, quiet zone of 4
    included."""
    rows = segno.make(url, error="m").matrix_iter(scale=1, border=4)
    return [[int(bit) for bit in row] for row in rows]


def modules_of_png(path: Path, size: int) -> list[list[int]]:
    """Read a QR code PNG of ``size`` modules a side (quiet zone included) back into
    modules, sampling the centre of each."""
    with Image.open(path) as image:
        assert image.format == "PNG"
        gray = image.convert("L")
    assert gray.width == gray.height and gray.width > 0
    scale = gray.width / size

    def dark(row: int, column: int) -> int:
        value = gray.getpixel((int((column + 0.5) * scale), int((row + 0.5) * scale)))
        assert isinstance(value, int)
        return int(value < 128)

    return [[dark(r, c) for c in range(size)] for r in range(size)]


def modules_of_text(banner: str) -> list[list[int]]:
    """The QR code drawn in the banner (half blocks, colours stripped) back into modules."""
    lines = _ANSI.sub("", banner).splitlines()
    start = next(i for i, line in enumerate(lines) if "Guests scan this code" in line) + 2
    end = next(i for i, line in enumerate(lines) if line.startswith("  Upload (guests):"))
    drawn = lines[start:end]
    width = max(len(line) for line in drawn)
    rows: list[list[int]] = []
    for line in drawn:
        halves = [_HALVES[char] for char in line.ljust(width)]
        rows += [[top for top, _ in halves], [bottom for _, bottom in halves]]
    return rows
