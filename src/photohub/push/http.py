"""The HTTP client the hub calls callbacks with (verification GETs, content POSTs),
without letting a callback steer the hub into the network it runs on.

It is aiohttp (docs/dependencies.md says why) with two guards:

* :class:`CheckedResolver` resolves a host name once (``socket.getaddrinfo`` in a
  thread) and hands aiohttp only addresses :func:`~photohub.domain.callbacks.address_allowed`
  permits; every address must pass, or the request fails with :class:`AddressRefused`.
  aiohttp connects to the addresses the resolver returned (and caches them for a few
  seconds), so a name that resolves differently a second time (DNS rebinding) gains
  nothing; the URL's host stays the Host header and the TLS server name.
* aiohttp does not resolve an IP literal, so :meth:`CallbackClient.request` checks one
  itself before connecting.

Redirects are never followed, proxies from the environment are not used, answers are
read up to a limit and the whole exchange has a timeout. Every failure the callback can
cause is a :class:`CallbackFailed` whose message says what went wrong, in words.

Those words reach whoever subscribed, and ``POST /hub`` is anonymous: they never name
an address a host resolved to, nor tell a name that does not resolve from one that
resolves to a refused address (:data:`REFUSED_HOST` for both), nor repeat a socket
error (which names the address it tried). Otherwise the hub answers questions about the
DNS and the network it runs in. The full story is the exception's ``detail``, for the
server's log.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from types import TracebackType

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from photohub.domain.callbacks import IPNetwork, address_allowed


class CallbackFailed(Exception):
    """The callback could not be called or did not answer. The message says why in
    words the subscriber may read (no resolved address); ``detail`` says it for the
    operator's log (addresses, the resolver's and the socket's words)."""

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail or message


class AddressRefused(CallbackFailed):
    """The callback's host is (or resolves to) an address the hub does not call."""


# For every refusal that depends on what a host resolves to, and for a host that does
# not resolve at all: the same words, so that the answer says nothing of the DNS.
REFUSED_HOST = (
    "the callback's host is not allowed: this hub calls only hosts that resolve, and "
    "only to public addresses (no loopback, private, link-local or reserved one)"
)


def refused_message(host: str, refused: Iterable[str]) -> str:
    """The log's words for a refused host (they name the addresses)."""
    return (
        f"{host} resolves to {', '.join(refused)}, a loopback, private, link-local "
        "or otherwise non-public address, which this hub does not call"
    )


async def checked_addresses(host: str, port: int, allow: Sequence[IPNetwork]) -> list[str]:
    """Every address ``host`` resolves to, once each of them passed the allow policy:
    else AddressRefused (every address must pass: a name with one public and one
    private address would otherwise reach the private one whenever the first fails).
    A name that does not resolve raises OSError."""
    addresses = await resolve(host, port)
    refused = refused_addresses(addresses, allow)
    if refused:
        raise AddressRefused(REFUSED_HOST, refused_message(host, refused))
    return addresses


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order, without duplicates."""
    infos = await asyncio.to_thread(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    found: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in found:
            found.append(address)
    return found


def refused_addresses(addresses: Iterable[str], allow: Sequence[IPNetwork]) -> list[str]:
    return [a for a in addresses if not address_allowed(ipaddress.ip_address(a), allow)]


class CheckedResolver(AbstractResolver):
    """aiohttp's resolver, returning only addresses the allow policy permits."""

    def __init__(self, allow: Sequence[IPNetwork] = ()) -> None:
        self.allow = tuple(allow)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[ResolveResult]:
        try:
            addresses = await checked_addresses(host, port, self.allow)
        except OSError as exc:
            raise CallbackFailed(REFUSED_HOST, f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise CallbackFailed(REFUSED_HOST, f"{host} has no address")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        return None


class CallbackClient:
    """A pool of keep-alive connections to callbacks (``connections`` at most)."""

    def __init__(self, allow: Sequence[IPNetwork] = (), *, connections: int = 1) -> None:
        self.allow = tuple(allow)
        self.connections = max(1, connections)
        self._session: aiohttp.ClientSession | None = None
        self._urls: dict[str, URL] = {}  # callbacks parsed and checked

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:  # made inside the running loop, on first use
            connector = aiohttp.TCPConnector(
                resolver=CheckedResolver(self.allow),
                limit=self.connections,
                limit_per_host=0,
                keepalive_timeout=30.0,
                ttl_dns_cache=10,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,
                trust_env=False,
                skip_auto_headers=("Accept-Encoding", "User-Agent"),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> CallbackClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.close()

    def target(self, url: str) -> URL:
        """``url`` parsed and checked (:meth:`check_literal`); the last few thousand
        are remembered, as a worker calls the same callbacks again and again."""
        found = self._urls.get(url)
        if found is None:
            found = URL(url, encoded=True)
            self.check_literal(found)
            if len(self._urls) >= 4096:
                self._urls.clear()
            self._urls[url] = found
        return found

    def check_literal(self, url: URL) -> None:
        """Refuse a URL whose host is an IP literal the policy excludes (aiohttp does
        not pass literals through the resolver), or one that is not http(s)."""
        if url.scheme not in ("http", "https") or not url.raw_host:
            raise CallbackFailed("the callback's scheme is not http or https")
        host = url.raw_host.strip("[]")
        try:
            ip = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return
        if not address_allowed(ip, self.allow):
            raise AddressRefused(REFUSED_HOST, refused_message(host, [host]))

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        body: bytes | None = None,
        wait: float,
        limit: int,
    ) -> tuple[int, bytes]:
        """Send the request: the answer's status and at most ``limit`` bytes of its body
        (``limit + 1`` when there was more). Raises :class:`CallbackFailed`."""
        try:
            target = self.target(url)
            async with asyncio.timeout(wait):
                async with self.session.request(
                    method, target, headers=headers, data=body, allow_redirects=False
                ) as response:
                    read = b""
                    while len(read) <= limit:
                        chunk = await response.content.read(limit + 1 - len(read))
                        if not chunk:
                            break
                        read += chunk
                    return response.status, read
        except CallbackFailed:
            raise
        except TimeoutError as exc:
            raise CallbackFailed(f"the callback did not answer within {wait:g} s") from exc
        except (aiohttp.InvalidURL, ValueError) as exc:
            reason = "the callback's URL cannot be called"
            raise CallbackFailed(reason, f"{reason}: {exc}") from exc
        except (aiohttp.ClientError, OSError) as exc:
            reason = _unreached(exc)
            raise CallbackFailed(reason, f"{reason} ({type(exc).__name__}: {exc})") from exc


def _unreached(exc: BaseException) -> str:
    """What went wrong on the way to the callback, in words that name no address (an
    aiohttp or socket error names the address it tried)."""
    if isinstance(exc, aiohttp.ClientSSLError):
        return "the callback could not be reached: the TLS handshake failed"
    if isinstance(exc, aiohttp.ClientConnectorError | ConnectionRefusedError):
        return "the callback could not be reached: no connection to its host and port"
    if isinstance(exc, aiohttp.ServerDisconnectedError | ConnectionResetError):
        return "the callback closed the connection without a complete answer"
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientResponseError):
        return "the callback's answer could not be read as HTTP"
    return "the callback could not be reached"
