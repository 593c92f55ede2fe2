"""Tag strings, clean forms and machine tags (domain/tags.py), without a database."""

from __future__ import annotations

import pytest

from photohub.domain.errors import PhotohubError
from photohub.domain.tags import (
    MAX_TAG_LENGTH,
    MAX_TAGS_PER_PHOTO,
    MachineTag,
    Tag,
    TagError,
    clean_tag,
    make_tags,
    parse_machine_tag,
    parse_tag_string,
    split_tag_string,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("New York!", "newyork"),
        ("tag 1", "tag1"),
        ("San-Francisco", "sanfrancisco"),
        ("rock'n'roll", "rocknroll"),
        ("a,b", "ab"),
        ("Köln", "köln"),
        ("Ko\u0308ln", "köln"),  # decomposed umlaut: same clean form as the composed one
        ("東京 タワー", "東京タワー"),
        ("\uff21\uff22\uff23\uff11\uff12", "abc12"),  # full-width letters and digits (NFKC)
        ("हिन्दी", "हिन्दी"),  # combining marks stay
        ("ΣΟΦΊΑ", "σοφία"),
        ("!!!", ""),
        ("   ", ""),
        ("", ""),
        ("😀cat", "cat"),
    ],
)
def test_clean_form_of_plain_tags(raw: str, clean: str) -> None:
    assert clean_tag(raw) == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("geo:lat=48.85", "geo:lat=48.85"),
        ("Geo:LAT=48.85", "geo:lat=48.85"),
        ("pleiades:depicts=440947682", "pleiades:depicts=440947682"),
        ('dc:title="The Eiffel Tower"', "dc:title=the eiffel tower"),
        ("dc:title=The  Eiffel\tTower", "dc:title=the eiffel tower"),
        ("geo:neighbourhood=geo:quartier", "geo:neighbourhood=geo:quartier"),
        ("ns:p=a=b", "ns:p=a=b"),
        ("flickr:user=Bees", "flickr:user=bees"),
        ("ns_1:pred_2=v", "ns_1:pred_2=v"),
    ],
)
def test_clean_form_of_machine_tags_keeps_the_structure(raw: str, clean: str) -> None:
    assert clean_tag(raw) == clean


def test_machine_tag_parts() -> None:
    assert parse_machine_tag('dc:Title="The Eiffel Tower"') == MachineTag(
        "dc", "title", "the eiffel tower"
    )
    assert parse_machine_tag("geo:lat=48.85") == MachineTag("geo", "lat", "48.85")
    assert parse_machine_tag("ns:p=é") == MachineTag("ns", "p", "é")
    assert parse_machine_tag("geo:lat=48.85").clean == "geo:lat=48.85"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "raw",
    [
        ":pred=v",  # no namespace
        "ns:=v",  # no predicate
        "1ns:p=v",  # namespace starts with a digit
        "ns:1p=v",
        "_ns:p=v",
        "ns:p=",  # no value
        'ns:p=""',  # an empty quoted value
        "ns:p",  # no "="
        "ns=p:v",
        "n-s:p=v",  # only letters, digits and underscore
        "ns:p q=v",
        "nś:p=v",  # ASCII only (Flickr: "simple steps, first")
        "*:p=v",  # wildcards belong to searches, not to tags
        "plain",
        "n" * 101 + ":p=v",  # longer than the namespace column
    ],
)
def test_malformed_machine_tags_are_plain_tags(raw: str) -> None:
    assert parse_machine_tag(raw) is None
    assert ":" not in clean_tag(raw)


def test_split_keeps_quoted_phrases_and_machine_tag_values_together() -> None:
    text = 'cat  "new york"\tdc:title="The Eiffel Tower" dog\n"  spaced  " ""'
    assert split_tag_string(text) == [
        "cat",
        "new york",
        'dc:title="The Eiffel Tower"',
        "dog",
        "spaced",
    ]


def test_split_unclosed_quote_runs_to_the_end() -> None:
    assert split_tag_string('a "new york') == ["a", "new york"]
    assert split_tag_string('dc:title="open end') == ['dc:title="open end']


def test_commas_are_characters_unless_asked() -> None:
    assert split_tag_string("a,b c") == ["a,b", "c"]
    assert split_tag_string('a,b c,"d, e"', commas=True) == ["a", "b", "c", "d, e"]


def test_parse_drops_empty_tags_and_duplicates_by_clean_form_keeping_the_first() -> None:
    assert parse_tag_string('NYC nyc "N.Y.C." !!! cat Cat geo:lat=1 GEO:Lat=1') == [
        "NYC",
        "cat",
        "geo:lat=1",
    ]
    assert parse_tag_string("") == []
    assert parse_tag_string('  "" ') == []


def test_at_most_75_tags() -> None:
    assert len(parse_tag_string(" ".join(f"t{i}" for i in range(MAX_TAGS_PER_PHOTO)))) == 75
    # Duplicates do not count against the limit.
    assert len(parse_tag_string(" ".join(["x"] * 200))) == 1
    with pytest.raises(TagError, match="at most 75 tags; you gave 76"):
        parse_tag_string(" ".join(f"t{i}" for i in range(MAX_TAGS_PER_PHOTO + 1)))


def test_a_tag_too_long_is_refused_in_words() -> None:
    assert parse_tag_string("x" * MAX_TAG_LENGTH) == ["x" * MAX_TAG_LENGTH]
    with pytest.raises(TagError, match="at most 255 characters"):
        parse_tag_string("x" * (MAX_TAG_LENGTH + 1))


def test_tag_error_is_a_value_error_with_a_status() -> None:
    err = TagError("no")
    assert isinstance(err, ValueError)
    assert isinstance(err, PhotohubError)
    assert err.status == 400
    assert err.message == "no"


def test_make_tags() -> None:
    assert make_tags('Paris "Eiffel Tower" geo:lat=48.85') == [
        Tag("Paris", "paris", None),
        Tag("Eiffel Tower", "eiffeltower", None),
        Tag("geo:lat=48.85", "geo:lat=48.85", MachineTag("geo", "lat", "48.85")),
    ]
    # A fully quoted machine tag is still a machine tag.
    [tag] = make_tags('"dc:title=The Eiffel Tower"')
    assert tag.raw == "dc:title=The Eiffel Tower"
    assert tag.machine == MachineTag("dc", "title", "the eiffel tower")


@pytest.mark.parametrize("raw", ["K\u00b8", "New York!", "Köln", "e\u0301\u00b8", "東京"])
def test_cleaning_a_clean_tag_changes_nothing(raw: str) -> None:
    once = clean_tag(raw)
    assert clean_tag(once) == once
    assert clean_tag("K\u00b8") == "\u0137"  # k with cedilla, composed
