"""flickr.photos.geo.* and flickr.prefs.getGeoPerms: geotags and who may see them."""

from __future__ import annotations

from photohub.actions import geo as geo_actions
from photohub.api.args import Arg, Flag, Integer, Number
from photohub.api.call import Call
from photohub.api.common import PHOTO_ID, PHOTO_NOT_FOUND, as_owner, visible_photo
from photohub.api.errors import ApiError
from photohub.api.photoinfo import location_of
from photohub.api.registry import Result, registry
from photohub.domain.privacy import geo_flags_of, geo_perm_from_flags, may_see_location
from photohub.store import visibility

NO_LOCATION = (2, "Photo has no location information.")


@registry.method(
    "flickr.photos.geo.getLocation",
    "Get the geo data (latitude, longitude, accuracy, places) of a photo.",
    args=(PHOTO_ID,),
    errors=(PHOTO_NOT_FOUND, NO_LOCATION),
    perms="read",
    optional_auth=True,
)
async def get_location(call: Call) -> Result:
    async with call.site.db.read() as conn:
        row = await visible_photo(conn, call, call.args["photo_id"])
        relation = await visibility.relation(conn, call.viewer, row["user_id"])
    if row["latitude"] is None or not may_see_location(
        row["visibility"], row["geo_perm"], relation
    ):
        raise ApiError(*NO_LOCATION)
    return {"photo": {"id": str(row["id"]), "location": await location_of(row)}}


@registry.method(
    "flickr.photos.geo.setLocation",
    "Set the location of a photo. Its geo permission becomes the most private of your "
    "default and its current one.",
    args=(
        PHOTO_ID,
        Arg("lat", Number(-90, 90), required=True, doc="Latitude, -90 to 90."),
        Arg("lon", Number(-180, 180), required=True, doc="Longitude, -180 to 180."),
        Arg("accuracy", Integer(1, 16), doc="1 (world) to 16 (street).", default=16),
        Arg("context", Integer(0, 2), doc="0 undefined, 1 indoors, 2 outdoors (ignored)."),
    ),
    perms="write",
    errors=(PHOTO_NOT_FOUND,),
)
async def set_location(call: Call) -> Result:
    args = call.args
    await as_owner(
        call,
        "write",
        geo_actions.set_location(
            call.site, call.viewer, args["photo_id"], args["lat"], args["lon"], args["accuracy"]
        ),
    )
    return {}


@registry.method(
    "flickr.photos.geo.removeLocation",
    "Remove the location of a photo.",
    args=(PHOTO_ID,),
    perms="write",
    errors=(PHOTO_NOT_FOUND,),
)
async def remove_location(call: Call) -> Result:
    await as_owner(
        call, "write", geo_actions.remove_location(call.site, call.viewer, call.args["photo_id"])
    )
    return {}


@registry.method(
    "flickr.photos.geo.setPerms",
    "Set who may see the location of a photo.",
    args=(
        PHOTO_ID,
        Arg("is_public", Flag(), required=True, doc="1: everyone who sees the photo."),
        Arg("is_contact", Flag(), required=True, doc="1: your contacts."),
        Arg("is_friend", Flag(), required=True, doc="1: contacts marked friend."),
        Arg("is_family", Flag(), required=True, doc="1: contacts marked family."),
    ),
    perms="write",
    errors=(PHOTO_NOT_FOUND,),
)
async def set_perms(call: Call) -> Result:
    args = call.args
    perm = geo_perm_from_flags(
        args["is_public"], args["is_contact"], args["is_friend"], args["is_family"]
    )
    await as_owner(
        call, "write", geo_actions.set_geo_perm(call.site, call.viewer, args["photo_id"], perm)
    )
    return {}


@registry.method(
    "flickr.photos.geo.getPerms",
    "Get who may see the location of one of your photos.",
    args=(PHOTO_ID,),
    perms="read",
    errors=(PHOTO_NOT_FOUND,),
)
async def get_perms(call: Call) -> Result:
    user = call.require_user("read")
    async with call.site.db.read() as conn:
        row = await visible_photo(conn, call, call.args["photo_id"])
    if row["user_id"] != user["id"]:
        raise ApiError(*PHOTO_NOT_FOUND)
    is_public, is_contact, is_friend, is_family = geo_flags_of(int(row["geo_perm"]))
    return {
        "perms": {
            "id": str(row["id"]),
            "ispublic": int(is_public),
            "iscontact": int(is_contact),
            "isfriend": int(is_friend),
            "isfamily": int(is_family),
        }
    }


@registry.method(
    "flickr.prefs.getGeoPerms",
    "Returns the default geo permission of your new geotags (1 public .. 6 private).",
    perms="read",
)
async def get_geo_perms(call: Call) -> Result:
    user = call.require_user("read")
    return {
        "person": {
            "nsid": user["nsid"],
            "geoperms": int(user["default_geo_perm"]),
            "importgeoexif": 0,
        }
    }
