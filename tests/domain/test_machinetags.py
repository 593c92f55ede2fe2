"""flickr.photos.search's tags and machine_tags arguments (domain/machinetags.py)."""

from __future__ import annotations

import pytest

from photohub.domain.machinetags import (
    MAX_MACHINE_TAGS_ALL,
    MAX_MACHINE_TAGS_ANY,
    MAX_SEARCH_TAGS,
    MAX_TAGS_ALL,
    MachineTagPattern,
    MachineTagQueryError,
    TagQuery,
    TagQueryError,
    parse_machine_tag_pattern,
    parse_machine_tags,
    parse_mode,
    parse_search_tags,
    split_list,
)
from photohub.domain.tags import clean_tag, parse_machine_tag

P = MachineTagPattern


@pytest.mark.parametrize(
    ("item", "pattern"),
    [
        # Flickr's documented forms, in its order.
        ("dc:", P("dc", None, None)),
        ("dc:title=", P("dc", "title", None)),
        ('dc:title="mr. camera"', P("dc", "title", "mr. camera")),
        ('*:*="mr. camera"', P(None, None, "mr. camera")),
        ("*:title=", P(None, "title", None)),
        ('*:title="mr. camera"', P(None, "title", "mr. camera")),
        ('dc:*="mr. camera"', P("dc", None, "mr. camera")),
        # A fully formed machine tag.
        ("pleiades:depicts=440947682", P("pleiades", "depicts", "440947682")),
        ("geo:lat=48.85", P("geo", "lat", "48.85")),
        # Normalised like stored tags: names and value lower-cased, spaces collapsed.
        ('DC:Title="Mr.  Camera"', P("dc", "title", "mr. camera")),
        ("dc:title=Mr. Camera", P("dc", "title", "mr. camera")),
        ("  dc:title = x ", None),  # spaces are not part of a name
        # Shorthands: no "=" means any value.
        ("dc:title", P("dc", "title", None)),
        ("*:title", P(None, "title", None)),
        ("dc:*", P("dc", None, None)),
        ("dc:*=", P("dc", None, None)),
        ('dc:title=""', P("dc", "title", None)),
        # The value is everything after the first "=".
        ("geo:neighbourhood=geo:quartier", P("geo", "neighbourhood", "geo:quartier")),
        # No value wildcards; a quoted star is a literal star.
        ("dc:title=*", None),
        ('dc:title="*"', P("dc", "title", "*")),
        ("dc:title=foo*", P("dc", "title", "foo*")),
        # Malformed.
        (":pred=v", None),
        ("ns:=v", None),
        ("1ns:p=v", None),
        ("ns:1p=v", None),
        ("n-s:p=v", None),
        ("d*:p=v", None),
        ("=value", None),
        ("plain", None),
        ("", None),
        # All wildcards: matches any machine tag at all, refused.
        ("*:", None),
        ("*:*", None),
        ("*:*=", None),
    ],
)
def test_machine_tag_patterns(item: str, pattern: MachineTagPattern | None) -> None:
    assert parse_machine_tag_pattern(item) == pattern


def test_a_full_pattern_equals_the_stored_parts() -> None:
    raw = 'dc:title="The Eiffel Tower"'
    stored = parse_machine_tag(raw)
    assert stored is not None
    assert parse_machine_tag_pattern(raw) == P(stored.namespace, stored.predicate, stored.value)


def test_comma_separated_list_with_commas_inside_quotes() -> None:
    assert parse_machine_tags('dc:title="a, b", geo:lat=1,, , flickr:user=') == [
        P("dc", "title", "a, b"),
        P("geo", "lat", "1"),
        P("flickr", "user", None),
    ]
    assert split_list('a,"b,c",d') == ["a", '"b,c"', "d"]


def test_invalid_items_are_skipped_duplicates_dropped() -> None:
    assert parse_machine_tags("dc:, nonsense, 1x:y=z, DC:, dc:") == [P("dc", None, None)]


def test_empty_argument_is_no_filter() -> None:
    assert parse_machine_tags("") == []
    assert parse_machine_tags(" , ,") == []


@pytest.mark.parametrize("text", ["nonsense", "ns:p=*", ":p=v, ns:=v", "*:*="])
def test_no_valid_machine_tags_is_error_11(text: str) -> None:
    with pytest.raises(MachineTagQueryError) as caught:
        parse_machine_tags(text)
    assert caught.value.code == 11
    assert caught.value.message == "No valid machine tags"
    assert isinstance(caught.value, ValueError)


def test_limits_depend_on_the_mode_error_12() -> None:
    def items(n: int) -> str:
        return ",".join(f"ns:p=v{i}" for i in range(n))

    assert len(parse_machine_tags(items(MAX_MACHINE_TAGS_ANY), "any")) == 8
    assert len(parse_machine_tags(items(MAX_MACHINE_TAGS_ALL), "all")) == 16
    for n, mode in ((MAX_MACHINE_TAGS_ANY + 1, "any"), (MAX_MACHINE_TAGS_ALL + 1, "all")):
        with pytest.raises(MachineTagQueryError) as caught:
            parse_machine_tags(items(n), mode)
        assert caught.value.code == 12
        assert caught.value.message == "Exceeded maximum allowable machine tags"
    # Duplicates count once.
    assert len(parse_machine_tags(",".join(["ns:p=v"] * 30))) == 1


@pytest.mark.parametrize(
    ("value", "mode"),
    [(None, "any"), ("", "any"), ("any", "any"), ("all", "all"), (" ALL ", "all"), ("x", "any")],
)
def test_mode(value: str | None, mode: str) -> None:
    assert parse_mode(value) == mode


def test_search_tags_are_clean_forms_with_exclusions() -> None:
    query = parse_search_tags('New York, -Cat, geo:lat=48.85, "Eiffel Tower", ,!!, -, nyc')
    assert query == TagQuery(("newyork", "geo:lat=48.85", "eiffeltower", "nyc"), ("cat",))
    assert query.include[0] == clean_tag("New York")
    assert parse_search_tags("cat, Cat, CAT") == TagQuery(("cat",))
    assert parse_search_tags("") == TagQuery(())
    assert not parse_search_tags(" , ")
    assert parse_search_tags("-dog") == TagQuery((), ("dog",))


def test_all_query_is_limited_to_20_tags_error_1() -> None:
    tags = ",".join(f"t{i}" for i in range(MAX_TAGS_ALL + 1))
    assert len(parse_search_tags(tags, "any").include) == 21
    with pytest.raises(TagQueryError) as caught:
        parse_search_tags(tags, "all")
    assert (caught.value.code, caught.value.message) == (1, "Too many tags in ALL query")
    # Exclusions are not joined: twenty tags plus exclusions is fine.
    many = ",".join(f"t{i}" for i in range(MAX_TAGS_ALL)) + ",-x,-y"
    assert len(parse_search_tags(many, "all").exclude) == 2


def test_any_query_has_photohubs_own_cap() -> None:
    tags = ",".join(f"t{i}" for i in range(MAX_SEARCH_TAGS + 1))
    with pytest.raises(TagQueryError) as caught:
        parse_search_tags(tags)
    assert caught.value.code == 1
