"""The one place that decides who sees what.

Every read path (wall snapshot, live streams, "my photos", file URLs) asks these
functions; nothing else compares owners or audiences by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

PUBLIC = "public"
ADMIN = "admin"


@dataclass(frozen=True)
class Viewer:
    """Who is looking: a guest (by cookie identity), the host, or nobody known."""

    guest_id: str | None = None
    is_admin: bool = False


ANONYMOUS = Viewer()


def owner_audience(guest_id: str) -> str:
    """The audience of an event only the photo's owner (and the host) may see."""
    return f"guest:{guest_id}"


def may_see_event(audience: str, viewer: Viewer) -> bool:
    if audience == PUBLIC or viewer.is_admin:
        return True
    return viewer.guest_id is not None and audience == owner_audience(viewer.guest_id)


def on_wall(state: str, approved: bool) -> bool:
    """A photo is on the public wall once its renditions exist and the host allows it."""
    return state == "ready" and approved


def may_manage(photo_guest_id: str | None, viewer: Viewer) -> bool:
    """Edit or delete: the author's own browser, or the host."""
    if viewer.is_admin:
        return True
    return viewer.guest_id is not None and photo_guest_id == viewer.guest_id


def may_view_photo(state: str, approved: bool, photo_guest_id: str | None, viewer: Viewer) -> bool:
    """See a photo's renditions and details at all."""
    return on_wall(state, approved) or may_manage(photo_guest_id, viewer)


def geo_visible(geo_public: bool, photo_guest_id: str | None, viewer: Viewer) -> bool:
    """A location is shown only to its owner unless the owner made it public.

    Guest uploads start with ``geo_public`` false: a party guest's home stays private.
    The host sees photos but not private locations either.
    """
    if geo_public:
        return True
    return viewer.guest_id is not None and photo_guest_id == viewer.guest_id
