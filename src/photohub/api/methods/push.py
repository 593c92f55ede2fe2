"""flickr.push.*: subscribing to the push hub's topics the way Flickr's API did.

Subscriptions are verified by a GET to the callback with unprefixed ``mode``,
``topic``, ``challenge``, ``verify_token`` and ``lease_seconds`` (photohub.push.verify);
deliveries come later (docs/push.md). Every argument is read as text and checked by
domain.websub, so a bad one gets Flickr's own code (1 missing, 2 invalid) rather than
the generic argument codes."""

from __future__ import annotations

import time

from photohub.api.args import Arg, Text
from photohub.api.call import Call
from photohub.api.errors import ApiError
from photohub.api.listing import unix_text
from photohub.api.photolist import unix
from photohub.api.registry import Result, registry
from photohub.broker.queues import QueueState
from photohub.domain import stream_urls
from photohub.domain.push_errors import (
    FLICKR_MESSAGES,
    INVALID_PARAMETER_VALUE,
    PRO_ONLY,
    REQUIRED_PARAMETER_MISSING,
    SubscribeError,
    missing,
)
from photohub.domain.topics import DISPLAY_NAMES, TOPIC_NAMES, make_topic, topic_url
from photohub.push import subscribe as push
from photohub.store import subscriptions as subs

ERRORS = tuple((code, message) for code, message in FLICKR_MESSAGES.items() if code != PRO_ONLY)
SUBSCRIBE_ERRORS = tuple(e for e in ERRORS if e[0] != 7)
UNSUBSCRIBE_ERRORS = tuple(e for e in ERRORS if e[0] != 3)

REQUEST_ARGS = (
    Arg("topic", Text(100), doc="The topic, one of flickr.push.getTopics' names."),
    Arg("callback", Text(4096), doc="The URL the hub calls; at most 255 bytes."),
    Arg("verify", Text(20), doc="sync or async: when the hub verifies the callback."),
    Arg("verify_token", Text(4096), doc="Echoed to the callback when verifying; 200 bytes."),
)
TOPIC_ARGS = (
    Arg("lease_seconds", Text(20), doc="60 to 86400; left out, the subscription auto-renews."),
    Arg("woe_ids", Text(4096), doc="geo: comma-separated Where on Earth ids."),
    Arg("place_ids", Text(4096), doc="geo: comma-separated place ids."),
    Arg("lat", Text(40), doc="geo: latitude of the circle's centre."),
    Arg("lon", Text(40), doc="geo: longitude of the circle's centre."),
    Arg("radius", Text(40), doc="geo: radius, 5 km by default, at most 32 km or 20 mi."),
    Arg("radius_units", Text(10), doc="geo: km (default) or mi."),
    Arg("accuracy", Text(10), doc="geo: least accuracy, 1-16 (default 1)."),
    Arg("nsids", Text(4096), doc="commons: comma-separated institution NSIDs; none = all."),
    Arg("tags", Text(4096), doc="tags: comma-separated tags, any of which matches."),
)


def _given(call: Call) -> dict[str, str]:
    return {name: value for name, value in call.args.items() if isinstance(value, str)}


def _api_error(exc: SubscribeError) -> ApiError:
    return ApiError(exc.code, exc.flickr_message)


@registry.method(
    "flickr.push.getTopics",
    "Returns the topics one can subscribe to with flickr.push.subscribe.",
)
async def get_topics(call: Call) -> Result:
    topics = [{"name": name, "display_name": DISPLAY_NAMES[name]} for name in TOPIC_NAMES]
    return {"topics": {"topic": topics}}


@registry.method(
    "flickr.push.subscribe",
    "Subscribes the calling user to a push topic, after verifying the callback.",
    args=REQUEST_ARGS + TOPIC_ARGS,
    errors=SUBSCRIBE_ERRORS,
    perms="write",
    description="verify=sync answers once the callback echoed the challenge (else 4); "
    "verify=async answers at once and verifies in the background, retrying with backoff.",
)
async def subscribe(call: Call) -> Result:
    user = call.require_user("write")
    try:
        await push.subscribe(call.site, user, _given(call))
    except SubscribeError as exc:
        raise _api_error(exc) from None
    return {}


@registry.method(
    "flickr.push.unsubscribe",
    "Ends a push subscription of the calling user, after verifying the callback.",
    args=REQUEST_ARGS,
    errors=UNSUBSCRIBE_ERRORS,
    perms="write",
)
async def unsubscribe(call: Call) -> Result:
    user = call.require_user("write")
    try:
        await push.unsubscribe(call.site, user, _given(call))
    except SubscribeError as exc:
        raise _api_error(exc) from None
    return {}


@registry.method(
    "flickr.push.getSubscriptions",
    "Returns the calling user's push subscriptions.",
    perms="read",
    description="Flickr's fields plus photohub's: state, topic_url, last_verify_error, "
    "and the deliveries: queue_depth (entries waiting), delivery_attempts (failures in a "
    "row), last_success and last_failure (Unix times, 0 for never), last_failure_reason, "
    "next_attempt (when a backed-off queue is tried again, 0 when none is waiting).",
)
async def get_subscriptions(call: Call) -> Result:
    user = call.require_user("read")
    async with call.site.db.read() as conn:
        rows = await subs.of_user(conn, int(user["id"]))
    states = await call.site.queues.states([int(row["id"]) for row in rows])
    listed = []
    for row in rows:
        state = states.get(int(row["id"]), QueueState())
        created = unix(row["created_at"]) or 0
        listed.append(
            {
                "topic": row["topic_name"],
                "callback": row["callback"],
                "pending": int(row["state"] == "pending"),
                "date_create": str(created),
                # As requested: 0 for an auto-renewing subscription (none was given).
                "lease_seconds": 0 if row["auto_renew"] else int(row["lease_seconds"]),
                "expiry": unix_text(row["expires_at"]) or "0",
                "verify_attempts": int(row["verify_attempts"]),
                "state": row["state"],
                "topic_url": call.base_url + row["topic"],
                "last_verify_error": row["last_verify_error"] or "",
                "queue_depth": state.depth,
                "delivery_attempts": state.attempts,
                "last_success": unix_text(state.last_success_at) or "0",
                "last_failure": unix_text(state.last_failure_at) or "0",
                "last_failure_reason": state.last_failure or "",
                "next_attempt": unix_text(state.due_at) or "0",
            }
        )
    return {"subscriptions": {"subscription": listed}}


STREAM_ARGS = (
    REQUEST_ARGS[0],
    *(arg for arg in TOPIC_ARGS if arg.name != "lease_seconds"),
    Arg(
        "expires_in",
        Text(20),
        doc=f"Seconds the URL stays valid, {stream_urls.MIN_EXPIRES_IN} to "
        f"{stream_urls.MAX_EXPIRES_IN} (default {stream_urls.DEFAULT_EXPIRES_IN}).",
    ),
)
STREAM_ERRORS = tuple(
    e for e in ERRORS if e[0] in (REQUIRED_PARAMETER_MISSING, INVALID_PARAMETER_VALUE)
)


@registry.method(
    "flickr.push.getStreamUrl",
    "Returns a signed URL of a topic's live stream (Server-Sent Events); a photohub extension.",
    args=STREAM_ARGS,
    errors=STREAM_ERRORS,
    perms="read",
    description="Flickr had no such method. The topic and its "
    "arguments are flickr.push.subscribe's (a personal topic is the caller's own). A GET "
    "of the URL with Accept: text/event-stream (what EventSource sends) streams the "
    "topic's entries as they happen, with no callback server; it needs no other "
    "credentials until it expires, so keep it private. Answers url (absolute), expires "
    "(Unix time) and topic_url (the canonical topic URL).",
)
async def get_stream_url(call: Call) -> Result:
    user = call.require_user("read")
    given = _given(call)
    try:
        if not given.get("topic", "").strip():
            raise missing("topic")
        topic = make_topic(given["topic"], given, user=str(user["nsid"]))
        expires_in = stream_urls.parse_expires_in(given.get("expires_in"))
    except SubscribeError as exc:
        raise _api_error(exc) from None
    site = call.site
    expires = int(time.time()) + expires_in
    url = stream_urls.signed_url(site.base_url, topic, expires, site.secret_key)
    return {
        "stream": {
            "url": url,
            "expires": str(expires),
            "topic_url": topic_url(topic, site.base_url),
        }
    }
