"""Geo maths for Flickr's geo search (domain/geo.py): bbox, radius circles, accuracy."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from photohub.domain.geo import (
    BBOX_INVALID,
    DEFAULT_ACCURACY,
    EARTH_RADIUS_KM,
    INVALID_ARGUMENT,
    WORLD,
    BBox,
    GeoError,
    LatLonRange,
    accuracy_place_type,
    bbox_ranges,
    circle_bbox,
    haversine_km,
    parse_bbox,
    radius_km,
    validate_accuracy,
    validate_latitude,
    validate_longitude,
)


def inside(ranges: list[LatLonRange], lat: float, lon: float) -> bool:
    return any(r.contains(lat, lon) for r in ranges)


def destination(lat: float, lon: float, bearing_deg: float, km: float) -> tuple[float, float]:
    """The point ``km`` from (lat, lon) along an initial bearing, on the same sphere."""
    d = km / EARTH_RADIUS_KM
    phi, lmb, theta = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    phi2 = math.asin(math.sin(phi) * math.cos(d) + math.cos(phi) * math.sin(d) * math.cos(theta))
    lmb2 = lmb + math.atan2(
        math.sin(theta) * math.sin(d) * math.cos(phi),
        math.cos(d) - math.sin(phi) * math.sin(phi2),
    )
    lon2 = (math.degrees(lmb2) + 540.0) % 360.0 - 180.0
    return math.degrees(phi2), lon2


# --- bbox ---------------------------------------------------------------------------


def test_bbox_parses_flickrs_order() -> None:
    box = parse_bbox("2.2, 48.8,2.5,48.9")
    assert box == BBox(min_lon=2.2, min_lat=48.8, max_lon=2.5, max_lat=48.9)
    assert not box.crosses_antimeridian
    assert box.contains(48.85, 2.35)
    assert not box.contains(48.85, 2.6)
    assert not box.contains(49.0, 2.35)
    assert bbox_ranges(box) == [LatLonRange(48.8, 48.9, 2.2, 2.5)]
    assert parse_bbox(str(box)) == box


def test_whole_world_is_the_default_box() -> None:
    assert parse_bbox("-180,-90,180,90") == WORLD
    assert WORLD.contains(90, 180) and WORLD.contains(-90, -180)
    assert bbox_ranges(WORLD) == [LatLonRange(-90, 90, -180, 180)]


def test_box_across_the_antimeridian_is_valid_and_split() -> None:
    box = parse_bbox("170,-10,-170,10")
    assert box.crosses_antimeridian
    assert bbox_ranges(box) == [
        LatLonRange(-10, 10, 170, 180),
        LatLonRange(-10, 10, -180, -170),
    ]
    for lat, lon in [(0, 175), (0, -175), (0, 180), (0, -180), (10, 170), (-10, -170)]:
        assert box.contains(lat, lon)
        assert inside(bbox_ranges(box), lat, lon)
    for lat_out, lon_out in [(0.0, 0.0), (0.0, 169.9), (0.0, -169.9), (11.0, 175.0)]:
        assert not box.contains(lat_out, lon_out)
        assert not inside(bbox_ranges(box), lat_out, lon_out)


def test_a_zero_width_box_is_a_line_not_a_crossing() -> None:
    box = parse_bbox("10,0,10,5")
    assert not box.crosses_antimeridian
    assert box.contains(2, 10)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1,2,3",
        "1,2,3,4,5",
        "a,b,c,d",
        "1,2,3,",
        "nan,0,1,1",
        "0,0,inf,1",
        "0,-91,1,1",
        "0,0,1,90.5",
        "-181,0,1,1",
        "0,0,180.1,1",
        "0,10,1,5",  # min_lat > max_lat
        "0;0;1;1",
    ],
)
def test_invalid_bbox_is_flickrs_code_4(text: str) -> None:
    with pytest.raises(GeoError) as caught:
        parse_bbox(text)
    assert caught.value.code == BBOX_INVALID == 4
    assert caught.value.message == "Not a valid bounding box"
    assert caught.value.argument == "bbox"


# --- distances and radius -----------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "km", "tolerance"),
    [
        ((48.8566, 2.3522), (51.5074, -0.1278), 343.5, 1.0),  # Paris - London
        ((40.7128, -74.0060), (51.5074, -0.1278), 5570.2, 5.0),  # New York - London
        ((-33.8688, 151.2093), (-37.8136, 144.9631), 713.4, 2.0),  # Sydney - Melbourne
        ((0, 0), (0, 180), math.pi * EARTH_RADIUS_KM, 1e-6),  # half the equator
        ((90, 0), (-90, 0), math.pi * EARTH_RADIUS_KM, 1e-6),  # pole to pole
        ((0, 179.5), (0, -179.5), 111.195, 0.01),  # one degree across the antimeridian
        ((10, 20), (10, 20), 0.0, 0.0),
    ],
)
def test_haversine_known_distances(
    a: tuple[float, float], b: tuple[float, float], km: float, tolerance: float
) -> None:
    assert haversine_km(*a, *b) == pytest.approx(km, abs=tolerance)
    assert haversine_km(*b, *a) == pytest.approx(km, abs=tolerance)


def test_radius_defaults_units_and_limits() -> None:
    assert radius_km() == 5.0
    assert radius_km(None, "mi") == 5.0  # Flickr's default is 5 km whatever the unit
    assert radius_km(10) == 10.0
    assert radius_km(10, "km") == 10.0
    assert radius_km(10, "") == 10.0
    assert radius_km(10, " MI ") == pytest.approx(16.09344)
    assert radius_km(32, "km") == 32.0
    assert radius_km(20, "mi") == pytest.approx(32.18688)
    assert radius_km(0.5) == 0.5  # decimals are fine


@pytest.mark.parametrize(
    ("radius", "units", "argument"),
    [
        (0, "km", "radius"),
        (-1, "km", "radius"),
        (32.01, "km", "radius"),
        (20.01, "mi", "radius"),
        (25, "mi", "radius"),  # 40 km
        (math.nan, "km", "radius"),
        (math.inf, "km", "radius"),
        (5, "m", "radius_units"),
        (5, "miles", "radius_units"),
    ],
)
def test_radius_out_of_flickrs_range(radius: float, units: str, argument: str) -> None:
    with pytest.raises(GeoError) as caught:
        radius_km(radius, units)
    assert caught.value.code == INVALID_ARGUMENT == 91
    assert caught.value.argument == argument
    assert caught.value.message.startswith(f"Invalid argument {argument}: it ")


def test_latitude_and_longitude_ranges() -> None:
    assert validate_latitude(-90) == -90.0 and validate_latitude(90) == 90.0
    assert validate_longitude(-180) == -180.0 and validate_longitude(180) == 180.0
    for bad in (90.0001, -91, math.nan, math.inf):
        with pytest.raises(GeoError) as caught:
            validate_latitude(bad)
        assert (caught.value.code, caught.value.argument) == (91, "lat")
    for bad in (180.0001, -181, math.nan):
        with pytest.raises(GeoError) as caught:
            validate_longitude(bad)
        assert (caught.value.code, caught.value.argument) == (91, "lon")


# --- circles ------------------------------------------------------------------------


def test_small_circle_is_one_range_wider_in_longitude_away_from_the_equator() -> None:
    [r] = circle_bbox(60.0, 10.0, 10.0)
    half_lat = math.degrees(10.0 / EARTH_RADIUS_KM)
    assert r.min_lat == pytest.approx(60 - half_lat) and r.max_lat == pytest.approx(60 + half_lat)
    # At 60°N a degree of longitude is half as long: the box is about twice as wide.
    assert (r.max_lon - r.min_lon) / 2 == pytest.approx(2 * half_lat, rel=1e-3)
    east = destination(60.0, 10.0, 90.0, 9.999)
    assert r.contains(*east)


def test_circle_across_the_antimeridian_is_two_ranges() -> None:
    ranges = circle_bbox(-17.7, 179.95, 20.0)  # Fiji
    assert len(ranges) == 2
    assert ranges[0].max_lon == 180.0 and ranges[1].min_lon == -180.0
    assert inside(ranges, -17.7, -179.9)
    assert inside(ranges, -17.7, 179.8)
    assert not inside(ranges, -17.7, 0.0)
    west = circle_bbox(0.0, -179.99, 5.0)
    assert len(west) == 2 and west[0].max_lon == 180.0


@pytest.mark.parametrize("lat", [89.95, -89.95, 90.0, -90.0])
def test_circle_containing_a_pole_spans_all_longitudes(lat: float) -> None:
    [r] = circle_bbox(lat, 45.0, 10.0)
    assert (r.min_lon, r.max_lon) == (-180.0, 180.0)
    pole = 90.0 if lat > 0 else -90.0
    assert r.min_lat <= pole <= r.max_lat
    # A point just across the pole, on the opposite meridian, is inside the circle.
    across = destination(lat, 45.0, 0.0 if lat > 0 else 180.0, 9.0)
    assert haversine_km(lat, 45.0, *across) <= 10.0
    assert r.contains(*across)


def test_circle_close_to_a_pole_but_not_around_it() -> None:
    # 89.8°N: 22 km from the pole, a 20 km circle does not contain it.
    [r] = circle_bbox(89.8, 0.0, 20.0)
    assert r.max_lat < 90.0
    assert r.max_lon - r.min_lon > 90.0  # but spans a wide angle of longitude
    for bearing in range(0, 360, 15):
        assert r.contains(*destination(89.8, 0.0, bearing, 19.99))


def test_zero_radius_and_whole_earth() -> None:
    [r] = circle_bbox(10.0, 20.0, 0.0)
    assert r.contains(10.0, 20.0)
    assert circle_bbox(0.0, 0.0, 30_000.0) == [LatLonRange(-90.0, 90.0, -180.0, 180.0)]


def test_circle_rejects_bad_centres_and_radii() -> None:
    with pytest.raises(GeoError):
        circle_bbox(91.0, 0.0, 1.0)
    with pytest.raises(GeoError):
        circle_bbox(0.0, 181.0, 1.0)
    with pytest.raises(GeoError):
        circle_bbox(0.0, 0.0, -1.0)


@settings(max_examples=400, deadline=None)
@given(
    lat=st.floats(-90, 90),
    lon=st.floats(-180, 180),
    radius=st.floats(0.01, 32.0),
    bearing=st.floats(0, 360),
    fraction=st.floats(0, 0.999),
)
def test_every_point_of_the_circle_is_in_its_ranges(
    lat: float, lon: float, radius: float, bearing: float, fraction: float
) -> None:
    point = destination(lat, lon, bearing, radius * fraction)
    assert haversine_km(lat, lon, *point) <= radius
    assert inside(circle_bbox(lat, lon, radius), *point)


@settings(max_examples=200, deadline=None)
@given(
    lat=st.floats(-89, 89),
    lon=st.floats(-180, 180),
    radius=st.floats(0.1, 32.0),
)
def test_circle_ranges_are_tight(lat: float, lon: float, radius: float) -> None:
    ranges = circle_bbox(lat, lon, radius)
    half_lat = math.degrees(radius / EARTH_RADIUS_KM)
    for r in ranges:
        assert r.max_lat - r.min_lat <= 2 * half_lat + 1e-6
        assert r.min_lon <= r.max_lon
        assert r.min_lon >= -180.0 and r.max_lon <= 180.0


# --- accuracy -----------------------------------------------------------------------


def test_accuracy_default_and_range() -> None:
    assert validate_accuracy(None) == DEFAULT_ACCURACY == 16
    assert validate_accuracy(1) == 1 and validate_accuracy(16) == 16
    for bad in (0, 17, -3):
        with pytest.raises(GeoError) as caught:
            validate_accuracy(bad)
        assert (caught.value.code, caught.value.argument) == (91, "accuracy")
    with pytest.raises(GeoError):
        validate_accuracy(True)


@pytest.mark.parametrize(
    ("accuracy", "place_type"),
    [
        (1, None),
        (2, None),
        (3, "country"),
        (5, "country"),
        (6, "region"),
        (10, "region"),
        (11, "locality"),
        (16, "locality"),
    ],
)
def test_accuracy_asks_for_a_place_level(accuracy: int, place_type: str | None) -> None:
    assert accuracy_place_type(accuracy) == place_type
