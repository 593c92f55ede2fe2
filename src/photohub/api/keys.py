"""API keys, checked on every call: answered from a small per-process cache.

A key's app is read from the database at most once per ``TTL`` seconds per process
(unknown keys too, so a flood of bad keys does not reach the database). A key removed
in this process is forgotten at once; other processes notice within ``TTL``.
"""

from __future__ import annotations

import time
import weakref

from photohub.site import Site
from photohub.store import apps

TTL = 30.0
MAX_KEYS = 10_000


class KeyCache:
    def __init__(self, site: Site, ttl: float = TTL) -> None:
        self._site = site
        self._ttl = ttl
        self._known: dict[str, tuple[float, int | None]] = {}

    async def app_id(self, api_key: str) -> int | None:
        """The id of the app with this key, or None when there is none."""
        now = time.monotonic()
        hit = self._known.get(api_key)
        if hit is not None and hit[0] > now:
            return hit[1]
        async with self._site.db.read() as conn:
            app = await apps.by_api_key(conn, api_key)
        if len(self._known) >= MAX_KEYS:
            self._known.clear()
        found = None if app is None else int(app["id"])
        self._known[api_key] = (now + self._ttl, found)
        return found

    def forget(self, api_key: str) -> None:
        self._known.pop(api_key, None)


_caches: weakref.WeakKeyDictionary[Site, KeyCache] = weakref.WeakKeyDictionary()


def keys_of(site: Site) -> KeyCache:
    cache = _caches.get(site)
    if cache is None:
        cache = _caches[site] = KeyCache(site)
    return cache
