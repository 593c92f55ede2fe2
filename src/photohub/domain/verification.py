"""Verification of intent: the GET the hub sends a callback, how it judges the answer,
and the lease arithmetic that follows.

The request (a GET to the callback, its own query kept and these appended with "&",
WebSub §5.1.1):

* WebSub §5.3: ``hub.mode``, ``hub.topic``, ``hub.challenge``, and ``hub.lease_seconds``
  ("Hubs MUST supply this parameter when hub.mode is set to 'subscribe'").
* PubSubHubbub 0.3 §6.2: the same, plus ``hub.verify_token`` when the subscriber gave one.
* Flickr: the same values under **unprefixed** names, ``mode``, ``topic``,
  ``challenge``, ``verify_token``, ``lease_seconds``, as Flickr sent them (DESIGN §5).

The answer (WebSub §5.3.1): "the subscriber MUST respond with an HTTP success (2xx) code
with a response body equal to the hub.challenge parameter. If the subscriber does not
agree with the action, the subscriber MUST respond with a 404". Photohub compares the
body byte for byte: no whitespace is trimmed, so a receiver that appends a newline
fails, and says why in the subscription's state. Any other status, or a 2xx with
another body, has failed; 0.3 §6.2.1 calls that temporary, to be retried, while a 404 is
a definite no.

A refusal by the hub itself is the ``hub.mode=denied`` notice of WebSub §5.2, with
``hub.topic`` and an optional ``hub.reason``. PubSubHubbub 0.3 and Flickr define no
such notice; the hub sends it to WebSub subscribers.

Leases count "from the time the verification request was made" (WebSub §5.3), so the
caller passes the moment it sent the GET. Auto-renewing (Flickr) subscriptions are
verified again at :data:`RENEW_AT_FRACTION` of their lease, leaving a tenth of it for
retries before they lapse.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlencode

from photohub.domain.websub import Dialect, Mode, SubscriptionRequest

Outcome = Literal["verified", "refused", "failed"]

CHALLENGE_BYTES = 32  # 256 random bits; token_urlsafe writes them as 43 characters
# How much of a verification response the hub reads: a challenge is 43 characters, and
# a body larger than this cannot be equal to one.
MAX_RESPONSE_BYTES = 1024
RENEW_AT_FRACTION = 0.9


def new_challenge(nbytes: int = CHALLENGE_BYTES) -> str:
    """A random, single-use ``hub.challenge`` (WebSub §8.2), URL-safe text."""
    return secrets.token_urlsafe(nbytes)


def verification_params(
    dialect: Dialect,
    mode: Mode,
    topic: str,
    challenge: str,
    *,
    lease_seconds: int | None = None,
    verify_token: str | None = None,
) -> list[tuple[str, str]]:
    """The query the hub appends to the callback to verify a (un)subscription.

    ``topic`` is what the subscriber sent (``SubscriptionRequest.topic_param``).
    ``lease_seconds`` is sent for subscribe only and is then required;
    ``verify_token`` only to 0.3 and Flickr subscribers, and only when they gave one.
    """
    if not challenge:
        raise ValueError("a verification needs a challenge")
    if mode == "subscribe" and lease_seconds is None:
        raise ValueError("a subscribe verification carries the lease (WebSub §5.3)")
    pairs = [("mode", mode), ("topic", topic), ("challenge", challenge)]
    if mode == "subscribe" and lease_seconds is not None:
        pairs.append(("lease_seconds", str(lease_seconds)))
    if verify_token and dialect != "websub":
        pairs.append(("verify_token", verify_token))
    if dialect == "flickr":
        return pairs
    return [(f"hub.{key}", value) for key, value in pairs]


def request_verification_params(
    request: SubscriptionRequest, challenge: str
) -> list[tuple[str, str]]:
    """:func:`verification_params` for a request just parsed."""
    return verification_params(
        request.dialect,
        request.mode,
        request.topic_param,
        challenge,
        lease_seconds=request.lease_seconds,
        verify_token=request.verify_token,
    )


def denied_params(topic: str, reason: str | None = None) -> list[tuple[str, str]]:
    """WebSub §5.2's notice that the hub refused (or ended) a subscription."""
    pairs = [("hub.mode", "denied"), ("hub.topic", topic)]
    if reason:
        pairs.append(("hub.reason", reason))
    return pairs


def callback_with_params(callback: str, params: list[tuple[str, str]]) -> str:
    """The callback with ``params`` appended to its query, which is kept as it is:
    WebSub §5.1.1, "Hubs MUST preserve the query string during subscription
    verification by appending new parameters to the end of the list using the &
    (ampersand) character to join"."""
    if not params:
        return callback
    query = urlencode(params)
    if "?" not in callback:
        return f"{callback}?{query}"
    if callback.endswith(("?", "&")):
        return callback + query
    return f"{callback}&{query}"


def judge_verification(status: int, body: bytes | str, challenge: str) -> Outcome:
    """``verified`` for a 2xx whose body is exactly the challenge, ``refused`` for a
    404 (the subscriber says no, WebSub §5.3.1), ``failed`` for anything else."""
    if status == 404:
        return "refused"
    if not 200 <= status <= 299:
        return "failed"
    got = body.encode("utf-8") if isinstance(body, str) else body
    return "verified" if hmac.compare_digest(got, challenge.encode("utf-8")) else "failed"


def failure_reason(status: int, body: bytes | str, challenge: str) -> str | None:
    """Why a verification did not succeed, in words for getSubscriptions and the admin
    page; None when it succeeded."""
    outcome = judge_verification(status, body, challenge)
    if outcome == "verified":
        return None
    if outcome == "refused":
        return "the callback answered 404: the subscriber does not want this"
    if not 200 <= status <= 299:
        return f"the callback answered HTTP {status} instead of 2xx"
    got = body.encode("utf-8") if isinstance(body, str) else body
    if got.strip() == challenge.encode("utf-8"):
        return "the body had whitespace around the challenge; it must be exactly equal"
    return "the body was not the challenge"


def lease_expiry(verified_at: datetime, lease_seconds: int) -> datetime:
    """When a subscription verified at ``verified_at`` (the moment the verification GET
    was sent) with this lease expires."""
    if lease_seconds <= 0:
        raise ValueError("a lease lasts at least one second (WebSub §5.3.1: no perpetual leases)")
    return verified_at + timedelta(seconds=lease_seconds)


def renewal_due_at(
    verified_at: datetime, lease_seconds: int, *, fraction: float = RENEW_AT_FRACTION
) -> datetime:
    """When the hub verifies an auto-renewing subscription again: ``fraction`` of the
    way through its lease (0.9: at 21.6 h of a one-day lease)."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError("fraction must be more than 0 and at most 1")
    lease_expiry(verified_at, lease_seconds)  # checks the lease
    return verified_at + timedelta(seconds=lease_seconds * fraction)


def renewal_due(
    now: datetime,
    verified_at: datetime,
    lease_seconds: int,
    *,
    fraction: float = RENEW_AT_FRACTION,
) -> bool:
    return now >= renewal_due_at(verified_at, lease_seconds, fraction=fraction)


def is_expired(now: datetime, expires_at: datetime) -> bool:
    """A lease ends at its expiry: WebSub §5.3.1, "Hubs MUST enforce lease expirations"."""
    return now >= expires_at
