"""Signed stream URLs: a topic's SSE stream that a browser can open by itself.

A browser's ``EventSource`` sends no ``Authorization`` header and cannot sign each
(re)connect with OAuth, so ``flickr.push.getStreamUrl`` hands out a topic URL that
carries its own proof, valid until it expires:

    /push/topics/tags?tags=cats&expires=1795000000&signature=9cQ...

* ``expires``: Unix seconds (UTC), the moment the URL stops opening streams (and a
  stream it opened ends);
* ``signature``: HMAC-SHA256 (RFC 2104, FIPS 180-4) keyed with the site's secret over
  ``LABEL``, the expiry and the topic's *canonical* path (``Topic.path``), one per line,
  as unpadded base64url (RFC 4648 §5). The canonical path makes any spelling of the
  topic URL (another order, percent-encoding) check the same; the label keeps the MAC
  apart from anything else the site signs with the same secret.

The signature is compared in constant time (``hmac.compare_digest``). A refusal says
why in plain words: the proof is ``missing`` (one of the two parameters is absent),
``bad_signature`` (it does not match this topic and expiry, or ``expires`` is not a
number), or ``expired``. A bad signature is reported before an expiry, so a forged URL
learns nothing about its expiry. Pure: no I/O, the clock is an argument.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

from photohub.domain.push_errors import invalid
from photohub.domain.topics import Topic, topic_url

EXPIRES = "expires"
SIGNATURE = "signature"
PARAMETERS = frozenset({EXPIRES, SIGNATURE})
LABEL = "photohub topic stream v1"
MIN_EXPIRES_IN = 60
MAX_EXPIRES_IN = 7 * 24 * 3600  # a week
DEFAULT_EXPIRES_IN = 24 * 3600
_MAX_EXPIRES_DIGITS = 12

RefusalKind = Literal["missing", "bad_signature", "expired"]


@dataclass(frozen=True)
class Refusal:
    """Why a signed stream URL does not open its stream."""

    kind: RefusalKind
    reason: str


def parse_expires_in(raw: str | None) -> int:
    """``flickr.push.getStreamUrl``'s ``expires_in``: whole seconds from
    :data:`MIN_EXPIRES_IN` to :data:`MAX_EXPIRES_IN`, :data:`DEFAULT_EXPIRES_IN` when
    absent. Raises SubscribeError code 2 (invalid) otherwise."""
    if raw is None or not raw.strip():
        return DEFAULT_EXPIRES_IN
    text = raw.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= _MAX_EXPIRES_DIGITS):
        raise invalid("expires_in", "must be whole seconds")
    seconds = int(text)
    if not MIN_EXPIRES_IN <= seconds <= MAX_EXPIRES_IN:
        raise invalid("expires_in", f"must be from {MIN_EXPIRES_IN} to {MAX_EXPIRES_IN} seconds")
    return seconds


def sign(path: str, expires: int, secret: str) -> str:
    """The signature of a topic's canonical ``path`` until ``expires``."""
    if not secret:
        raise ValueError("a stream URL needs the site's secret key")
    message = f"{LABEL}\n{expires}\n{path}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def signed_url(base_url: str, topic: Topic, expires: int, secret: str) -> str:
    """The topic's URL under ``base_url`` with ``expires`` and ``signature`` appended."""
    url = topic_url(topic, base_url)
    proof = urlencode([(EXPIRES, str(expires)), (SIGNATURE, sign(topic.path, expires, secret))])
    return url + ("&" if "?" in url else "?") + proof


def has_proof(params: Mapping[str, str]) -> bool:
    """Whether a request tries a signed URL (either parameter is present)."""
    return any(name in params for name in PARAMETERS)


def check(path: str, params: Mapping[str, str], secret: str, *, now: float) -> Refusal | None:
    """None when ``params`` hold a valid, unexpired signature for the canonical
    ``path``; else why not."""
    for name in (EXPIRES, SIGNATURE):
        if not params.get(name, "").strip():
            return Refusal("missing", f"the signed URL has no {name}")
    raw_expires, sent = params[EXPIRES].strip(), params[SIGNATURE].strip()
    if not (
        raw_expires.isascii() and raw_expires.isdigit() and len(raw_expires) <= _MAX_EXPIRES_DIGITS
    ):
        return Refusal("bad_signature", "the signed URL's expires is not a Unix time")
    expires = int(raw_expires)
    expected = sign(path, expires, secret)
    if not hmac.compare_digest(expected.encode(), sent.encode("utf-8", "replace")):
        return Refusal(
            "bad_signature",
            "the signature does not match this topic and expiry "
            "(ask flickr.push.getStreamUrl for a new URL)",
        )
    if expires <= now:
        return Refusal("expired", "the signed URL has expired (ask flickr.push.getStreamUrl)")
    return None
