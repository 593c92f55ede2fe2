"""flickr.groups.pools.*: a group's photo pool. Members add their own photos; a photo's
owner or a group admin takes one out; every listing and count shows each photo only to
those who may see it."""

from __future__ import annotations

from sqlalchemy.sql.elements import ColumnElement

from photohub.actions import groups as group_actions
from photohub.api.args import NSID, Arg, Choice, Text
from photohub.api.call import Call
from photohub.api.common import EXTRAS, PAGE, PER_PAGE, PHOTO_ID, UserRef, find_user
from photohub.api.errors import ApiError
from photohub.api.listing import annotate, collection_filters, unix_text
from photohub.api.outcomes import flickr_errors
from photohub.api.photolist import owner_name, page_result
from photohub.api.registry import Result, registry
from photohub.domain.tags import clean_tag
from photohub.store import groups, photo_query, photos_api
from photohub.store.photo_query import SORTS
from photohub.store.tags import tag_condition

GROUP_ID = Arg("group_id", NSID(), required=True, doc="The group's NSID (such as 10000001@N02).")
POOL_SORTS = ("date-added-desc", "date-posted-desc", "views-desc", "interestingness-desc")

ADD_PHOTO_NOT_FOUND = (1, "Photo not found: the photo id was not one of your photos.")
ADD_GROUP_NOT_FOUND = (2, "Group not found: the group id was not a group you are a member of.")
ALREADY_IN_POOL = (3, "Photo already in pool.")
GROUP_NOT_FOUND = (1, "Group not found: the group id passed did not match a group.")
NOT_IN_POOL = (2, "Photo not in pool: the photo id was not a photo of the pool you may see.")
MAY_NOT_REMOVE = (3, "Insufficient permission to remove photo: not yours, and not an admin.")
USER_NOT_FOUND = (2, "User not found: the user id passed did not match an account.")


@registry.method(
    "flickr.groups.pools.add",
    "Add one of your photos to the pool of a group you are a member of.",
    args=(PHOTO_ID, GROUP_ID),
    errors=(ADD_PHOTO_NOT_FOUND, ADD_GROUP_NOT_FOUND, ALREADY_IN_POOL),
    perms="write",
    description="Any of your photos may be added; the pool shows it only to those who "
    "may see it (a private photo, to you alone).",
)
async def add(call: Call) -> Result:
    call.require_user("write")
    codes = {
        group_actions.PHOTO_NOT_FOUND: ADD_PHOTO_NOT_FOUND,
        group_actions.GROUP_NOT_FOUND: ADD_GROUP_NOT_FOUND,
        group_actions.ALREADY_IN_POOL: ALREADY_IN_POOL,
    }
    with flickr_errors(codes):
        await group_actions.pool_add(
            call.site, call.viewer, call.args["group_id"], call.args["photo_id"]
        )
    return {}


@registry.method(
    "flickr.groups.pools.remove",
    "Remove a photo from a group pool: the photo's owner or a group admin may.",
    args=(PHOTO_ID, GROUP_ID),
    errors=(GROUP_NOT_FOUND, NOT_IN_POOL, MAY_NOT_REMOVE),
    perms="write",
    description="A photo you may not see is not in the pool as far as you are told.",
)
async def remove(call: Call) -> Result:
    call.require_user("write")
    codes = {
        group_actions.GROUP_NOT_FOUND: GROUP_NOT_FOUND,
        group_actions.NOT_IN_POOL: NOT_IN_POOL,
        group_actions.MAY_NOT_REMOVE: MAY_NOT_REMOVE,
    }
    with flickr_errors(codes):
        await group_actions.pool_remove(
            call.site, call.viewer, call.args["group_id"], call.args["photo_id"]
        )
    return {}


@registry.method(
    "flickr.groups.pools.getPhotos",
    "Returns the photos of a group pool that the caller may see.",
    args=(
        GROUP_ID,
        Arg("tags", Text(255), doc="Only photos with this tag (one tag)."),
        Arg("user_id", UserRef(), doc="Only photos this user added to the pool."),
        EXTRAS,
        Arg(
            "sort",
            Choice(POOL_SORTS),
            doc="Newest in the pool first (default), newest uploads, or most viewed.",
            default="date-added-desc",
        ),
        PAGE,
        PER_PAGE,
    ),
    errors=(GROUP_NOT_FOUND, USER_NOT_FOUND),
    perms="read",
    optional_auth=True,
    description="Each photo has ownername and dateadded (when it joined the pool, Unix "
    "time). sort is a photohub addition; interestingness-desc is views here.",
)
async def get_photos(call: Call) -> Result:
    args = call.args
    async with call.site.db.read() as conn:
        group = await groups.by_nsid(conn, args["group_id"])
        if group is None:
            raise ApiError(*GROUP_NOT_FOUND)
        group_id = int(group["id"])
        added_by = None
        if args["user_id"] is not None:
            contributor = await find_user(conn, call, args["user_id"], *USER_NOT_FOUND)
            added_by = int(contributor["id"])
        pool = groups.pool(group_id, added_by=added_by)
        where: list[ColumnElement[bool]] = collection_filters(call)
        if args["tags"] and clean_tag(args["tags"]):
            where.append(tag_condition([clean_tag(args["tags"])]))
        order: tuple[ColumnElement[object], ...]
        if args["sort"] == "date-added-desc":
            order = (pool.c.added_at.desc(), pool.c.photo_id.desc())
        else:
            order = SORTS[args["sort"]]
        page = await photo_query.page_of(
            conn,
            call.viewer,
            where,
            page=args["page"],
            per_page=args["per_page"],
            join=pool,
            order=order,
        )
        tags = await photos_api.tags_for(conn, page.rows, args["extras"])
        added = await groups.added_dates(conn, group_id, [int(r["id"]) for r in page.rows])
    result = page_result(page, args["extras"], call.base_url, tags)
    extra = {
        int(r["id"]): {"ownername": owner_name(r), "dateadded": unix_text(added.get(int(r["id"])))}
        for r in page.rows
    }
    return annotate(result, "photos", extra)
