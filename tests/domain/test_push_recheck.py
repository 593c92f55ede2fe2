"""domain.push_recheck: a stored entry against its photo as it is now, per audience."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from lxml import etree

from photohub.domain import atom
from photohub.domain.privacy import GEO_CONTACTS, GEO_PRIVATE, GEO_PUBLIC, MODERATE, RESTRICTED
from photohub.domain.push_recheck import (
    Audience,
    PhotoNow,
    Verdict,
    audience_of,
    point_of,
    recheck,
    shown,
    without_location,
)

WHEN = datetime(2026, 3, 1, 12, 0, 0)
PARIS = (48.8566, 2.3522)
TAGS, GEO, MINE = audience_of("tags"), audience_of("geo"), audience_of("my_photos")
PUBLIC_NOW = PhotoNow(
    state="ready",
    approved=True,
    visibility="public",
    safety_level=1,
    hidden=False,
    owner_opted_out=False,
    geo_perm=GEO_PUBLIC,
    location=PARIS,
)


def stored(location: tuple[float, float] | None = PARIS) -> bytes:
    image = atom.Image("http://photos.test/media/1_s_1024.webp", "image/webp", 1024, 768)
    entry = atom.PhotoEntry(
        id="tag:photos.test,2026:photo/1",
        photo_id=1,
        title="Old title",
        description="old words",
        page_url=image.url,
        images=(image,),
        thumbnail=image,
        author=atom.Person("ann"),
        published=WHEN,
        updated=WHEN,
        location=location,
    )
    return atom.render_entry(entry)


TOMBSTONE = atom.render_entry(atom.DeletedEntry("tag:photos.test,2026:photo/1", WHEN))


def test_audiences_follow_the_topic() -> None:
    assert Audience() == TAGS and Audience(by_location=True) == GEO
    assert Audience(personal=True) == MINE
    assert audience_of("contacts_faves").personal and not audience_of("firehose").personal


@pytest.mark.parametrize(
    "now",
    [
        None,  # deleted
        replace(PUBLIC_NOW, visibility="private"),
        replace(PUBLIC_NOW, visibility="friends"),
        replace(PUBLIC_NOW, visibility="contacts"),
        replace(PUBLIC_NOW, safety_level=MODERATE),
        replace(PUBLIC_NOW, safety_level=RESTRICTED),
        replace(PUBLIC_NOW, owner_opted_out=True),
        replace(PUBLIC_NOW, approved=False),
        replace(PUBLIC_NOW, state="processing"),
    ],
)
def test_a_photo_withdrawn_from_the_public_sends_nothing_to_anyone(now: PhotoNow | None) -> None:
    for audience in (TAGS, GEO, MINE):
        for body in (stored(), stored(None)):
            assert recheck(body, now, audience) is Verdict.DROP
            assert shown(body, Verdict.DROP) is None


def test_a_tombstone_always_goes() -> None:
    for now in (None, PUBLIC_NOW, replace(PUBLIC_NOW, visibility="private")):
        for audience in (TAGS, GEO, MINE):
            assert recheck(TOMBSTONE, now, audience) is Verdict.SEND


def test_hidden_from_public_searches_reaches_personal_topics_only() -> None:
    hidden = replace(PUBLIC_NOW, hidden=True)
    assert recheck(stored(), hidden, MINE) is Verdict.SEND
    assert recheck(stored(), hidden, TAGS) is Verdict.DROP
    assert recheck(stored(), hidden, GEO) is Verdict.DROP


@pytest.mark.parametrize(
    "now",
    [
        replace(PUBLIC_NOW, geo_perm=GEO_PRIVATE),
        replace(PUBLIC_NOW, geo_perm=GEO_CONTACTS),
        replace(PUBLIC_NOW, location=None),  # removed
        replace(PUBLIC_NOW, location=(48.9, 2.4)),  # moved: the old place is not public
    ],
)
def test_a_location_no_longer_public_is_stripped_and_never_matched_by(now: PhotoNow) -> None:
    body = stored()
    assert recheck(body, now, TAGS) is Verdict.STRIP
    assert recheck(body, now, MINE) is Verdict.STRIP
    assert recheck(body, now, GEO) is Verdict.DROP
    out = shown(body, Verdict.STRIP)
    assert out is not None and b"georss" not in out.replace(b"xmlns:georss", b"")
    assert b"48.8566" not in out
    # The rest of the entry is intact and still parses inside a feed.
    document = atom.head("f", "t", "s", "h", WHEN) + out + atom.TAIL
    root = etree.fromstring(document)
    assert root.findtext(f"{{{atom.ATOM}}}entry/{{{atom.ATOM}}}title") == "Old title"


def test_an_unchanged_photo_goes_as_stored() -> None:
    for audience in (TAGS, GEO, MINE):
        assert recheck(stored(), PUBLIC_NOW, audience) is Verdict.SEND
        assert recheck(stored(None), PUBLIC_NOW, audience) is Verdict.SEND
    # An entry without a location never gains one, and needs no public location.
    assert recheck(stored(None), replace(PUBLIC_NOW, geo_perm=GEO_PRIVATE), TAGS) is Verdict.SEND


def test_points_are_read_as_atom_writes_them() -> None:
    assert point_of(stored()) == "48.8566 2.3522"
    assert point_of(stored(None)) is None
    assert without_location(stored(None)) == stored(None)
    assert point_of(stored((-33.5, 151.0))) == "-33.5 151"
