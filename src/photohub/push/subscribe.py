"""flickr.push.subscribe and unsubscribe as use cases: validate, verify intent, store.

Flickr verified with sync or async GETs to the callback carrying unprefixed parameters
(``mode``, ``topic``, ``challenge``, ``verify_token``, ``lease_seconds``); ``topic`` is
the topic's name, as the subscriber wrote it. A sync request is answered only after
the callback echoed the challenge (else Flickr's code 4 and nothing becomes active);
an async one is stored ``pending`` and verified by the ``verify_subscription`` task,
retried with backoff while the callback fails. A callback names one subscription of
its user: used for another topic it is code 3; unsubscribing names it with the topic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import RowMapping

from photohub.domain.callbacks import IPNetwork, parse_allow_list
from photohub.domain.push_errors import (
    CALLBACK_FAILED,
    CALLBACK_IN_USE,
    NOT_FOUND,
    SubscribeError,
)
from photohub.domain.topics import topic_url
from photohub.domain.verification import new_challenge, verification_params
from photohub.domain.websub import Mode, SubscriptionRequest, parse_flickr_request
from photohub.push.verify import VerifyResult, verify_callback
from photohub.store import subscriptions as subs
from photohub.store.db import utcnow
from photohub.tasks import queue
from photohub.tasks.runner import PermanentError

if TYPE_CHECKING:
    from photohub.site import Site

VERIFY_TASK = "verify_subscription"
VERIFY_ATTEMPTS = 6  # with the queue's exponential backoff: about a minute of retries


def allow_list(site: Site) -> tuple[IPNetwork, ...]:
    """The networks of ``PHOTOHUB_PUSH_ALLOW``."""
    return parse_allow_list(site.settings.push_allow)


def _in_use(callback: str) -> SubscribeError:
    return SubscribeError(
        CALLBACK_IN_USE,
        f"callback {callback} is already used for a different subscription",
        status=409,
        argument="callback",
    )


async def _verify(
    site: Site, mode: Mode, callback: str, topic: str, lease: int | None, token: str | None
) -> VerifyResult:
    challenge = new_challenge()
    params = verification_params(
        "flickr", mode, topic, challenge, lease_seconds=lease, verify_token=token
    )
    return await verify_callback(callback, params, challenge, allow=allow_list(site))


async def subscribe(site: Site, user: RowMapping, args: Mapping[str, str]) -> int:
    """Subscribe ``user`` as flickr.push.subscribe does; returns the subscription id.
    Raises SubscribeError with Flickr's code."""
    user_id = int(user["id"])
    request = parse_flickr_request(
        args, mode="subscribe", user=str(user["nsid"]), allow=allow_list(site)
    )
    assert request.topic is not None and request.lease_seconds is not None
    async with site.db.read() as conn:
        existing = await subs.by_callback(conn, user_id, request.callback)
    if existing is not None and existing["topic"] != topic_url(request.topic):
        raise _in_use(request.callback)
    if request.verify == "sync":
        sent_at = utcnow()
        result = await _verify(
            site,
            "subscribe",
            request.callback,
            request.topic_param,
            request.lease_seconds,
            request.verify_token,
        )
        if not result.verified:
            raise SubscribeError(
                CALLBACK_FAILED, result.reason or "verification failed", argument="callback"
            )
        async with site.db.write() as conn:
            subscription_id = await _save(conn, user_id, request)
            await subs.mark_verified(conn, subscription_id, sent_at)
        return subscription_id
    async with site.db.write() as conn:
        subscription_id = await _save(conn, user_id, request)
        await queue.enqueue(
            conn,
            VERIFY_TASK,
            {"subscription_id": subscription_id, "mode": "subscribe"},
            max_attempts=VERIFY_ATTEMPTS,
        )
    await site.announce([], tasks_added=True)
    return subscription_id


async def _save(conn: Any, user_id: int, request: SubscriptionRequest) -> int:
    assert request.topic is not None and request.lease_seconds is not None
    subscription_id = await subs.save(
        conn,
        user_id=user_id,
        dialect="flickr",
        topic=request.topic,
        callback=request.callback,
        lease_seconds=request.lease_seconds,
        auto_renew=request.auto_renew,
        verify_token=request.verify_token,
    )
    if subscription_id is None:
        raise _in_use(request.callback)
    return subscription_id


async def unsubscribe(site: Site, user: RowMapping, args: Mapping[str, str]) -> None:
    """Unsubscribe as flickr.push.unsubscribe does: the callback and topic name the
    subscription (else code 7); the callback must agree (sync: now, else code 4;
    async: the task deletes the subscription once it has)."""
    user_id = int(user["id"])
    request = parse_flickr_request(
        args, mode="unsubscribe", user=str(user["nsid"]), allow=allow_list(site)
    )
    async with site.db.read() as conn:
        row = await subs.by_callback(conn, user_id, request.callback)
    if row is None or row["topic_name"] != request.topic_name:
        raise SubscribeError(
            NOT_FOUND,
            f"you have no {request.topic_name} subscription with callback {request.callback}",
            status=404,
            argument="callback",
        )
    subscription_id = int(row["id"])
    if request.verify == "sync":
        result = await _verify(
            site, "unsubscribe", request.callback, request.topic_param, None, request.verify_token
        )
        if not result.verified:
            raise SubscribeError(
                CALLBACK_FAILED, result.reason or "verification failed", argument="callback"
            )
        async with site.db.write() as conn:
            await subs.delete(conn, subscription_id)
        return
    task_args: dict[str, Any] = {
        "subscription_id": subscription_id,
        "mode": "unsubscribe",
        "topic": request.topic_param,
        "verify_token": request.verify_token,
    }
    async with site.db.write() as conn:
        await queue.enqueue(conn, VERIFY_TASK, task_args, max_attempts=VERIFY_ATTEMPTS)
    await site.announce([], tasks_added=True)


async def run_verification(site: Site, args: dict[str, Any]) -> None:
    """The ``verify_subscription`` task: verify a pending subscription (then make it
    active) or an unsubscription (then delete). A failure is recorded and raised, so
    the task is retried with backoff; a 404 (the subscriber says no) is final."""
    subscription_id = int(args["subscription_id"])
    mode: Mode = "unsubscribe" if args.get("mode") == "unsubscribe" else "subscribe"
    async with site.db.read() as conn:
        row = await subs.get(conn, subscription_id)
    if row is None or (mode == "subscribe" and row["state"] != "pending"):
        return  # gone, or verified meanwhile
    sent_at = utcnow()
    if mode == "subscribe":
        result = await _verify(
            site,
            mode,
            row["callback"],
            row["topic_name"],
            int(row["lease_seconds"]),
            row["verify_token"],
        )
    else:
        topic = str(args.get("topic") or row["topic_name"])
        result = await _verify(site, mode, row["callback"], topic, None, args.get("verify_token"))
    async with site.db.write() as conn:
        if result.verified:
            if mode == "subscribe":
                await subs.mark_verified(conn, subscription_id, sent_at)
            else:
                await subs.delete(conn, subscription_id)
            return
        reason = result.reason or "verification failed"
        await subs.record_failure(conn, subscription_id, f"{mode}: {reason}")
    if result.outcome == "refused":
        raise PermanentError(reason)
    raise RuntimeError(reason)
