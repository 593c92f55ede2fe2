"""Pure OAuth 1.0a rules: which callbacks an app may name, what each permission means in
plain words, and how the user's answer is added to the callback URL."""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit, urlunsplit

OOB = "oob"  # RFC 5849 §2.1: "out of band", the verifier is shown to the user instead
PERMS = ("read", "write", "delete")
CALLBACK_MAX_LENGTH = 2000
# Schemes a browser could run or read local data with; a callback is only ever a redirect
# target, but an authorisation page must never send anyone there.
_REFUSED_SCHEMES = frozenset(
    {"javascript", "data", "vbscript", "file", "blob", "about", "filesystem"}
)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]{0,31}$")
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*\.?$")
_IPV6 = re.compile(r"^[0-9a-f:.]+$")  # urlsplit drops the brackets

PERM_WORDS = {
    "read": "See your photos and account details, including photos only you, your friends "
    "or your family can see.",
    "write": "See your photos and account details, including private ones, and add or "
    "change photos, titles, descriptions, tags, albums, faves and contacts.",
    "delete": "See, add and change everything it can with write access, and also delete "
    "your photos.",
}
PERM_TITLES = {"read": "Read", "write": "Read and write", "delete": "Read, write and delete"}


def check_callback(raw: str) -> str:
    """The callback as stored: ``oob``, an http(s) URL with a host, or an app's own
    scheme (``myapp:/done``, for desktop and phone apps). ``ValueError`` says what is
    wrong. Loopback and private hosts are allowed: the browser goes there, not the
    server, and desktop apps listen on 127.0.0.1."""
    value = raw.strip()
    if value.lower() == OOB:
        return OOB
    if not value:
        raise ValueError("oauth_callback is empty: send a URL, or oob")
    if len(value) > CALLBACK_MAX_LENGTH:
        raise ValueError(f"oauth_callback is longer than {CALLBACK_MAX_LENGTH} characters")
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ValueError("oauth_callback contains spaces or control characters")
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises on a bad port
    except ValueError:
        raise ValueError("oauth_callback is not a valid URL") from None
    scheme = parts.scheme.lower()
    if not _SCHEME.match(scheme):
        raise ValueError("oauth_callback must be an absolute URL, or oob")
    if scheme in _REFUSED_SCHEMES:
        raise ValueError(f"oauth_callback may not use the {scheme}: scheme")
    if scheme in ("http", "https"):
        host = parts.hostname or ""
        if not (_HOST.match(host) or (":" in host and _IPV6.match(host))):
            raise ValueError("oauth_callback has no valid host name")
        if parts.username is not None or parts.password is not None:
            raise ValueError("oauth_callback may not contain a user name or password")
    if parts.fragment:
        raise ValueError("oauth_callback may not contain a #fragment")
    return value


def callback_url(callback: str, answer: dict[str, str]) -> str:
    """``callback`` with ``answer`` (oauth_token, oauth_verifier or oauth_problem) added
    to its query, keeping the query the app put there itself."""
    parts = urlsplit(callback)
    extra = urlencode(answer)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def csp_source(callback: str) -> str:
    """The Content-Security-Policy source that lets the authorisation form's redirect
    reach ``callback`` (browsers apply ``form-action`` to a form's redirects too)."""
    parts = urlsplit(callback)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return f"{scheme}:"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{scheme}://{host}{port}"
