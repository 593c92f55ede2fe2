"""Rules of the social features (pure): favorites, people in photos, group pools and
roles, and album primaries. The API methods and their use cases ask these; who may *see*
a photo is ``domain.privacy``'s decision alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from photohub.domain.errors import Forbidden
from photohub.domain.privacy import Viewer

ADMIN_ROLE = "admin"
MEMBER_ROLE = "member"
ROLES = (MEMBER_ROLE, ADMIN_ROLE)
GROUP_NAME_MAX = 100  # groups.name


def account_of(viewer: Viewer) -> int:
    """The viewer's account id: only accounts have favorites, contacts, albums and
    groups (a guest's browser identity has none of them)."""
    if viewer.user_id is None:
        raise Forbidden("Sign in to an account first.", code="not_signed_in")
    return viewer.user_id


def may_fave(user_id: int, owner_id: int | None) -> bool:
    """Flickr: a photo cannot be in its own owner's favorites (a guest's photo has no
    account behind it, so anyone may fave it)."""
    return owner_id is None or owner_id != user_id


def may_add_person(caller_id: int, owner_id: int | None, person_id: int) -> bool:
    """Tagging a person in a photo: the photo's owner may add anyone; anyone else may
    add only themselves (to a photo they can see, which the caller checks first).
    Flickr also lets an owner's contacts tag others; photohub keeps that to the owner."""
    return caller_id == person_id or (owner_id is not None and caller_id == owner_id)


def may_remove_person(caller_id: int, owner_id: int | None, person_id: int) -> bool:
    """The photo's owner may remove anyone from it; a person may remove themselves."""
    return may_add_person(caller_id, owner_id, person_id)


def may_remove_from_pool(caller_id: int, photo_owner_id: int | None, role: str | None) -> bool:
    """Flickr: a pool photo may be removed by its owner or by an admin of the group."""
    return role == ADMIN_ROLE or (photo_owner_id is not None and caller_id == photo_owner_id)


@dataclass(frozen=True)
class Member:
    user_id: int
    role: str
    joined_at: datetime


@dataclass(frozen=True)
class Departure:
    """What a member leaving a group does to it."""

    delete_group: bool = False
    promote: int | None = None  # the member who becomes admin, if any


def departure(leaving: int, members: Sequence[Member]) -> Departure:
    """Flickr's groups.leave: "If the user is the only administrator left, and there are
    other members, the oldest member will be promoted to administrator. If the user is
    the last person in the group, the group will be deleted." Oldest = longest in the
    group (ties by the lower account id), so the choice is stable."""
    others = [m for m in members if m.user_id != leaving]
    if not others:
        return Departure(delete_group=True)
    if any(m.role == ADMIN_ROLE for m in others):
        return Departure()
    oldest = min(others, key=lambda m: (m.joined_at, m.user_id))
    return Departure(promote=oldest.user_id)


def primary_among(primary: int, photo_ids: Sequence[int]) -> int:
    """An album's primary photo given its photos (in album order): the primary stays
    while it is one of them; once it leaves (removed from the album, or deleted) the
    first photo becomes primary, as on Flickr. An empty album keeps the old id (the
    column is required) until a photo is added, which then becomes primary."""
    if not photo_ids or primary in photo_ids:
        return primary
    return photo_ids[0]
