"""The gazetteer's answers: one place, and the places a point lies in.

Plain frozen records, apart from :mod:`photohub.places.gazetteer` so that the index
that builds them and the gazetteer that returns them can both import them.
"""

from __future__ import annotations

from dataclasses import dataclass

from photohub.domain.geo import PlaceType
from photohub.places.ids import PLACE_TYPE_IDS


@dataclass(frozen=True)
class Place:
    """One place, as flickr.places.getInfo describes it."""

    place_id: str
    woe_id: int
    name: str  # the place's own name (Flickr's woe_name): "Paris"
    full_name: str  # with its parents: "Paris, Île-de-France, France"
    place_type: PlaceType
    latitude: float  # a locality's GeoNames point; a region's or country's centroid
    longitude: float
    country_code: str  # ISO 3166-1 alpha-2
    timezone: str  # IANA; a region's or country's is that of its most populous place
    region_woe_id: int | None  # parents: a locality's region (if GeoNames knows one)
    country_woe_id: int | None  # a locality's or a region's country

    @property
    def place_type_id(self) -> int:
        return PLACE_TYPE_IDS[self.place_type]


@dataclass(frozen=True)
class Places:
    """What :func:`photohub.places.gazetteer.reverse` finds; any level may be missing."""

    city: Place | None
    region: Place | None
    country: Place | None
    distance_km: float | None  # to the nearest GeoNames place, if within REGION_MAX_KM


NOWHERE = Places(None, None, None, None)
