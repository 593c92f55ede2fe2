"""Albums: create, add and remove photos, delete. Only the owner changes an album, and
an album holds only its owner's photos; for anyone else an album or photo that is not
theirs does not exist (Flickr's "not found" codes). One transaction each."""

from __future__ import annotations

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.domain import photos as rules
from photohub.domain.errors import NotFound, PhotohubError
from photohub.domain.privacy import Viewer
from photohub.domain.social import account_of, primary_among
from photohub.site import Site
from photohub.store import photos as photo_store
from photohub.store import photosets

SET_NOT_FOUND = "photoset_not_found"
PHOTO_NOT_FOUND = "photo_not_found"
ALREADY_IN_SET = "already_in_set"
NOT_IN_SET = "not_in_set"
NO_TITLE = "no_title"


def _text(value: str | None, field: str, limit: int, *, multiline: bool = False) -> str:
    try:
        return rules.clean_text(value, field, limit, multiline=multiline)
    except rules.FieldError as exc:
        raise PhotohubError(exc.message, code="invalid_" + exc.field) from exc


async def _own_photo(conn: AsyncConnection, user_id: int, photo_id: int) -> RowMapping:
    row = await photo_store.get(conn, photo_id)
    if row is None or row["user_id"] != user_id:
        raise NotFound("This photo does not exist.", code=PHOTO_NOT_FOUND)
    return row


async def _own_set(conn: AsyncConnection, user_id: int, set_id: int) -> RowMapping:
    row = await photosets.get(conn, set_id, lock=True)
    if row is None or int(row["owner_id"]) != user_id:
        raise NotFound("This album does not exist.", code=SET_NOT_FOUND)
    return row


async def _settle_primary(conn: AsyncConnection, album: RowMapping) -> None:
    """Record the change, with the primary the album's photos now call for."""
    set_id = int(album["id"])
    ids = await photosets.photo_ids(conn, set_id)
    primary = primary_among(int(album["primary_photo_id"]), ids)
    await photosets.update(conn, set_id, primary_photo_id=primary)


async def create(
    site: Site, viewer: Viewer, *, title: str, description: str | None, primary_photo_id: int
) -> int:
    """A new album of the viewer's, holding its primary photo; its id."""
    user_id = account_of(viewer)
    clean_title = _text(title, "title", rules.TITLE_MAX)
    if not clean_title:
        raise PhotohubError("An album needs a title.", code=NO_TITLE)
    clean_description = _text(description, "description", rules.DESCRIPTION_MAX, multiline=True)
    async with site.db.write() as conn:
        await _own_photo(conn, user_id, primary_photo_id)
        return await photosets.create(
            conn,
            user_id,
            title=clean_title,
            description=clean_description,
            primary_photo_id=primary_photo_id,
        )


async def add_photo(site: Site, viewer: Viewer, set_id: int, photo_id: int) -> None:
    """Append one of the owner's photos; the first photo of an empty album becomes its
    primary."""
    user_id = account_of(viewer)
    async with site.db.write() as conn:
        album = await _own_set(conn, user_id, set_id)
        await _own_photo(conn, user_id, photo_id)
        if not await photosets.add_photo(conn, set_id, photo_id):
            raise PhotohubError("This photo is in the album already.", code=ALREADY_IN_SET)
        await _settle_primary(conn, album)


async def remove_photo(site: Site, viewer: Viewer, set_id: int, photo_id: int) -> None:
    """Take a photo out of the album (the photo itself stays). Removing the primary
    makes the first remaining photo primary (``domain.social.primary_among``)."""
    user_id = account_of(viewer)
    async with site.db.write() as conn:
        album = await _own_set(conn, user_id, set_id)
        await _own_photo(conn, user_id, photo_id)
        if not await photosets.remove_photo(conn, set_id, photo_id):
            raise NotFound("This photo is not in the album.", code=NOT_IN_SET)
        await _settle_primary(conn, album)


async def delete(site: Site, viewer: Viewer, set_id: int) -> None:
    """Delete the album; its photos stay."""
    user_id = account_of(viewer)
    async with site.db.write() as conn:
        await _own_set(conn, user_id, set_id)
        await photosets.delete(conn, set_id)
