"""Adding and removing contacts, and marking them friend or family. The marks are the
caller's own: they decide which of the caller's photos the contact may see, so
changing them takes effect on the next read (every read path asks
``store.visibility``). File URLs the contact already holds are the exception reads
cannot cover: a change that takes photos away from them gives those photos new
secrets (``actions.file_urls``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.actions import file_urls
from photohub.actions.photos import announce_change
from photohub.domain.errors import NotFound, PhotohubError
from photohub.domain.privacy import STRANGER, Relation, Viewer
from photohub.domain.social import account_of
from photohub.site import Site
from photohub.store import contacts, users, visibility
from photohub.store import photos as photo_store
from photohub.store.events import Event

USER_NOT_FOUND = "user_not_found"
SELF = "self"
NOT_A_CONTACT = "not_a_contact"


async def add(site: Site, viewer: Viewer, nsid: str, *, friend: bool, family: bool) -> bool:
    """List the account ``nsid`` as a contact with these marks (an existing contact
    gets the new marks); True when the contact is new."""
    user_id = account_of(viewer)
    with file_urls.rotating(site.media) as rotation:
        async with site.db.write() as conn:
            other = await users.by_nsid(conn, nsid)
            if other is None:
                raise NotFound("There is no account with this id.", code=USER_NOT_FOUND)
            if int(other["id"]) == user_id:
                raise PhotohubError("You cannot be your own contact.", code=SELF)
            before = await visibility.relation(conn, Viewer(user_id=int(other["id"])), user_id)
            new = await contacts.set_contact(
                conn, user_id, int(other["id"]), friend=friend, family=family
            )
            after = Relation(is_contact=True, is_friend=friend, is_family=family)
            written = await _rotate(conn, rotation, user_id, before, after)
    await site.announce(written)
    return new


async def remove(site: Site, viewer: Viewer, nsid: str) -> None:
    user_id = account_of(viewer)
    with file_urls.rotating(site.media) as rotation:
        async with site.db.write() as conn:
            other = await users.by_nsid(conn, nsid)
            if other is None:
                raise NotFound("There is no account with this id.", code=USER_NOT_FOUND)
            before = await visibility.relation(conn, Viewer(user_id=int(other["id"])), user_id)
            if not await contacts.remove(conn, user_id, int(other["id"])):
                raise NotFound("This account is not one of your contacts.", code=NOT_A_CONTACT)
            written = await _rotate(conn, rotation, user_id, before, STRANGER)
    await site.announce(written)


async def _rotate(
    conn: AsyncConnection,
    rotation: file_urls.Rotation,
    owner_id: int,
    before: Relation,
    after: Relation,
) -> list[Event]:
    """New secrets for the owner's photos the contact stops seeing; the owner's own
    pages learn the new URLs (``photo.updated``)."""
    written: list[Event] = []
    for photo_id in await file_urls.relation_changed(conn, rotation, owner_id, before, after):
        row = await photo_store.get(conn, photo_id)
        assert row is not None
        written += await announce_change(conn, row, "photo.updated")
    return written
