"""flickr.places.*: the offline gazetteer (photohub.places) behind place ids."""

from __future__ import annotations

import asyncio
from typing import Any

from photohub.api.args import Arg, Integer, Number, Text
from photohub.api.call import Call
from photohub.api.errors import ApiError
from photohub.api.registry import Result, registry
from photohub.places import gazetteer
from photohub.places.gazetteer import Place


def place_item(place: Place) -> dict[str, Any]:
    return {
        "place_id": place.place_id,
        "woeid": str(place.woe_id),
        "latitude": round(place.latitude, 6),
        "longitude": round(place.longitude, 6),
        "place_url": "/places/" + place.place_id,
        "place_type": place.place_type,
        "place_type_id": place.place_type_id,
        "timezone": place.timezone,
        "name": place.full_name,
        "woe_name": place.name,
    }


@registry.method(
    "flickr.places.findByLatLon",
    "Return the place at a point: its locality, region or country, by accuracy.",
    args=(
        Arg("lat", Number(-90, 90), required=True, doc="Latitude."),
        Arg("lon", Number(-180, 180), required=True, doc="Longitude."),
        Arg(
            "accuracy",
            Integer(1, 16),
            doc="11-16 a locality, 6-10 a region, 3-5 a country, 1-2 nothing.",
            default=16,
        ),
    ),
)
async def find_by_lat_lon(call: Call) -> Result:
    args = call.args
    place = await asyncio.to_thread(
        gazetteer.find_by_lat_lon, args["lat"], args["lon"], args["accuracy"]
    )
    places = [] if place is None else [place_item(place)]
    return {
        "places": {
            "latitude": args["lat"],
            "longitude": args["lon"],
            "accuracy": args["accuracy"],
            "total": len(places),
            "place": places,
        }
    }


@registry.method(
    "flickr.places.getInfo",
    "Get information about a place (by place_id or woe_id), with its parents.",
    args=(
        Arg("place_id", Text(40), doc="A place id from another places or photos method."),
        Arg("woe_id", Integer(1, 2**31 - 1), doc="A numeric place id."),
    ),
    errors=((2, "Place not found."),),
)
async def get_info(call: Call) -> Result:
    key: str | int | None = call.args["place_id"] or call.args["woe_id"]
    if key is None:
        raise ApiError(90, "Missing required argument: place_id or woe_id")
    place = await asyncio.to_thread(gazetteer.get, key)
    if place is None:
        raise ApiError(2, "Place not found")
    info = place_item(place)
    for level, woe_id in (("region", place.region_woe_id), ("country", place.country_woe_id)):
        parent = gazetteer.get(woe_id) if woe_id is not None else None
        if parent is not None:
            info[level] = {**place_item(parent), "_content": parent.name}
    return {"place": info}
