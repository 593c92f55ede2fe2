"""The hub's limits, per callback host (its name or address, any port; docs/push.md,
"Limits"): :data:`SUBSCRIBE_REQUESTS_PER_HOST` subscribe or unsubscribe requests per
:data:`SUBSCRIBE_WINDOW_SECONDS` (each can make the hub send a GET; counted per process,
in memory, like domain.throttle says), and :data:`SUBSCRIPTIONS_PER_HOST` pending or
active subscriptions. Over the rate, ``POST /hub`` answers 429 with Retry-After and
Flickr code 2 (flickr.push has no rate-limit code; 2, "Invalid parameter value", is its
catch-all for a request it will not take, and the message says to try again later);
over the cap, 403 and code 2. Also the site's allow-list and lease bounds.
"""

from __future__ import annotations

import math
import time
import weakref
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.domain.callbacks import IPNetwork, parse_allow_list
from photohub.domain.push_errors import (
    FORBIDDEN,
    INVALID_PARAMETER_VALUE,
    SubscribeError,
)
from photohub.domain.throttle import Throttle
from photohub.domain.websub import (
    LeasePolicy,
)
from photohub.store import subscriptions as subs

if TYPE_CHECKING:
    from photohub.site import Site


SUBSCRIBE_REQUESTS_PER_HOST = 30
SUBSCRIBE_WINDOW_SECONDS = 60.0
SUBSCRIPTIONS_PER_HOST = 1_000


def allow_list(site: Site) -> tuple[IPNetwork, ...]:
    """The networks of ``PHOTOHUB_PUSH_ALLOW``."""
    return parse_allow_list(site.settings.push_allow)


def lease_policy(site: Site) -> LeasePolicy:
    """The leases the hub grants (PHOTOHUB_PUSH_LEASE_MIN, _DEFAULT, _MAX)."""
    s = site.settings
    return LeasePolicy(s.push_lease_min, s.push_lease_default, s.push_lease_max)


def callback_host(callback: str) -> str:
    """The host a callback names, lower case (IPv6 without brackets): what the limits
    count by."""
    return (urlsplit(callback).hostname or "").lower()


# ---------------------------------------------------------------------------- limits


class RateLimited(SubscribeError):
    """Too many subscription requests for one callback host: HTTP 429 with
    ``retry_after`` seconds, Flickr code 2."""

    def __init__(self, argument: str, host: str, retry_after: int) -> None:
        super().__init__(
            INVALID_PARAMETER_VALUE,
            f"{argument}: the host {host} has had {SUBSCRIBE_REQUESTS_PER_HOST} subscription "
            f"requests in the last {SUBSCRIBE_WINDOW_SECONDS:g} s, this hub's limit; "
            f"try again in {retry_after} s",
            status=429,
            argument=argument,
        )
        self.retry_after = retry_after


# One request counter per site (tests run many sites in one process).
_throttles: weakref.WeakKeyDictionary[Site, Throttle] = weakref.WeakKeyDictionary()


def check_rate(site: Site, callback: str, argument: str) -> None:
    """Count a subscription request for the callback's host; raise RateLimited when the
    host already had its share in the window."""
    throttle = _throttles.get(site)
    if throttle is None:
        throttle = Throttle(SUBSCRIBE_REQUESTS_PER_HOST, SUBSCRIBE_WINDOW_SECONDS)
        _throttles[site] = throttle
    host, now = callback_host(callback), time.monotonic()
    wait = throttle.retry_after(host, now)
    if wait > 0:
        raise RateLimited(argument, host, max(1, math.ceil(wait)))
    throttle.fail(host, now)


def over_capacity(argument: str, host: str) -> SubscribeError:
    return SubscribeError(
        INVALID_PARAMETER_VALUE,
        f"{argument}: the host {host} already has {SUBSCRIPTIONS_PER_HOST} subscriptions, "
        "this hub's limit per callback host",
        status=FORBIDDEN,
        argument=argument,
    )


async def check_capacity(conn: AsyncConnection, callback: str, argument: str) -> None:
    """Refuse a new subscription when its callback host has SUBSCRIPTIONS_PER_HOST
    pending or active ones."""
    host = callback_host(callback)
    if await subs.count_for_host(conn, host) >= SUBSCRIPTIONS_PER_HOST:
        raise over_capacity(argument, host)


# ---------------------------------------------------------------------- verification
