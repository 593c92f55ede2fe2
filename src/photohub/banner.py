"""What ``photohub serve`` prints: the addresses, a QR code of the upload page."""

from __future__ import annotations

import contextlib
import io
import socket

import segno


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


def base_url(host: str, port: int, public_url: str = "") -> str:
    if public_url:
        return public_url.rstrip("/")
    if host in ("0.0.0.0", "::", ""):
        host = lan_address() or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def qr_text(url: str) -> str:
    out = io.StringIO()
    segno.make(url, error="m").terminal(out=out, compact=True)
    return out.getvalue()


def banner(base: str, admin_token: str | None) -> str:
    """The text printed once the server listens. ``admin_token`` is shown only when
    it was just created (first start)."""
    lines = [
        "",
        "photohub is running.",
        f"  Wall (projector):  {base}/wall",
        f"  Upload (guests):   {base}/upload",
        f"  My photos:         {base}/mine",
    ]
    if admin_token:
        lines.append(f"  Host admin:        {base}/admin/login?token={admin_token}")
        lines.append(f"  Host password:     {admin_token}   (shown once; `photohub admin token`)")
    else:
        lines.append(f"  Host admin:        {base}/admin   (password: `photohub admin token`)")
    lines += ["", "Guests scan this to upload:", qr_text(base + "/upload")]
    return "\n".join(lines)
