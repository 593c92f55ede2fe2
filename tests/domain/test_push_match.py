"""Matching by index keys agrees with the plain definition of each topic: a photo
reaches a subscription exactly when their keys meet and ``admits`` says yes."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from photohub.domain import geo
from photohub.domain.people import nsid_for
from photohub.domain.push_match import (
    MAX_CELLS,
    PhotoFacts,
    admits,
    circle_keys,
    entry_reaches,
    fave_keys,
    photo_keys,
    topic_keys,
)
from photohub.domain.topics import Topic, make_topic


def no_places(place_id: str) -> int | None:
    return None


def reaches(topic: Topic, facts: PhotoFacts) -> bool:
    keys = set(topic_keys(topic, no_places))
    return bool(keys & set(photo_keys(facts))) and admits(topic, facts)


def personal(name: str, user_id: int) -> Topic:
    return make_topic(name, {}, user=nsid_for(user_id))


def test_personal_topics_follow_owner_contacts_and_people() -> None:
    facts = PhotoFacts(owner_id=1, owner_watchers=(2, 3), people=(4,), people_watchers=(5,))
    assert reaches(personal("my_photos", 1), facts)
    assert not reaches(personal("my_photos", 2), facts)
    assert reaches(personal("contacts_photos", 2), facts)
    assert not reaches(personal("contacts_photos", 1), facts)
    assert reaches(personal("photos_of_me", 4), facts)
    assert not reaches(personal("photos_of_me", 1), facts)
    assert reaches(personal("photos_of_contacts", 5), facts)
    assert not reaches(personal("photos_of_contacts", 2), facts)
    # Faves are not photo changes: no photo reaches a faves topic by itself.
    assert not reaches(personal("my_faves", 1), facts)


def test_fave_keys_reach_the_faver_and_their_watchers() -> None:
    keys = set(fave_keys(7, [8, 9]))
    assert set(topic_keys(personal("my_faves", 7), no_places)) <= keys
    assert set(topic_keys(personal("contacts_faves", 8), no_places)) <= keys
    assert not set(topic_keys(personal("contacts_faves", 7), no_places)) & keys


def test_a_user_id_of_another_site_matches_nothing() -> None:
    topic = make_topic("my_photos", {}, user="123@N01")
    assert topic_keys(topic, no_places) == []


def test_tags_match_any() -> None:
    topic = make_topic("tags", {"tags": "cats,dogs"})
    assert reaches(topic, PhotoFacts(owner_id=1, tags=("dogs", "sofa")))
    assert not reaches(topic, PhotoFacts(owner_id=1, tags=("sofa",)))


def test_commons_all_or_some_institutions() -> None:
    museum = PhotoFacts(owner_id=30, owner_is_institution=True)
    person = PhotoFacts(owner_id=31)
    every = make_topic("commons", {})
    some = make_topic("commons", {"nsids": nsid_for(30)})
    other = make_topic("commons", {"nsids": nsid_for(32)})
    assert reaches(every, museum) and reaches(some, museum) and not reaches(other, museum)
    assert not reaches(every, person)


def test_hidden_photos_reach_personal_topics_only() -> None:
    facts = PhotoFacts(
        owner_id=1,
        owner_is_institution=True,
        hidden=True,
        tags=("cats",),
        location=(10.0, 10.0),
        woe_ids=(5,),
    )
    assert reaches(personal("my_photos", 1), facts)
    assert not reaches(make_topic("tags", {"tags": "cats"}), facts)
    assert not reaches(make_topic("commons", {}), facts)
    assert not reaches(make_topic("geo", {"woe_ids": "5"}), facts)
    assert not reaches(make_topic("geo", {"lat": "10", "lon": "10"}), facts)


def test_places_by_woe_id_or_place_id() -> None:
    facts = PhotoFacts(owner_id=1, location=(48.85, 2.35), accuracy=16, woe_ids=(11, 12, 13))
    assert reaches(make_topic("geo", {"woe_ids": "12,99"}), facts)
    assert not reaches(make_topic("geo", {"woe_ids": "99"}), facts)
    place = make_topic("geo", {"place_ids": "abcdefgh"})
    assert set(topic_keys(place, lambda p: 13)) & set(photo_keys(facts))
    assert topic_keys(place, no_places) == []


def test_no_public_location_no_geo_match() -> None:
    facts = PhotoFacts(owner_id=1, accuracy=16, woe_ids=(12,))  # location None: not public
    assert not reaches(make_topic("geo", {"woe_ids": "12"}), facts)


@pytest.mark.parametrize(("accuracy", "wanted", "ok"), [(16, 16, True), (11, 16, False)])
def test_accuracy_is_a_minimum(accuracy: int, wanted: int, ok: bool) -> None:
    facts = PhotoFacts(owner_id=1, location=(1.0, 1.0), accuracy=accuracy, woe_ids=(3,))
    topic = make_topic("geo", {"woe_ids": "3", "accuracy": str(wanted)})
    assert reaches(topic, facts) is ok


latitudes = st.floats(-90, 90, allow_nan=False)
longitudes = st.floats(-180, 180, allow_nan=False)


@settings(max_examples=400, deadline=None)
@given(
    lat=latitudes,
    lon=longitudes,
    radius=st.floats(0.1, 32),
    dlat=st.floats(-0.6, 0.6),
    dlon=st.floats(-3, 3),
)
def test_circles_match_exactly_the_points_within_their_radius(
    lat: float, lon: float, radius: float, dlat: float, dlon: float
) -> None:
    """Points near the circle (and across the antimeridian and the poles): the grid may
    offer more candidates, never fewer, and admits keeps exactly those within reach."""
    point_lat = max(-90.0, min(90.0, lat + dlat))
    point_lon = (lon + dlon + 180.0) % 360.0 - 180.0
    topic = Topic("geo", lat=round(lat, 6), lon=round(lon, 6), radius=radius, radius_units="km")
    facts = PhotoFacts(owner_id=1, location=(point_lat, point_lon), accuracy=16)
    distance = geo.haversine_km(topic.lat or 0.0, topic.lon or 0.0, point_lat, point_lon)
    if math.isclose(distance, radius, rel_tol=1e-9):
        return
    assert reaches(topic, facts) is (distance <= radius)


def test_polar_circles_use_latitude_bands() -> None:
    keys = circle_keys(89.99, 0.0, 20.0)
    assert keys and all(k.startswith("band:") for k in keys)
    assert len(circle_keys(0.0, 0.0, 32.0)) <= MAX_CELLS


def test_entries_reach_streams_by_the_same_keys_and_distance() -> None:
    circle = make_topic("geo", {"lat": "48.86", "lon": "2.35", "radius": "5"})
    circle_keys_ = frozenset(topic_keys(circle, no_places))
    inside = PhotoFacts(owner_id=1, location=(48.8566, 2.3522), accuracy=16)
    outside = PhotoFacts(owner_id=1, location=(48.7, 2.6), accuracy=16)
    for facts, expected in ((inside, True), (outside, False)):
        assert facts.location is not None
        geo_ = {"lat": facts.location[0], "lon": facts.location[1], "accuracy": 16.0}
        assert entry_reaches(circle, circle_keys_, photo_keys(facts), geo_) is expected
        assert reaches(circle, facts) is expected
    # A tombstone carries no location: its keys decide.
    assert entry_reaches(circle, circle_keys_, photo_keys(inside), None)
    tags = make_topic("tags", {"tags": "cats"})
    assert not entry_reaches(tags, frozenset(topic_keys(tags, no_places)), ["tag:dogs"], None)
