"""Which callback URLs the hub will call, decided without touching the network.

A hub that GETs and POSTs any URL it is given is a way into the network it runs on
(server-side request forgery): ``http://169.254.169.254/`` is a cloud's metadata
service, ``http://127.0.0.1:5432/`` the database. WebSub §5.1.2 lets a hub "reject some
callback URLs ... based on their own policies"; photohub refuses, unless an allow-list
says otherwise, every address that is not a public unicast one.

Two checks, one rule:

* :func:`check_callback` runs at subscribe time on the URL's text: scheme http or https
  (WebSub §5.1.1), printable ASCII, a length limit, no ``user:password@`` (it leaks in
  logs, and ``http://good.example@evil.example/`` misleads people), no fragment, a valid
  port, a valid host name. A host written as an IP address is judged at once; the odd
  IPv4 spellings that resolvers accept (``2130706433``, ``0x7f.1``, ``127.1``) are refused
  outright, and ``localhost`` / ``*.localhost`` (RFC 6761) count as 127.0.0.1.
* Host names are **not** resolved here. The delivery side resolves them, checks every
  address with :func:`address_allowed` and connects to the address it checked, so a name
  that resolves differently the second time (DNS rebinding) gains nothing.

:func:`address_allowed` looks through IPv4-mapped (``::ffff:127.0.0.1``), NAT64
(``64:ff9b::/96``, what DNS64 gives an IPv6-only host) and 6to4 (``2002::/16``)
addresses to the IPv4 address inside, and
refuses by an explicit list as well as Python's ``is_global``, so the answer does not
depend on the Python release (3.11's ``is_global`` calls multicast addresses global).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from urllib.parse import SplitResult, urlsplit

from photohub.domain.push_errors import FORBIDDEN, invalid

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_CALLBACK_LENGTH = 2048  # WebSub callbacks; Flickr's own limit is 255 bytes
SCHEMES = ("http", "https")
REFUSED_ADDRESS = (
    "is not allowed: its host is a loopback, private, link-local or reserved address, "
    "which this hub does not call"
)

# Refused whatever Python's ipaddress thinks of them (an allow-list still wins).
DENIED_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local host on Linux
        "10.0.0.0/8",  # private (RFC 1918)
        "100.64.0.0/10",  # carrier-grade NAT (RFC 6598); Alibaba's metadata service
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local; 169.254.169.254 is the cloud metadata service
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation (TEST-NET-1)
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and 255.255.255.255 broadcast
        "::/128",  # unspecified
        "::1/128",  # loopback
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215)
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments (Teredo among them)
        "2001:db8::/32",  # documentation
        "fc00::/7",  # unique local; AWS's IPv6 metadata service is fd00:ec2::254
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_HOST_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
# What inet_aton() reads as a number: decimal, octal (leading 0) or 0x-hex parts.
_NUMERIC_PART = re.compile(r"0[xX][0-9a-fA-F]*|[0-9]+")
_LOCALHOST = ipaddress.IPv4Address("127.0.0.1")


def _judged_as(ip: IPAddress) -> list[IPAddress]:
    """The addresses that must all pass for ``ip`` to pass.

    An IPv4-mapped address *is* its IPv4 address on a socket, and a NAT64 one is what
    DNS64 hands an IPv6-only host for an IPv4 server: both are judged as the IPv4
    address inside. A 6to4 address is routed as IPv6 and ends at the IPv4 one inside,
    so both must pass.
    """
    if isinstance(ip, ipaddress.IPv4Address):
        return [ip]
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip in _NAT64:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return [ip] if ip.sixtofour is None else [ip, ip.sixtofour]


def _denied(ip: IPAddress) -> bool:
    if any(ip in net for net in DENIED_NETWORKS if net.version == ip.version):
        return True
    return (
        not ip.is_global
        or ip.is_multicast
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_unspecified
    )


def address_allowed(ip: IPAddress | str, allow: Sequence[IPNetwork] = ()) -> bool:
    """Whether the hub may connect to ``ip``: a public unicast address, or one inside a
    network of ``allow`` (e.g. ``[ip_network("127.0.0.1/32")]`` for tests and local
    receivers). Addresses that carry an IPv4 address are judged by it too (see
    :func:`_judged_as`). A string that is no IP address is refused."""
    if isinstance(ip, str):
        try:
            ip = ipaddress.ip_address(ip)
        except ValueError:
            return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        ip = ipaddress.IPv6Address(ip.compressed.split("%", 1)[0])
    return all(
        any(c in net for net in allow if net.version == c.version) or not _denied(c)
        for c in _judged_as(ip)
    )


def parse_allow_list(text: str | Iterable[str]) -> tuple[IPNetwork, ...]:
    """Networks from ``"127.0.0.1, 10.0.0.0/8 ::1"`` (commas or spaces) or a list of
    strings; a bare address is a network of one. Raises ValueError naming a bad item."""
    items = text.replace(",", " ").split() if isinstance(text, str) else list(text)
    networks: list[IPNetwork] = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"not an address or network: {item!r}") from exc
    return tuple(networks)


def _numeric_ipv4_spelling(host: str) -> bool:
    parts = host.split(".")
    return 1 <= len(parts) <= 4 and all(_NUMERIC_PART.fullmatch(p) for p in parts)


def _host_address(host: str, argument: str) -> IPAddress | None:
    """The address a callback's host names literally (None for a host name)."""
    if host.startswith("["):
        inside = host[1:-1] if host.endswith("]") else ""
        if "%" in inside:
            raise invalid(argument, "must not name an IPv6 zone (a %interface suffix)")
        try:
            return ipaddress.IPv6Address(inside)
        except ValueError:
            raise invalid(argument, "has an IPv6 address that cannot be read") from None
    name = host[:-1] if host.endswith(".") else host
    if _numeric_ipv4_spelling(name):
        try:
            return ipaddress.IPv4Address(name)
        except ValueError:
            raise invalid(
                argument, "must write an IPv4 address as four decimal numbers (a.b.c.d)"
            ) from None
    lowered = name.lower()
    if lowered == "localhost" or lowered.endswith(".localhost"):
        return _LOCALHOST
    if len(name) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in name.split(".")):
        raise invalid(argument, "has a host name that is not valid (use punycode for IDNs)")
    return None


def _split(url: str, argument: str, max_length: int) -> SplitResult:
    if not url:
        raise invalid(argument, "must not be empty")
    if len(url.encode("utf-8")) > max_length:
        raise invalid(argument, f"is longer than {max_length} bytes")
    if any(not ("!" <= ch <= "~") for ch in url):
        raise invalid(argument, "must be printable ASCII without spaces (percent-encode the rest)")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not 0-65535
    except ValueError:
        raise invalid(argument, "is not a valid URL (check the host and port)") from None
    if port == 0:
        raise invalid(argument, "must not use port 0")
    return parts


def check_callback(
    url: str,
    *,
    allow: Sequence[IPNetwork] = (),
    max_length: int = MAX_CALLBACK_LENGTH,
    argument: str = "hub.callback",
) -> str:
    """Return ``url`` unchanged if the hub may use it as a callback, else raise
    :class:`~photohub.domain.push_errors.SubscribeError` (code 2, HTTP 400; HTTP 403
    for an address the policy refuses). The URL is kept exactly as sent: WebSub §8.3,
    "The Hub MUST use the exact callback used by the subscriber"."""
    parts = _split(url, argument, max_length)
    if parts.scheme.lower() not in SCHEMES:
        raise invalid(argument, "must be an http:// or https:// URL")
    if not parts.netloc:
        raise invalid(argument, "must name a host")
    if "@" in parts.netloc:
        raise invalid(argument, "must not carry a user name or password")
    if "#" in url:
        raise invalid(argument, "must not have a #fragment")
    host = parts.netloc.rsplit(":", 1)[0] if not parts.netloc.endswith("]") else parts.netloc
    if parts.port is None and parts.netloc.endswith(":"):
        raise invalid(argument, "has an empty port")
    if not host:
        raise invalid(argument, "must name a host")
    address = _host_address(host, argument)
    if address is not None and not address_allowed(address, allow):
        # The reason names no address: the caller may be anyone (POST /hub), and
        # "localhost" or "[::ffff:7f00:1]" is no business of theirs to have decoded.
        raise invalid(argument, REFUSED_ADDRESS, status=FORBIDDEN)
    return url
