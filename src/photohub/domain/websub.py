"""Subscribe and unsubscribe requests in the hub's three dialects, read into one shape.

* **W3C WebSub** (https://www.w3.org/TR/websub/, Recommendation of 23 January 2018),
  ``POST /hub`` with ``hub.mode``, ``hub.callback``, ``hub.topic``, ``hub.lease_seconds``,
  ``hub.secret`` (§5.1). The hub answers 202 and verifies later (§5.1.2, §5.3); a bad
  request gets a 4xx with a plain-text reason (§5.1.2).
* **PubSubHubbub 0.3** (pubsubhubbub-core-0.3, §6.1): the same names plus ``hub.verify``
  ("sync" or "async", possibly repeated, in the subscriber's order of preference) and
  ``hub.verify_token``, echoed in the verification request. A present ``hub.verify`` is
  what tells the dialects apart. Sync answers 204 once verified, 409 when verification
  failed; async answers 202 (§6.1.2).
* **Flickr** ``flickr.push.subscribe`` / ``unsubscribe``: ``topic`` (a topic name) with
  its arguments (domain.topics), ``callback`` ("Limited to 255 bytes"), ``verify`` sync
  or async (required), ``verify_token`` ("Limited to 200 bytes"), ``lease_seconds``
  ("Legal values are 60 to 86400 (1 minute to 1 day). If not present, the subscription
  will be auto-renewing"). Flickr's unsubscribe takes only topic, callback, verify and
  verify_token: the callback is unique per user, so it names the subscription.

Decisions where the specs leave room:

* ``hub.lease_seconds`` is clamped into :class:`LeasePolicy` (WebSub: hubs "MAY choose to
  respect this value or not"; §8.2 suggests 10 days, the default); a value that is not
  a positive whole number is a 400. For unsubscribe it is ignored, as §5.1 requires.
  Flickr's range is checked as Flickr documents it (60-86400, else error 2), then
  clamped too; an auto-renewing subscription gets a lease of one day
  (:data:`AUTO_RENEW_LEASE_SECONDS`, what Flickr's getSubscriptions example shows:
  expiry - date_create = 86400) and is re-verified before it ends.
* ``hub.secret`` must be under 200 bytes (§5.1 "MUST be less than 200 bytes"). The spec
  says it "SHOULD only be specified when the request was made over HTTPS"; that is
  advice to subscribers, and photohub on a laptop is plain HTTP, so the hub accepts a
  secret over either scheme and the docs recommend HTTPS. An empty secret is no secret.
* ``hub.verify_token`` is limited to 200 bytes like Flickr's; a WebSub request (no
  ``hub.verify``) carries none, and one sent anyway is ignored (§5.1: "Hubs MUST ignore
  additional request parameters they do not understand").
* A parameter given twice with different values is a 400 (except ``hub.verify``), so
  no proxy and hub can read one request two ways.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from photohub.domain.callbacks import (
    MAX_CALLBACK_LENGTH,
    IPNetwork,
    address_allowed,
    check_callback,
    parse_allow_list,
)
from photohub.domain.push_errors import SubscribeError, invalid, missing
from photohub.domain.topics import (
    Topic,
    TopicName,
    make_topic,
    parse_topic_name,
    parse_topic_url,
    topic_url,
)

__all__ = [
    "AUTO_RENEW_LEASE_SECONDS",
    "Dialect",
    "LeasePolicy",
    "Mode",
    "SubscribeError",
    "SubscriptionRequest",
    "Topic",
    "VerifyMode",
    "accepted_status",
    "address_allowed",
    "check_callback",
    "parse_allow_list",
    "parse_flickr_request",
    "parse_hub_request",
    "parse_topic_name",
    "parse_topic_url",
    "topic_url",
]

Mode = Literal["subscribe", "unsubscribe"]
VerifyMode = Literal["sync", "async"]
Dialect = Literal["websub", "pubsubhubbub-0.3", "flickr"]
Params = Mapping[str, str] | Iterable[tuple[str, str]]
MODES: tuple[Mode, ...] = ("subscribe", "unsubscribe")
VERIFY_MODES: tuple[VerifyMode, ...] = ("sync", "async")

MAX_SECRET_BYTES = 199  # WebSub §5.1 and PubSubHubbub 0.3 §6.1: "less than 200 bytes"
MAX_VERIFY_TOKEN_BYTES = 200  # flickr.push.subscribe: "Limited to 200 bytes"
FLICKR_MAX_CALLBACK_BYTES = 255  # flickr.push.subscribe: "Limited to 255 bytes"
FLICKR_MIN_LEASE, FLICKR_MAX_LEASE = 60, 86_400
AUTO_RENEW_LEASE_SECONDS = 86_400
# HTTP answers to POST /hub (WebSub §5.1.2, PubSubHubbub 0.3 §6.1.2).
ACCEPTED, VERIFIED, VERIFICATION_FAILED = 202, 204, 409


@dataclass(frozen=True)
class LeasePolicy:
    """The leases the hub grants, in seconds: requests are clamped into
    [min_seconds, max_seconds]; no request means default_seconds."""

    min_seconds: int = 60
    default_seconds: int = 864_000  # 10 days, WebSub §8.2's "good default"
    max_seconds: int = 864_000

    def __post_init__(self) -> None:
        if not 1 <= self.min_seconds <= self.default_seconds <= self.max_seconds:
            raise ValueError("leases need 1 <= min_seconds <= default_seconds <= max_seconds")

    def clamp(self, seconds: int | None) -> int:
        if seconds is None:
            return self.default_seconds
        return max(self.min_seconds, min(self.max_seconds, seconds))


@dataclass(frozen=True)
class SubscriptionRequest:
    """A valid request, whichever dialect it came in.

    ``callback`` is exactly as sent. ``topic`` is canonical; it is None only for a
    Flickr unsubscribe, which names its subscription by callback and ``topic_name``.
    ``topic_param`` is the topic as the subscriber wrote it, echoed back when verifying
    (WebSub §5.3: "The topic URL given in the corresponding subscription request").
    ``lease_seconds`` is the lease the hub grants (None for unsubscribe);
    ``auto_renew`` marks Flickr subscriptions sent without a lease.
    """

    mode: Mode
    dialect: Dialect
    callback: str
    topic_name: TopicName
    topic: Topic | None
    topic_param: str
    lease_seconds: int | None
    verify: VerifyMode
    auto_renew: bool = False
    secret: str | None = None
    verify_token: str | None = None


def accepted_status(request: SubscriptionRequest) -> int:
    """What ``POST /hub`` answers for a valid request: 202 while verification is still
    to come (WebSub always; 0.3 async), 204 for a 0.3 sync request once verified; a
    failed sync verification answers :data:`VERIFICATION_FAILED` (409) instead."""
    return VERIFIED if request.verify == "sync" else ACCEPTED


def _pairs(params: Params) -> list[tuple[str, str]]:
    return list(params.items()) if isinstance(params, Mapping) else list(params)


def _single(pairs: list[tuple[str, str]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, value in pairs:
        if key == "hub.verify":
            continue
        if key in values and values[key] != value:
            raise invalid(key, "is given twice with different values")
        values[key] = value
    return values


def _bounded(value: str | None, argument: str, limit: int) -> str | None:
    if not value:
        return None
    if len(value.encode("utf-8")) > limit:
        raise invalid(argument, f"must be at most {limit} bytes long")
    return value


def _whole(text: str, argument: str) -> int:
    """A positive decimal integer (WebSub §5.1); a huge one reads as 10**18 (clamped
    later) rather than as a number of a thousand digits."""
    digits = text.strip().lstrip("0")
    if not (digits.isascii() and digits.isdigit()):
        raise invalid(argument, "must be a positive whole number of seconds")
    return int(digits) if len(digits) <= 18 else 10**18


def _mode(value: str | None, argument: str) -> Mode:
    mode = (value or "").strip().lower()
    if not mode:
        raise missing(argument)
    if mode in MODES:
        return mode
    if mode == "publish":
        raise invalid(argument, "publish is not taken: photohub publishes its own topics")
    raise invalid(argument, "must be subscribe or unsubscribe")


def _verify_modes(pairs: list[tuple[str, str]]) -> list[str] | None:
    """hub.verify's values in order (None when absent); commas also separate."""
    found = [v for k, v in pairs if k == "hub.verify"]
    if not found:
        return None
    return [m.strip().lower() for v in found for m in v.split(",") if m.strip()]


def parse_hub_request(
    params: Params,
    *,
    leases: LeasePolicy = LeasePolicy(),
    allow: Sequence[IPNetwork] = (),
    base_url: str | None = None,
    max_callback_length: int = MAX_CALLBACK_LENGTH,
) -> SubscriptionRequest:
    """Read a ``POST /hub`` form (WebSub or PubSubHubbub 0.3). Pass every pair, e.g.
    Starlette's ``form.multi_items()``, so a repeated ``hub.verify`` is seen. Raises
    :class:`SubscribeError`; its ``status`` is the HTTP answer, its ``reason`` the body.
    """
    pairs = _pairs(params)
    values = _single(pairs)
    modes = _verify_modes(pairs)
    dialect: Dialect = "websub" if modes is None else "pubsubhubbub-0.3"
    mode = _mode(values.get("hub.mode"), "hub.mode")
    verify: VerifyMode = "async"
    if modes is not None:
        # 0.3 §6.1: the subscriber lists the modes it supports, preferred first.
        supported = [m for m in modes if m in ("sync", "async")]
        if not supported:
            raise invalid("hub.verify", "must be sync or async")
        verify = "sync" if supported[0] == "sync" else "async"
    callback = values.get("hub.callback", "")
    if not callback:
        raise missing("hub.callback")
    check_callback(callback, allow=allow, max_length=max_callback_length)
    topic_param = values.get("hub.topic", "")
    if not topic_param.strip():
        raise missing("hub.topic")
    topic = parse_topic_url(topic_param, base_url=base_url)
    lease: int | None = None
    secret: str | None = None
    if mode == "subscribe":
        raw_lease = values.get("hub.lease_seconds", "").strip()
        lease = leases.clamp(_whole(raw_lease, "hub.lease_seconds") if raw_lease else None)
        secret = _bounded(values.get("hub.secret"), "hub.secret", MAX_SECRET_BYTES)
    token = None
    if dialect == "pubsubhubbub-0.3":
        token = _bounded(values.get("hub.verify_token"), "hub.verify_token", MAX_VERIFY_TOKEN_BYTES)
    return SubscriptionRequest(
        mode=mode,
        dialect=dialect,
        callback=callback,
        topic_name=topic.name,
        topic=topic,
        topic_param=topic_param,
        lease_seconds=lease,
        verify=verify,
        secret=secret,
        verify_token=token,
    )


def _flickr_lease(raw: str | None, leases: LeasePolicy) -> tuple[int, bool]:
    text = (raw or "").strip()
    if not text:
        return leases.clamp(AUTO_RENEW_LEASE_SECONDS), True
    if (
        not (text.isascii() and text.isdigit())
        or len(text) > 6
        or not FLICKR_MIN_LEASE <= int(text) <= FLICKR_MAX_LEASE
    ):
        raise invalid("lease_seconds", f"must be from {FLICKR_MIN_LEASE} to {FLICKR_MAX_LEASE}")
    return leases.clamp(int(text)), False


def parse_flickr_request(
    args: Mapping[str, str],
    *,
    mode: Mode,
    user: str,
    leases: LeasePolicy = LeasePolicy(),
    allow: Sequence[IPNetwork] = (),
) -> SubscriptionRequest:
    """Read flickr.push.subscribe's (``mode="subscribe"``) or flickr.push.unsubscribe's
    arguments for the calling account ``user`` (its NSID). Raises
    :class:`SubscribeError` with Flickr's code: 1 for a missing argument, 2 for a bad
    one (:attr:`SubscribeError.flickr_message` is the ``stat=fail`` message)."""
    for argument in ("topic", "callback", "verify"):
        if not args.get(argument, "").strip():
            raise missing(argument)
    verify = args["verify"].strip().lower()
    if verify not in VERIFY_MODES:
        raise invalid("verify", "must be sync or async")
    callback = check_callback(
        args["callback"], allow=allow, max_length=FLICKR_MAX_CALLBACK_BYTES, argument="callback"
    )
    token = _bounded(args.get("verify_token"), "verify_token", MAX_VERIFY_TOKEN_BYTES)
    if mode == "unsubscribe":
        return SubscriptionRequest(
            mode=mode,
            dialect="flickr",
            callback=callback,
            topic_name=parse_topic_name(args["topic"]),
            topic=None,
            topic_param=args["topic"],
            lease_seconds=None,
            verify=verify,
            verify_token=token,
        )
    topic = make_topic(args["topic"], args, user=user)
    lease, auto_renew = _flickr_lease(args.get("lease_seconds"), leases)
    return SubscriptionRequest(
        mode=mode,
        dialect="flickr",
        callback=callback,
        topic_name=topic.name,
        topic=topic,
        topic_param=args["topic"],
        lease_seconds=lease,
        verify=verify,
        auto_renew=auto_renew,
        verify_token=token,
    )
