"""flickr.photos.people.*: who is in a photo. The photo must be one the caller may see
(else error "photo not found", whether it is missing or hidden); its owner may add or
remove anyone, a person may add or remove themselves."""

from __future__ import annotations

from photohub.actions import photo_people as people_actions
from photohub.api.args import Arg
from photohub.api.call import Call
from photohub.api.common import PHOTO_ID, UserRef, visible_photo
from photohub.api.outcomes import flickr_errors
from photohub.api.persons import person_item
from photohub.api.registry import Result, registry
from photohub.store import photo_people

PERSON_NOT_FOUND = (1, "Person not found: the user id passed did not match an account.")
PHOTO_NOT_FOUND = (2, "Photo not found: the photo id was not valid or not visible to you.")
MAY_NOT_ADD = (4, "User cannot add people to that photo: you may add only yourself.")
MAY_NOT_REMOVE = (3, "User cannot remove that person: not your photo, and not you.")
NOT_IN_PHOTO = (1, "Person not found: the person is not in this photo.")
PERSON = Arg("user_id", UserRef(), required=True, doc="The person (me for yourself).")


async def _nsid(call: Call) -> str:
    """The person's NSID (``me`` is the caller)."""
    ref: str = call.args["user_id"]
    if ref == "me":
        return str(call.require_user("write")["nsid"])
    return ref


@registry.method(
    "flickr.photos.people.add",
    "Add a person to a photo.",
    args=(PHOTO_ID, PERSON),
    errors=(PERSON_NOT_FOUND, PHOTO_NOT_FOUND, MAY_NOT_ADD),
    perms="write",
    description="The photo's owner may add anyone; anyone else may add only themselves, "
    "to a photo they may see. Adding someone already in the photo changes nothing. "
    "Face boxes (person_x, person_y, person_w, person_h) are not kept.",
)
async def add(call: Call) -> Result:
    call.require_user("write")
    codes = {
        people_actions.PHOTO_NOT_FOUND: PHOTO_NOT_FOUND,
        people_actions.PERSON_NOT_FOUND: PERSON_NOT_FOUND,
        people_actions.MAY_NOT_ADD: MAY_NOT_ADD,
    }
    with flickr_errors(codes):
        await people_actions.add(call.site, call.viewer, call.args["photo_id"], await _nsid(call))
    return {}


@registry.method(
    "flickr.photos.people.delete",
    "Remove a person from a photo.",
    args=(PHOTO_ID, PERSON),
    errors=(PERSON_NOT_FOUND, PHOTO_NOT_FOUND, MAY_NOT_REMOVE),
    perms="write",
    description="The photo's owner may remove anyone; a person may remove themselves.",
)
async def delete(call: Call) -> Result:
    call.require_user("write")
    codes = {
        people_actions.PHOTO_NOT_FOUND: PHOTO_NOT_FOUND,
        people_actions.PERSON_NOT_FOUND: PERSON_NOT_FOUND,
        people_actions.NOT_IN_PHOTO: NOT_IN_PHOTO,
        people_actions.MAY_NOT_REMOVE: MAY_NOT_REMOVE,
    }
    with flickr_errors(codes):
        await people_actions.remove(
            call.site, call.viewer, call.args["photo_id"], await _nsid(call)
        )
    return {}


@registry.method(
    "flickr.photos.people.getList",
    "Get a list of people in a given photo.",
    args=(PHOTO_ID,),
    errors=((1, "Photo not found: the photo id was not valid or not visible to you."),),
    perms="read",
    optional_auth=True,
)
async def get_list(call: Call) -> Result:
    async with call.site.db.read() as conn:
        await visible_photo(conn, call, call.args["photo_id"])
        people = await photo_people.of_photo(conn, call.args["photo_id"])
    return {
        "people": {
            "total": len(people),
            "person": [{**person_item(p), "added_by": p["added_by_nsid"] or ""} for p in people],
        }
    }
