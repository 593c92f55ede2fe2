"""Finding the points near a point: rows of latitude, each sorted by longitude.

Points (places) are kept sorted by row, a band of :attr:`RowGrid.row_height` degrees of
latitude, and within a row by longitude in 1e-5 degrees (GeoNames gives coordinates to
5 decimals, so these integers are exact). A :class:`Cap` is every point within ``km``
of a point; :meth:`RowGrid.outward` gives the rows it reaches, nearest first, and
:meth:`RowGrid.runs` the positions of a row that may lie in it: the longitudes the cap
reaches there (two runs across the antimeridian, the whole row if the cap holds a
pole), found by bisection. The caller then measures the few points in those runs
exactly, on unit vectors (chord distance orders points as great-circle distance does).
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator

from photohub.domain.geo import EARTH_RADIUS_KM

E5 = 100_000  # coordinates are stored in 1e-5 degrees
_MARGIN_DEG = 1e-6  # widen every cap a little: it must hold at least its points
_FEW = 12  # points a row may hand over without a closer look at its latitudes


def unit_vector(lat: float, lon: float) -> tuple[float, float, float]:
    phi, lmb = math.radians(lat), math.radians(lon)
    return math.cos(phi) * math.cos(lmb), math.cos(phi) * math.sin(lmb), math.sin(phi)


def chord(km: float) -> float:
    """The straight-line distance between unit vectors ``km`` apart along the surface."""
    return 2.0 * math.sin(min(math.pi, km / EARTH_RADIUS_KM) / 2.0)


def arc_km(chord: float) -> float:
    return 2.0 * EARTH_RADIUS_KM * math.asin(min(1.0, chord / 2.0))


def row_of(lat_e5: int, row_height_e5: int) -> int:
    """The row of a latitude in 1e-5 degrees (the north pole joins the last row)."""
    return min((lat_e5 + 90 * E5) // row_height_e5, 180 * E5 // row_height_e5 - 1)


class Cap:
    """Every point within ``km`` of (lat, lon): the longitudes it reaches in a band of
    latitudes, for :meth:`RowGrid.runs`."""

    __slots__ = (
        "box",
        "cos_lat",
        "cos_theta",
        "lat",
        "lon",
        "polar",
        "reach",
        "sin_lat",
        "widest",
    )

    def __init__(self, lat: float, lon: float, km: float) -> None:
        theta = min(km / EARTH_RADIUS_KM, math.pi)
        self.lat, self.lon = lat, lon
        self.reach = math.degrees(theta) + _MARGIN_DEG  # in latitude
        self.polar = lat - self.reach <= -90.0 or lat + self.reach >= 90.0  # holds a pole
        phi = math.radians(lat)
        self.sin_lat, self.cos_lat = math.sin(phi), math.cos(phi)
        self.cos_theta = math.cos(theta)
        # The latitude where the cap is widest (its edge runs north-south there).
        self.widest = 0.0 if self.polar else math.asin(self.sin_lat / self.cos_theta)
        # All the longitudes it reaches (None: all), at `widest`.
        self.box: list[tuple[int, int]] | None = None
        if not self.polar:
            half = math.degrees(math.asin(math.sin(theta) / self.cos_lat)) + _MARGIN_DEG
            self.box = _lon_runs(lon - half, lon + half)

    def lon_runs(self, south: float, north: float) -> list[tuple[int, int]] | None:
        """The cap's longitudes between two latitudes, as runs of 1e-5 degrees: [] if
        it does not reach them, None for all."""
        if self.polar:
            return None
        low = math.radians(max(south, self.lat - self.reach))
        high = math.radians(min(north, self.lat + self.reach))
        if low > high:
            return []
        # The cap's width is largest at `widest`, less the farther from it.
        phi = min(max(self.widest, low), high)
        cos_dlon = (self.cos_theta - self.sin_lat * math.sin(phi)) / (self.cos_lat * math.cos(phi))
        if cos_dlon > 1.0 + 1e-12:
            return []
        if cos_dlon <= -1.0:
            return None
        half = math.degrees(math.acos(min(cos_dlon, 1.0))) + _MARGIN_DEG
        return _lon_runs(self.lon - half, self.lon + half)


class RowGrid:
    """Positions of points sorted by (row, longitude): ``starts[row]`` is the first
    position of a row, ``lon_e5[position]`` its point's longitude."""

    __slots__ = ("lon_e5", "row_height", "rows", "starts")

    def __init__(self, row_height_e5: int, starts: array[int], lon_e5: array[int]) -> None:
        self.rows = 180 * E5 // row_height_e5
        if len(starts) != self.rows + 1 or starts[-1] != len(lon_e5):
            raise ValueError("row starts do not match the points")
        self.row_height = row_height_e5 / E5
        self.starts = starts
        self.lon_e5 = lon_e5

    def outward(self, lat: float, reach: float) -> Iterator[tuple[int, float]]:
        """Rows (that hold points) and how far their latitudes lie from ``lat`` in
        degrees, nearest first, as far as ``reach``; the caller may stop early."""
        height, rows, starts = self.row_height, self.rows, self.starts
        here = min(max(int((lat + 90.0) / height), 0), rows - 1)
        if starts[here] != starts[here + 1]:
            yield here, 0.0
        north, south = here + 1, here - 1
        while True:
            gap_north = north * height - 90.0 - lat if north < rows else math.inf
            gap_south = lat - ((south + 1) * height - 90.0) if south >= 0 else math.inf
            if gap_north <= gap_south:
                if gap_north > reach:
                    return
                if starts[north] != starts[north + 1]:
                    yield north, gap_north
                north += 1
            else:
                if gap_south > reach:
                    return
                if starts[south] != starts[south + 1]:
                    yield south, gap_south
                south -= 1

    def runs(self, row: int, cap: Cap) -> list[tuple[int, int]]:
        """Runs ``(start, stop)`` of the row's positions whose points may lie in ``cap``
        (all that do, and a few that lie just outside). The cap's widest longitudes
        first (two bisections); where that leaves many points, the longitudes the cap
        reaches at this row's latitudes, which take some trigonometry."""
        start, stop = self.starts[row], self.starts[row + 1]
        found = [(start, stop)] if cap.box is None else self._within(cap.box, start, stop)
        if sum(b - a for a, b in found) <= _FEW:
            return found
        south = row * self.row_height - 90.0
        lons = cap.lon_runs(south, south + self.row_height)
        if lons is None:
            return found
        return [run for a, b in found for run in self._within(lons, a, b)]

    def _within(self, lons: list[tuple[int, int]], start: int, stop: int) -> list[tuple[int, int]]:
        found = []
        for west, east in lons:
            a = bisect_left(self.lon_e5, west, start, stop)
            b = bisect_right(self.lon_e5, east, a, stop)
            if a < b:
                found.append((a, b))
        return found

    def spans(self, lat: float, lon: float, km: float) -> list[tuple[int, int]]:
        """Runs ``(start, stop)`` of positions holding every point within ``km`` of
        (lat, lon), and some points a little farther."""
        cap = Cap(lat, lon, km)
        found: list[tuple[int, int]] = []
        for row, _ in self.outward(lat, cap.reach):
            found += self.runs(row, cap)
        return found


def _lon_runs(west: float, east: float) -> list[tuple[int, int]]:
    """Longitudes from ``west`` to ``east`` (either may lie beyond ±180) as runs of
    1e-5 degrees within [-180, 180]; 180 and -180 are the same meridian."""
    if east - west >= 360.0:
        return [(-180 * E5, 180 * E5)]
    low, high = math.floor(west * E5), math.ceil(east * E5)
    if low < -180 * E5:
        return [(-180 * E5, high), (low + 360 * E5, 180 * E5)]
    if high > 180 * E5:
        return [(low, 180 * E5), (-180 * E5, high - 360 * E5)]
    return [(low, high)]
