"""The one place that decides who sees what.

Every read path (search, getInfo, people and pool listings, albums, favorites, walls, live
streams, "my photos", file URLs) asks these functions, or builds its SQL from the same
tables (``store/visibility.py``); nothing else compares owners or audiences by hand.

Flickr's model: a photo is public, or visible to some of its owner's contacts (those the
*owner* marked friend and/or family, or all contacts), or private. Its location has a
separate permission (Flickr geo perms 1-6) and is shown only where the photo itself is
visible too. Safety levels filter what a search returns and what the wall shows, not
who may open a photo.
"""

from __future__ import annotations

from dataclasses import dataclass

PUBLIC = "public"
ADMIN = "admin"
# Events only the push hub reads (a fave, people tagged): no wall or viewer gets them.
PUSH = "push"

# Photo visibilities. Each names who, besides the owner, may see the photo.
CONTACTS = "contacts"
FRIENDS = "friends"
FAMILY = "family"
FRIENDS_FAMILY = "friends_family"
PRIVATE = "private"
VISIBILITIES = (PUBLIC, CONTACTS, FRIENDS, FAMILY, FRIENDS_FAMILY, PRIVATE)

# Flickr geo permissions (flickr.photos.geo.getPerms / prefs.getGeoPerms).
GEO_PUBLIC, GEO_CONTACTS, GEO_FRIENDS, GEO_FAMILY, GEO_FRIENDS_FAMILY, GEO_PRIVATE = range(1, 7)
GEO_PERM_VISIBILITY = {
    GEO_PUBLIC: PUBLIC,
    GEO_CONTACTS: CONTACTS,
    GEO_FRIENDS: FRIENDS,
    GEO_FAMILY: FAMILY,
    GEO_FRIENDS_FAMILY: FRIENDS_FAMILY,
    GEO_PRIVATE: PRIVATE,
}

# Safety levels and what each safe_search setting admits.
SAFE, MODERATE, RESTRICTED = 1, 2, 3
SAFE_SEARCH_LEVELS = {
    SAFE: (SAFE,),
    MODERATE: (SAFE, MODERATE),
    RESTRICTED: (SAFE, MODERATE, RESTRICTED),
}


@dataclass(frozen=True)
class Viewer:
    """Who is looking: a guest (by cookie identity), an account, the host, or nobody."""

    guest_id: str | None = None
    is_admin: bool = False
    user_id: int | None = None


ANONYMOUS = Viewer()


@dataclass(frozen=True)
class Relation:
    """A viewer's standing with one photo owner, as the *owner* marked it."""

    is_owner: bool = False
    is_contact: bool = False
    is_friend: bool = False
    is_family: bool = False


STRANGER = Relation()
OWNER = Relation(is_owner=True)


def visible_to(relation: Relation) -> frozenset[str]:
    """The visibilities a viewer with this relation may see."""
    if relation.is_owner:
        return frozenset(VISIBILITIES)
    seen = {PUBLIC}
    if relation.is_contact or relation.is_friend or relation.is_family:
        seen.add(CONTACTS)
    if relation.is_friend:
        seen.update((FRIENDS, FRIENDS_FAMILY))
    if relation.is_family:
        seen.update((FAMILY, FRIENDS_FAMILY))
    return frozenset(seen)


def may_see(visibility: str, relation: Relation) -> bool:
    """May a viewer with ``relation`` to the owner see a photo of this visibility?"""
    return visibility in visible_to(relation)


def may_see_location(visibility: str, geo_perm: int, relation: Relation) -> bool:
    """A location shows only where the photo shows and its geo permission allows it."""
    geo_visibility = GEO_PERM_VISIBILITY.get(geo_perm, PRIVATE)
    return may_see(visibility, relation) and may_see(geo_visibility, relation)


def visibility_from_flags(is_public: bool, is_friend: bool, is_family: bool) -> str:
    """Flickr's is_public / is_friend / is_family flags as one visibility."""
    if is_public:
        return PUBLIC
    if is_friend and is_family:
        return FRIENDS_FAMILY
    if is_friend:
        return FRIENDS
    if is_family:
        return FAMILY
    return PRIVATE


def flags_of(visibility: str) -> tuple[bool, bool, bool]:
    """(is_public, is_friend, is_family) of a visibility; contacts-only shows as neither."""
    return (
        visibility == PUBLIC,
        visibility in (FRIENDS, FRIENDS_FAMILY),
        visibility in (FAMILY, FRIENDS_FAMILY),
    )


def geo_perm_from_flags(is_public: bool, is_contact: bool, is_friend: bool, is_family: bool) -> int:
    """flickr.photos.geo.setPerms' four flags as one geo permission."""
    if is_public:
        return GEO_PUBLIC
    if is_contact:
        return GEO_CONTACTS
    if is_friend and is_family:
        return GEO_FRIENDS_FAMILY
    if is_friend:
        return GEO_FRIENDS
    if is_family:
        return GEO_FAMILY
    return GEO_PRIVATE


def geo_flags_of(geo_perm: int) -> tuple[bool, bool, bool, bool]:
    """(is_public, is_contact, is_friend, is_family) of a geo permission."""
    return (
        geo_perm == GEO_PUBLIC,
        geo_perm == GEO_CONTACTS,
        geo_perm in (GEO_FRIENDS, GEO_FRIENDS_FAMILY),
        geo_perm in (GEO_FAMILY, GEO_FRIENDS_FAMILY),
    )


def strictest_geo_perm(*perms: int) -> int:
    """The most private of several geo permissions (DESIGN §6: owner default, the photo's
    setting, every geofence). Friends and family from two sources together only admit
    people who are both, which no single setting says: that is private."""
    chosen = set(perms)
    if GEO_PRIVATE in chosen or {GEO_FRIENDS, GEO_FAMILY} <= chosen:
        return GEO_PRIVATE
    for perm in (GEO_FRIENDS, GEO_FAMILY, GEO_FRIENDS_FAMILY, GEO_CONTACTS):
        if perm in chosen:
            return perm
    return GEO_PUBLIC


def owner_audience(guest_id: str) -> str:
    """The audience of an event only the photo's owner (and the host) may see."""
    return f"guest:{guest_id}"


def may_see_event(audience: str, viewer: Viewer) -> bool:
    if audience == PUSH:
        return False
    if audience == PUBLIC or viewer.is_admin:
        return True
    return viewer.guest_id is not None and audience == owner_audience(viewer.guest_id)


# The wall is one surface for everyone: a projector shows it to a room, so even the
# host's and signed-in viewers' walls show what an anonymous viewer may see, which is
# safe content only (Flickr: un-authed viewers see Safe only; moderate needs an opt-in
# nobody in the room gave). Owners still see their own photos of every level elsewhere.
WALL_SAFETY_LEVELS = SAFE_SEARCH_LEVELS[SAFE]


def on_wall(state: str, approved: bool, visibility: str, safety_level: int) -> bool:
    """A photo is on the public wall once its renditions exist, the host allows it,
    it is public and it is safe."""
    return (
        state == "ready"
        and approved
        and visibility == PUBLIC
        and safety_level in WALL_SAFETY_LEVELS
    )


@dataclass(frozen=True)
class PhotoNow:
    """What the privacy rule needs of a photo as it is *now* (not when an event about it
    was written): replays and resumes judge stored events by it."""

    state: str
    approved: bool
    visibility: str
    safety_level: int

    @property
    def on_wall(self) -> bool:
        return on_wall(self.state, self.approved, self.visibility, self.safety_level)


def still_shown(audience: str, photo: PhotoNow | None) -> bool:
    """May a stored event about a photo be replayed as it was written? ``photo`` is the
    photo now, ``None`` once deleted. Public events (the wall's) only while the photo is
    on the wall; the owner's and host's events while the photo exists (its owner and the
    host see it in every state). Otherwise the event goes out as a tombstone."""
    if photo is None:
        return False
    if audience == PUBLIC:
        return photo.on_wall
    return True


def pushable(
    state: str,
    approved: bool,
    visibility: str,
    safety_level: int,
    *,
    owner_opted_out: bool = False,
) -> bool:
    """Push feeds (subscriptions, topic feeds, the firehose, topic streams) carry a
    photo only when it is on the wall (ready, approved, public), safe, and its owner
    has not opted out of push or of the API."""
    return on_wall(state, approved, visibility, safety_level) and not owner_opted_out


def location_public(visibility: str, geo_perm: int) -> bool:
    """Whether anyone at all may see the photo's location."""
    return may_see_location(visibility, geo_perm, STRANGER)


def may_manage(photo_guest_id: str | None, viewer: Viewer, owner_id: int | None = None) -> bool:
    """Edit or delete: the author's own browser or account, or the host."""
    if viewer.is_admin:
        return True
    if owner_id is not None and viewer.user_id == owner_id:
        return True
    return viewer.guest_id is not None and photo_guest_id == viewer.guest_id
