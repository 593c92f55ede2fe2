"""flickr.favorites.*: faving photos, and lists of a user's favorites as far as the caller
may see them, newest fave first, each with its ``date_faved``."""

from __future__ import annotations

from sqlalchemy.sql.elements import ColumnElement

from photohub.actions import favorites as fave_actions
from photohub.api.args import Arg, Date
from photohub.api.call import Call
from photohub.api.common import EXTRAS, PAGE, PER_PAGE, PHOTO_ID, UserRef, find_user
from photohub.api.listing import annotate, collection_filters, unix_text
from photohub.api.outcomes import flickr_errors
from photohub.api.photolist import page_result
from photohub.api.registry import Result, registry
from photohub.store import faves, photo_query, photos_api
from photohub.store import photo_filters as f

PHOTO_NOT_FOUND = (1, "Photo not found: the photo id was not valid or not visible to you.")
OWNED_BY_YOU = (2, "Photo is owned by you: your own photos cannot be your favorites.")
ALREADY_FAVED = (3, "Photo is already in favorites.")
NOT_IN_FAVORITES = (1, "Photo not in favorites: the photo id passed was not a favorite.")
USER_NOT_FOUND = (1, "User not found: the user id passed did not match an account.")


@registry.method(
    "flickr.favorites.add",
    "Adds a photo to the calling user's favorites.",
    args=(PHOTO_ID,),
    errors=(PHOTO_NOT_FOUND, OWNED_BY_YOU, ALREADY_FAVED),
    perms="write",
    description="The photo must be one you may see; a photo you may not see is not found "
    "(Flickr's separate code 4, user cannot see photo, would tell that it exists).",
)
async def add(call: Call) -> Result:
    call.require_user("write")
    codes = {
        fave_actions.PHOTO_NOT_FOUND: PHOTO_NOT_FOUND,
        fave_actions.OWN_PHOTO: OWNED_BY_YOU,
        fave_actions.ALREADY_FAVED: ALREADY_FAVED,
    }
    with flickr_errors(codes):
        await fave_actions.add(call.site, call.viewer, call.args["photo_id"])
    return {}


@registry.method(
    "flickr.favorites.remove",
    "Removes a photo from the calling user's favorites.",
    args=(PHOTO_ID,),
    errors=(NOT_IN_FAVORITES,),
    perms="write",
)
async def remove(call: Call) -> Result:
    call.require_user("write")
    with flickr_errors({fave_actions.NOT_FAVED: NOT_IN_FAVORITES}):
        await fave_actions.remove(call.site, call.viewer, call.args["photo_id"])
    return {}


LIST_ARGS = (
    Arg("min_fave_date", Date(), doc="Faved on or after."),
    Arg("max_fave_date", Date(), doc="Faved on or before."),
    EXTRAS,
    PAGE,
    PER_PAGE,
)


async def favorites_page(call: Call, *, public_only: bool) -> Result:
    args = call.args
    async with call.site.db.read() as conn:
        owner = await find_user(conn, call, args["user_id"] or "me", *USER_NOT_FOUND)
        owner_id = int(owner["id"])
        fave = faves.of_user(owner_id)
        where: list[ColumnElement[bool]] = collection_filters(call)
        if public_only:
            where.append(f.public())
        if args["min_fave_date"] is not None:
            where.append(fave.c.faved_at >= args["min_fave_date"])
        if args["max_fave_date"] is not None:
            where.append(fave.c.faved_at <= args["max_fave_date"])
        page = await photo_query.page_of(
            conn,
            call.viewer,
            where,
            page=args["page"],
            per_page=args["per_page"],
            join=fave,
            order=(fave.c.faved_at.desc(), fave.c.photo_id.desc()),
        )
        tags = await photos_api.tags_for(conn, page.rows, args["extras"])
        dates = await faves.dates(conn, owner_id, [int(r["id"]) for r in page.rows])
    result = page_result(page, args["extras"], call.base_url, tags)
    return annotate(
        result, "photos", {pid: {"date_faved": unix_text(when)} for pid, when in dates.items()}
    )


@registry.method(
    "flickr.favorites.getList",
    "A user's favorites that the caller may see (everything they may see, for their own).",
    args=(
        Arg("user_id", UserRef(), doc="Whose favorites; the calling user when left out."),
        *LIST_ARGS,
    ),
    errors=(USER_NOT_FOUND,),
    perms="read",
    optional_auth=True,
    description="Newest fave first; each photo has date_faved (Unix time). A photo faved "
    "before its owner made it private is listed only to those who may still see it.",
)
async def get_list(call: Call) -> Result:
    return await favorites_page(call, public_only=False)


@registry.method(
    "flickr.favorites.getPublicList",
    "A user's favorites that are public photos.",
    args=(Arg("user_id", UserRef(), required=True, doc="Whose favorites."), *LIST_ARGS),
    errors=(USER_NOT_FOUND,),
    perms="read",
    optional_auth=True,
    description="Newest fave first; each photo has date_faved (Unix time).",
)
async def get_public_list(call: Call) -> Result:
    return await favorites_page(call, public_only=True)
