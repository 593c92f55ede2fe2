"""Verification of intent, for all three dialects, and ``hub.mode=denied`` notices.

Verification (WebSub §5.3, PubSubHubbub 0.3 §6.2, Flickr): a GET to the callback with
``hub.*`` names (WebSub, 0.3; 0.3 also gets ``hub.verify_token`` echoed) or Flickr's
unprefixed ``mode``, ``topic``, ``challenge``, ``verify_token``, ``lease_seconds``;
``topic`` is exactly what the subscriber sent (a topic URL, or Flickr's topic name). A
sync request is answered only after the callback echoed the challenge; an async one is
verified by the ``verify_subscription`` task, retried with backoff while the callback
fails and given up after a 404 (the subscriber says no). The topic as sent travels in
the task's arguments (the row keeps the canonical URL).

Re-subscribing (any dialect) an active (topic, callback) keeps its row, id and delivery
queue; the new lease, secret and token take effect once the re-subscription is verified
(WebSub §5.1: a re-subscription "MUST" be treated as a renewal, with the new lease and
secret). Until then, and if it fails, the subscription goes on as it was. A pending or
ended row is replaced.

The hub refuses, after having accepted a request, when at verification time the
callback's host resolves to an address it does not call, or the host already has
``SUBSCRIPTIONS_PER_HOST`` active subscriptions: the row becomes ``denied`` and a
WebSub subscriber is sent ``hub.mode=denied`` (§5.2; 0.3 and Flickr define no notice).
A lease that ends without renewal is not a denial and sends nothing.

The reasons a subscriber reads (``POST /hub`` answers, getSubscriptions, the stored
error) never name an address the callback's host resolved to: push.http's words. The
log gets the detail, in one line: a callback that fails is an expected outcome, not a
bug, so the ``verify_subscription`` task raises RetryLater (or PermanentError for a
404) and the runner logs its message, which names the subscription and callback host.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.domain.verification import (
    callback_with_params,
    denied_params,
    new_challenge,
    verification_params,
)
from photohub.domain.websub import (
    Dialect,
    Mode,
    SubscriptionRequest,
)
from photohub.push.http import AddressRefused, CallbackFailed, checked_addresses
from photohub.push.verify import VerifyResult, fetch, verify_callback
from photohub.store import subscriptions as subs
from photohub.store.db import utcnow
from photohub.tasks import queue
from photohub.tasks.runner import PermanentError, RetryLater

if TYPE_CHECKING:
    from photohub.site import Site

from photohub.push.limits import (
    SUBSCRIPTIONS_PER_HOST,
    allow_list,
    callback_host,
    over_capacity,
)

log = logging.getLogger("photohub.push")

VERIFY_TASK = "verify_subscription"
VERIFY_ATTEMPTS = 6  # with the queue's exponential backoff: about a minute of retries
ACTIVE, PENDING_STATE = "active", "pending"
DIALECTS: tuple[Dialect, ...] = ("websub", "pubsubhubbub-0.3", "flickr")


async def verify_intent(
    site: Site,
    dialect: Dialect,
    mode: Mode,
    callback: str,
    topic: str,
    *,
    lease: int | None,
    token: str | None,
    quiet: bool = False,
) -> VerifyResult:
    """Send one verification GET in the dialect's names and judge the answer. A
    failure is logged in one line with its detail (unless ``quiet``: the task's runner
    logs it)."""
    challenge = new_challenge()
    params = verification_params(
        dialect, mode, topic, challenge, lease_seconds=lease, verify_token=token
    )
    result = await verify_callback(
        callback, params, challenge, allow=allow_list(site), wait=site.settings.push_timeout
    )
    if not result.verified and not quiet:
        log.info(
            "push %s verification for callback host %s failed: %s",
            mode,
            callback_host(callback),
            result.detail or result.reason,
        )
    return result


def verify_task_args(
    subscription_id: int,
    request: SubscriptionRequest,
    *,
    renew: bool = False,
) -> dict[str, Any]:
    """The ``verify_subscription`` arguments for a request: the topic as the subscriber
    sent it, its dialect and token and, for the re-subscription of an active row, the
    lease and secret to apply once verified."""
    args: dict[str, Any] = {
        "subscription_id": subscription_id,
        "mode": request.mode,
        "topic": request.topic_param,
        "dialect": request.dialect,
        "verify_token": request.verify_token,
    }
    if renew:
        args["renew"] = {
            "lease_seconds": request.lease_seconds,
            "secret": request.secret,
            "auto_renew": request.auto_renew,
        }
    return args


def renewal_task_args(row: RowMapping, topic: str) -> dict[str, Any]:
    """The hub's own renewal of an auto-renewing subscription: its stored values again."""
    return {
        "subscription_id": int(row["id"]),
        "mode": "subscribe",
        "topic": topic,
        "dialect": row["dialect"],
        "verify_token": row["verify_token"],
        "renew": {
            "lease_seconds": int(row["lease_seconds"]),
            "secret": row["secret"],
            "auto_renew": True,
            "by_hub": True,
        },
    }


def stored_topic(site: Site, row: RowMapping) -> str:
    """The topic to name in a request the subscriber did not just make: Flickr's topic
    name, or the canonical topic URL (absolute under PHOTOHUB_PUBLIC_URL when set)."""
    if row["dialect"] == "flickr":
        return str(row["topic_name"])
    return site.settings.public_url.rstrip("/") + str(row["topic"])


async def enqueue_verification(conn: AsyncConnection, args: dict[str, Any]) -> None:
    await queue.enqueue(conn, VERIFY_TASK, args, max_attempts=VERIFY_ATTEMPTS)


async def run_verification(site: Site, args: dict[str, Any]) -> None:
    """The ``verify_subscription`` task: verify a pending subscription (then make it
    active, unless the hub denies it), a re-subscription or renewal of an active one
    (then renew it), or an unsubscription (then delete). A failure is recorded and
    raised, so the task is retried with backoff; a 404 (the subscriber says no) is
    final."""
    subscription_id = int(args["subscription_id"])
    async with site.db.read() as conn:
        row = await subs.get(conn, subscription_id)
    if row is None:
        return  # gone meanwhile
    if args.get("mode") == "unsubscribe":
        await _verify_unsubscribe(site, row, args)
    elif args.get("renew") is not None:
        if row["state"] == ACTIVE:
            await _verify_renewal(site, row, args)
    elif row["state"] == PENDING_STATE:
        await _verify_new(site, row, args)


def _topic_of(site: Site, row: RowMapping, args: Mapping[str, Any]) -> str:
    return str(args.get("topic") or stored_topic(site, row))


def _dialect_of(row: RowMapping, args: Mapping[str, Any]) -> Dialect:
    value = args.get("dialect") or row["dialect"]
    for dialect in DIALECTS:
        if value == dialect:
            return dialect
    raise PermanentError(f"unknown dialect {value!r}")


async def _failed(site: Site, row: RowMapping, result: VerifyResult, label: str) -> NoReturn:
    """Record why a verification failed (the subscriber's words) and end the task: for
    good after a 404, else to be retried; its message (the log's line) names the
    subscription, the callback's host and the detail."""
    reason = result.reason or "verification failed"
    async with site.db.write() as conn:
        await subs.record_failure(conn, int(row["id"]), f"{label}{reason}")
    line = (
        f"push subscription {row['id']} (callback host {callback_host(str(row['callback']))})"
        f": {label}{result.detail or reason}"
    )
    if result.outcome == "refused":
        raise PermanentError(line)
    raise RetryLater(line)


async def _verify_new(site: Site, row: RowMapping, args: Mapping[str, Any]) -> None:
    topic = _topic_of(site, row, args)
    refusal = await _refusal(site, row)
    if refusal is not None:
        await deny(site, row, topic, *refusal)
        return
    sent_at = utcnow()
    result = await verify_intent(
        site,
        row["dialect"],
        "subscribe",
        row["callback"],
        topic,
        lease=int(row["lease_seconds"]),
        token=row["verify_token"],
        quiet=True,
    )
    if not result.verified:
        await _failed(site, row, result, "subscribe: ")
    async with site.db.write() as conn:
        await subs.mark_verified(conn, int(row["id"]), sent_at)


async def _refusal(site: Site, row: RowMapping) -> tuple[str, str] | None:
    """Why the hub refuses a pending subscription it had accepted, checked before its
    verification request is sent: the callback's host resolves to a refused address,
    or already has SUBSCRIPTIONS_PER_HOST active subscriptions. None when neither;
    else the reason in the subscriber's words, and in the log's."""
    callback = str(row["callback"])
    refused = await refused_callback(site, callback)
    if refused is not None:
        return str(refused), refused.detail
    host = callback_host(callback)
    async with site.db.read() as conn:
        others = await subs.count_for_host(conn, host, states=(ACTIVE,), exclude=int(row["id"]))
    if others < SUBSCRIPTIONS_PER_HOST:
        return None
    argument = "callback" if row["dialect"] == "flickr" else "hub.callback"
    reason = over_capacity(argument, host).reason
    return reason, reason


async def _verify_renewal(site: Site, row: RowMapping, args: Mapping[str, Any]) -> None:
    renewal: Mapping[str, Any] = args["renew"]
    dialect = _dialect_of(row, args)
    lease = int(renewal["lease_seconds"])
    token = args.get("verify_token")
    sent_at = utcnow()
    result = await verify_intent(
        site,
        dialect,
        "subscribe",
        row["callback"],
        _topic_of(site, row, args),
        lease=lease,
        token=token,
        quiet=True,
    )
    if not result.verified:
        label = subs.RENEWAL_FAILED if renewal.get("by_hub") else "re-subscribe: "
        await _failed(site, row, result, label)
    async with site.db.write() as conn:
        await subs.renew(
            conn,
            int(row["id"]),
            lease_seconds=lease,
            verified_at=sent_at,
            secret=renewal.get("secret"),
            verify_token=token,
            dialect=dialect,
            auto_renew=bool(renewal.get("auto_renew")),
        )


async def _verify_unsubscribe(site: Site, row: RowMapping, args: Mapping[str, Any]) -> None:
    result = await verify_intent(
        site,
        _dialect_of(row, args),
        "unsubscribe",
        row["callback"],
        _topic_of(site, row, args),
        lease=None,
        token=args.get("verify_token"),
        quiet=True,
    )
    if not result.verified:
        await _failed(site, row, result, "unsubscribe: ")
    async with site.db.write() as conn:
        await subs.delete(conn, int(row["id"]))


async def refused_callback(site: Site, callback: str) -> AddressRefused | None:
    """Why the hub will not call this callback's host now (it resolves to an address
    the policy refuses), or None. A name that does not resolve is not a refusal: the
    verification then fails and is retried."""
    parts = urlsplit(callback)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        await checked_addresses(host, port, allow_list(site))
    except AddressRefused as exc:
        return exc
    except (OSError, ValueError):
        return None
    return None


# ---------------------------------------------------------------------------- denied


async def deny(
    site: Site, row: RowMapping, topic: str, reason: str, detail: str | None = None
) -> None:
    """Refuse or end a subscription: state ``denied`` and, for a WebSub subscriber,
    the ``hub.mode=denied`` notice (WebSub §5.2) naming ``topic`` as it subscribed.
    ``reason`` is stored and sent; ``detail`` (default: the reason) is logged."""
    log.info(
        "push subscription %s (callback host %s) denied: %s",
        row["id"],
        callback_host(str(row["callback"])),
        detail or reason,
    )
    async with site.db.write() as conn:
        await subs.deny(conn, int(row["id"]), f"denied: {reason}", utcnow())
    if row["dialect"] == "websub":
        await send_denied(site, str(row["callback"]), topic, reason)


async def send_denied(site: Site, callback: str, topic: str, reason: str) -> None:
    """GET the callback with ``hub.mode=denied``, ``hub.topic`` and ``hub.reason``
    through the checked client. WebSub asks nothing of the answer: failures are
    logged and otherwise ignored."""
    url = callback_with_params(callback, denied_params(topic, reason))
    wait = site.settings.push_timeout
    try:
        status, _ = await fetch(url, allow=allow_list(site), wait=wait)
    except CallbackFailed as exc:
        log.warning("denied notice to %s not delivered: %s", callback_host(callback), exc.detail)
        return
    if not 200 <= status <= 299:
        log.info("denied notice to %s answered HTTP %d", callback_host(callback), status)


# ---------------------------------------------------------------------- flickr.push
