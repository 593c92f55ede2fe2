"""When file URLs must change (domain/file_access.py), over the whole matrix of before and
after settings: every visibility pair, every pair of contact standings, every pair of geo
permissions."""

from __future__ import annotations

import itertools

import pytest

from photohub.domain import file_access
from photohub.domain.file_access import (
    STANDINGS,
    geo_change_shrinks_files,
    location_shrinks,
    lost_visibilities,
    visibility_shrinks,
)
from photohub.domain.privacy import (
    CONTACTS,
    FAMILY,
    FRIENDS,
    FRIENDS_FAMILY,
    GEO_PERM_VISIBILITY,
    OWNER,
    PRIVATE,
    PUBLIC,
    STRANGER,
    VISIBILITIES,
    Relation,
    may_see,
)

CONTACT = Relation(is_contact=True)
FRIEND = Relation(is_contact=True, is_friend=True)
FAMILY_MEMBER = Relation(is_contact=True, is_family=True)
BOTH = Relation(is_contact=True, is_friend=True, is_family=True)

# The 14 changes (of 30) that take the photo from nobody: written out by hand, from
# who sees what (public: all; contacts: every contact; friends / family: those marked;
# friends_family: either mark; private: nobody but the owner).
WIDENING = {
    (CONTACTS, PUBLIC),
    (FRIENDS, PUBLIC),
    (FAMILY, PUBLIC),
    (FRIENDS_FAMILY, PUBLIC),
    (PRIVATE, PUBLIC),
    (PRIVATE, CONTACTS),
    (PRIVATE, FRIENDS),
    (PRIVATE, FAMILY),
    (PRIVATE, FRIENDS_FAMILY),
    (FRIENDS, CONTACTS),
    (FRIENDS, FRIENDS_FAMILY),
    (FAMILY, CONTACTS),
    (FAMILY, FRIENDS_FAMILY),
    (FRIENDS_FAMILY, CONTACTS),
}


@pytest.mark.parametrize(("before", "after"), list(itertools.product(VISIBILITIES, VISIBILITIES)))
def test_a_visibility_change_shrinks_unless_it_only_widens(before: str, after: str) -> None:
    expected = before != after and (before, after) not in WIDENING
    assert visibility_shrinks(before, after) is expected
    # The same answer from first principles: someone loses the photo.
    assert expected == any(may_see(before, r) and not may_see(after, r) for r in STANDINGS)


def test_every_step_towards_private_shrinks() -> None:
    chain = [PUBLIC, CONTACTS, FRIENDS_FAMILY, FRIENDS, PRIVATE]
    for before, after in itertools.pairwise(chain):
        assert visibility_shrinks(before, after), (before, after)
    assert visibility_shrinks(FRIENDS_FAMILY, FAMILY)


def test_the_standings_are_every_non_owner_relation() -> None:
    marks = itertools.product((False, True), repeat=2)
    relations = {STRANGER} | {Relation(is_contact=True, is_friend=f, is_family=m) for f, m in marks}
    assert set(STANDINGS) == relations
    assert OWNER not in STANDINGS


@pytest.mark.parametrize(
    ("before", "after", "lost"),
    [
        (FRIEND, STRANGER, {CONTACTS, FRIENDS, FRIENDS_FAMILY}),
        (FRIEND, CONTACT, {FRIENDS, FRIENDS_FAMILY}),
        (FAMILY_MEMBER, STRANGER, {CONTACTS, FAMILY, FRIENDS_FAMILY}),
        (FAMILY_MEMBER, CONTACT, {FAMILY, FRIENDS_FAMILY}),
        (FAMILY_MEMBER, FRIEND, {FAMILY}),
        (BOTH, FRIEND, {FAMILY}),
        (BOTH, STRANGER, {CONTACTS, FRIENDS, FAMILY, FRIENDS_FAMILY}),
        (CONTACT, STRANGER, {CONTACTS}),
        (CONTACT, FRIEND, set()),
        (FRIEND, BOTH, set()),
        (STRANGER, FAMILY_MEMBER, set()),
    ],
)
def test_what_a_contact_change_takes_away(
    before: Relation, after: Relation, lost: set[str]
) -> None:
    assert lost_visibilities(before, after) == lost


@pytest.mark.parametrize(("before", "after"), list(itertools.product(STANDINGS, STANDINGS)))
def test_a_contact_change_takes_exactly_what_the_contact_stops_seeing(
    before: Relation, after: Relation
) -> None:
    lost = lost_visibilities(before, after)
    for visibility in VISIBILITIES:
        stops = may_see(visibility, before) and not may_see(visibility, after)
        assert (visibility in lost) is stops
    assert PUBLIC not in lost and PRIVATE not in lost


@pytest.mark.parametrize(
    ("before", "after"), list(itertools.product(GEO_PERM_VISIBILITY, GEO_PERM_VISIBILITY))
)
def test_geo_permissions_never_change_served_files_while_they_carry_no_location(
    before: int, after: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_visibility = visibility_shrinks(GEO_PERM_VISIBILITY[before], GEO_PERM_VISIBILITY[after])
    assert location_shrinks(before, after) is as_visibility
    assert geo_change_shrinks_files(before, after) is False
    # Were originals (with their GPS) ever served, a narrower permission would rotate.
    monkeypatch.setattr(file_access, "SERVED_FILES_CARRY_LOCATION", True)
    assert geo_change_shrinks_files(before, after) is as_visibility
