"""Adding and removing contacts, and marking them friend or family. The marks are the
caller's own: they decide which of the caller's photos the contact may see, so
changing them takes effect on the next read (every read path asks
``store.visibility``)."""

from __future__ import annotations

from photohub.domain.errors import NotFound, PhotohubError
from photohub.domain.privacy import Viewer
from photohub.domain.social import account_of
from photohub.site import Site
from photohub.store import contacts, users

USER_NOT_FOUND = "user_not_found"
SELF = "self"
NOT_A_CONTACT = "not_a_contact"


async def add(site: Site, viewer: Viewer, nsid: str, *, friend: bool, family: bool) -> bool:
    """List the account ``nsid`` as a contact with these marks (an existing contact
    gets the new marks); True when the contact is new."""
    user_id = account_of(viewer)
    async with site.db.write() as conn:
        other = await users.by_nsid(conn, nsid)
        if other is None:
            raise NotFound("There is no account with this id.", code=USER_NOT_FOUND)
        if int(other["id"]) == user_id:
            raise PhotohubError("You cannot be your own contact.", code=SELF)
        return await contacts.set_contact(
            conn, user_id, int(other["id"]), friend=friend, family=family
        )


async def remove(site: Site, viewer: Viewer, nsid: str) -> None:
    user_id = account_of(viewer)
    async with site.db.write() as conn:
        other = await users.by_nsid(conn, nsid)
        if other is None:
            raise NotFound("There is no account with this id.", code=USER_NOT_FOUND)
        if not await contacts.remove(conn, user_id, int(other["id"])):
            raise NotFound("This account is not one of your contacts.", code=NOT_A_CONTACT)
