"""What ``photohub serve`` prints once it listens: the addresses, a QR code of the upload
page (also saved as a PNG to print), the host password hint and any warning."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import shlex
import socket
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

import segno

from photohub.config import Settings

QR_PNG = "upload-qr.png"
"""The file, in the data dir, holding the upload page's QR code (to print)."""

_WILDCARDS = ("0.0.0.0", "::", "")
# Dark modules on a white ground whatever the terminal's own colours: xterm-256 colours
# 16 (#000000) and 231 (#ffffff) come from the colour cube, which themes do not remap
# (the 16 basic colours they do, and light themes swap them).
_INK_ON_PAPER = "\033[38;5;16;48;5;231m"
_RESET = "\033[0m"
# Two modules per character cell (terminal cells are about twice as high as wide):
# (top is dark, bottom is dark) -> the character drawn in the ink colour.
_HALF_BLOCKS = {(1, 1): "\u2588", (1, 0): "\u2580", (0, 1): "\u2584", (0, 0): " "}


def lan_address() -> str | None:
    """This machine's address on the local network, for phones to reach.

    A UDP ``connect`` only asks the kernel for a route; no packet is sent.
    """
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))  # TEST-NET-1: never actually contacted
        address = str(s.getsockname()[0])
        if not address.startswith("127.") and address != "0.0.0.0":
            return address
    return None


@dataclass(frozen=True)
class Address:
    """The base URL to print and encode in the QR code, and why phones may not reach it."""

    base: str
    warning: str = ""


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _url(host: str, port: int) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # IPv6
    return f"http://{host}:{port}"


def address(host: str, port: int, public_url: str = "") -> Address:
    """Where guests reach a server bound to ``host``:``port``: ``public_url`` when given,
    the LAN address when bound to every interface, else the address bound."""
    if public_url:
        return Address(public_url.rstrip("/"))
    if host in _WILDCARDS:
        lan = lan_address()
        if lan is not None:
            return Address(_url(lan, port))
        return Address(
            _url("127.0.0.1", port),
            "No network address found for this computer, so phones cannot reach the "
            "addresses above. Join the guests' Wi-Fi and restart photohub, or give "
            "--public-url with an address phones can reach.",
        )
    if _is_loopback(host):
        return Address(
            _url(host, port),
            f"photohub listens on {host}, which only this computer can reach: guests' "
            "phones cannot open the addresses above or scan the code. Restart with "
            "--host 0.0.0.0 to listen on the local network, or give --public-url.",
        )
    return Address(_url(host, port))


def base_url(host: str, port: int, public_url: str = "") -> str:
    return address(host, port, public_url).base


def use_colour(stream_is_tty: bool, environ: Mapping[str, str] | None = None) -> bool:
    """Whether to draw the QR code with terminal colours: on a terminal unless
    ``NO_COLOR`` is set or ``TERM=dumb``; anywhere when ``FORCE_COLOR`` is set."""
    env = os.environ if environ is None else environ
    if env.get("FORCE_COLOR"):
        return True
    return stream_is_tty and not env.get("NO_COLOR") and env.get("TERM") != "dumb"


def _qr(url: str) -> segno.QRCode:
    return segno.make(url, error="m")


def qr_text(url: str, *, colour: bool = False) -> str:
    """The QR code of ``url`` in half-block characters with its quiet zone. Dark modules
    are drawn as characters, light ones as blanks: right on paper and light backgrounds.
    With ``colour``, the code is drawn black on white whatever the terminal's colours,
    so that it scans on dark and light terminals alike."""
    rows: Iterable[Iterable[int]] = _qr(url).matrix_iter(scale=1, border=4)
    pairs = zip_longest(*[iter(rows)] * 2, fillvalue=())
    lines = []
    for top, bottom in pairs:
        cells = zip_longest(top, bottom, fillvalue=0)
        line = "".join(_HALF_BLOCKS[(int(a), int(b))] for a, b in cells)
        lines.append(f"{_INK_ON_PAPER}{line}{_RESET}" if colour else line)
    return "\n".join(lines)


def save_qr_png(url: str, path: Path) -> None:
    """The QR code of ``url`` as a black-on-white PNG, large enough to print."""
    _qr(url).save(str(path), kind="png", scale=20, border=4, dark="black", light="white", dpi=300)


def admin_token_command(data_dir: Path) -> str:
    """The command that shows the host password of the site in ``data_dir``, to paste."""
    return f"photohub admin token --data-dir {shlex.quote(str(data_dir.absolute()))}"


def banner(
    where: Address,
    *,
    data_dir: Path,
    admin_token: str | None,
    qr_png: Path | None = None,
    colour: bool = False,
    new_site: bool = False,
) -> str:
    """The text printed once the server listens. ``admin_token`` is shown only when it
    was just created (first start); otherwise the command that shows it is."""
    base = where.base
    lines = ["", "photohub is running. Guests scan this code to upload photos:", ""]
    lines += [
        qr_text(base + "/upload", colour=colour),
        f"  Upload (guests):   {base}/upload",
        f"  Wall (projector):  {base}/wall",
        f"  My photos:         {base}/mine",
    ]
    if admin_token:
        lines += [
            f"  Host admin:        {base}/admin/login?token={admin_token}",
            f"  Host password:     {admin_token}   (shown on this first start only)",
            f"  Password again:    {admin_token_command(data_dir)}",
        ]
    else:
        lines += [
            f"  Host admin:        {base}/admin",
            f"  Host password:     {admin_token_command(data_dir)}",
        ]
    folder = str(data_dir.absolute()) + ("   (new)" if new_site else "")
    lines.append(f"  Data folder:       {folder}")
    if qr_png is not None:
        lines.append(f"  QR code to print:  {qr_png.absolute()}")
    if where.warning:
        lines += ["", *textwrap.wrap(f"Warning: {where.warning}", 88)]
    lines += ["", "Press Ctrl-C to stop photohub.", ""]
    return "\n".join(lines)


def at_start(
    settings: Settings, port: int, *, admin_token: str | None, new_site: bool, colour: bool
) -> str:
    """The banner of a server started with ``settings`` listening on ``port``; saves the
    QR code as a PNG in the data dir on the way."""
    where = address(settings.host, port, settings.public_url)
    png: Path | None = settings.data_dir / QR_PNG
    try:
        save_qr_png(where.base + "/upload", settings.data_dir / QR_PNG)
    except OSError as exc:
        logging.getLogger("photohub").warning("could not save the QR code: %s", exc)
        png = None
    return banner(
        where,
        data_dir=settings.data_dir,
        admin_token=admin_token,
        qr_png=png,
        colour=colour,
        new_site=new_site,
    )
