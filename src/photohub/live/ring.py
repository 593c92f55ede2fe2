"""The recent events of this process, encoded, for streams that resume.

A wall that (re)connects with ``last_event_id=N`` needs every event after N that its
viewer may see. When N is recent, those events are here, as the very bytes the hub
already wrote to the live streams, so the resume costs no query: a storm of thousands of
walls reconnecting after a restart costs a list slice each (docs/live.md, "Resuming").

The ring is *complete* for the ids in (``floor``, ``top``]: the hub adds events strictly
in id order and only once every lower id is known (``live/hub.py``), so a resume after
any N >= ``floor`` misses nothing. Older gaps are read from the outbox
(``live/history.py``).

Privacy is judged now, not when an event was stored: a public ``photo.deleted`` (the
photo was deleted, made non-public, had its safety level raised or was replaced) turns
every older public entry about that photo into a tombstone, so a resume from memory never
replays a title or a rendition URL the public may no longer see. Public entries carry no
location, and the owner's and host's entries stay as they are: both see the photo in
every state (a deleted photo's own ``photo.deleted`` follows them).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

from photohub.domain.privacy import PUBLIC, PUSH
from photohub.live.frames import TOMBSTONE, LiveEvent, tombstone


class EventRing:
    def __init__(self, capacity: int = 4096) -> None:
        if capacity < 1:
            raise ValueError("the ring holds at least one event")
        self.capacity = capacity
        self.floor = 0  # complete for ids above this ...
        self.top = 0  # ... up to this one
        self._ids: list[int] = []  # ascending; entries before ``_start`` are evicted
        self._start = 0
        self._entries: dict[int, LiveEvent] = {}
        self._public_by_photo: dict[int, list[int]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def reset(self, floor: int, recent: Iterable[LiveEvent] = ()) -> None:
        """Start over, complete above ``floor`` with ``recent`` (ascending ids)."""
        self._ids, self._start = [], 0
        self._entries.clear()
        self._public_by_photo.clear()
        self.floor = self.top = floor
        for live in recent:
            self.add(live)

    def covers(self, after: int) -> bool:
        """Does the ring hold every event after ``after`` (that it has seen at all)?"""
        return after >= self.floor

    def add(self, live: LiveEvent) -> None:
        """The next event, in id order (the caller guarantees every lower id came first)."""
        event = live.event
        if event.id <= self.top:
            return
        self.top = event.id
        if event.audience == PUSH:  # never on a stream: no room taken
            return
        if event.photo_id is not None and event.audience == PUBLIC:
            if event.kind == TOMBSTONE:
                self.withdraw(event.photo_id)
            else:
                self._public_by_photo.setdefault(event.photo_id, []).append(event.id)
        self._ids.append(event.id)
        self._entries[event.id] = live
        while len(self._entries) > self.capacity:
            self._evict()

    def withdraw(self, photo_id: int) -> None:
        """Every public entry about ``photo_id`` becomes a tombstone."""
        for ident in self._public_by_photo.pop(photo_id, ()):
            entry = self._entries.get(ident)
            if entry is not None:
                self._entries[ident] = tombstone(entry.event)

    def after(self, after: int) -> list[LiveEvent]:
        """The entries with an id above ``after``, oldest first (a copy: no await needed
        between taking it and the listener's queue taking over)."""
        first = bisect_right(self._ids, after, lo=self._start)
        entries = self._entries
        return [entries[ident] for ident in self._ids[first:]]

    def _evict(self) -> None:
        ident = self._ids[self._start]
        self._start += 1
        live = self._entries.pop(ident)
        self.floor = ident
        photo_id = live.event.photo_id
        if photo_id is not None:
            kept = self._public_by_photo.get(photo_id)
            if kept and kept[0] == ident:
                kept.pop(0)
                if not kept:
                    del self._public_by_photo[photo_id]
        if self._start > 1024 and self._start * 2 > len(self._ids):
            del self._ids[: self._start]
            self._start = 0
