"""flickr.photosets.*: albums. Owners create and change them; everyone else sees an
album's photos, counts and primary only as far as they may see each photo, and an album
with no photo they may see does not exist for them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.actions import photosets as set_actions
from photohub.api.args import Arg, Choice, Id, Integer, Text
from photohub.api.call import Call
from photohub.api.common import EXTRAS, PAGE, PHOTO_ID, UserRef, find_user
from photohub.api.errors import ApiError
from photohub.api.listing import annotate, collection_filters, unix_text
from photohub.api.outcomes import flickr_errors
from photohub.api.photolist import EXTRAS_ARG, list_item, page_result
from photohub.api.registry import Result, registry
from photohub.domain.photos import DESCRIPTION_MAX, TITLE_MAX
from photohub.store import photo_filters as f
from photohub.store import photo_query, photos_api, photosets
from photohub.store.schema import photos

SET_NOT_FOUND = (1, "Photoset not found: the id was not valid or not an album you may see.")
OWN_SET_NOT_FOUND = (1, "Photoset not found: the id was not one of your albums.")
PHOTO_NOT_FOUND = (2, "Photo not found: the photo id was not one of your photos.")
ALREADY_IN_SET = (3, "Photo already in set.")
NOT_IN_SET = (3, "Photo not in set.")
NO_TITLE = (1, "No title specified: an album needs a title.")
USER_NOT_FOUND = (1, "User not found: the user id passed did not match an account.")
PHOTOSET_ID = Arg("photoset_id", Id(), required=True, doc="The album's id.")

CHANGE_CODES = {
    set_actions.SET_NOT_FOUND: OWN_SET_NOT_FOUND,
    set_actions.PHOTO_NOT_FOUND: PHOTO_NOT_FOUND,
    set_actions.ALREADY_IN_SET: ALREADY_IN_SET,
    set_actions.NOT_IN_SET: NOT_IN_SET,
}


@registry.method(
    "flickr.photosets.create",
    "Create a new album for the calling user, holding its primary photo.",
    args=(
        Arg("title", Text(TITLE_MAX, min_length=1), required=True, doc="The album's title."),
        Arg("description", Text(DESCRIPTION_MAX), doc="The album's description."),
        Arg("primary_photo_id", Id(), required=True, doc="One of your photos, shown first."),
    ),
    errors=(NO_TITLE, PHOTO_NOT_FOUND),
    perms="write",
)
async def create(call: Call) -> Result:
    call.require_user("write")
    args = call.args
    with flickr_errors({**CHANGE_CODES, set_actions.NO_TITLE: NO_TITLE}):
        set_id = await set_actions.create(
            call.site,
            call.viewer,
            title=args["title"],
            description=args["description"],
            primary_photo_id=args["primary_photo_id"],
        )
    return {"photoset": {"id": str(set_id)}}


@registry.method(
    "flickr.photosets.addPhoto",
    "Add one of your photos to the end of one of your albums.",
    args=(PHOTOSET_ID, PHOTO_ID),
    errors=(OWN_SET_NOT_FOUND, PHOTO_NOT_FOUND, ALREADY_IN_SET),
    perms="write",
    description="The first photo added to an empty album becomes its primary.",
)
async def add_photo(call: Call) -> Result:
    call.require_user("write")
    with flickr_errors(CHANGE_CODES):
        await set_actions.add_photo(
            call.site, call.viewer, call.args["photoset_id"], call.args["photo_id"]
        )
    return {}


@registry.method(
    "flickr.photosets.removePhoto",
    "Remove a photo from one of your albums (the photo itself stays).",
    args=(PHOTOSET_ID, PHOTO_ID),
    errors=(OWN_SET_NOT_FOUND, PHOTO_NOT_FOUND, NOT_IN_SET),
    perms="write",
    description="Removing the primary photo makes the album's first remaining photo its "
    "primary. An album left empty stays (shown to its owner only) until a photo is "
    "added or it is deleted.",
)
async def remove_photo(call: Call) -> Result:
    call.require_user("write")
    with flickr_errors(CHANGE_CODES):
        await set_actions.remove_photo(
            call.site, call.viewer, call.args["photoset_id"], call.args["photo_id"]
        )
    return {}


@registry.method(
    "flickr.photosets.delete",
    "Delete one of your albums (its photos stay).",
    args=(PHOTOSET_ID,),
    errors=(OWN_SET_NOT_FOUND,),
    perms="write",
)
async def delete(call: Call) -> Result:
    call.require_user("write")
    with flickr_errors(CHANGE_CODES):
        await set_actions.delete(call.site, call.viewer, call.args["photoset_id"])
    return {}


async def _primary_rows(
    conn: AsyncConnection, call: Call, sets: list[RowMapping]
) -> dict[int, RowMapping]:
    """Album id -> the primary photo row this caller is shown (through ``page_of``)."""
    chosen = await photosets.shown_primaries(conn, call.viewer, sets, collection_filters(call))
    if not chosen:
        return {}
    ids = sorted(set(chosen.values()))
    page = await photo_query.page_of(
        conn, call.viewer, [photos.c.id.in_(ids), *collection_filters(call)], per_page=len(ids)
    )
    rows = {int(r["id"]): r for r in page.rows}
    return {set_id: rows[pid] for set_id, pid in chosen.items() if pid in rows}


@registry.method(
    "flickr.photosets.getPhotos",
    "Get the photos of an album that the caller may see, in album order.",
    args=(
        PHOTOSET_ID,
        Arg("user_id", UserRef(), doc="The album's owner (checked when given)."),
        EXTRAS,
        Arg("privacy_filter", Integer(1, 5), doc="Your own albums only: 1 public .. 5 private."),
        Arg("media", Choice(("all", "photos", "videos")), doc="Photos only here.", default="all"),
        PAGE,
        Arg("per_page", Integer(1, 500), doc="Photos per page (at most 500).", default=500),
    ),
    errors=(SET_NOT_FOUND, USER_NOT_FOUND),
    perms="read",
    optional_auth=True,
    description="primary is a photo the caller may see (the album's own primary when "
    "they may see it, else the first photo of the album they may see).",
)
async def get_photos(call: Call) -> Result:
    args = call.args
    shown = collection_filters(call)
    async with call.site.db.read() as conn:
        album = await photosets.shown(conn, call.viewer, args["photoset_id"], shown)
        if album is None:
            raise ApiError(*SET_NOT_FOUND)
        owner_id = int(album["owner_id"])
        if args["user_id"] is not None:
            owner = await find_user(conn, call, args["user_id"], *USER_NOT_FOUND)
            if int(owner["id"]) != owner_id:
                raise ApiError(*SET_NOT_FOUND)
        where = list(shown)
        if args["privacy_filter"] is not None and owner_id == call.viewer.user_id:
            where.append(f.privacy(args["privacy_filter"]))
        if args["media"] == "videos":
            where.append(sa.false())  # photohub has no videos
        members = photosets.members(int(album["id"]))
        page = await photo_query.page_of(
            conn,
            call.viewer,
            where,
            page=args["page"],
            per_page=args["per_page"],
            join=members,
            order=(members.c.position.asc(), members.c.photo_id.asc()),
        )
        tags = await photos_api.tags_for(conn, page.rows, args["extras"])
        primary = (await _primary_rows(conn, call, [album])).get(int(album["id"]))
    primary_id = None if primary is None else int(primary["id"])
    result = page_result(
        page,
        args["extras"],
        call.base_url,
        tags,
        key="photoset",
        id=str(album["id"]),
        primary=str(primary_id or 0),
        owner=album["owner_nsid"],
        ownername=album["owner_username"],
        title=album["title"],
        per_page=page.per_page,
    )
    flags = {int(r["id"]): {"isprimary": int(int(r["id"]) == primary_id)} for r in page.rows}
    return annotate(result, "photoset", flags)


def _primary_extras(
    row: RowMapping, extras: list[str], base_url: str, tags: list[RowMapping]
) -> dict[str, Any]:
    """Flickr's ``primary_photo_extras``: the extras of the primary photo alone."""
    plain = list_item(row, [], base_url)
    full = list_item(row, extras, base_url, tags)
    return {k: v for k, v in full.items() if k not in plain}


@registry.method(
    "flickr.photosets.getList",
    "Returns a user's albums that the caller may see, newest first, with photo counts.",
    args=(
        Arg("user_id", UserRef(), doc="Whose albums; the calling user when left out."),
        PAGE,
        Arg("per_page", Integer(1, 500), doc="Albums per page (at most 500).", default=500),
        Arg("primary_photo_extras", EXTRAS_ARG, doc="Extras of each primary photo.", default=[]),
    ),
    errors=(USER_NOT_FOUND,),
    perms="read",
    optional_auth=True,
    description="photos counts only the photos the caller may see; albums with none of "
    "them are left out (except for their owner, who sees every album).",
)
async def get_list(call: Call) -> Result:
    args = call.args
    shown = collection_filters(call)
    async with call.site.db.read() as conn:
        owner = await find_user(conn, call, args["user_id"] or "me", *USER_NOT_FOUND)
        owner_id = int(owner["id"])
        total, sets = await photosets.page_of_owner(
            conn, owner_id, call.viewer, shown, page=args["page"], per_page=args["per_page"]
        )
        ids = [int(s["id"]) for s in sets]
        counts = await photosets.shown_counts(conn, call.viewer, ids, shown)
        primaries = await _primary_rows(conn, call, sets)
        tags = await photos_api.tags_for(
            conn, list(primaries.values()), args["primary_photo_extras"]
        )
    items = []
    for album in sets:
        set_id = int(album["id"])
        primary = primaries.get(set_id)
        item: dict[str, Any] = {
            "id": str(set_id),
            "owner": album["owner_nsid"],
            "username": album["owner_username"],
            "primary": str(primary["id"]) if primary is not None else "0",
            "secret": primary["secret"] if primary is not None else "",
            "server": "1",
            "farm": 1,
            "photos": counts.get(set_id, 0),
            "videos": 0,
            "count_views": "0",
            "count_comments": "0",
            "can_comment": 0,
            "date_create": unix_text(album["created_at"]),
            "date_update": unix_text(album["updated_at"]),
            "visibility_can_see_set": 1,
            "needs_interstitial": 0,
            "title": {"_content": album["title"]},
            "description": {"_content": album["description"]},
        }
        if args["primary_photo_extras"] and primary is not None:
            item["primary_photo_extras"] = _primary_extras(
                primary,
                args["primary_photo_extras"],
                call.base_url,
                tags.get(int(primary["id"]), []),
            )
        items.append(item)
    per_page = args["per_page"]
    return {
        "photosets": {
            "page": args["page"],
            "pages": (total + per_page - 1) // per_page,
            "perpage": per_page,
            "total": total,
            "cancreate": int(owner_id == call.viewer.user_id),
            "photoset": items,
        }
    }
