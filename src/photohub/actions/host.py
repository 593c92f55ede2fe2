"""What the host changes: pausing uploads, moderation, wall pacing; and the check of
the host password, throttled against guessing."""

from __future__ import annotations

import hmac
import ipaddress
import time
import weakref
from dataclasses import dataclass

from photohub.actions.accounts import TooManyAttempts
from photohub.domain.errors import PhotohubError
from photohub.domain.throttle import Throttle
from photohub.site import HostState, Site, host_state_from
from photohub.store import events
from photohub.store import site as site_store

TRANSITIONS = ("fade", "slide", "none")

# Against guessing the host password: wrong ones per address, and from everywhere at
# once (many addresses), in 15 minutes. The laptop itself (loopback) is never held by
# the global count, so a flood from the network cannot lock the host out.
HOST_WINDOW = 15 * 60.0
HOST_ADDRESS_FAILURES = 10
HOST_GLOBAL_FAILURES = 100
_EVERYONE = "everyone"


@dataclass
class _HostThrottles:
    addresses: Throttle
    everyone: Throttle


_throttles: weakref.WeakKeyDictionary[Site, _HostThrottles] = weakref.WeakKeyDictionary()


def host_throttles(site: Site) -> _HostThrottles:
    """This process's failure counts of the host password for one site."""
    found = _throttles.get(site)
    if found is None:
        found = _throttles[site] = _HostThrottles(
            Throttle(HOST_ADDRESS_FAILURES, HOST_WINDOW),
            Throttle(HOST_GLOBAL_FAILURES, HOST_WINDOW, max_keys=1),
        )
    return found


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def check_host_password(site: Site, token: str, *, address: str) -> bool:
    """Whether ``token`` is the host password; ``TooManyAttempts`` (429, with the wait)
    when this address, or everyone together, guessed wrong too often lately: checked
    before the password, so a held guesser learns nothing."""
    limits = host_throttles(site)
    now = time.monotonic()
    key = "address:" + address
    wait = limits.addresses.retry_after(key, now)
    if not _is_loopback(address):
        wait = max(wait, limits.everyone.retry_after(_EVERYONE, now))
    if wait > 0:
        raise TooManyAttempts(wait)
    expected = site.admin_token.encode()
    if bool(token) and bool(expected) and hmac.compare_digest(token.encode(), expected):
        limits.addresses.reset(key)
        return True
    limits.addresses.fail(key, now)
    limits.everyone.fail(_EVERYONE, now)
    return False


async def set_uploads_paused(site: Site, paused: bool) -> HostState:
    """Pause or resume uploads; open upload pages switch at once (event stream)."""
    async with site.db.write() as conn:
        current = host_state_from(await site_store.get_all(conn), site.settings)
        if current.uploads_paused == paused:
            return current
        await site_store.put(conn, "uploads_paused", paused)
        event = await events.append(
            conn, "uploads.paused" if paused else "uploads.resumed", {"uploads_paused": paused}
        )
        state = host_state_from(await site_store.get_all(conn), site.settings)
    await site.announce([event])
    return state


async def configure(
    site: Site,
    *,
    moderation: bool | None = None,
    wall_interval: object = None,
    wall_transition: object = None,
) -> HostState:
    """Change moderation mode and wall pacing; walls pick it up live."""
    values: dict[str, object] = {}
    if moderation is not None:
        values["moderation"] = bool(moderation)
    if wall_interval is not None:
        try:
            interval = int(str(wall_interval))
        except ValueError:
            interval = 0
        if not 2 <= interval <= 600:
            raise PhotohubError("The interval must be a whole number of seconds from 2 to 600.")
        values["wall_interval"] = interval
    if wall_transition is not None:
        if wall_transition not in TRANSITIONS:
            raise PhotohubError("The transition must be one of: " + ", ".join(TRANSITIONS) + ".")
        values["wall_transition"] = wall_transition
    async with site.db.write() as conn:
        for key, value in values.items():
            await site_store.put(conn, key, value)
        state = host_state_from(await site_store.get_all(conn), site.settings)
        event = await events.append(conn, "settings.changed", state.as_dict())
    await site.announce([event])
    return state
