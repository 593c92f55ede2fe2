"""flickr.push.subscribe and unsubscribe as use cases (``POST /hub`` is push.hub).

A callback names one subscription of its user: used for another topic it is code 3;
changing a subscription still awaiting its verification (re-subscribing or
unsubscribing a pending one) is code 6; unsubscribing names it with the topic (else 7).
Verification of intent and denials are push.intent's, the limits push.limits'.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.domain.push_errors import (
    CALLBACK_FAILED,
    CALLBACK_IN_USE,
    NOT_FOUND,
    PENDING,
    SubscribeError,
)
from photohub.domain.topics import topic_url
from photohub.domain.websub import (
    SubscriptionRequest,
    parse_flickr_request,
)
from photohub.push.verify import (
    VerifyResult,
)
from photohub.store import subscriptions as subs
from photohub.store.db import utcnow

if TYPE_CHECKING:
    from photohub.site import Site

from photohub.push.intent import (
    ACTIVE,
    PENDING_STATE,
    enqueue_verification,
    verify_intent,
    verify_task_args,
)
from photohub.push.limits import (
    allow_list,
    check_capacity,
    check_rate,
    lease_policy,
)


def _in_use(callback: str) -> SubscribeError:
    return SubscribeError(
        CALLBACK_IN_USE,
        f"callback {callback} is already used for a different subscription",
        status=409,
        argument="callback",
    )


def _pending(callback: str) -> SubscribeError:
    return SubscribeError(
        PENDING,
        f"callback {callback}: the subscription is still awaiting its verification",
        status=409,
        argument="callback",
    )


def _not_verified(result: VerifyResult) -> SubscribeError:
    return SubscribeError(
        CALLBACK_FAILED, result.reason or "verification failed", argument="callback"
    )


async def subscribe(site: Site, user: RowMapping, args: Mapping[str, str]) -> int:
    """Subscribe ``user`` as flickr.push.subscribe does; returns the subscription id.
    Raises SubscribeError with Flickr's code."""
    user_id = int(user["id"])
    request = parse_flickr_request(
        args,
        mode="subscribe",
        user=str(user["nsid"]),
        leases=lease_policy(site),
        allow=allow_list(site),
    )
    assert request.topic is not None and request.lease_seconds is not None
    check_rate(site, request.callback, "callback")
    async with site.db.read() as conn:
        existing = await subs.by_callback(conn, user_id, request.callback)
        same_topic = existing is not None and existing["topic"] == topic_url(request.topic)
        if existing is not None and not same_topic and existing["state"] in subs.LIVE_STATES:
            raise _in_use(request.callback)
        if existing is not None and same_topic and existing["state"] == PENDING_STATE:
            raise _pending(request.callback)
        renewing = existing is not None and same_topic and existing["state"] == ACTIVE
        if not renewing:
            await check_capacity(conn, request.callback, "callback")
    ended = existing if existing is not None and not same_topic else None
    if request.verify == "sync":
        sent_at = utcnow()
        result = await verify_intent(
            site,
            "flickr",
            "subscribe",
            request.callback,
            request.topic_param,
            lease=request.lease_seconds,
            token=request.verify_token,
        )
        if not result.verified:
            raise _not_verified(result)
        async with site.db.write() as conn:
            if existing is not None and renewing:
                subscription_id = int(existing["id"])
                if await _renew_now(conn, subscription_id, request, sent_at):
                    return subscription_id
            subscription_id = await _save(conn, user_id, request, ended)
            await subs.mark_verified(conn, subscription_id, sent_at)
        return subscription_id
    async with site.db.write() as conn:
        if existing is not None and renewing:
            subscription_id = int(existing["id"])
            await enqueue_verification(conn, verify_task_args(subscription_id, request, renew=True))
        else:
            subscription_id = await _save(conn, user_id, request, ended)
            await enqueue_verification(conn, verify_task_args(subscription_id, request))
    await site.announce([], tasks_added=True)
    return subscription_id


async def _renew_now(
    conn: AsyncConnection, subscription_id: int, request: SubscriptionRequest, sent_at: datetime
) -> bool:
    """A sync re-subscription, verified: apply it to the active row (False when the row
    stopped being active meanwhile)."""
    assert request.lease_seconds is not None
    return await subs.renew(
        conn,
        subscription_id,
        lease_seconds=request.lease_seconds,
        verified_at=sent_at,
        secret=request.secret,
        verify_token=request.verify_token,
        dialect=request.dialect,
        auto_renew=request.auto_renew,
    )


async def _save(
    conn: AsyncConnection,
    user_id: int,
    request: SubscriptionRequest,
    ended: RowMapping | None = None,
) -> int:
    assert request.topic is not None and request.lease_seconds is not None
    if ended is not None:
        # The user's ended subscription with this callback and another topic: the
        # callback is free again (Flickr: one subscription per callback and user).
        await subs.delete(conn, int(ended["id"]))
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
    subscription (else code 7; still pending, code 6); the callback must agree (sync:
    now, else code 4; async: the task deletes the subscription once it has)."""
    user_id = int(user["id"])
    request = parse_flickr_request(
        args, mode="unsubscribe", user=str(user["nsid"]), allow=allow_list(site)
    )
    check_rate(site, request.callback, "callback")
    async with site.db.read() as conn:
        row = await subs.by_callback(conn, user_id, request.callback)
    if row is None or row["topic_name"] != request.topic_name:
        raise SubscribeError(
            NOT_FOUND,
            f"you have no {request.topic_name} subscription with callback {request.callback}",
            status=404,
            argument="callback",
        )
    if row["state"] == PENDING_STATE:
        raise _pending(request.callback)
    subscription_id = int(row["id"])
    if request.verify == "sync":
        result = await verify_intent(
            site,
            "flickr",
            "unsubscribe",
            request.callback,
            request.topic_param,
            lease=None,
            token=request.verify_token,
        )
        if not result.verified:
            raise _not_verified(result)
        async with site.db.write() as conn:
            await subs.delete(conn, subscription_id)
        return
    async with site.db.write() as conn:
        await enqueue_verification(conn, verify_task_args(subscription_id, request))
    await site.announce([], tasks_added=True)


# ---------------------------------------------------------------------------- leases
