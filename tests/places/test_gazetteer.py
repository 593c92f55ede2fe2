"""Offline reverse geocoding (places/gazetteer.py) over GeoNames' cities500, as shipped."""

from __future__ import annotations

import random

import pytest

from photohub.domain.geo import GeoError, haversine_km
from photohub.places import gazetteer
from photohub.places.gazetteer import (
    CITY_MAX_KM,
    SYNTHETIC_REGION_BASE,
    Place,
    decode_place_id,
    encode_place_id,
    find_by_lat_lon,
    get,
    hierarchy,
    reverse,
    synthetic_region_id,
)

# GeoNames ids (geonameid), stable by GeoNames' design.
PARIS, ILE_DE_FRANCE, FRANCE = 2988507, 3012874, 3017382
SYDNEY, NEW_SOUTH_WALES, AUSTRALIA = 2147714, 2155400, 2077456
NOTRE_DAME = (48.8530, 2.3499)
SYDNEY_OPERA_HOUSE = (-33.8568, 151.2153)
MID_PACIFIC = (0.0, -150.0)
OFF_BRITTANY = (47.5, -6.5)  # 150 km out in the Atlantic


def test_paris_is_paris_in_ile_de_france_in_france() -> None:
    found = reverse(*NOTRE_DAME)
    assert found.city is not None and found.region is not None and found.country is not None
    # GeoNames lists Paris's arrondissements as places too; the city is Paris.
    assert (found.city.woe_id, found.city.name, found.city.place_type) == (
        PARIS,
        "Paris",
        "locality",
    )
    assert (found.region.woe_id, found.region.name, found.region.place_type) == (
        ILE_DE_FRANCE,
        "Île-de-France",
        "region",
    )
    assert (found.country.woe_id, found.country.name) == (FRANCE, "France")
    assert found.city.full_name == "Paris, Île-de-France, France"
    assert found.region.full_name == "Île-de-France, France"
    assert found.city.region_woe_id == ILE_DE_FRANCE
    assert found.city.country_woe_id == FRANCE
    assert found.region.country_woe_id == FRANCE and found.region.region_woe_id is None
    assert found.country.region_woe_id is None and found.country.country_woe_id is None
    assert found.city.country_code == found.region.country_code == "FR"
    assert found.city.timezone == found.region.timezone == "Europe/Paris"
    assert (found.city.place_type_id, found.region.place_type_id) == (7, 8)
    assert found.country.place_type_id == 12
    assert found.distance_km is not None and found.distance_km < 2


def test_region_centroids_lie_inside_their_area() -> None:
    found = reverse(*NOTRE_DAME)
    assert found.region is not None and found.country is not None
    assert haversine_km(*NOTRE_DAME, found.region.latitude, found.region.longitude) < 50
    # France's population centroid is somewhere in the middle of the mainland.
    assert 45 < found.country.latitude < 49 and 0 < found.country.longitude < 5


def test_a_point_near_sydney() -> None:
    found = reverse(*SYDNEY_OPERA_HOUSE)
    assert found.city is not None and found.city.woe_id == SYDNEY
    assert found.city.full_name == "Sydney, New South Wales, Australia"
    assert found.region is not None and found.region.woe_id == NEW_SOUTH_WALES
    assert found.country is not None and found.country.woe_id == AUSTRALIA
    assert found.city.timezone == "Australia/Sydney"


def test_mid_pacific_is_nowhere() -> None:
    found = reverse(*MID_PACIFIC)
    assert (found.city, found.region, found.country, found.distance_km) == (None, None, None, None)
    for accuracy in (16, 6, 3):
        assert find_by_lat_lon(*MID_PACIFIC, accuracy) is None


def test_offshore_gets_region_and_country_but_no_city() -> None:
    found = reverse(*OFF_BRITTANY)
    assert found.city is None
    assert found.distance_km is not None and found.distance_km > CITY_MAX_KM
    assert found.region is not None and found.region.name == "Bretagne"
    assert found.country is not None and found.country.woe_id == FRANCE
    # findByLatLon falls back to the next coarser level that exists.
    fallback = find_by_lat_lon(*OFF_BRITTANY, 16)
    assert fallback is not None and fallback.woe_id == found.region.woe_id


def test_poles_and_edges_are_valid_points() -> None:
    for lat, lon in [(90.0, 0.0), (-90.0, 180.0), (0.0, -180.0)]:
        reverse(lat, lon)  # no error; Antarctica's stations are too small to count


def test_invalid_coordinates_are_code_91() -> None:
    with pytest.raises(GeoError) as caught:
        reverse(91.0, 0.0)
    assert (caught.value.code, caught.value.argument) == (91, "lat")
    with pytest.raises(GeoError) as caught:
        find_by_lat_lon(0.0, 200.0)
    assert (caught.value.code, caught.value.argument) == (91, "lon")
    with pytest.raises(GeoError) as caught:
        find_by_lat_lon(0.0, 0.0, 17)
    assert caught.value.argument == "accuracy"


@pytest.mark.parametrize(
    ("accuracy", "woe_id"),
    [
        (None, PARIS),
        (16, PARIS),
        (11, PARIS),
        (10, ILE_DE_FRANCE),
        (6, ILE_DE_FRANCE),
        (5, FRANCE),
        (3, FRANCE),
        (2, None),
        (1, None),
    ],
)
def test_find_by_lat_lon_accuracy_levels(accuracy: int | None, woe_id: int | None) -> None:
    place = find_by_lat_lon(*NOTRE_DAME, accuracy)
    assert (place.woe_id if place else None) == woe_id


def test_get_by_place_id_and_woe_id_round_trip() -> None:
    found = reverse(*NOTRE_DAME)
    places = [found.city, found.region, found.country]
    for place in places:
        assert place is not None
        assert get(place.place_id) == place
        assert get(place.woe_id) == place
        assert get(str(place.woe_id)) == place  # a woe_id sent as text
        assert decode_place_id(place.place_id) == place.woe_id
    assert get(SYDNEY) is not None and get(SYDNEY) == reverse(*SYDNEY_OPERA_HOUSE).city


def test_unknown_places() -> None:
    assert get(1) is None
    assert get(0) is None
    assert get(-5) is None
    assert get("") is None
    assert get("not-a-place-id") is None
    assert get(encode_place_id(1)) is None
    assert get(True) is None
    assert hierarchy(123) == []


def test_hierarchy_goes_up_to_the_country() -> None:
    assert hierarchy(PARIS) == [PARIS, ILE_DE_FRANCE, FRANCE]
    assert hierarchy(ILE_DE_FRANCE) == [ILE_DE_FRANCE, FRANCE]
    assert hierarchy(FRANCE) == [FRANCE]


def test_place_ids_are_opaque_reversible_and_flickr_shaped() -> None:
    rng = random.Random(7)
    samples = [1, 2, PARIS, SYNTHETIC_REGION_BASE + 12345, 2**31 - 1]
    samples += [rng.randrange(1, 2**31) for _ in range(2000)]
    encoded = {encode_place_id(woe) for woe in samples}
    assert len(encoded) == len(set(samples))
    for woe in samples:
        place_id = encode_place_id(woe)
        assert len(place_id) == 8
        assert set(place_id) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._"
        )
        assert str(woe) not in place_id or woe < 10
        assert decode_place_id(place_id) == woe
    assert encode_place_id(PARIS) == "tuXLiUQ_"  # stable across runs and versions
    for bad in ["", "short", "toolong123", "abc$defg", "AAAAAAAA"]:
        assert decode_place_id(bad) is None
    with pytest.raises(ValueError):
        encode_place_id(0)
    with pytest.raises(ValueError):
        encode_place_id(2**31)


def test_synthetic_region_ids_are_stable_distinct_and_out_of_geonames_range() -> None:
    # CI: (C - A) * 26 + (I - A) = 60; "13": (1 + 1) * 37 + (3 + 1) = 78.
    assert synthetic_region_id("CI", "13") == 2_000_000_000 + 60 * 37**3 + 78
    assert synthetic_region_id("ci", "13") == synthetic_region_id("CI", "13")
    assert synthetic_region_id("FR", "1") != synthetic_region_id("FR", "01")
    long_id = synthetic_region_id("IM", "9782166")
    assert long_id == synthetic_region_id("IM", "9782166")
    codes = [
        a + b + c
        for a in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[:12]
        for b in ("", *"0159AZ")
        for c in ("", *"07Z")
    ]
    ids = {synthetic_region_id(cc, code) for cc in ("AA", "FR", "ZZ") for code in codes}
    assert len(ids) == 3 * len(set(codes))
    assert all(SYNTHETIC_REGION_BASE <= i < 2**31 for i in ids | {long_id})
    for bad_cc, bad_code in [("F", "11"), ("F1", "11"), ("FR", ""), ("FR", "1-2")]:
        with pytest.raises(ValueError):
            synthetic_region_id(bad_cc, bad_code)


def test_every_region_and_country_is_reachable_and_consistent() -> None:
    data = gazetteer.default()._loaded()
    assert gazetteer.default().city_count > 200_000
    assert len(data.countries) > 240 and len(data.regions) > 3_500
    assert not set(data.regions) & set(data.countries)
    for woe, region in data.regions.items():
        assert region.woe_id == woe and region.place_type == "region"
        assert region.country_woe_id in data.countries
        # A GeoNames admin1 id, or a synthetic one named after its code.
        assert woe < SYNTHETIC_REGION_BASE or region.name.startswith("Region ")
        assert get(region.place_id) == region


def test_a_locality_lies_in_its_own_region_and_country() -> None:
    rng = random.Random(11)
    data = gazetteer.default()._loaded()
    for i in rng.sample(range(len(data.ids)), 300):
        lat, lon = data.lat_e5[i] / 1e5, data.lon_e5[i] / 1e5
        found = reverse(lat, lon)
        assert found.city is not None, (lat, lon)
        assert found.city.region_woe_id == (found.region.woe_id if found.region else None)
        assert found.city.country_woe_id == (found.country.woe_id if found.country else None)
        assert hierarchy(found.city.woe_id)[0] == found.city.woe_id


def test_place_is_frozen() -> None:
    place = get(PARIS)
    assert isinstance(place, Place)
    with pytest.raises(AttributeError):
        place.name = "Lutetia"  # type: ignore[misc]
