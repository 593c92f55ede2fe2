"""When a photo's file URLs must change: whenever someone who could open them may no more.

A file URL (``/media/{id}_{secret}_{size}.webp``) carries the photo's secret and nothing
about who asks: Flickr clients, feed readers and caches fetch it without cookies, so
holding the URL *is* the permission. The one way to take it back from one holder is to
change the secret for everyone (Flickr changed a photo's secret on privacy changes too).
So every change that shrinks who may open a photo's served files gives the photo a new
secret (``actions.file_urls`` does it), and nothing else does: a change that only widens
the audience leaves the URLs alone, since every holder may still see the photo.

The audience is counted in *standings* (a stranger, a contact, a friend, family, both):
the relations ``domain.privacy.visible_to`` distinguishes. The owner never loses access.
"""

from __future__ import annotations

from photohub.domain.privacy import (
    GEO_PERM_VISIBILITY,
    PRIVATE,
    STRANGER,
    Relation,
    may_see,
    visible_to,
)

# Every standing a non-owner can have with an owner.
STANDINGS: tuple[Relation, ...] = (
    STRANGER,
    Relation(is_contact=True),
    Relation(is_contact=True, is_friend=True),
    Relation(is_contact=True, is_family=True),
    Relation(is_contact=True, is_friend=True, is_family=True),
)

# Served files carry no location: renditions are written without any metadata
# (media/renditions.py) and originals, which keep the camera's EXIF GPS, are not served.
# If originals are ever served, set this and they rotate on a narrower geo permission
# too (Flickr gave originals their own "originalsecret" for this kind of reason).
SERVED_FILES_CARRY_LOCATION = False


def audience(visibility: str) -> frozenset[Relation]:
    """The standings that may open files of a photo with this visibility."""
    return frozenset(r for r in STANDINGS if may_see(visibility, r))


def visibility_shrinks(before: str, after: str) -> bool:
    """Someone who could see a ``before`` photo cannot see it once it is ``after``."""
    return not audience(before) <= audience(after)


def lost_visibilities(before: Relation, after: Relation) -> frozenset[str]:
    """The visibilities a contact stops seeing when the owner's marks for them go from
    ``before`` to ``after`` (removed: ``after`` is a stranger). Every photo of the owner
    with one of these visibilities gets a new secret; an empty set means nothing to do."""
    return visible_to(before) - visible_to(after)


def location_shrinks(before_perm: int, after_perm: int) -> bool:
    """Someone who could see a location under ``before_perm`` cannot under ``after_perm``."""
    return visibility_shrinks(
        GEO_PERM_VISIBILITY.get(before_perm, PRIVATE), GEO_PERM_VISIBILITY.get(after_perm, PRIVATE)
    )


def geo_change_shrinks_files(before_perm: int, after_perm: int) -> bool:
    """A geo permission change takes a location away from someone *who could fetch it
    from a served file*: never while served files carry no location."""
    return SERVED_FILES_CARRY_LOCATION and location_shrinks(before_perm, after_perm)
