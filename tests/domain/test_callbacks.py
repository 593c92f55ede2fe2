"""Callback URL checks and the address rule the hub shares with delivery
(domain/callbacks.py)."""

from __future__ import annotations

import ipaddress

import pytest

from photohub.domain.callbacks import (
    MAX_CALLBACK_LENGTH,
    address_allowed,
    check_callback,
    parse_allow_list,
)
from photohub.domain.push_errors import FORBIDDEN, INVALID_PARAMETER_VALUE, SubscribeError

LOOPBACK_ONLY = parse_allow_list("127.0.0.1")

# --- address_allowed: the matrix ----------------------------------------------------

DENIED = [
    "127.0.0.1",
    "127.255.255.254",
    "::1",
    "10.0.0.1",
    "10.255.255.255",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "169.254.0.1",
    "100.64.0.1",  # carrier-grade NAT
    "100.100.100.200",  # Alibaba's metadata service
    "0.0.0.0",
    "0.1.2.3",
    "::",
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "fd00:ec2::254",  # AWS's IPv6 metadata service
    "fec0::1",
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "ff02::1",
    "255.255.255.255",
    "240.0.0.1",
    "192.0.2.10",  # documentation
    "198.51.100.7",
    "203.0.113.9",
    "2001:db8::1",
    "198.18.0.1",  # benchmarking
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    "2001::1",  # Teredo
]
ALLOWED = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "172.32.0.1",  # just past 172.16.0.0/12
    "100.128.0.1",  # just past 100.64.0.0/10
    "2606:4700:4700::1111",
    "2a00:1450:4007:80e::200e",
    "::ffff:8.8.8.8",  # a mapped public address is that public address
]


@pytest.mark.parametrize("ip", DENIED)
def test_non_public_addresses_are_refused(ip: str) -> None:
    assert not address_allowed(ip)
    assert not address_allowed(ipaddress.ip_address(ip))


@pytest.mark.parametrize("ip", ALLOWED)
def test_public_addresses_are_allowed(ip: str) -> None:
    assert address_allowed(ip)


def test_an_allow_list_lets_exactly_its_networks_through() -> None:
    assert address_allowed("127.0.0.1", LOOPBACK_ONLY)
    assert address_allowed("::ffff:127.0.0.1", LOOPBACK_ONLY)  # the same address
    assert not address_allowed("127.0.0.2", LOOPBACK_ONLY)
    assert not address_allowed("::1", LOOPBACK_ONLY)
    assert not address_allowed("10.0.0.1", LOOPBACK_ONLY)
    lan = parse_allow_list("10.0.0.0/8, ::1")
    assert address_allowed("10.1.2.3", lan)
    assert address_allowed("::1", lan)
    assert not address_allowed("192.168.0.1", lan)
    metadata = parse_allow_list(["169.254.169.254/32"])
    assert address_allowed("169.254.169.254", metadata)


def test_nat64_and_mapped_addresses_are_judged_as_the_ipv4_inside() -> None:
    # DNS64 gives an IPv6-only host 64:ff9b::<IPv4> for an IPv4-only server.
    assert address_allowed("64:ff9b::808:808")  # 8.8.8.8
    assert address_allowed("64:ff9b::7f00:1", LOOPBACK_ONLY)  # 127.0.0.1, allow-listed
    assert not address_allowed("64:ff9b:1::808:808")  # local-use NAT64 (RFC 8215)
    assert address_allowed("2002:808:808::1")  # 6to4 of 8.8.8.8: both parts public
    assert not address_allowed("2002:a00:1::1")  # 6to4 of 10.0.0.1


@pytest.mark.parametrize("text", ["", "localhost", "256.0.0.1", "1.2.3", "fe80::zz"])
def test_a_string_that_is_no_address_is_refused(text: str) -> None:
    assert not address_allowed(text)


def test_allow_lists_parse_commas_spaces_and_lists() -> None:
    nets = parse_allow_list("127.0.0.1, 10.0.0.0/8  ::1")
    assert [str(n) for n in nets] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    assert parse_allow_list("") == ()
    assert parse_allow_list("10.1.2.3/8")[0] == ipaddress.ip_network("10.0.0.0/8")
    with pytest.raises(ValueError, match="not an address"):
        parse_allow_list("127.0.0.1, nonsense")


# --- check_callback -----------------------------------------------------------------

GOOD_CALLBACKS = [
    "https://example.com/push",
    "http://example.com/push?user=12345&x=1",
    "HTTPS://Example.COM:8443/a/b;c?d=e",
    "https://sub_domain.example.org/cb",
    "http://8.8.8.8/cb",
    "http://[2606:4700:4700::1111]:8080/cb",
    "https://example.com.:443/cb",  # a fully qualified name
    "https://xn--bcher-kva.example/cb",  # an IDN in punycode
    "https://example.com",
]


@pytest.mark.parametrize("url", GOOD_CALLBACKS)
def test_good_callbacks_come_back_unchanged(url: str) -> None:
    assert check_callback(url) == url


def _refused(url: str, **kwargs: object) -> SubscribeError:
    with pytest.raises(SubscribeError) as caught:
        check_callback(url, **kwargs)  # type: ignore[arg-type]
    assert caught.value.code == INVALID_PARAMETER_VALUE
    return caught.value


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("", "empty"),
        ("ftp://example.com/cb", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("example.com/cb", "http:// or https://"),
        ("https:///cb", "host"),
        ("https://user:pw@example.com/cb", "user name or password"),
        ("https://example.com@evil.example/cb", "user name or password"),
        ("https://example.com/cb#frag", "fragment"),
        ("https://example.com/c b", "printable ASCII"),
        ("https://example.com/cb\r\nX-Evil: 1", "printable ASCII"),
        ("https://exämple.com/cb", "printable ASCII"),
        ("https://example.com:99999/cb", "not a valid URL"),
        ("https://example.com:abc/cb", "not a valid URL"),
        ("https://example.com:0/cb", "port 0"),
        ("https://example.com:/cb", "empty port"),
        ("https://[::1/cb", "not a valid URL"),
        ("https://[fe80::1%25eth0]/cb", "zone"),
        ("https://[not:an:address]/cb", "not a valid URL"),
        ("https://exa%6dple.com/cb", "host name"),
        ("https://-bad-.example/cb", "host name"),
        ("https://a..b/cb", "host name"),
        ("https://" + "a" * 64 + ".example/cb", "host name"),
        ("http://2130706433/", "four decimal numbers"),  # 127.0.0.1 as one number
        ("http://0x7f.0.0.1/", "four decimal numbers"),
        ("http://0177.0.0.1/", "four decimal numbers"),
        ("http://127.1/", "four decimal numbers"),
        ("http://010.0.0.1/", "four decimal numbers"),
    ],
)
def test_malformed_callbacks_are_refused_with_a_reason(url: str, words: str) -> None:
    error = _refused(url)
    assert words in error.reason
    assert error.status == 400
    assert error.argument == "hub.callback"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/cb",
        "http://127.0.0.1./cb",
        "http://[::1]/cb",
        "http://10.0.0.5/cb",
        "http://172.16.3.4/cb",
        "http://192.168.1.10/cb",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/cb",
        "http://[fc00::1]/cb",
        "http://[::ffff:127.0.0.1]/cb",
        "http://0.0.0.0:8000/cb",
        "http://localhost:8000/cb",
        "http://LOCALHOST/cb",
        "http://api.localhost/cb",
        "http://[ff02::1]/cb",
    ],
)
def test_non_public_callback_addresses_are_forbidden(url: str) -> None:
    error = _refused(url)
    assert error.status == FORBIDDEN == 403
    assert "not allowed" in error.reason and "private" in error.reason
    # What the host is (e.g. localhost is 127.0.0.1) is not told back to the caller.
    assert not any(word in error.reason for word in ("127.", "::", "10.", "169.", "0.0.0.0"))


def test_allow_listed_loopback_callbacks_pass() -> None:
    for url in (
        "http://127.0.0.1:8080/cb",
        "http://localhost:8080/cb",
        "http://[::ffff:127.0.0.1]/",
    ):
        assert check_callback(url, allow=LOOPBACK_ONLY) == url
    _refused("http://[::1]/cb", allow=LOOPBACK_ONLY)
    _refused("http://10.0.0.1/cb", allow=LOOPBACK_ONLY)


def test_host_names_are_not_resolved_here() -> None:
    # A name may well resolve to a private address; delivery checks what it resolves to.
    assert check_callback("http://internal.corp.example/cb") == "http://internal.corp.example/cb"


def test_the_length_limit_counts_bytes_and_is_configurable() -> None:
    base = "https://example.com/"
    exact = base + "a" * (MAX_CALLBACK_LENGTH - len(base))
    assert check_callback(exact) == exact
    assert "longer than 2048 bytes" in _refused(exact + "a").reason
    short = base + "a" * (255 - len(base))
    assert check_callback(short, max_length=255) == short
    error = _refused(short + "a", max_length=255, argument="callback")
    assert "longer than 255 bytes" in error.reason
    assert error.argument == "callback"
    assert error.reason.startswith("callback ")
