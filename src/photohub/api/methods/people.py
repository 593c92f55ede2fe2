"""flickr.people.*: finding people, who they are, and their photostreams, as far as the
caller may see them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.api.args import Arg, Date, Integer, Text
from photohub.api.call import Call
from photohub.api.common import EXTRAS, PAGE, PER_PAGE, UserRef, find_user
from photohub.api.errors import ApiError
from photohub.api.listing import collection_filters, stream_filters, unix_text
from photohub.api.persons import buddyicon, icon_fields
from photohub.api.photolist import mysql_date, page_result
from photohub.api.registry import Result, registry
from photohub.store import contacts, photo_query, photos_api, users
from photohub.store import photo_filters as f
from photohub.store.schema import photos

USER_NOT_FOUND = (1, "User not found: the user id passed did not match an account.")
SAFE_SEARCH = Arg(
    "safe_search",
    Integer(1, 3),
    doc="1 safe, 2 moderate, 3 restricted (anonymous calls see only safe photos).",
)


@registry.method(
    "flickr.people.findByUsername",
    "Return a user's NSID, given their username.",
    args=(Arg("username", Text(64, min_length=1), required=True, doc="The username."),),
    errors=(USER_NOT_FOUND,),
    perms="read",
    optional_auth=True,
)
async def find_by_username(call: Call) -> Result:
    async with call.site.db.read() as conn:
        user = await users.by_username(conn, call.args["username"])
    if user is None:
        raise ApiError(*USER_NOT_FOUND)
    return {
        "user": {
            "id": user["nsid"],
            "nsid": user["nsid"],
            "username": {"_content": user["username"]},
        }
    }


async def _relation_flags(conn: AsyncConnection, call: Call, person_id: int) -> dict[str, int]:
    """Flickr's contact attributes for an authenticated call: ``contact``/``friend``/
    ``family`` are the caller's marks of the person, ``rev*`` the person's of the caller."""
    me = call.viewer.user_id
    if me is None or me == person_id:
        return {}
    mine = await contacts.mark(conn, me, person_id)
    theirs = await contacts.mark(conn, person_id, me)
    return {
        "contact": int(mine is not None),
        "friend": int(bool(mine and mine["is_friend"])),
        "family": int(bool(mine and mine["is_family"])),
        "revcontact": int(theirs is not None),
        "revfriend": int(bool(theirs and theirs["is_friend"])),
        "revfamily": int(bool(theirs and theirs["is_family"])),
    }


async def _photo_summary(conn: AsyncConnection, call: Call, person_id: int) -> dict[str, Any]:
    """Count and first dates of the person's photos the caller may see (each through
    ``page_of``, so a hidden photo changes neither the count nor the dates)."""
    shown = [f.owner_is(person_id), *collection_filters(call)]
    first = await photo_query.page_of(conn, call.viewer, shown, sort="date-posted-asc", per_page=1)
    taken = await photo_query.page_of(
        conn,
        call.viewer,
        [*shown, photos.c.taken_at.is_not(None)],
        sort="date-taken-asc",
        per_page=1,
    )
    return {
        "firstdatetaken": {"_content": mysql_date(taken.rows[0]["taken_at"]) if taken.rows else ""},
        "firstdate": {"_content": unix_text(first.rows[0]["created_at"]) if first.rows else ""},
        "count": {"_content": first.total},
    }


def person_info(call: Call, user: RowMapping) -> dict[str, Any]:
    return {
        "id": user["nsid"],
        "nsid": user["nsid"],
        "ispro": 0,
        "is_institution": int(bool(user["is_institution"])),
        **icon_fields(user),
        "path_alias": "",
        "username": {"_content": user["username"]},
        "realname": {"_content": user["realname"]},
        "location": {"_content": ""},
        "description": {"_content": ""},
        "buddyicon": {"_content": buddyicon(call.base_url, user)},
    }


@registry.method(
    "flickr.people.getInfo",
    "Get information about a user: names, buddy icon, and the photos you may see.",
    args=(Arg("user_id", UserRef(), required=True, doc="The user (me for yourself)."),),
    errors=(USER_NOT_FOUND,),
    perms="read",
    optional_auth=True,
    description="photos.count and the first dates count only the photos the caller may "
    "see. Authenticated calls also get contact, friend and family (the caller's marks "
    "of the person) and revcontact, revfriend and revfamily (the person's of the "
    "caller). buddyicon is the icon's URL (a photohub addition); iconserver is 0 for "
    "the default icon.",
)
async def get_info(call: Call) -> Result:
    async with call.site.db.read() as conn:
        user = await find_user(conn, call, call.args["user_id"], *USER_NOT_FOUND)
        person = person_info(call, user)
        person.update(await _relation_flags(conn, call, int(user["id"])))
        person["photos"] = await _photo_summary(conn, call, int(user["id"]))
    return {"person": person}


@registry.method(
    "flickr.people.getPhotos",
    "Return photos from the given user's photostream that the caller may see.",
    args=(
        Arg("user_id", UserRef(), required=True, doc="Whose photos (me for yourself)."),
        SAFE_SEARCH,
        Arg("min_upload_date", Date(), doc="Uploaded on or after."),
        Arg("max_upload_date", Date(), doc="Uploaded on or before."),
        Arg("min_taken_date", Date(), doc="Taken on or after."),
        Arg("max_taken_date", Date(), doc="Taken on or before."),
        Arg("content_type", Integer(1, 7), doc="1 photos, 2 screenshots, 3 other, 4-7 mixes."),
        Arg("privacy_filter", Integer(1, 5), doc="Your own photos only: 1 public .. 5 private."),
        EXTRAS,
        PAGE,
        PER_PAGE,
    ),
    errors=((2, "Unknown user: the user_id passed did not match an account."),),
    perms="read",
    optional_auth=True,
)
async def get_photos(call: Call) -> Result:
    args = call.args
    async with call.site.db.read() as conn:
        owner = await find_user(conn, call, args["user_id"], 2, "Unknown user")
        owner_id = int(owner["id"])
        where = [f.owner_is(owner_id), *stream_filters(call, owner_id, args["safe_search"])]
        where += f.uploaded(args["min_upload_date"], args["max_upload_date"])
        where += f.taken(args["min_taken_date"], args["max_taken_date"])
        if args["content_type"] is not None:
            where.append(f.content_type(args["content_type"]))
        if args["privacy_filter"] is not None and owner_id == call.viewer.user_id:
            where.append(f.privacy(args["privacy_filter"]))
        page = await photo_query.page_of(
            conn, call.viewer, where, page=args["page"], per_page=args["per_page"]
        )
        tags = await photos_api.tags_for(conn, page.rows, args["extras"])
    return page_result(page, args["extras"], call.base_url, tags)


@registry.method(
    "flickr.people.getPublicPhotos",
    "Get a list of public photos for the given user (public ones only, even for its owner).",
    args=(
        Arg("user_id", UserRef(), required=True, doc="Whose photos (me for yourself)."),
        SAFE_SEARCH,
        EXTRAS,
        PAGE,
        PER_PAGE,
    ),
    errors=(USER_NOT_FOUND,),
    perms="read",
    optional_auth=True,
)
async def get_public_photos(call: Call) -> Result:
    args = call.args
    async with call.site.db.read() as conn:
        owner = await find_user(conn, call, args["user_id"], *USER_NOT_FOUND)
        owner_id = int(owner["id"])
        where = [f.owner_is(owner_id), f.public()]
        where += stream_filters(call, owner_id, args["safe_search"])
        page = await photo_query.page_of(
            conn, call.viewer, where, page=args["page"], per_page=args["per_page"]
        )
        tags = await photos_api.tags_for(conn, page.rows, args["extras"])
    return page_result(page, args["extras"], call.base_url, tags)
