"""Check the compact gazetteer against the reference: the same answer everywhere.

:func:`sample_points` is a seeded mix of the points that break spatial indexes: uniform
on the sphere (mostly ocean), near places at several distances, the poles, the
antimeridian and the islands on it, and dense city centres. :func:`compare` asks both
indexes for the nearest place, the covering city and every place by id;
:func:`expectations` writes what the reference answers for a sample, the fixture of
``tests/places/test_identity.py``.
"""

from __future__ import annotations

import math
import random
from typing import Any

from photohub.places.gazetteer import CITY_MAX_KM, REGION_MAX_KM
from photohub.places.generate.reference import PlaceIndex as Reference
from photohub.places.grid import unit_vector
from photohub.places.index import PlaceIndex

SEED = 20261214

_ANTIMERIDIAN_ISLANDS = [(-17.8, 178.4), (-16.5, -179.9), (64.7, 177.5), (65.0, -179.0)]
_ANTIMERIDIAN_ISLANDS += [(51.8, -176.6), (52.0, 178.0), (1.87, -157.4), (-8.5, 179.2)]
_DENSE = [(48.8566, 2.3522), (35.6895, 139.6917), (40.7128, -74.006), (51.5074, -0.1278)]
_DENSE += [(31.2304, 121.4737), (19.076, 72.8777), (-23.55, -46.633), (50.85, 4.35)]
_DENSE += [(52.52, 13.40), (45.46, 9.19)]


def sample_points(
    lat: list[float], lon: list[float], count: int, seed: int = SEED
) -> list[tuple[float, float]]:
    """About ``count`` points (at least 200): 40% uniform on the sphere, 45% within
    0.001°-3° of a random place, the rest poles, antimeridian and dense centres."""
    rng = random.Random(seed)
    points = [(math.degrees(math.asin(rng.uniform(-1, 1))), rng.uniform(-180, 180))]
    points += [
        (math.degrees(math.asin(rng.uniform(-1, 1))), rng.uniform(-180, 180))
        for _ in range(count * 2 // 5)
    ]
    for spread in (0.001, 0.01, 0.05, 0.2, 1.0, 3.0):
        for _ in range(count * 3 // 40):
            i = rng.randrange(len(lat))
            p = max(-90.0, min(90.0, lat[i] + rng.uniform(-spread, spread)))
            q = (lon[i] + rng.uniform(-spread, spread) + 540.0) % 360.0 - 180.0
            points.append((p, q))
    for p in (90.0, -90.0, 89.999, -89.999, 89.5, -89.5, 85, -85, 80, -80, 78.2, -77.85):
        for q in (-180.0, -179.999, -90, 0.0, 45.5, 90, 179.999, 180.0):
            points.append((p, q))
    edges = [-180.0, 180.0, -179.9999, 179.9999]
    for _ in range(count // 20):
        q = rng.choice([*edges, rng.uniform(179, 180), rng.uniform(-180, -179)])
        points.append((rng.uniform(-90, 90), q))
    per_place = max(1, count // 160)
    for p0, q0 in _ANTIMERIDIAN_ISLANDS + _DENSE:
        for _ in range(per_place):
            p = p0 + rng.uniform(-1.0, 1.0)
            points.append((p, (q0 + rng.uniform(-1.0, 1.0) + 540) % 360 - 180))
    return points


def answers(index: Reference | PlaceIndex, lat: float, lon: float) -> tuple[Any, ...]:
    """(nearest woe_id, its distance in km, covering city woe_id), None where none."""
    vector = unit_vector(lat, lon)
    if isinstance(index, Reference):
        near = index.nearest(vector, REGION_MAX_KM)
        cover = index.covering(vector)
    else:
        near = index.nearest(lat, lon, vector, REGION_MAX_KM)
        cover = index.covering(lat, lon, vector)
    return (
        None if near is None else int(index.ids[near[0]]),
        None if near is None else near[1],
        None if cover is None else int(index.ids[cover]),
    )


def compare(reference: Reference, compact: PlaceIndex, count: int) -> list[str]:
    """Every difference between the two, as lines of text: none if identical (a
    distance may differ in its last bits)."""
    lat, lon = reference.lat.tolist(), reference.lon.tolist()
    problems: list[str] = []
    points = sample_points(lat, lon, count) + list(zip(lat, lon, strict=True))
    for p, q in points:
        old, new = answers(reference, p, q), answers(compact, p, q)
        if old[0::2] != new[0::2] or not _close(old[1], new[1]):
            problems.append(f"({p}, {q}): reference {old}, compact {new}")
    for i in range(len(reference.ids)):
        woe = int(reference.ids[i])
        at = compact.city_index(woe)
        if at is None or compact.city(at) != reference.city(i):
            problems.append(f"place {woe} differs")
    if compact.regions != reference.regions:
        problems.append("regions differ")
    if compact.countries != reference.countries:
        problems.append("countries differ")
    return problems


def expectations(reference: Reference, count: int) -> list[list[Any]]:
    """What ``reverse(lat, lon)`` answered with the reference, per sample point:
    [lat, lon, locality, region, country (woe_ids or None), distance km (6 decimals)]."""
    lat, lon = reference.lat.tolist(), reference.lon.tolist()
    rows: list[list[Any]] = []
    for p, q in sample_points(lat, lon, count, seed=SEED + 1):
        vector = unit_vector(p, q)
        near = reference.nearest(vector, REGION_MAX_KM)
        if near is None:
            rows.append([p, q, None, None, None, None])
            continue
        city = reference.covering(vector)
        if city is None and near[1] <= CITY_MAX_KM:
            city = near[0]
        source = near[0] if city is None else city
        rows.append(
            [
                p,
                q,
                None if city is None else int(reference.ids[city]),
                int(reference.city_region[source]) or None,
                int(reference.city_country[source]) or None,
                round(near[1], 6),
            ]
        )
    return rows


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
