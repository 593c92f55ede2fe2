"""Pure OAuth 1.0a rules: which callbacks an app may name, what each permission means in
plain words, and how the user's answer is added to the callback URL.

Callbacks are an allow-list, not a list of bad schemes (there is always one more:
``view-source:``, ``jar:``, ``ms-settings:``...): ``oob``, ``http`` and ``https``, and an
app's own scheme (``com.example.frame:/done``, for desktop and phone apps) only once the
app registered a callback URL with it at ``/services/apps``. As on Twitter and Flickr, an
app that registered a callback URL gets tokens only there: ``oauth_callback`` must then
be ``oob`` or that URL (same scheme, host, port and path; its query may differ, and a
loopback host may use any port, RFC 8252 §7.3). Schemes a browser runs, reads local
data with or hands to the operating system are refused even when registered. An app
without a registered callback may name any http(s) URL, as before.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlencode, urlsplit, urlunsplit

OOB = "oob"  # RFC 5849 §2.1: "out of band", the verifier is shown to the user instead
PERMS = ("read", "write", "delete")
CALLBACK_MAX_LENGTH = 2000
WEB_SCHEMES = ("http", "https")
# Schemes a browser could run, read local data with or hand to the operating system; a
# callback is only ever a redirect target, but an authorisation page must never send
# anyone there, whoever registered it.
_REFUSED_SCHEMES = frozenset(
    {
        "javascript",
        "livescript",
        "vbscript",
        "data",
        "file",
        "blob",
        "about",
        "filesystem",
        "view-source",
        "jar",
        "mhtml",
        "res",
        "resource",
        "chrome",
        "chrome-extension",
        "chrome-search",
        "edge",
        "moz-extension",
        "intent",
        "android-app",
        "search",
        "search-ms",
        "shell",
        "jnlp",
        "wyciwyg",
    }
)
_REFUSED_PREFIXES = ("ms-",)  # Windows' own handlers: ms-settings:, ms-msdt:, ms-officecmd:
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
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


def check_callback(raw: str, registered: str | None = None) -> str:
    """The callback as stored: ``oob``, an http(s) URL with a host, or, when the app
    registered a callback URL (``registered``), that URL with a query of its own.
    ``ValueError`` says what is wrong. Loopback and private hosts are allowed: the
    browser goes there, not the server, and desktop apps listen on 127.0.0.1."""
    value = raw.strip()
    if value.lower() == OOB:
        return OOB
    parts = _parse(value, "oauth_callback")
    scheme = parts.scheme.lower()
    if registered is not None:
        if not _same_place(parts, urlsplit(registered)):
            raise ValueError(
                f"oauth_callback must be oob or the callback URL registered for this app "
                f"({registered}; a query of its own may be added): change it at /services/apps"
            )
        return value
    if scheme not in WEB_SCHEMES:
        raise ValueError(
            f"oauth_callback uses the {scheme}: scheme, which this app has not registered: "
            "register the app's callback URL at /services/apps, or use http, https or oob"
        )
    return value


def check_registered_callback(raw: str) -> str | None:
    """The callback URL an app registers at ``/services/apps`` (None for none): an
    http(s) URL or one of the app's own scheme, by the rules of :func:`check_callback`.
    ``ValueError`` says what is wrong."""
    value = raw.strip()
    if not value:
        return None
    if value.lower() == OOB:
        raise ValueError("the callback URL is a URL: leave it empty for an app that uses oob")
    parts = _parse(value, "the callback URL")
    if not (parts.netloc or parts.path):
        raise ValueError("the callback URL needs a path after its scheme (myapp:/done)")
    return value


def _parse(value: str, name: str) -> SplitResult:
    """``value`` read as an absolute URL a browser may be sent to, or ValueError."""
    if not value:
        raise ValueError(f"{name} is empty: send a URL, or oob")
    if len(value) > CALLBACK_MAX_LENGTH:
        raise ValueError(f"{name} is longer than {CALLBACK_MAX_LENGTH} characters")
    # A browser drops tabs and newlines inside a URL ("java\tscript:" is "javascript:"):
    # refused, with every other control or space character, before anything is read.
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ValueError(f"{name} contains spaces or control characters")
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises on a bad port
    except ValueError:
        raise ValueError(f"{name} is not a valid URL") from None
    scheme = parts.scheme.lower()
    if not _SCHEME.match(scheme):
        raise ValueError(f"{name} must be an absolute URL, or oob")
    if scheme in _REFUSED_SCHEMES or scheme.startswith(_REFUSED_PREFIXES):
        raise ValueError(f"{name} may not use the {scheme}: scheme")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{name} may not contain a user name or password")
    if scheme in WEB_SCHEMES:
        host = parts.hostname or ""
        if not (_HOST.match(host) or (":" in host and _IPV6.match(host))):
            raise ValueError(f"{name} has no valid host name")
    if parts.fragment or "#" in value:
        raise ValueError(f"{name} may not contain a #fragment")
    return parts


def _same_place(given: SplitResult, registered: SplitResult) -> bool:
    """Whether ``given`` goes where ``registered`` does: scheme, host, port and path
    equal (scheme and host in any case; any port on a loopback host)."""
    scheme = given.scheme.lower()
    if scheme != registered.scheme.lower():
        return False
    empty = "/" if scheme in WEB_SCHEMES else ""
    if (given.path or empty) != (registered.path or empty):
        return False
    host = given.hostname or ""
    if host != (registered.hostname or ""):
        return False
    if host in _LOOPBACK_HOSTS:
        return True
    default = _DEFAULT_PORTS.get(scheme)
    return (given.port or default) == (registered.port or default)


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
