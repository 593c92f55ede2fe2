"""``POST /hub`` as a use case: W3C WebSub and PubSubHubbub 0.3 subscribe and
unsubscribe requests, read by domain.websub, stored and verified through push.intent
(the limits are push.limits').

Answers (the web handler turns them into HTTP):

* WebSub (§5.1.2): **202** for a valid request; verification of intent follows, by the
  ``verify_subscription`` task (§5.3). A bad request is a 4xx whose plain-text body says
  why and names the parameter (:class:`SubscribeError`'s ``status`` and ``reason``).
* PubSubHubbub 0.3 (§6.1.2): ``hub.verify=async`` is answered like WebSub, 202;
  ``hub.verify=sync`` verifies before answering: **204** once the callback agreed,
  **409** (the body says why) when it did not, and then nothing changes.
* Over the per-host request rate: 429 with Retry-After; over the per-host
  subscription cap: 403 (push.subscribe, "Limits").

``/hub`` subscriptions have no owning account (``user_id`` NULL); (topic, callback) is
their key (WebSub §8.3). A pair already held through flickr.push.subscribe is refused
with 409 (its owner must unsubscribe there).

Re-subscribing an active (topic, callback) keeps the subscription (same id, same
delivery queue) and applies the new lease and secret once verified (WebSub §5.1); a
pending one is replaced.

Unsubscribing a (topic, callback) that has no ``/hub`` subscription: WebSub §5.3 has the
hub verify the intent of a request so that nobody can end someone else's subscription;
when there is none, there is nothing to protect and nothing to do. The hub then answers
as for a real one (202; 204 for 0.3 sync, the state the subscriber asked for holds) and
sends no request at all, so ``POST /hub`` cannot be used to make the hub GET arbitrary
URLs, and the answer does not tell whether a callback is subscribed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.domain.push_errors import CALLBACK_IN_USE, SubscribeError
from photohub.domain.websub import (
    ACCEPTED,
    VERIFICATION_FAILED,
    VERIFIED,
    SubscriptionRequest,
    parse_hub_request,
)
from photohub.push.intent import ACTIVE, enqueue_verification, verify_intent, verify_task_args
from photohub.push.limits import allow_list, check_capacity, check_rate, lease_policy
from photohub.store import subscriptions as subs
from photohub.store.db import utcnow

if TYPE_CHECKING:
    from photohub.site import Site

ARGUMENT = "hub.callback"


@dataclass(frozen=True)
class HubAnswer:
    """What ``POST /hub`` answers a valid request: a status and a plain-text body
    (empty for 204)."""

    status: int
    text: str = ""


ACCEPTED_ANSWER = HubAnswer(ACCEPTED, "Accepted: the hub verifies the request with the callback.")


def _taken(request: SubscriptionRequest) -> SubscribeError:
    return SubscribeError(
        CALLBACK_IN_USE,
        f"{ARGUMENT} {request.callback} is subscribed to this topic through "
        "flickr.push.subscribe; unsubscribe it there first",
        status=409,
        argument=ARGUMENT,
    )


def _not_verified(reason: str | None) -> HubAnswer:
    return HubAnswer(
        VERIFICATION_FAILED,
        f"{ARGUMENT} did not verify the request: {reason or 'verification failed'}",
    )


async def handle(site: Site, params: Iterable[tuple[str, str]]) -> HubAnswer:
    """Handle one ``POST /hub`` form (every pair, in order). Raises SubscribeError
    (RateLimited among them) for a request the hub does not take."""
    request = parse_hub_request(
        params,
        leases=lease_policy(site),
        allow=allow_list(site),
        base_url=site.settings.public_url or None,
    )
    assert request.topic is not None
    check_rate(site, request.callback, ARGUMENT)
    async with site.db.read() as conn:
        row = await subs.by_topic_callback(conn, request.topic, request.callback)
    if row is not None and row["user_id"] is not None:
        if request.mode == "subscribe":
            raise _taken(request)
        row = None  # not a /hub subscription: as if there were none
    if request.mode == "subscribe":
        return await _subscribe(site, request, row)
    return await _unsubscribe(site, request, row)


async def _subscribe(site: Site, request: SubscriptionRequest, row: RowMapping | None) -> HubAnswer:
    assert request.topic is not None and request.lease_seconds is not None
    renewing = row is not None and row["state"] == ACTIVE
    if row is None or row["state"] in subs.ENDED_STATES:
        async with site.db.read() as conn:
            await check_capacity(conn, request.callback, ARGUMENT)
    if request.verify == "sync":
        sent_at = utcnow()
        result = await verify_intent(
            site,
            request.dialect,
            "subscribe",
            request.callback,
            request.topic_param,
            lease=request.lease_seconds,
            token=request.verify_token,
        )
        if not result.verified:
            return _not_verified(result.reason)
        async with site.db.write() as conn:
            if row is not None and renewing:
                renewed = await subs.renew(
                    conn,
                    int(row["id"]),
                    lease_seconds=request.lease_seconds,
                    verified_at=sent_at,
                    secret=request.secret,
                    verify_token=request.verify_token,
                    dialect=request.dialect,
                )
                if renewed:
                    return HubAnswer(VERIFIED)
            subscription_id = await _save(conn, request)
            await subs.mark_verified(conn, subscription_id, sent_at)
        return HubAnswer(VERIFIED)
    async with site.db.write() as conn:
        if row is not None and renewing:
            args = verify_task_args(int(row["id"]), request, renew=True)
        else:
            args = verify_task_args(await _save(conn, request), request)
        await enqueue_verification(conn, args)
    await site.announce([], tasks_added=True)
    return ACCEPTED_ANSWER


async def _save(conn: AsyncConnection, request: SubscriptionRequest) -> int:
    assert request.topic is not None and request.lease_seconds is not None
    subscription_id = await subs.save(
        conn,
        user_id=None,
        dialect=request.dialect,
        topic=request.topic,
        callback=request.callback,
        lease_seconds=request.lease_seconds,
        verify_token=request.verify_token,
        secret=request.secret,
    )
    if subscription_id is None:
        raise _taken(request)
    return subscription_id


async def _unsubscribe(
    site: Site, request: SubscriptionRequest, row: RowMapping | None
) -> HubAnswer:
    if row is None:
        return HubAnswer(VERIFIED) if request.verify == "sync" else ACCEPTED_ANSWER
    subscription_id = int(row["id"])
    if request.verify == "sync":
        result = await verify_intent(
            site,
            request.dialect,
            "unsubscribe",
            request.callback,
            request.topic_param,
            lease=None,
            token=request.verify_token,
        )
        if not result.verified:
            return _not_verified(result.reason)
        async with site.db.write() as conn:
            await subs.delete(conn, subscription_id)
        return HubAnswer(VERIFIED)
    async with site.db.write() as conn:
        await enqueue_verification(conn, verify_task_args(subscription_id, request))
    await site.announce([], tasks_added=True)
    return ACCEPTED_ANSWER
