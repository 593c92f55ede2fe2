"""Content distribution: signing a delivery, checking a signature, and what to do
after a delivery attempt.

Signatures (WebSub §7.1, "Authenticated Content Distribution"): when the subscriber
gave a ``hub.secret``, every POST carries ``X-Hub-Signature: method=signature``, "the
hexadecimal representation" of the HMAC "with the request body as the data and the
hub.secret as the key". The recognized methods are sha1, sha256, sha384 and sha512
(§7.1.1). Photohub signs with sha256 for WebSub subscribers (§8.3: "As SHA-1 has been
demonstrated to be compromised ... a minimum of SHA-256 should be used") and with sha1
for PubSubHubbub 0.3 subscribers, whose spec ("Authenticated Content Distribution")
knows only ``sha1=``. The key is the
secret's UTF-8 bytes. :func:`verify_signature` is the subscriber's side (photohub.conduit
and the tests): constant-time, and it may refuse weak methods.

After an attempt (WebSub §7): "The subscriber's callback URL MUST return an HTTP 2xx
response code to indicate a success ... MAY return an HTTP 410 code to indicate that the
subscription has been deleted, and the hub MAY terminate the subscription ... The hub
MUST consider all other subscriber response codes as failures", redirects included.
Failures are retried after :func:`full_jitter` delays: exponential, capped, and drawn
uniformly from zero to that ceiling ("full jitter", M. Brooker, "Exponential Backoff And
Jitter", AWS Architecture Blog, 2015), so subscribers that failed together do not all
come back together. The random source is a parameter, so the arithmetic is pure.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal

from photohub.domain.websub import Dialect

Algorithm = Literal["sha1", "sha256", "sha384", "sha512"]
ALGORITHMS: tuple[Algorithm, ...] = ("sha1", "sha256", "sha384", "sha512")
STRONG_ALGORITHMS: tuple[Algorithm, ...] = ("sha256", "sha384", "sha512")
SIGNATURE_HEADER = "X-Hub-Signature"
Delivery = Literal["delivered", "gone", "failed"]

_HEX_LENGTH = {"sha1": 40, "sha256": 64, "sha384": 96, "sha512": 128}
_SIGNATURE = re.compile(r"\s*([A-Za-z0-9]+)=([0-9A-Fa-f]+)\s*")


def algorithm_for(dialect: Dialect) -> Algorithm:
    """The method photohub signs with for a subscriber of this dialect (Flickr's push
    API had no secret; its subscriptions are never signed, sha256 if ever asked)."""
    return "sha1" if dialect == "pubsubhubbub-0.3" else "sha256"


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def sign(secret: str | bytes, body: bytes, algorithm: Algorithm = "sha256") -> str:
    """The ``X-Hub-Signature`` value for ``body``: ``sha256=<64 hex digits>``."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown signature method: {algorithm}")
    digest = hmac.new(_key(secret), body, getattr(hashlib, algorithm)).hexdigest()
    return f"{algorithm}={digest}"


def signature_header(dialect: Dialect, secret: str | bytes, body: bytes) -> tuple[str, str]:
    """The header a delivery to this subscriber carries, as (name, value)."""
    return SIGNATURE_HEADER, sign(secret, body, algorithm_for(dialect))


def parse_signature(value: str) -> tuple[Algorithm, str] | None:
    """``(method, lower-case hex)`` from a header value, or None when it is not one of
    the recognized methods with a digest of the right length."""
    match = _SIGNATURE.fullmatch(value)
    if match is None:
        return None
    method, digest = match[1].lower(), match[2].lower()
    for algorithm in ALGORITHMS:
        if method == algorithm and len(digest) == _HEX_LENGTH[algorithm]:
            return algorithm, digest
    return None


def verify_signature(
    secret: str | bytes,
    body: bytes,
    header: str | None,
    *,
    algorithms: Collection[Algorithm] = ALGORITHMS,
) -> bool:
    """Whether ``header`` (the ``X-Hub-Signature`` received, or None) signs ``body``
    with ``secret`` using one of ``algorithms``. WebSub §7.1.2: recompute "using the
    same method (provided in the X-Hub-Signature header)"; a missing or malformed
    header is a failure. Pass :data:`STRONG_ALGORITHMS` to refuse sha1."""
    parsed = parse_signature(header) if header is not None else None
    if parsed is None or parsed[0] not in algorithms:
        return False
    algorithm, digest = parsed
    expected = sign(secret, body, algorithm).partition("=")[2]
    return hmac.compare_digest(expected, digest)


def delivery_outcome(status: int) -> Delivery:
    """``delivered`` for any 2xx, ``gone`` for 410 (the subscriber deleted the
    subscription: end it), ``failed`` for every other status, 3xx included."""
    if 200 <= status <= 299:
        return "delivered"
    return "gone" if status == 410 else "failed"


def full_jitter(
    attempt: int,
    *,
    base: float = 1.0,
    cap: float = 3600.0,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retrying after failed attempt number ``attempt`` (1 for
    the first failure): uniform in [0, min(cap, base * 2**(attempt - 1))). ``rand``
    returns a float in [0, 1), like :func:`random.random`."""
    if attempt < 1:
        raise ValueError("attempt counts failures from 1")
    if base <= 0 or cap <= 0:
        raise ValueError("base and cap must be positive")
    exponent = attempt - 1
    ceiling = cap if exponent >= 1024 else min(cap, base * 2.0**exponent)
    draw = rand()
    if not 0.0 <= draw < 1.0:
        raise ValueError("rand() must return a number in [0, 1)")
    return draw * ceiling


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long the hub retries one delivery: ``max_attempts`` in all
    (the first try included), waits from :func:`full_jitter`. WebSub §7: "Hubs SHOULD
    retry content distribution requests up to self-imposed limits"."""

    base: float = 1.0
    cap: float = 3600.0
    max_attempts: int = 12

    def __post_init__(self) -> None:
        if self.base <= 0 or self.cap < self.base or self.max_attempts < 1:
            raise ValueError("a retry policy needs 0 < base <= cap and max_attempts >= 1")

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float | None:
        """The wait after failed attempt ``attempt``, or None when it was the last."""
        if attempt >= self.max_attempts:
            return None
        return full_jitter(attempt, base=self.base, cap=self.cap, rand=rand)

    def longest_total(self) -> float:
        """The most time all retries can take (every draw at its ceiling)."""
        return sum(
            min(self.cap, self.base * 2.0 ** min(n - 1, 1023)) for n in range(1, self.max_attempts)
        )
