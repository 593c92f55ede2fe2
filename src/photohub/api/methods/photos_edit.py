"""flickr.photos.*: changing photos (delete, meta, perms, safety, tags). Owner only;
for anyone else the photo does not exist (error 1), as on Flickr."""

from __future__ import annotations

from photohub.actions import photos as photo_actions
from photohub.actions import tags as tag_actions
from photohub.api.args import Arg, Flag, Integer, Text, row_id
from photohub.api.call import Call
from photohub.api.common import PHOTO_ID, PHOTO_NOT_FOUND, as_owner
from photohub.api.errors import ApiError
from photohub.api.registry import Result, registry
from photohub.domain.errors import PhotohubError
from photohub.domain.photos import DESCRIPTION_MAX, TITLE_MAX
from photohub.domain.privacy import visibility_from_flags
from photohub.domain.tags import Tag, TagError, make_tags


@registry.method(
    "flickr.photos.delete",
    "Delete a photo.",
    args=(PHOTO_ID,),
    perms="delete",
    errors=(PHOTO_NOT_FOUND,),
)
async def delete(call: Call) -> Result:
    await as_owner(
        call, "delete", photo_actions.delete(call.site, call.viewer, call.args["photo_id"])
    )
    return {}


@registry.method(
    "flickr.photos.setMeta",
    "Set the title and/or description of a photo.",
    args=(
        PHOTO_ID,
        Arg("title", Text(TITLE_MAX), doc="The new title."),
        Arg("description", Text(DESCRIPTION_MAX), doc="The new description."),
    ),
    perms="write",
    errors=(PHOTO_NOT_FOUND,),
)
async def set_meta(call: Call) -> Result:
    args = call.args
    if args["title"] is None and args["description"] is None:
        raise ApiError(91, "Invalid argument: give a title or a description (or both).")
    await as_owner(
        call,
        "write",
        photo_actions.edit(
            call.site,
            call.viewer,
            args["photo_id"],
            title=args["title"],
            description=args["description"],
        ),
    )
    return {}


@registry.method(
    "flickr.photos.setPerms",
    "Set who may see a photo. A change that takes it away from anyone gives it new file "
    "URLs (the old ones answer 404).",
    args=(
        PHOTO_ID,
        Arg("is_public", Flag(), required=True, doc="1 for a public photo."),
        Arg("is_friend", Flag(), required=True, doc="1 for friends to see it."),
        Arg("is_family", Flag(), required=True, doc="1 for family to see it."),
        Arg("perm_comment", Integer(0, 3), doc="Accepted for compatibility."),
        Arg("perm_addmeta", Integer(0, 3), doc="Accepted for compatibility."),
    ),
    perms="write",
    errors=(PHOTO_NOT_FOUND,),
)
async def set_perms(call: Call) -> Result:
    args = call.args
    visibility = visibility_from_flags(args["is_public"], args["is_friend"], args["is_family"])
    await as_owner(
        call,
        "write",
        photo_actions.set_perms(call.site, call.viewer, args["photo_id"], visibility),
    )
    return {"photoid": {"secret": "", "originalsecret": "", "_content": str(args["photo_id"])}}


@registry.method(
    "flickr.photos.setSafetyLevel",
    "Set the safety level of a photo, and whether it is hidden from public searches.",
    args=(
        PHOTO_ID,
        Arg("safety_level", Integer(1, 3), doc="1 safe, 2 moderate, 3 restricted."),
        Arg("hidden", Flag(), doc="1 to keep it out of public searches."),
    ),
    perms="write",
    errors=(PHOTO_NOT_FOUND,),
)
async def set_safety_level(call: Call) -> Result:
    args = call.args
    await as_owner(
        call,
        "write",
        photo_actions.set_safety(
            call.site,
            call.viewer,
            args["photo_id"],
            safety_level=args["safety_level"],
            hidden=args["hidden"],
        ),
    )
    return {}


TAG_ERRORS = (PHOTO_NOT_FOUND, (2, "Maximum number of tags reached (75 per photo)."))


def make_tags_or_fail(call: Call) -> list[Tag]:
    try:
        return make_tags(call.args["tags"])
    except TagError as exc:
        raise ApiError(2, exc.message) from None


@registry.method(
    "flickr.photos.setTags",
    "Set the tags of a photo, replacing all of them (space-separated, quotes for phrases).",
    args=(PHOTO_ID, Arg("tags", Text(20000), required=True, doc="All the tags.")),
    perms="write",
    errors=TAG_ERRORS,
)
async def set_tags(call: Call) -> Result:
    tags = make_tags_or_fail(call)
    await as_owner(
        call, "write", tag_actions.set_tags(call.site, call.viewer, call.args["photo_id"], tags)
    )
    return {}


@registry.method(
    "flickr.photos.addTags",
    "Add tags to a photo.",
    args=(PHOTO_ID, Arg("tags", Text(20000), required=True, doc="The tags to add.")),
    perms="write",
    errors=TAG_ERRORS,
)
async def add_tags(call: Call) -> Result:
    tags = make_tags_or_fail(call)
    await as_owner(
        call, "write", tag_actions.add_tags(call.site, call.viewer, call.args["photo_id"], tags)
    )
    return {}


@registry.method(
    "flickr.photos.removeTag",
    "Remove a tag from a photo (tag ids come from getInfo, such as 5-12).",
    args=(Arg("tag_id", Text(60), required=True, doc="The tag's id."),),
    perms="write",
    errors=((1, "Photo not found"), (2, "Tag not found")),
)
async def remove_tag(call: Call) -> Result:
    photo_part, _, tag_part = call.args["tag_id"].strip().partition("-")
    photo_id, tag_id = row_id(photo_part), row_id(tag_part)
    if photo_id is None or tag_id is None:  # also out of the database's range
        raise ApiError(2, "Tag not found")
    call.require_user("write")
    try:
        await tag_actions.remove_tag(call.site, call.viewer, photo_id, tag_id)
    except tag_actions.TagNotFound:
        raise ApiError(2, "Tag not found") from None
    except PhotohubError:
        raise ApiError(*PHOTO_NOT_FOUND) from None
    return {}
