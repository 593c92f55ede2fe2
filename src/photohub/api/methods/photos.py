"""flickr.photos.*: reading photos (search, recent, info, contacts' photos, who faved)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.sql.elements import ColumnElement

from photohub.api.args import Arg, Choice, Date, Flag, Integer, Number, Text
from photohub.api.call import Call
from photohub.api.common import (
    EXTRAS,
    PAGE,
    PER_PAGE,
    PHOTO_ID,
    PHOTO_NOT_FOUND,
    UserRef,
    find_user,
    visible_photo,
)
from photohub.api.errors import INVALID_ARGUMENT, ApiError
from photohub.api.photoinfo import photo_info
from photohub.api.photolist import page_result, unix
from photohub.api.registry import Result, registry
from photohub.domain.geo import GeoError, bbox_ranges, parse_bbox, radius_km
from photohub.domain.machinetags import TagQueryError, parse_machine_tags, parse_search_tags
from photohub.places import gazetteer
from photohub.places.gazetteer import decode_place_id
from photohub.store import faves, groups, photo_query, photos_api
from photohub.store import photo_filters as f
from photohub.store.photo_query import SORT_NAMES
from photohub.store.tags import machine_tag_condition, tag_condition
from photohub.store.visibility import location_admitted

# Flickr: "Flickr will return at most the first 4,000 results for any given search query."
MAX_RESULTS = 4000

SEARCH_ERRORS = (
    (1, "Too many tags in ALL query: at most 20 tags with tag_mode=all."),
    (2, "Unknown user: the user_id passed did not match a user."),
    (3, "Parameterless searches have been disabled: use flickr.photos.getRecent instead."),
    (4, "You don't have permission to view this pool."),
    (11, "No valid machine tags."),
    (12, "Exceeded maximum allowable machine tags."),
    (17, "You can only search within your own contacts."),
)

SEARCH_ARGS = (
    Arg("user_id", UserRef(), doc="Only photos of this user (me for yourself)."),
    Arg("tags", Text(5000), doc="Comma-separated tags; a leading - excludes a tag."),
    Arg("tag_mode", Choice(("any", "all")), doc="Match any (OR) or all (AND) tags.", default="any"),
    Arg("machine_tags", Text(5000), doc="Machine tag patterns such as ns:pred=value, ns:, *:pred="),
    Arg(
        "machine_tag_mode", Choice(("any", "all")), doc="Match any or all patterns.", default="any"
    ),
    Arg("text", Text(500), doc="Words in the title, description or tags."),
    Arg("min_upload_date", Date(), doc="Uploaded on or after."),
    Arg("max_upload_date", Date(), doc="Uploaded on or before."),
    Arg("min_taken_date", Date(), doc="Taken on or after."),
    Arg("max_taken_date", Date(), doc="Taken on or before."),
    Arg("privacy_filter", Integer(1, 5), doc="Your own photos only: 1 public .. 5 private."),
    Arg("safe_search", Integer(1, 3), doc="1 safe, 2 moderate, 3 restricted."),
    Arg("content_type", Integer(1, 7), doc="1 photos, 2 screenshots, 3 other, 4-7 mixes."),
    Arg("has_geo", Flag(), doc="Only photos with (1) or without (0) a visible location."),
    Arg("bbox", Text(200), doc="min_lon,min_lat,max_lon,max_lat (may cross the antimeridian)."),
    Arg("lat", Number(-90, 90), doc="Centre of a radius search (with lon)."),
    Arg("lon", Number(-180, 180), doc="Centre of a radius search (with lat)."),
    Arg("radius", Number(0, 1000), doc="Radius of the search, at most 32 km / 20 mi (5 km)."),
    Arg("radius_units", Choice(("km", "mi")), doc="km (default) or mi.", default="km"),
    Arg("accuracy", Integer(1, 16), doc="Only locations at least this precise (1-16)."),
    Arg("place_id", Text(40), doc="Only photos geotagged in this place (flickr.places.*)."),
    Arg("woe_id", Integer(1, 2**31 - 1), doc="The same with a numeric place id."),
    Arg("group_id", Text(40), doc="Only photos in this group's pool."),
    EXTRAS,
    Arg("sort", Choice(SORT_NAMES), doc="Order of results.", default="date-posted-desc"),
    PAGE,
    PER_PAGE,
)


async def geo_conditions(call: Call) -> list[ColumnElement[bool]]:
    """bbox, radius and place filters. Each also requires the location to be visible to
    the caller, so a search never reveals where a hidden location is."""
    args = call.args
    found: list[ColumnElement[bool]] = []
    try:
        if args["bbox"] is not None:
            found.append(f.in_ranges(bbox_ranges(parse_bbox(args["bbox"]))))
        if (args["lat"] is None) != (args["lon"] is None):
            raise ApiError(INVALID_ARGUMENT, "Invalid argument: lat and lon go together.")
        if args["lat"] is not None:
            km = radius_km(args["radius"], args["radius_units"])
            found.append(f.within_km(args["lat"], args["lon"], km))
    except GeoError as exc:
        # Every bad geo argument is 91 here, the bbox too: Flickr answers a bad bbox with 4,
        # which photos.search also documents as "no permission to view this pool".
        message = exc.message
        if exc.code != INVALID_ARGUMENT:
            message = f"Invalid argument {exc.argument}: {exc.message.lower()}"
        raise ApiError(INVALID_ARGUMENT, message) from None
    woe_id = args["woe_id"]
    if args["place_id"] is not None:
        woe_id = decode_place_id(args["place_id"].strip())
        if woe_id is None:
            raise ApiError(INVALID_ARGUMENT, "Invalid argument place_id: no such place.")
    if woe_id is not None:
        place = await asyncio.to_thread(gazetteer.get, woe_id)  # the first use loads it
        if place is None:
            raise ApiError(INVALID_ARGUMENT, "Invalid argument place_id: no such place.")
        found.append(f.in_place(woe_id, place.place_type))
    if args["accuracy"] is not None:
        found.append(f.accuracy_at_least(args["accuracy"]))
    if found:
        found.append(location_admitted(call.viewer))
    return found


def safe_search_level(call: Call, asked: int | None) -> int:
    """Anonymous calls see only safe photos (Flickr); others choose, default safe."""
    if call.user is None:
        return 1
    return asked or 1


async def search_conditions(call: Call, conn: Any) -> list[ColumnElement[bool]]:
    """The filters of flickr.photos.search from its validated arguments."""
    args = call.args
    where: list[ColumnElement[bool]] = []
    owner_id: int | None = None
    if args["user_id"] is not None:
        owner = await find_user(conn, call, args["user_id"], 2, "Unknown user")
        owner_id = int(owner["id"])
        where.append(f.owner_is(owner_id))
    if args["text"]:
        where.append(f.text_matches(args["text"]))
    try:
        if args["tags"]:
            query = parse_search_tags(args["tags"], args["tag_mode"])
            if query.include or query.exclude:
                where.append(tag_condition(query.include, args["tag_mode"], exclude=query.exclude))
        if args["machine_tags"]:
            patterns = parse_machine_tags(args["machine_tags"], args["machine_tag_mode"])
            where.append(machine_tag_condition(patterns, args["machine_tag_mode"]))
    except TagQueryError as exc:
        raise ApiError(exc.code, exc.message) from None
    where += f.uploaded(args["min_upload_date"], args["max_upload_date"])
    where += f.taken(args["min_taken_date"], args["max_taken_date"])
    if args["content_type"] is not None:
        where.append(f.content_type(args["content_type"]))
    if args["has_geo"] is not None:
        located = location_admitted(call.viewer)
        where.append(located if args["has_geo"] else ~located)
    where += await geo_conditions(call)
    if args["group_id"] is not None:
        group = await groups.by_nsid(conn, args["group_id"])
        if group is None:
            raise ApiError(4, "You don't have permission to view this pool")
        where.append(f.in_group(int(group["id"])))
    own = owner_id is not None and owner_id == call.viewer.user_id
    if args["privacy_filter"] is not None and own:
        where.append(f.privacy(args["privacy_filter"]))
    if not where:
        raise ApiError(3, "Parameterless searches have been disabled. Use getRecent instead.")
    if not own:
        where.append(f.not_hidden())
        where.append(f.safety(safe_search_level(call, args["safe_search"])))
    return where


@registry.method(
    "flickr.photos.search",
    "Return a list of photos matching some criteria, as far as the caller may see them "
    "(at most the first 4,000, as on Flickr).",
    args=SEARCH_ARGS,
    errors=SEARCH_ERRORS,
    perms="read",
    optional_auth=True,
)
async def search(call: Call) -> Result:
    async with call.site.db.read() as conn:
        where = await search_conditions(call, conn)
        page = await photo_query.page_of(
            conn,
            call.viewer,
            where,
            sort=call.args["sort"],
            page=call.args["page"],
            per_page=call.args["per_page"],
            cap=MAX_RESULTS,
        )
        tags = await photos_api.tags_for(conn, page.rows, call.args["extras"])
    return page_result(page, call.args["extras"], call.base_url, tags)


@registry.method(
    "flickr.photos.getRecent",
    "Returns a list of the latest public photos uploaded.",
    args=(EXTRAS, PAGE, PER_PAGE),
)
async def get_recent(call: Call) -> Result:
    async with call.site.db.read() as conn:
        page = await photo_query.page_of(
            conn,
            call.viewer,
            [f.public(), f.not_hidden(), f.safety(1)],
            page=call.args["page"],
            per_page=call.args["per_page"],
            cap=MAX_RESULTS,
        )
        tags = await photos_api.tags_for(conn, page.rows, call.args["extras"])
    return page_result(page, call.args["extras"], call.base_url, tags)


@registry.method(
    "flickr.photos.getInfo",
    "Get information about a photo. Counts a view unless the caller owns it.",
    args=(PHOTO_ID, Arg("secret", Text(40), doc="The photo's secret (ignored if wrong).")),
    errors=(PHOTO_NOT_FOUND,),
    perms="read",
    optional_auth=True,
)
async def get_info(call: Call) -> Result:
    photo_id = call.args["photo_id"]
    async with call.site.db.write() as conn:
        row = await visible_photo(conn, call, photo_id)
        if row["user_id"] is None or row["user_id"] != call.viewer.user_id:
            await photos_api.count_view(conn, photo_id)
        return await photo_info(conn, call, row)


@registry.method(
    "flickr.photos.getContactsPhotos",
    "Recent photos from the calling user's contacts.",
    args=(
        Arg("count", Integer(10, 50), doc="Photos to return (10-50).", default=10),
        Arg("just_friends", Flag(), doc="Only from contacts marked friend or family."),
        Arg("single_photo", Flag(), doc="Only the latest photo of each contact."),
        Arg("include_self", Flag(), doc="Include your own photos."),
        EXTRAS,
    ),
    perms="read",
)
async def get_contacts_photos(call: Call) -> Result:
    user = call.require_user("read")
    args = call.args
    async with call.site.db.read() as conn:
        owners = await photos_api.contact_ids(conn, int(user["id"]), bool(args["just_friends"]))
        if args["include_self"]:
            owners.append(int(user["id"]))
        page = await photo_query.page_of(
            conn,
            call.viewer,
            [f.owners_in(owners)],
            # One photo per contact: look further back, keep each owner's newest.
            per_page=args["count"] * (10 if args["single_photo"] else 1),
        )
        rows = page.rows
        if args["single_photo"]:
            newest: dict[int, RowMapping] = {}
            for row in rows:
                newest.setdefault(int(row["user_id"]), row)
            rows = list(newest.values())[: args["count"]]
        tags = await photos_api.tags_for(conn, rows, args["extras"])
    result = page_result(
        photo_query.Page(rows, len(rows), 1, max(len(rows), 1)), args["extras"], call.base_url, tags
    )
    photos = result["photos"]
    return {"photos": {"total": len(rows), "photo": photos["photo"]}}


@registry.method(
    "flickr.photos.getFavorites",
    "Returns the list of people who have faved a given photo.",
    args=(PHOTO_ID, PAGE, Arg("per_page", Integer(1, 50), default=10, doc="At most 50.")),
    errors=(PHOTO_NOT_FOUND,),
    perms="read",
    optional_auth=True,
)
async def get_favorites(call: Call) -> Result:
    args = call.args
    async with call.site.db.read() as conn:
        await visible_photo(conn, call, args["photo_id"])
        total, people = await faves.favers(
            conn, args["photo_id"], page=args["page"], per_page=args["per_page"]
        )
    return {
        "photo": {
            "id": str(args["photo_id"]),
            "page": args["page"],
            "pages": (total + args["per_page"] - 1) // args["per_page"],
            "perpage": args["per_page"],
            "total": total,
            "person": [
                {
                    "nsid": p["nsid"],
                    "username": p["username"],
                    "realname": p["realname"],
                    "favedate": str(unix(p["faved_at"])),
                }
                for p in people
            ],
        }
    }
