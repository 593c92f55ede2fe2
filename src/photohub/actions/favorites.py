"""Faving and unfaving photos. A photo may be faved only by someone who may see it, and
never by its owner (Flickr); each change is one transaction. A fave writes a
``photo.faved`` event for the push hub only (my_faves, contacts_faves)."""

from __future__ import annotations

from photohub.domain.errors import Forbidden, NotFound, PhotohubError
from photohub.domain.privacy import PUSH, Viewer
from photohub.domain.social import account_of, may_fave
from photohub.site import Site
from photohub.store import events, faves, photo_query

PHOTO_NOT_FOUND = "photo_not_found"
OWN_PHOTO = "own_photo"
ALREADY_FAVED = "already_faved"
NOT_FAVED = "not_faved"


async def add(site: Site, viewer: Viewer, photo_id: int) -> None:
    user_id = account_of(viewer)
    async with site.db.write() as conn:
        photo = await photo_query.one(conn, viewer, photo_id)
        if photo is None:
            raise NotFound("This photo does not exist.", code=PHOTO_NOT_FOUND)
        if not may_fave(user_id, photo["user_id"]):
            raise Forbidden("Your own photos cannot be your favorites.", code=OWN_PHOTO)
        if not await faves.add(conn, user_id, photo_id):
            raise PhotohubError("This photo is already a favorite.", code=ALREADY_FAVED)
        faved = await events.append(
            conn, "photo.faved", {"user_id": user_id}, audience=PUSH, photo_id=photo_id
        )
    await site.announce([faved])


async def remove(site: Site, viewer: Viewer, photo_id: int) -> None:
    """Unfave a photo, whether or not its owner still lets the viewer see it (a fave of
    a photo that became private can still be taken back)."""
    user_id = account_of(viewer)
    async with site.db.write() as conn:
        if not await faves.remove(conn, user_id, photo_id):
            raise NotFound("This photo is not one of your favorites.", code=NOT_FAVED)
