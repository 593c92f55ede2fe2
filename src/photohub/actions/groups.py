"""Groups: create, join, leave, and adding and removing pool photos. Groups are open
(Flickr's "public, anyone can join"); what a pool shows is decided per photo by
``domain.privacy``. One transaction each."""

from __future__ import annotations

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.domain import photos as rules
from photohub.domain.errors import Forbidden, NotFound, PhotohubError
from photohub.domain.privacy import Viewer
from photohub.domain.social import (
    ADMIN_ROLE,
    GROUP_NAME_MAX,
    Departure,
    account_of,
    departure,
    may_remove_from_pool,
)
from photohub.site import Site
from photohub.store import groups, photo_query
from photohub.store import photos as photo_store

GROUP_NOT_FOUND = "group_not_found"
ALREADY_MEMBER = "already_member"
NOT_MEMBER = "not_member"
PHOTO_NOT_FOUND = "photo_not_found"
ALREADY_IN_POOL = "already_in_pool"
NOT_IN_POOL = "not_in_pool"
MAY_NOT_REMOVE = "may_not_remove"


async def _group(conn: AsyncConnection, nsid: str) -> RowMapping:
    found = await groups.by_nsid(conn, nsid)
    row = None if found is None else await groups.get(conn, int(found["id"]), lock=True)
    if row is None:
        raise NotFound("This group does not exist.", code=GROUP_NOT_FOUND)
    return row


async def create(site: Site, viewer: Viewer, *, name: str, description: str | None) -> RowMapping:
    """A new group; its creator is its first member and admin."""
    user_id = account_of(viewer)
    try:
        clean_name = rules.clean_text(name, "name", GROUP_NAME_MAX)
        clean_description = rules.clean_text(
            description, "description", rules.DESCRIPTION_MAX, multiline=True
        )
    except rules.FieldError as exc:
        raise PhotohubError(exc.message, code="invalid_" + exc.field) from exc
    if not clean_name:
        raise PhotohubError("A group needs a name.", code="invalid_name")
    async with site.db.write() as conn:
        return await groups.create(conn, user_id, name=clean_name, description=clean_description)


async def join(site: Site, viewer: Viewer, nsid: str) -> None:
    user_id = account_of(viewer)
    async with site.db.write() as conn:
        group = await _group(conn, nsid)
        if not await groups.join(conn, int(group["id"]), user_id):
            raise PhotohubError("You are a member of this group already.", code=ALREADY_MEMBER)


async def leave(site: Site, viewer: Viewer, nsid: str, *, delete_photos: bool = False) -> Departure:
    """Leave a group (Flickr's rules, ``domain.social.departure``): the last member out
    deletes it; the only admin leaving makes the longest-standing member admin.
    ``delete_photos`` also takes the leaver's photos out of the pool."""
    user_id = account_of(viewer)
    async with site.db.write() as conn:
        group = await _group(conn, nsid)
        group_id = int(group["id"])
        members = await groups.members(conn, group_id)
        if all(m.user_id != user_id for m in members):
            raise NotFound("You are not a member of this group.", code=NOT_MEMBER)
        outcome = departure(user_id, members)
        if outcome.delete_group:
            await groups.delete(conn, group_id)
            return outcome
        if delete_photos:
            await groups.remove_owner_photos(conn, group_id, user_id)
        await groups.leave(conn, group_id, user_id)
        if outcome.promote is not None:
            await groups.set_role(conn, group_id, outcome.promote, ADMIN_ROLE)
        return outcome


async def pool_add(site: Site, viewer: Viewer, nsid: str, photo_id: int) -> None:
    """Add one of the viewer's photos to the pool of a group they belong to."""
    user_id = account_of(viewer)
    async with site.db.write() as conn:
        photo = await photo_store.get(conn, photo_id)
        if photo is None or photo["user_id"] != user_id:
            raise NotFound("This photo does not exist.", code=PHOTO_NOT_FOUND)
        found = await groups.by_nsid(conn, nsid)
        group_id = None if found is None else int(found["id"])
        if group_id is None or await groups.role_of(conn, group_id, user_id) is None:
            raise NotFound("You are not in a group with this id.", code=GROUP_NOT_FOUND)
        if not await groups.add_to_pool(conn, group_id, photo_id, user_id):
            raise PhotohubError("This photo is in the pool already.", code=ALREADY_IN_POOL)


async def pool_remove(site: Site, viewer: Viewer, nsid: str, photo_id: int) -> None:
    """Take a photo out of a pool: its owner or a group admin may. A photo the viewer
    may not see is "not in the pool" to them, so the answer reveals nothing about it."""
    user_id = account_of(viewer)
    async with site.db.write() as conn:
        found = await groups.by_nsid(conn, nsid)
        if found is None:
            raise NotFound("This group does not exist.", code=GROUP_NOT_FOUND)
        group_id = int(found["id"])
        photo = await photo_query.one(conn, viewer, photo_id)
        if photo is None or not await groups.in_pool(conn, group_id, photo_id):
            raise NotFound("This photo is not in the pool.", code=NOT_IN_POOL)
        role = await groups.role_of(conn, group_id, user_id)
        if not may_remove_from_pool(user_id, photo["user_id"], role):
            raise Forbidden("Only the photo's owner or a group admin may.", code=MAY_NOT_REMOVE)
        await groups.remove_from_pool(conn, group_id, photo_id)
