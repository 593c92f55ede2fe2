"""flickr.photos.getInfo's answer: one photo in full, as far as the caller may see it."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.api.call import Call
from photohub.api.photolist import mysql_date, owner_name, owner_nsid, rendition_for, unix, url_of
from photohub.domain.privacy import flags_of, geo_flags_of, may_see_location
from photohub.places import gazetteer
from photohub.store import faves, photos_api, visibility
from photohub.store import tags as tag_store


def tag_items(rows: list[RowMapping], owner: str) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{t['photo_id']}-{t['id']}",
            "author": owner,
            "raw": t["raw"],
            "_content": t["tag"],
            "machine_tag": int(t["namespace"] is not None),
        }
        for t in rows
    ]


async def location_of(row: RowMapping) -> dict[str, Any]:
    """A visible location with its places, as getInfo and geo.getLocation show it. The
    gazetteer is read in a thread: after a restart its first use loads it (seconds)."""
    levels = (("locality", "place_city"), ("region", "place_region"), ("country", "place_country"))
    woe_ids = [row[column] for _, column in levels]
    places = await asyncio.to_thread(
        lambda: [gazetteer.get(int(w)) if w is not None else None for w in woe_ids]
    )
    location: dict[str, Any] = {
        "latitude": row["latitude"],
        "longitude": row["longitude"],
        "accuracy": row["accuracy"] or 16,
        "context": 0,
    }
    for (level, _), place in zip(levels, places, strict=True):
        if place is not None:
            location[level] = {
                "_content": place.name,
                "place_id": place.place_id,
                "woeid": str(place.woe_id),
            }
    smallest = row["place_city"] or row["place_region"] or row["place_country"]
    if smallest is not None:
        location["woeid"] = str(smallest)
        location["place_id"] = gazetteer.encode_place_id(int(smallest))
    return location


async def photo_info(conn: AsyncConnection, call: Call, row: RowMapping) -> dict[str, Any]:
    photo_id = int(row["id"])
    relation = await visibility.relation(conn, call.viewer, row["user_id"])
    is_public, is_friend, is_family = flags_of(row["visibility"])
    tags = (await tag_store.tags_of(conn, [photo_id])).get(photo_id, [])
    largest = rendition_for(row, 100_000)
    photo: dict[str, Any] = {
        "id": str(photo_id),
        "secret": row["secret"],
        "server": "1",
        "farm": 1,
        "dateuploaded": str(unix(row["created_at"])),
        "isfavorite": int(await faves.is_fave(conn, call.viewer.user_id, photo_id)),
        "license": "0",
        "safety_level": str(row["safety_level"] - 1),
        "rotation": 0,
        "originalformat": row["ext"],
        "views": str(row["views"] + (0 if relation.is_owner else 1)),
        "media": "photo",
        "owner": {
            "nsid": owner_nsid(row),
            "username": owner_name(row),
            "realname": row["owner_realname"] or "",
            "location": "",
            "iconserver": "1",
            "iconfarm": 1,
            "path_alias": "",
        },
        "title": {"_content": row["title"]},
        "description": {"_content": row["description"]},
        "visibility": {
            "ispublic": int(is_public),
            "isfriend": int(is_friend),
            "isfamily": int(is_family),
        },
        "dates": {
            "posted": str(unix(row["created_at"])),
            "taken": mysql_date(row["taken_at"] or row["created_at"]),
            "takengranularity": 0,
            "takenunknown": int(row["taken_at"] is None),
            "lastupdate": str(unix(row["updated_at"])),
        },
        "editability": {"cancomment": 0, "canaddmeta": int(relation.is_owner)},
        "publiceditability": {"cancomment": 0, "canaddmeta": 0},
        "usage": {"candownload": 1, "canblog": 0, "canprint": 0, "canshare": 1},
        "comments": {"_content": 0},
        "notes": {"note": []},
        "people": {"haspeople": int(await photos_api.has_people(conn, photo_id))},
        "tags": {"tag": tag_items(tags, owner_nsid(row))},
        "urls": {"url": []},
    }
    if largest is not None:
        photo["urls"]["url"].append(
            {"type": "photopage", "_content": url_of(call.base_url, row, largest)}
        )
    if row["latitude"] is not None and may_see_location(
        row["visibility"], row["geo_perm"], relation
    ):
        photo["location"] = await location_of(row)
    if relation.is_owner:
        photo["permissions"] = {"permcomment": 3, "permaddmeta": 2}
        geo_public, geo_contact, geo_friend, geo_family = geo_flags_of(row["geo_perm"])
        photo["geoperms"] = {
            "ispublic": int(geo_public),
            "iscontact": int(geo_contact),
            "isfriend": int(geo_friend),
            "isfamily": int(geo_family),
        }
    return {"photo": photo}
