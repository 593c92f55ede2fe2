"""The nine push topics, their arguments and canonical URLs (domain/topics.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from photohub.domain.push_errors import (
    INVALID_PARAMETER_VALUE,
    REQUIRED_PARAMETER_MISSING,
    SubscribeError,
)
from photohub.domain.topics import (
    DISPLAY_NAMES,
    MAX_NSIDS,
    MAX_PLACES,
    MAX_TAGS,
    PERSONAL_TOPICS,
    TOPIC_NAMES,
    Topic,
    make_topic,
    parse_topic_name,
    parse_topic_url,
    topic_url,
)

ME = "10000001@N01"


def refused(name: str, args: dict[str, str], *, user: str | None = None) -> SubscribeError:
    with pytest.raises(SubscribeError) as caught:
        make_topic(name, args, user=user)
    return caught.value


def url_refused(url: str, **kwargs: str) -> SubscribeError:
    with pytest.raises(SubscribeError) as caught:
        parse_topic_url(url, **kwargs)
    assert caught.value.code == INVALID_PARAMETER_VALUE
    assert caught.value.status == 400
    return caught.value


def test_the_nine_flickr_topics_with_their_display_names() -> None:
    assert TOPIC_NAMES == (
        "contacts_photos",
        "contacts_faves",
        "photos_of_contacts",
        "photos_of_me",
        "my_photos",
        "my_faves",
        "geo",
        "commons",
        "tags",
    )
    assert set(DISPLAY_NAMES) == set(TOPIC_NAMES)
    assert DISPLAY_NAMES["geo"] == "photos from an area (geo)"
    assert set(TOPIC_NAMES[:6]) == PERSONAL_TOPICS


def test_topic_names_are_read_in_any_case() -> None:
    assert parse_topic_name(" My_Photos ") == "my_photos"
    error = refused("kittens", {})
    assert error.code == INVALID_PARAMETER_VALUE
    assert error.argument == "topic"
    assert "contacts_photos" in error.reason


# --- personal topics ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PERSONAL_TOPICS))
def test_personal_topics_belong_to_the_subscriber(name: str) -> None:
    topic = make_topic(name, {"tags": "ignored", "lat": "1"}, user=ME)
    assert topic == Topic(name, user=ME)  # type: ignore[arg-type]
    assert topic.path == f"/push/topics/{name}?user_id={ME}"
    assert parse_topic_url(topic.path) == topic


def test_personal_topics_need_a_valid_user() -> None:
    assert refused("my_photos", {}).code == REQUIRED_PARAMETER_MISSING
    assert refused("my_photos", {}, user="bob").code == INVALID_PARAMETER_VALUE
    assert "user_id" in url_refused("/push/topics/my_faves").reason
    assert "user_id" in url_refused("/push/topics/my_faves?user_id=12@X01").reason


def test_other_topics_have_no_user() -> None:
    assert make_topic("tags", {"tags": "cat"}, user=ME).user is None


# --- geo ----------------------------------------------------------------------------


def test_geo_precedence_woe_ids_then_place_ids_then_radius() -> None:
    everything = {
        "woe_ids": "615702",
        "place_ids": "kH8dLOub",
        "lat": "48.85",
        "lon": "2.35",
        "radius": "3",
    }
    topic = make_topic("geo", everything)
    assert topic == Topic("geo", woe_ids=(615702,), accuracy=1)
    assert topic.geo_form == "woe_ids"
    assert topic.path == "/push/topics/geo?woe_ids=615702"
    without_woe = {k: v for k, v in everything.items() if k != "woe_ids"}
    assert make_topic("geo", without_woe) == Topic("geo", place_ids=("kH8dLOub",), accuracy=1)
    assert make_topic("geo", without_woe).geo_form == "place_ids"
    radial = {k: v for k, v in without_woe.items() if k != "place_ids"}
    circle = make_topic("geo", radial)
    assert circle == Topic("geo", lat=48.85, lon=2.35, radius=3.0, radius_units="km", accuracy=1)
    assert circle.geo_form == "radius"
    assert circle.radius_km == 3.0


def test_ignored_geo_arguments_are_not_even_validated() -> None:
    # Flickr: lat/lon "will be ignored if place_ids is present".
    topic = make_topic("geo", {"place_ids": "abc", "lat": "north", "radius": "-1"})
    assert topic.place_ids == ("abc",)


def test_geo_lists_are_sorted_and_deduplicated() -> None:
    topic = make_topic("geo", {"woe_ids": " 44418, 2459115,44418,, ", "accuracy": "11"})
    assert topic.woe_ids == (44418, 2459115)
    assert topic.path == "/push/topics/geo?woe_ids=44418,2459115&accuracy=11"
    places = make_topic("geo", {"place_ids": "b.2,a_1,b.2"})
    assert places.path == "/push/topics/geo?place_ids=a_1,b.2"


def test_radius_defaults_to_5_km_and_keeps_its_unit() -> None:
    topic = make_topic("geo", {"lat": "-33.8688", "lon": "151.2093"})
    assert (topic.radius, topic.radius_units) == (5.0, "km")
    assert topic.path == "/push/topics/geo?lat=-33.8688&lon=151.2093&radius=5&radius_units=km"
    miles = make_topic("geo", {"lat": "0", "lon": "0", "radius": "20", "radius_units": "MI"})
    assert miles.radius_units == "mi"
    assert miles.radius_km == pytest.approx(32.18688)
    assert parse_topic_url(miles.path) == miles  # 20 mi is more than 32 km, still fine


@pytest.mark.parametrize(
    ("args", "argument", "code"),
    [
        ({}, "woe_ids, place_ids or lat and lon (for the geo topic)", 1),
        ({"lat": "1"}, "lon", 1),
        ({"lon": "1"}, "lat", 1),
        ({"lat": "x", "lon": "1"}, "lat", 2),
        ({"lat": "nan", "lon": "1"}, "lat", 2),
        ({"lat": "1e999", "lon": "1"}, "lat", 2),
        ({"lat": "1_0", "lon": "1"}, "lat", 2),
        ({"lat": "1.", "lon": "1", "radius": "."}, "radius", 2),
        ({"lat": "91", "lon": "1"}, "lat", 2),
        ({"lat": "1", "lon": "-180.5"}, "lon", 2),
        ({"lat": "1", "lon": "1", "radius": "0"}, "radius", 2),
        ({"lat": "1", "lon": "1", "radius": "32.5"}, "radius", 2),
        ({"lat": "1", "lon": "1", "radius": "21", "radius_units": "mi"}, "radius", 2),
        ({"lat": "1", "lon": "1", "radius": "inf"}, "radius", 2),
        ({"lat": "1", "lon": "1", "radius_units": "furlongs"}, "radius_units", 2),
        ({"woe_ids": "12,abc"}, "woe_ids", 2),
        ({"woe_ids": "0"}, "woe_ids", 2),
        ({"woe_ids": str(2**32)}, "woe_ids", 2),
        ({"woe_ids": "-5"}, "woe_ids", 2),
        ({"woe_ids": "9" * 5000}, "woe_ids", 2),  # not a 5,000-digit int() conversion
        ({"woe_ids": "١٢"}, "woe_ids", 2),  # Arabic-Indic digits are not ASCII digits
        ({"place_ids": "ok,not ok"}, "place_ids", 2),
        ({"woe_ids": "1", "accuracy": "0"}, "accuracy", 2),
        ({"woe_ids": "1", "accuracy": "17"}, "accuracy", 2),
        ({"woe_ids": "1", "accuracy": "high"}, "accuracy", 2),
    ],
)
def test_bad_geo_arguments(args: dict[str, str], argument: str, code: int) -> None:
    error = refused("geo", args)
    assert (error.argument, error.code) == (argument, code)
    assert error.reason.startswith(argument)


def test_32_km_and_20_miles_are_the_limits_themselves() -> None:
    assert make_topic("geo", {"lat": "0", "lon": "0", "radius": "32"}).radius == 32.0
    assert make_topic("geo", {"lat": "0", "lon": "0", "radius": "20", "radius_units": "mi"})


def test_too_many_places() -> None:
    many = ",".join(str(n) for n in range(1, MAX_PLACES + 2))
    assert "at most 20" in refused("geo", {"woe_ids": many}).reason
    assert make_topic("geo", {"woe_ids": ",".join(str(n) for n in range(1, MAX_PLACES + 1))})
    places = ",".join(f"p{n}" for n in range(MAX_PLACES + 1))
    assert refused("geo", {"place_ids": places}).argument == "place_ids"


def test_accuracy_is_a_minimum_defaulting_to_any() -> None:
    assert make_topic("geo", {"woe_ids": "1"}).accuracy == 1
    topic = make_topic("geo", {"woe_ids": "1", "accuracy": "1"})
    assert topic.path == "/push/topics/geo?woe_ids=1"  # the default is left out
    assert make_topic("geo", {"woe_ids": "1", "accuracy": "16"}).path.endswith("&accuracy=16")


def test_small_numbers_may_come_in_exponent_form() -> None:
    topic = make_topic("geo", {"lat": "1e-05", "lon": "-2.5E+1", "radius": "2e0"})
    assert (topic.lat, topic.lon, topic.radius) == (0.00001, -25.0, 2.0)


def test_coordinates_are_rounded_to_six_decimals() -> None:
    topic = make_topic("geo", {"lat": "48.8566101", "lon": "-0.00000001", "radius": "1.50"})
    assert (topic.lat, topic.lon, topic.radius) == (48.85661, 0.0, 1.5)
    assert topic.path == "/push/topics/geo?lat=48.85661&lon=0&radius=1.5&radius_units=km"


# --- commons and tags ---------------------------------------------------------------


def test_commons_with_or_without_institutions() -> None:
    assert make_topic("commons", {}) == Topic("commons")
    assert topic_url(Topic("commons"), "https://photos.example/") == (
        "https://photos.example/push/topics/commons"
    )
    topic = make_topic("commons", {"nsids": "30000002@N01, 30000001@N01,30000002@N01"})
    assert topic.nsids == ("30000001@N01", "30000002@N01")
    assert topic.path == "/push/topics/commons?nsids=30000001@N01,30000002@N01"
    assert refused("commons", {"nsids": "library"}).argument == "nsids"
    too_many = ",".join(f"{n}@N01" for n in range(MAX_NSIDS + 1))
    assert "at most 50" in refused("commons", {"nsids": too_many}).reason


def test_tags_are_clean_sorted_and_deduplicated() -> None:
    topic = make_topic("tags", {"tags": "Dogs, cats ,New York!,cats,"})
    assert topic.tags == ("cats", "dogs", "newyork")
    assert topic.path == "/push/topics/tags?tags=cats,dogs,newyork"


def test_machine_tags_are_allowed_and_encoded_in_the_url() -> None:
    topic = make_topic("tags", {"tags": 'dc:title="The Eiffel Tower",Geo:Lat=48.85,köln'})
    assert topic.tags == ("dc:title=the eiffel tower", "geo:lat=48.85", "köln")
    assert topic.path == (
        "/push/topics/tags?tags=dc:title%3Dthe%20eiffel%20tower,geo:lat%3D48.85,k%C3%B6ln"
    )
    assert parse_topic_url(topic.path) == topic


def test_tag_errors() -> None:
    assert refused("tags", {}).code == REQUIRED_PARAMETER_MISSING
    assert refused("tags", {"tags": " , "}).code == INVALID_PARAMETER_VALUE
    nothing_left = refused("tags", {"tags": "!!!,???"})
    assert nothing_left.code == INVALID_PARAMETER_VALUE
    assert "no tag left" in nothing_left.reason
    assert "longer than 255" in refused("tags", {"tags": "a" * 256}).reason
    twenty = ",".join(f"t{n}" for n in range(MAX_TAGS))
    assert len(make_topic("tags", {"tags": twenty}).tags) == 20
    error = refused("tags", {"tags": twenty + ",one_more"})
    assert "21 items; at most 20" in error.reason
    # Duplicates count once.
    assert len(make_topic("tags", {"tags": twenty + ",T0,t0"}).tags) == 20


# --- topic URLs ---------------------------------------------------------------------


def test_any_spelling_of_a_topic_url_reads_as_the_canonical_topic() -> None:
    canonical = make_topic("tags", {"tags": "cats,dogs"})
    for url in (
        "https://photos.example/push/topics/tags?tags=dogs,cats",
        "http://photos.example:8000/push/topics/tags?tags=Cats%2CDogs,cats",
        "/push/topics/tags?tags=dogs,cats&tags=dogs,cats",  # repeated with the same value
        "https://photos.example/push/topics/t%61gs?tags=%63ats,dogs",  # WebSub §5.1.1
    ):
        assert parse_topic_url(url) == canonical, url
    # "+" is a space in a query: "cats dogs" is the one tag "catsdogs".
    plus = parse_topic_url("/push/topics/tags?tags=cats+dogs,dogs")
    assert plus.tags == ("catsdogs", "dogs")


def test_a_base_url_pins_the_origin_and_path_prefix() -> None:
    base = "https://photos.example/hub-root"
    topic = make_topic("geo", {"woe_ids": "1"})
    url = topic_url(topic, base)
    assert url == "https://photos.example/hub-root/push/topics/geo?woe_ids=1"
    assert parse_topic_url(url, base_url=base) == topic
    assert (
        parse_topic_url(
            "HTTPS://PHOTOS.EXAMPLE:443/hub-root/push/topics/geo?woe_ids=1", base_url=base
        )
        == topic
    )
    assert (
        "not a topic of this hub"
        in url_refused(
            "https://evil.example/hub-root/push/topics/geo?woe_ids=1", base_url=base
        ).reason
    )
    assert (
        "not a topic of this hub"
        in url_refused(
            "http://photos.example/hub-root/push/topics/geo?woe_ids=1", base_url=base
        ).reason
    )
    assert (
        "no /push/topics/"
        in url_refused("https://photos.example/push/topics/geo?woe_ids=1", base_url=base).reason
    )
    # A relative topic is read against the base's prefix too.
    assert parse_topic_url("/hub-root/push/topics/commons", base_url=base) == Topic("commons")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://photos.example/push/topics/commons", "http:// or https://"),
        ("https://photos.example/feeds/commons", "no /push/topics/"),
        ("https://photos.example/push/topics/kittens", "names no topic"),
        ("https://photos.example/push/topics/tags/", "names no topic"),
        ("https://photos.example/push/topics/commons?x=1", "do not take"),
        ("https://photos.example/push/topics/tags?tags=a&tags=b", "twice"),
        ("https://photos.example/push/topics/tags", "bad argument: tags is required"),
        ("https://photos.example/push/topics/geo?lat=91&lon=0", "bad argument: lat"),
        ("https://photos.example:99999/push/topics/commons", "not a valid URL"),
        ("https://photos.example/push/topics/commons?" + "x" * 5000, "longer than"),
    ],
)
def test_bad_topic_urls(url: str, words: str) -> None:
    error = url_refused(url)
    assert words in error.reason
    assert error.argument == "hub.topic"


def test_an_empty_topic_url_is_missing() -> None:
    with pytest.raises(SubscribeError) as caught:
        parse_topic_url(" ")
    assert caught.value.code == REQUIRED_PARAMETER_MISSING
    assert caught.value.argument == "hub.topic"


def test_tags_that_clean_in_two_steps_still_round_trip() -> None:
    # "K" + a spacing cedilla cleans to "k" + a combining cedilla, then to "\u0137".
    topic = make_topic("tags", {"tags": "K\u00b8"})
    assert topic.tags == ("\u0137",)
    assert parse_topic_url(topic.path) == topic


_tags = st.lists(
    st.text(
        alphabet=st.characters(exclude_categories=["Cs"], exclude_characters=","),
        min_size=1,
        max_size=12,
    ),
    min_size=1,
    max_size=25,
)


@given(_tags)
def test_tag_topics_round_trip_through_their_url(raw: list[str]) -> None:
    try:
        topic = make_topic("tags", {"tags": ",".join(raw)})
    except SubscribeError:
        return  # no clean tag left, or too many
    assert parse_topic_url(topic.path) == topic
    assert make_topic("tags", {"tags": ",".join(reversed(topic.tags))}) == topic


@given(
    st.floats(min_value=-90, max_value=90),
    st.floats(min_value=-180, max_value=180),
    st.floats(min_value=0.001, max_value=32),
    st.integers(min_value=1, max_value=16),
)
def test_geo_circles_round_trip_through_their_url(
    lat: float, lon: float, radius: float, accuracy: int
) -> None:
    args = {"lat": repr(lat), "lon": repr(lon), "radius": repr(radius), "accuracy": str(accuracy)}
    topic = make_topic("geo", args)
    again = parse_topic_url("https://photos.example" + topic.path)
    assert again == topic
    assert again.path == topic.path
