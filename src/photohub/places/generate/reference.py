"""The gazetteer as photohub 0.1 built it at run time: KD-trees over GeoNames' places.

This is the reference the compact data file is made from and checked against, and the
baseline of ``benchmarks/gazetteer.py``; photohub does not import it at run time
(numpy and scipy are in the ``gazetteer-build`` and ``bench`` extras only).

Points are matched to GeoNames' places, not to boundary shapes. Lookups run in
KD-trees (scipy's ``cKDTree``) over 3-D unit vectors, where chord distance orders
points exactly as great-circle distance does: :meth:`PlaceIndex.nearest` finds the
nearest place, :meth:`PlaceIndex.covering` the most populous city whose disc (a city
of :data:`COVER_MIN_POPULATION` or more holding its population at
:data:`COVER_DENSITY_PER_KM2`) covers a point. Covering cities sit in population
bands, each with a tree of its own, so a small town's disc is not searched as far as
Shanghai's. A region's or country's point is the population-weighted centroid of its
places. Among places equally far (GeoNames lists a few at the very same point) the
trees answer the one they meet first: :mod:`photohub.places.generate.compile` records
that order in the data file.

:class:`PlaceIndex` is built once, from :mod:`photohub.places.generate.sources`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NamedTuple

from photohub.domain.geo import EARTH_RADIUS_KM, PlaceType
from photohub.places.generate.sources import NO_ADMIN1, read_admin1, read_cities, read_countries
from photohub.places.ids import encode_place_id, synthetic_region_id
from photohub.places.place import Place

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

from photohub.places.index import COVER_DENSITY_PER_KM2, COVER_MIN_POPULATION

# --- geometry on unit vectors --------------------------------------------------------


def unit_vector(lat: float, lon: float) -> tuple[float, float, float]:
    phi, lmb = math.radians(lat), math.radians(lon)
    return math.cos(phi) * math.cos(lmb), math.cos(phi) * math.sin(lmb), math.sin(phi)


def _unit_vectors(lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]) -> Any:
    import numpy as np

    phi, lmb = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(phi) * np.cos(lmb), np.cos(phi) * np.sin(lmb), np.sin(phi)))


def _lat_lon(x: float, y: float, z: float) -> tuple[float, float]:
    norm = math.sqrt(x * x + y * y + z * z)
    if norm == 0.0:
        return 0.0, 0.0
    lat = math.degrees(math.asin(max(-1.0, min(1.0, z / norm))))
    return lat, math.degrees(math.atan2(y, x))


def _chord(km: float) -> float:
    """The straight-line distance between unit vectors ``km`` apart along the surface."""
    return 2.0 * math.sin(min(math.pi, km / EARTH_RADIUS_KM) / 2.0)


def _arc_km(chord: float) -> float:
    return 2.0 * EARTH_RADIUS_KM * math.asin(min(1.0, chord / 2.0))


# --- the index -----------------------------------------------------------------------


# Population bands for covering cities: each has its own tree, searched as far as its
# largest disc reaches (20 km for Shanghai, 1.3 km below 100,000 people).
BANDS = (COVER_MIN_POPULATION, 100_000, 1_000_000, 10_000_000)


class _Band(NamedTuple):
    members: Any  # indices into the cities list
    vectors: Any
    min_dot: Any  # 1 - chord²/2 of each member's disc radius (chord: as a straight line)
    max_chord: float
    tree: Any


class PlaceIndex:
    """Everything the gazetteer knows, built once."""

    def __init__(self, min_population: int) -> None:
        import numpy as np
        from scipy.spatial import cKDTree

        self.min_population = min_population
        cols = read_cities(min_population)
        countries = read_countries()
        self.ids = cols.ids
        self.lat = cols.lat
        self.lon = cols.lon
        self.population = cols.population
        self.names = cols.names
        self.name_ends = cols.name_ends
        self.country_values = cols.country_values
        self.country_code = cols.country_code
        self.timezone_values = cols.timezone_values
        self.timezone_code = cols.timezone_code
        vectors = _unit_vectors(self.lat, self.lon)
        self.tree = cKDTree(vectors)

        # Cities that cover a disc, in population bands of their own trees, largest first.
        radius_km = np.sqrt(self.population / (math.pi * COVER_DENSITY_PER_KM2))
        chords = 2.0 * np.sin(radius_km / EARTH_RADIUS_KM / 2.0)
        self.bands: list[_Band] = []
        for low, high in reversed(list(zip(BANDS, (*BANDS[1:], math.inf), strict=True))):
            members = np.flatnonzero((self.population >= low) & (self.population < high))
            if len(members):
                band_vectors = vectors[members]
                self.bands.append(
                    _Band(
                        members,
                        band_vectors,
                        1.0 - chords[members] ** 2 / 2.0,
                        float(chords[members].max()),
                        cKDTree(band_vectors),
                    )
                )

        order = np.argsort(self.ids, kind="stable")
        self.sorted_ids = self.ids[order]
        self.sorted_index = order
        if np.any(self.sorted_ids[1:] == self.sorted_ids[:-1]):
            raise RuntimeError("duplicate geonameids in the cities list")

        region_keys = [
            (cc, code)
            for cc, _, code in (d.partition(".") for d in cols.division_values)
            if code not in NO_ADMIN1
        ]
        admin1 = read_admin1(region_keys)
        self.region_names: dict[int, str] = {}  # only regions with a known name
        self.region_codes: dict[int, str] = {}
        division_ids = []
        for division in cols.division_values:
            cc, _, code = division.partition(".")
            if code in NO_ADMIN1:
                division_ids.append(0)
                continue
            known = admin1.get((cc, code))
            woe = known[0] if known else synthetic_region_id(cc, code)
            if woe in self.region_codes:
                raise RuntimeError(f"region id {woe} of {division} is taken")
            division_ids.append(woe)
            self.region_codes[woe] = code
            if known:
                self.region_names[woe] = known[1]
        self.division_ids = division_ids  # region woe_id per division category, 0: none
        self.division_code = cols.division_code
        self.city_region = np.array(division_ids, dtype=np.int64)[cols.division_code]
        country_ids = [countries.get(cc, (0, ""))[0] for cc in cols.country_values]
        self.city_country = np.array(country_ids, dtype=np.int64)[cols.country_code]
        self.country_names = dict(countries.values())
        if set(self.country_names) & set(self.region_codes):
            raise RuntimeError("a region id equals a country id")
        self.regions = self._areas(self.city_region, vectors, "region")
        self.countries = self._areas(self.city_country, vectors, "country")

    def country_code_of(self, i: int) -> str:
        return self.country_values[int(self.country_code[i])]

    def timezone_of(self, i: int) -> str:
        return self.timezone_values[int(self.timezone_code[i])]

    def _areas(
        self, group: npt.NDArray[np.int64], vectors: Any, kind: PlaceType
    ) -> dict[int, Place]:
        """Regions or countries. The centroid is the population-weighted mean of their
        places' unit vectors; timezone and parent country are their largest place's."""
        import numpy as np

        keys, inverse = np.unique(group, return_inverse=True)
        weighted = np.zeros((len(keys), 3))
        np.add.at(weighted, inverse, vectors * self.population[:, None])
        by_size = np.lexsort((-self.population, inverse))  # by group, largest first
        starts = np.r_[0, np.flatnonzero(np.diff(inverse[by_size])) + 1]
        largest: list[int] = by_size[starts].tolist()
        places: dict[int, Place] = {}
        for k, woe in enumerate(keys.tolist()):
            if woe == 0:  # places in no known region (or country)
                continue
            top = largest[k]
            lat, lon = _lat_lon(*weighted[k].tolist())
            country = int(self.city_country[top]) or None
            if kind == "region":
                name = self.region_names.get(woe) or f"Region {self.region_codes[woe]}"
                parents = [self.country_names[country]] if country else []
                full_name = ", ".join([name, *parents])
            else:
                name = full_name = self.country_names[woe]
                country = None
            places[woe] = Place(
                place_id=encode_place_id(woe),
                woe_id=woe,
                name=name,
                full_name=full_name,
                place_type=kind,
                latitude=lat,
                longitude=lon,
                country_code=self.country_code_of(top),
                timezone=self.timezone_of(top),
                region_woe_id=None,
                country_woe_id=country,
            )
        return places

    def city(self, i: int) -> Place:
        woe = int(self.ids[i])
        region = int(self.city_region[i]) or None
        country = int(self.city_country[i]) or None
        name = self.name(i)
        parts = [name]
        if region is not None and region in self.region_names:
            parts.append(self.region_names[region])
        if country is not None:
            parts.append(self.country_names[country])
        return Place(
            place_id=encode_place_id(woe),
            woe_id=woe,
            name=name,
            full_name=", ".join(parts),
            place_type="locality",
            latitude=float(self.lat[i]),
            longitude=float(self.lon[i]),
            country_code=self.country_code_of(i),
            timezone=self.timezone_of(i),
            region_woe_id=region,
            country_woe_id=country,
        )

    def name(self, i: int) -> str:
        start = int(self.name_ends[i - 1]) if i else 0
        return self.names[start : int(self.name_ends[i])]

    def city_index(self, woe_id: int) -> int | None:
        import numpy as np

        at = int(np.searchsorted(self.sorted_ids, woe_id))
        if at < len(self.sorted_ids) and int(self.sorted_ids[at]) == woe_id:
            return int(self.sorted_index[at])
        return None

    def nearest(
        self, vector: tuple[float, float, float], max_km: float
    ) -> tuple[int, float] | None:
        """The nearest place within ``max_km``, and its distance in km."""
        chord, index = self.tree.query(vector, k=1, distance_upper_bound=_chord(max_km))
        if not math.isfinite(chord):
            return None
        return int(index), _arc_km(float(chord))

    def covering(self, vector: tuple[float, float, float]) -> int | None:
        """The most populous city whose disc covers the point, if any. Bands are tried
        from the largest cities down, so the first band with a covering city has it."""
        import numpy as np

        point = np.array(vector)
        for band in self.bands:
            found = band.tree.query_ball_point(point, band.max_chord)
            if not found:
                continue
            at = np.asarray(found, dtype=np.intp)
            # For unit vectors |a - b|² = 2 - 2 a·b: inside the disc when a·b >= min_dot.
            inside = at[band.vectors[at] @ point >= band.min_dot[at]]
            if len(inside):
                cities = band.members[inside]
                return int(cities[np.argmax(self.population[cities])])
        return None
