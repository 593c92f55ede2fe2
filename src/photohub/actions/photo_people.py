"""People in photos: adding and removing a person. The photo must be one the caller
may see (else it does not exist for them); its owner may add or remove anyone, and a
person may add or remove themselves (``domain.social``). One transaction each; a
change writes a ``photo.people`` event for the push hub only (photos_of_me,
photos_of_contacts)."""

from __future__ import annotations

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.domain.errors import Forbidden, NotFound
from photohub.domain.privacy import PUSH, Viewer
from photohub.domain.social import account_of, may_add_person, may_remove_person
from photohub.site import Site
from photohub.store import events, photo_people, photo_query, users
from photohub.store.events import Event

PHOTO_NOT_FOUND = "photo_not_found"
PERSON_NOT_FOUND = "person_not_found"
MAY_NOT_ADD = "may_not_add"
MAY_NOT_REMOVE = "may_not_remove"
NOT_IN_PHOTO = "not_in_photo"


async def _photo_and_person(
    conn: AsyncConnection, viewer: Viewer, photo_id: int, nsid: str
) -> tuple[RowMapping, RowMapping]:
    photo = await photo_query.one(conn, viewer, photo_id)
    if photo is None:
        raise NotFound("This photo does not exist.", code=PHOTO_NOT_FOUND)
    person = await users.by_nsid(conn, nsid)
    if person is None:
        raise NotFound("There is no account with this id.", code=PERSON_NOT_FOUND)
    return photo, person


async def add(site: Site, viewer: Viewer, photo_id: int, nsid: str) -> None:
    """Say the person is in the photo (saying it twice changes nothing)."""
    user_id = account_of(viewer)
    async with site.db.write() as conn:
        photo, person = await _photo_and_person(conn, viewer, photo_id, nsid)
        if not may_add_person(user_id, photo["user_id"], int(person["id"])):
            raise Forbidden("Only the photo's owner may add other people.", code=MAY_NOT_ADD)
        if not await photo_people.add(conn, photo_id, int(person["id"]), user_id):
            return
        written = await _changed(conn, photo_id)
    await site.announce(written)


async def _changed(conn: AsyncConnection, photo_id: int) -> list[Event]:
    return [await events.append(conn, "photo.people", {}, audience=PUSH, photo_id=photo_id)]


async def remove(site: Site, viewer: Viewer, photo_id: int, nsid: str) -> None:
    user_id = account_of(viewer)
    async with site.db.write() as conn:
        photo, person = await _photo_and_person(conn, viewer, photo_id, nsid)
        if not may_remove_person(user_id, photo["user_id"], int(person["id"])):
            raise Forbidden(
                "Only the photo's owner or the person may remove them.", code=MAY_NOT_REMOVE
            )
        if not await photo_people.remove(conn, photo_id, int(person["id"])):
            raise NotFound("This person is not in the photo.", code=NOT_IN_PHOTO)
        written = await _changed(conn, photo_id)
    await site.announce(written)
