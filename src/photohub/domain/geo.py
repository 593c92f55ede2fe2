"""Geo maths for Flickr-compatible search: bounding boxes, radius circles, accuracy.

Everything here is pure. SQL filters with plain ``BETWEEN`` ranges from
:func:`bbox_ranges` / :func:`circle_bbox` (one range, or two where an area crosses the
antimeridian), then the caller checks the exact distance with :func:`haversine_km`.

Flickr's rules, from the flickr.photos.search documentation:

* ``bbox``: "minimum_longitude, minimum_latitude, maximum_longitude, maximum_latitude";
  longitude -180..180, latitude -90..90. Flickr itself rejects a box with
  min_lon > max_lon; photohub reads it as a box crossing the antimeridian (the way a map
  showing Fiji sends it).
* ``radius``: "greater than zero and less than 20 miles (or 32 kilometers) ... The
  default value is 5 (km)"; ``radius_units`` "mi" or "km", default "km". photohub accepts
  the limits themselves (32 km, 20 mi).
* ``accuracy``: "World level is 1, Country is ~3, Region is ~6, City is ~11, Street is
  ~16 ... Defaults to maximum value if not specified."

Errors are :class:`GeoError` with Flickr's numbers. An unreadable bbox is code 4 "Not a
valid bounding box": what flickr.photos.search answers, as observed by its clients (the
method's documentation lists no bbox error, and its documented code 4 is a group-pool
permission error; photohub keeps Flickr's number, since clients match on it). Every
other bad value is photohub's global code 91 (invalid argument) naming the argument;
callers whose method documents its own codes (e.g. flickr.photos.geo.setLocation's
"Not a valid latitude") map them by :attr:`GeoError.argument`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, NamedTuple

# Mean Earth radius (IUGG), the usual sphere for haversine distances.
EARTH_RADIUS_KM = 6371.0088
KM_PER_MILE = 1.609344

# Flickr's codes. BBOX_INVALID is flickr.photos.search's own; 91 is photohub's global
# "invalid argument" (api.errors.INVALID_ARGUMENT; domain imports nothing of api).
BBOX_INVALID = 4
BBOX_INVALID_MESSAGE = "Not a valid bounding box"
INVALID_ARGUMENT = 91

# flickr.photos.search radius limits, per unit.
RADIUS_UNITS = ("km", "mi")
DEFAULT_RADIUS_KM = 5.0
MAX_RADIUS = {"km": 32.0, "mi": 20.0}

# Flickr accuracy levels.
ACCURACY_WORLD = 1
ACCURACY_COUNTRY = 3
ACCURACY_REGION = 6
ACCURACY_CITY = 11
ACCURACY_STREET = 16
MIN_ACCURACY, MAX_ACCURACY = ACCURACY_WORLD, ACCURACY_STREET
DEFAULT_ACCURACY = MAX_ACCURACY

PlaceType = Literal["locality", "region", "country"]

# Ranges are widened by this much (about 0.1 mm) so a point exactly on a circle's
# bounding latitude or longitude is not lost to rounding before the exact distance check.
_EPSILON_DEG = 1e-9


class GeoError(ValueError):
    """A geo argument Flickr would refuse: its numeric code, a message, the argument."""

    def __init__(self, code: int, message: str, *, argument: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.argument = argument


def _invalid(argument: str, problem: str) -> GeoError:
    # The same wording as api.rest gives every other invalid argument.
    return GeoError(
        INVALID_ARGUMENT, f"Invalid argument {argument}: it {problem}", argument=argument
    )


class LatLonRange(NamedTuple):
    """One plain rectangle in degrees: ``min_lat <= lat <= max_lat`` and
    ``min_lon <= lon <= max_lon``, with ``min_lon <= max_lon`` always."""

    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float

    def contains(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


@dataclass(frozen=True)
class BBox:
    """A flickr.photos.search bounding box. ``min_lon > max_lon`` means the box crosses
    the antimeridian: it runs east from ``min_lon`` to 180 and on from -180 to
    ``max_lon``."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @property
    def crosses_antimeridian(self) -> bool:
        return self.min_lon > self.max_lon

    def contains(self, lat: float, lon: float) -> bool:
        if not self.min_lat <= lat <= self.max_lat:
            return False
        if self.crosses_antimeridian:
            return lon >= self.min_lon or lon <= self.max_lon
        return self.min_lon <= lon <= self.max_lon

    def __str__(self) -> str:
        """The Flickr text form, ``min_lon,min_lat,max_lon,max_lat``."""
        return ",".join(repr(v) for v in (self.min_lon, self.min_lat, self.max_lon, self.max_lat))


WORLD = BBox(-180.0, -90.0, 180.0, 90.0)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_bbox(text: str) -> BBox:
    """Read flickr.photos.search's ``bbox``: four numbers, ``min_lon,min_lat,max_lon,
    max_lat``. Raises :class:`GeoError` code 4 "Not a valid bounding box"."""
    parts = text.split(",")
    values = [_number(part.strip()) for part in parts] if len(parts) == 4 else []
    numbers = [v for v in values if v is not None]
    if len(numbers) != 4:
        raise GeoError(BBOX_INVALID, BBOX_INVALID_MESSAGE, argument="bbox")
    min_lon, min_lat, max_lon, max_lat = numbers
    lats_ok = -90.0 <= min_lat <= max_lat <= 90.0
    lons_ok = -180.0 <= min_lon <= 180.0 and -180.0 <= max_lon <= 180.0
    if not (lats_ok and lons_ok):
        raise GeoError(BBOX_INVALID, BBOX_INVALID_MESSAGE, argument="bbox")
    return BBox(min_lon, min_lat, max_lon, max_lat)


def bbox_ranges(b: BBox) -> list[LatLonRange]:
    """The box as one plain range, or two split at the antimeridian, for SQL's
    ``latitude BETWEEN ? AND ? AND longitude BETWEEN ? AND ?`` (OR-ed)."""
    if not b.crosses_antimeridian:
        return [LatLonRange(b.min_lat, b.max_lat, b.min_lon, b.max_lon)]
    return [
        LatLonRange(b.min_lat, b.max_lat, b.min_lon, 180.0),
        LatLonRange(b.min_lat, b.max_lat, -180.0, b.max_lon),
    ]


def validate_latitude(lat: float, argument: str = "lat") -> float:
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise _invalid(argument, "must be a latitude from -90 to 90")
    return float(lat)


def validate_longitude(lon: float, argument: str = "lon") -> float:
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise _invalid(argument, "must be a longitude from -180 to 180")
    return float(lon)


def radius_km(radius: float | None = None, units: str | None = None) -> float:
    """flickr.photos.search's ``radius`` in ``radius_units`` ("km" or "mi"; empty or
    None means km), as kilometres. None means Flickr's default, 5 km. The radius must be
    more than 0 and at most 32 km or 20 mi (Flickr says "less than"; the limit itself is
    accepted, as clients send exactly 32 or 20)."""
    unit = (units or "km").strip().lower() or "km"
    if unit not in MAX_RADIUS:
        raise _invalid("radius_units", 'must be "km" or "mi"')
    if radius is None:
        return DEFAULT_RADIUS_KM
    limit = MAX_RADIUS[unit]
    if not (math.isfinite(radius) and 0.0 < radius <= limit):
        raise _invalid("radius", f"must be more than 0 and at most {limit:g} {unit}")
    return radius * KM_PER_MILE if unit == "mi" else float(radius)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km on a sphere of the mean Earth radius."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _lon_ranges(min_lat: float, max_lat: float, lon: float, half: float) -> list[LatLonRange]:
    west, east = lon - half, lon + half
    if half >= 180.0 or east - west >= 360.0:
        return [LatLonRange(min_lat, max_lat, -180.0, 180.0)]
    if west < -180.0:
        return [
            LatLonRange(min_lat, max_lat, west + 360.0, 180.0),
            LatLonRange(min_lat, max_lat, -180.0, east),
        ]
    if east > 180.0:
        return [
            LatLonRange(min_lat, max_lat, west, 180.0),
            LatLonRange(min_lat, max_lat, -180.0, east - 360.0),
        ]
    return [LatLonRange(min_lat, max_lat, west, east)]


def circle_bbox(lat: float, lon: float, radius_km: float) -> list[LatLonRange]:
    """Ranges that together contain every point within ``radius_km`` of (lat, lon).

    A pre-filter: a point inside them may still be farther away (the corners), so check
    :func:`haversine_km` after. Latitude spans ``lat ± d`` (d = radius as an angle). If
    that reaches a pole, the circle contains the pole and spans all longitudes; else
    the longitude half-width is ``asin(sin d / cos lat)``, the exact extent of a circle
    on the sphere (wider than ``d`` away from the equator), split at the antimeridian.
    """
    validate_latitude(lat)
    validate_longitude(lon)
    if not (math.isfinite(radius_km) and radius_km >= 0.0):
        raise _invalid("radius", "must be a distance of 0 or more")
    d = radius_km / EARTH_RADIUS_KM
    d_deg = math.degrees(d)
    min_lat = lat - d_deg - _EPSILON_DEG
    max_lat = lat + d_deg + _EPSILON_DEG
    if d >= math.pi:  # the whole sphere
        return [LatLonRange(-90.0, 90.0, -180.0, 180.0)]
    if max_lat >= 90.0 or min_lat <= -90.0:
        return [LatLonRange(max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0)]
    ratio = math.sin(d) / math.cos(math.radians(lat))
    half = 180.0 if ratio >= 1.0 else math.degrees(math.asin(ratio)) + _EPSILON_DEG
    return _lon_ranges(min_lat, max_lat, lon, half)


def validate_accuracy(accuracy: int | None) -> int:
    """Flickr's accuracy, 1 (world) to 16 (street); None means the default, 16."""
    if accuracy is None:
        return DEFAULT_ACCURACY
    if isinstance(accuracy, bool) or not isinstance(accuracy, int):
        raise _invalid("accuracy", "must be a whole number from 1 to 16")
    if not MIN_ACCURACY <= accuracy <= MAX_ACCURACY:
        raise _invalid("accuracy", "must be from 1 to 16")
    return accuracy


def accuracy_place_type(accuracy: int) -> PlaceType | None:
    """The place level an accuracy asks for (flickr.places.findByLatLon): 11-16 a
    locality, 6-10 a region, 3-5 a country, 1-2 none (photohub keeps no continents)."""
    level = validate_accuracy(accuracy)
    if level >= ACCURACY_CITY:
        return "locality"
    if level >= ACCURACY_REGION:
        return "region"
    if level >= ACCURACY_COUNTRY:
        return "country"
    return None
