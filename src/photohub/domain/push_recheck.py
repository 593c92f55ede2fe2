"""Stored push entries re-checked against the photo as it is *now*: pure, no I/O.

An entry is rendered once, when its change is dispatched, and then read again later:
a topic stream replays the log (up to the retention time) and follows it live, and a
WebSub subscriber whose callback was down gets its queue hours afterwards. By then the
owner may have withdrawn what the entry shows (the photo made private or friends-only,
deleted, rated restricted, hidden from public searches, its location hidden or removed,
or the owner opted out of push). What was true when the entry was stored decides
nothing: :func:`recheck` decides from the entry's bytes, the photo's current facts
(:class:`PhotoNow`, None when the photo is gone) and who reads (:class:`Audience`):

* a tombstone (RFC 6721 ``at:deleted-entry``) always goes: it carries the photo's entry
  id only, and it is what tells a subscriber to drop what it holds;
* an entry of a photo that is no longer pushable (``domain.privacy.pushable``: ready,
  approved, public, safe, owner not opted out) is **dropped**, not turned into a
  tombstone: the change that withdrew it already stored its own tombstone (dispatch
  sends one to every subscription that was told of the photo, in order after this
  entry), so a second one would only be a duplicate, and a reader that never got the
  photo (a stream replaying from 0) learns nothing of it. Its title, description,
  author and location all go with it;
* a photo hidden from public searches reaches personal topics only (as dispatch
  decides, ``domain.push_match.photo_keys``): off every other topic;
* an entry whose ``georss:point`` is not the photo's current *public* location (hidden
  by geo permission, removed, or moved) goes **without** it (``STRIP``), and to a geo
  topic not at all (``DROP``): it reached the geo topic by the old place, which its
  arrival alone would tell. Stripping, rather than dropping in favour of the entry the
  change produced, because not every change produces one: a geo permission change
  dispatches nothing today, and a burst of changes is collapsed for a while.

Push carries public photos only, whoever reads (DESIGN §6): an owner following their own
``my_photos`` stream gets no entry of a private photo live, so a replay gives none either.
So the audience changes only *which public facts* count (hidden, location), never
widens what is seen.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from photohub.domain.atom import coordinate
from photohub.domain.privacy import location_public, pushable
from photohub.domain.topics import PERSONAL_TOPICS

_TOMBSTONE = b"<at:deleted-entry"
# domain.atom writes the location as one element, without whitespace around it.
_POINT = re.compile(rb"<georss:point>([^<]*)</georss:point>")


class Verdict(enum.Enum):
    SEND = "send"  # as stored
    STRIP = "strip"  # without its location (``without_location``)
    DROP = "drop"  # not at all


@dataclass(frozen=True, slots=True)
class PhotoNow:
    """A photo's current facts, as far as push cares (``store.push_current`` reads them)."""

    state: str
    approved: bool
    visibility: str
    safety_level: int
    hidden: bool
    owner_opted_out: bool
    geo_perm: int
    location: tuple[float, float] | None  # stored coordinates, whoever may see them


@dataclass(frozen=True, slots=True)
class Audience:
    """Who reads: a personal topic's (its user's own, or photos of their contacts)
    and/or one matched by location (a geo topic)."""

    personal: bool = False
    by_location: bool = False


def audience_of(topic_name: str) -> Audience:
    """The audience of a stream or subscription of ``topic_name``."""
    return Audience(personal=topic_name in PERSONAL_TOPICS, by_location=topic_name == "geo")


def is_tombstone(body: bytes) -> bool:
    return body.startswith(_TOMBSTONE)


def point_of(body: bytes) -> str | None:
    """The ``georss:point`` text an entry carries ("LAT LON"), None without one."""
    found = _POINT.search(body)
    return None if found is None else found.group(1).decode("ascii", "replace")


def point_text(latitude: float, longitude: float) -> str:
    """A location as ``domain.atom`` writes it (same digits, so comparable as text)."""
    return f"{coordinate(latitude)} {coordinate(longitude)}"


def public_point(now: PhotoNow) -> str | None:
    """The photo's location as the public may see it now, None when hidden or none."""
    if now.location is None or not location_public(now.visibility, now.geo_perm):
        return None
    return point_text(*now.location)


def still_pushable(now: PhotoNow) -> bool:
    return pushable(
        now.state,
        now.approved,
        now.visibility,
        now.safety_level,
        owner_opted_out=now.owner_opted_out,
    )


def recheck(body: bytes, now: PhotoNow | None, audience: Audience) -> Verdict:
    """What may go out of a stored entry ``body`` today (module docstring)."""
    if is_tombstone(body):
        return Verdict.SEND
    if now is None or not still_pushable(now):
        return Verdict.DROP
    if now.hidden and not audience.personal:
        return Verdict.DROP
    point = point_of(body)
    if point is None or point == public_point(now):
        return Verdict.SEND
    return Verdict.DROP if audience.by_location else Verdict.STRIP


def without_location(body: bytes) -> bytes:
    """The entry without its ``georss:point``."""
    return _POINT.sub(b"", body)


def shown(body: bytes, verdict: Verdict) -> bytes | None:
    """The bytes to send for a verdict (None: nothing)."""
    if verdict is Verdict.DROP:
        return None
    return without_location(body) if verdict is Verdict.STRIP else body
