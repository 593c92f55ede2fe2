"""The verification GET: ask a callback to echo a challenge, through the hub's checked
client (``push.http``: resolve once, check every address, connect to the checked one;
no redirects, no proxies). The body is read up to
:data:`~photohub.domain.verification.MAX_RESPONSE_BYTES` + 1, and the whole exchange has
a timeout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from photohub.domain.callbacks import IPNetwork
from photohub.domain.verification import (
    MAX_RESPONSE_BYTES,
    Outcome,
    callback_with_params,
    failure_reason,
    judge_verification,
)
from photohub.push.http import CallbackClient, CallbackFailed

TIMEOUT_SECONDS = 10.0
USER_AGENT = "photohub-hub/1 (+verification of intent)"


@dataclass(frozen=True)
class VerifyResult:
    """How a verification went: ``outcome`` as judge_verification says, the HTTP status
    (None when no answer came) and, unless verified, why: ``reason`` in words the
    subscriber may read, ``detail`` for the server's log (it may name the addresses a
    host resolved to; see push.http)."""

    outcome: Outcome
    status: int | None = None
    reason: str | None = None
    detail: str | None = None

    @property
    def verified(self) -> bool:
        return self.outcome == "verified"


async def fetch(
    url: str, *, allow: Sequence[IPNetwork] = (), wait: float = TIMEOUT_SECONDS
) -> tuple[int, bytes]:
    """GET ``url`` through the checked client: its status and up to
    MAX_RESPONSE_BYTES + 1 bytes of body. Raises CallbackFailed (AddressRefused when
    the address is one the hub does not call: no request is made)."""
    headers = {"User-Agent": USER_AGENT, "Accept": "text/plain, */*"}
    async with CallbackClient(allow) as client:
        return await client.request(
            "GET", url, headers=headers, wait=wait, limit=MAX_RESPONSE_BYTES
        )


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
    except CallbackFailed as exc:
        return VerifyResult("failed", None, str(exc), exc.detail)
    outcome = judge_verification(status, body, challenge)
    reason = failure_reason(status, body, challenge)
    return VerifyResult(outcome, status, reason, reason)
