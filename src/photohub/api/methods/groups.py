"""flickr.groups.*: groups, joining and leaving them, and what a group is. Groups are
open to everyone (Flickr's privacy 3, "public"); their pools are ``groups.pools``."""

from __future__ import annotations

from photohub.actions import groups as group_actions
from photohub.api.args import NSID, Arg, Flag, Text
from photohub.api.call import Call
from photohub.api.errors import ApiError
from photohub.api.listing import collection_filters
from photohub.api.outcomes import flickr_errors
from photohub.api.registry import Result, registry
from photohub.domain.photos import DESCRIPTION_MAX
from photohub.domain.social import ADMIN_ROLE, GROUP_NAME_MAX
from photohub.store import groups, photo_query
from photohub.store import photo_filters as f

GROUP_ID = Arg("group_id", NSID(), required=True, doc="The group's NSID (such as 10000001@N02).")
GROUP_NOT_FOUND = (1, "Group not found: the group id passed did not match a group.")
GROUP_DOES_NOT_EXIST = (2, "Group does not exist: the group id passed did not match a group.")
ALREADY_MEMBER = (4, "Account is already in that group.")
NOT_MEMBER = (3, "Account is not in that group.")
PUBLIC_GROUP = 3  # Flickr's group privacy: 1 private, 2 invite only, 3 public


@registry.method(
    "flickr.groups.create",
    "Create a group; you become its first member and admin.",
    args=(
        Arg("name", Text(GROUP_NAME_MAX, min_length=1), required=True, doc="The group's name."),
        Arg("description", Text(DESCRIPTION_MAX), doc="What the group is about."),
    ),
    perms="write",
    description="A photohub addition (Flickr creates groups on its web site only). "
    "Anyone may join a group; its pool shows each photo only to those who may see it.",
)
async def create(call: Call) -> Result:
    call.require_user("write")
    with flickr_errors({}):
        group = await group_actions.create(
            call.site, call.viewer, name=call.args["name"], description=call.args["description"]
        )
    return {
        "group": {
            "id": group["nsid"],
            "nsid": group["nsid"],
            "name": {"_content": group["name"]},
        }
    }


@registry.method(
    "flickr.groups.join",
    "Join a group as a member.",
    args=(GROUP_ID, Arg("accept_rules", Flag(), doc="Accepted for compatibility.")),
    errors=(GROUP_DOES_NOT_EXIST, ALREADY_MEMBER),
    perms="write",
)
async def join(call: Call) -> Result:
    call.require_user("write")
    codes = {
        group_actions.GROUP_NOT_FOUND: GROUP_DOES_NOT_EXIST,
        group_actions.ALREADY_MEMBER: ALREADY_MEMBER,
    }
    with flickr_errors(codes):
        await group_actions.join(call.site, call.viewer, call.args["group_id"])
    return {}


@registry.method(
    "flickr.groups.leave",
    "Leave a group.",
    args=(
        GROUP_ID,
        Arg("delete_photos", Flag(), doc="1 to also take your photos out of its pool."),
    ),
    errors=(GROUP_DOES_NOT_EXIST, NOT_MEMBER),
    perms="delete",
    description="As on Flickr: if you are the only admin left and others remain, the "
    "longest-standing member becomes admin; if you are the last member, the group is "
    "deleted (with its pool).",
)
async def leave(call: Call) -> Result:
    call.require_user("delete")
    codes = {
        group_actions.GROUP_NOT_FOUND: GROUP_DOES_NOT_EXIST,
        group_actions.NOT_MEMBER: NOT_MEMBER,
    }
    with flickr_errors(codes):
        await group_actions.leave(
            call.site,
            call.viewer,
            call.args["group_id"],
            delete_photos=bool(call.args["delete_photos"]),
        )
    return {}


@registry.method(
    "flickr.groups.getInfo",
    "Get information about a group.",
    args=(GROUP_ID,),
    errors=(GROUP_NOT_FOUND,),
    perms="read",
    optional_auth=True,
    description="pool_count counts only the pool photos the caller may see. "
    "Authenticated calls also get is_member and is_admin.",
)
async def get_info(call: Call) -> Result:
    async with call.site.db.read() as conn:
        group = await groups.by_nsid(conn, call.args["group_id"])
        if group is None:
            raise ApiError(*GROUP_NOT_FOUND)
        group_id = int(group["id"])
        members = await groups.member_count(conn, group_id)
        pool = await photo_query.page_of(
            conn, call.viewer, [f.in_group(group_id), *collection_filters(call)], per_page=1
        )
        role = await groups.role_of(conn, group_id, call.viewer.user_id)
    info: Result = {
        "id": group["nsid"],
        "nsid": group["nsid"],
        "path_alias": "",
        "iconserver": "0",
        "iconfarm": 0,
        "name": {"_content": group["name"]},
        "description": {"_content": group["description"]},
        "members": {"_content": str(members)},
        "pool_count": {"_content": str(pool.total)},
        "topic_count": {"_content": "0"},
        "privacy": {"_content": str(PUBLIC_GROUP)},
        "lang": "",
        "ispoolmoderated": 0,
    }
    if call.user is not None:
        info["is_member"] = int(role is not None)
        info["is_admin"] = int(role == ADMIN_ROLE)
    return {"group": info}
