"""The verification GET: ask a callback to echo a challenge, without letting the callback
steer the hub into the network it runs on.

The request goes through httpcore with :class:`CheckedBackend`, whose ``connect_tcp``
resolves the host once (``socket.getaddrinfo`` in a thread), checks every address it
got with :func:`~photohub.domain.callbacks.address_allowed`, and connects to the checked
address itself, so a name that resolves differently a second time (DNS rebinding) gains
nothing. httpcore keeps the URL's host for TLS SNI and the Host header. Redirects are
never followed (httpcore does not), the body is read up to
:data:`~photohub.domain.verification.MAX_RESPONSE_BYTES` + 1, and the whole exchange has
a timeout.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpcore

from photohub.domain.callbacks import IPNetwork, address_allowed
from photohub.domain.verification import (
    MAX_RESPONSE_BYTES,
    Outcome,
    callback_with_params,
    failure_reason,
    judge_verification,
)

TIMEOUT_SECONDS = 10.0
USER_AGENT = "photohub-hub/1 (+verification of intent)"


class AddressRefused(Exception):
    """The callback's host resolved to an address the hub does not call."""


@dataclass(frozen=True)
class VerifyResult:
    """How a verification went: ``outcome`` as judge_verification says, the HTTP status
    (None when no answer came) and, unless verified, why in words."""

    outcome: Outcome
    status: int | None = None
    reason: str | None = None

    @property
    def verified(self) -> bool:
        return self.outcome == "verified"


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


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """A network backend that only connects to addresses the allow policy permits."""

    def __init__(self, allow: Sequence[IPNetwork] = (), inner: Any = None) -> None:
        self.allow = tuple(allow)
        self.inner: httpcore.AsyncNetworkBackend = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await asyncio.wait_for(resolve(host, port), timeout)
        except (OSError, TimeoutError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise httpcore.ConnectError(f"{host} resolves to no address")
        refused = refused_addresses(addresses, self.allow)
        if refused:
            # Every address must pass: a name with one public and one private address
            # would otherwise reach the private one whenever the first fails.
            raise AddressRefused(
                f"{host} resolves to {', '.join(refused)}, a loopback, private, link-local "
                "or otherwise non-public address, which this hub does not call"
            )
        # Every address was checked: try them in the resolver's order (::1 may be listed
        # first for a server that listens on 127.0.0.1 only).
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("the hub does not call unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


async def fetch(
    url: str, *, allow: Sequence[IPNetwork] = (), wait: float = TIMEOUT_SECONDS
) -> tuple[int, bytes]:
    """GET ``url`` through :class:`CheckedBackend`: its status and up to
    MAX_RESPONSE_BYTES + 1 bytes of body. Raises AddressRefused, httpcore errors or
    TimeoutError."""
    extensions = {"timeout": dict.fromkeys(("connect", "read", "write", "pool"), wait)}
    headers = [(b"User-Agent", USER_AGENT.encode()), (b"Accept", b"text/plain, */*")]
    async with httpcore.AsyncConnectionPool(
        network_backend=CheckedBackend(allow), retries=0, max_connections=1
    ) as pool:
        async with asyncio.timeout(wait):
            async with pool.stream("GET", url, headers=headers, extensions=extensions) as response:
                body = b""
                async for chunk in response.aiter_stream():
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        body = body[: MAX_RESPONSE_BYTES + 1]
                        break
                return response.status, body


async def verify_callback(
    callback: str,
    params: list[tuple[str, str]],
    challenge: str,
    *,
    allow: Sequence[IPNetwork] = (),
    wait: float = TIMEOUT_SECONDS,
) -> VerifyResult:
    """Send the verification GET (``params`` appended to the callback's query) and
    judge the answer. Never raises for the callback's faults: they are a ``failed``
    result with a reason (a refused address is one too, and no request is made)."""
    url = callback_with_params(callback, params)
    try:
        status, body = await fetch(url, allow=allow, wait=wait)
    except AddressRefused as exc:
        return VerifyResult("failed", None, str(exc))
    except TimeoutError:
        return VerifyResult("failed", None, f"the callback did not answer within {wait:g} s")
    except httpcore.TimeoutException:
        return VerifyResult("failed", None, f"the callback did not answer within {wait:g} s")
    except (httpcore.NetworkError, httpcore.ProtocolError, OSError) as exc:
        return VerifyResult("failed", None, f"the callback could not be reached: {exc}")
    except httpcore.UnsupportedProtocol:
        return VerifyResult("failed", None, "the callback's scheme is not http or https")
    outcome = judge_verification(status, body, challenge)
    return VerifyResult(outcome, status, failure_reason(status, body, challenge))
