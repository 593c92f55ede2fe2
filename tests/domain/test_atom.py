"""Atom documents of the push hub (domain/atom.py), read back as subscribers read them.

feedparser is the independent reader for everything a subscriber looks at; it ignores
RFC 6721 tombstones and namespace layout, so those are checked with lxml XPath. Every
document is also checked against RFC 4287's required structure.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from photohub.domain import atom
from photohub.domain.atom import (
    ATOM,
    GEORSS,
    MEDIA,
    NSMAP,
    TOMBSTONES,
    Category,
    DeletedEntry,
    Entry,
    Image,
    Person,
    PhotoEntry,
    batches,
    entry_id,
    feed,
    render_entry,
    timestamp,
)
from tests.domain.feed_samples import BASE, HOST, HOSTILE, META, SURVIVES, photo, tombstone

NS = {"a": ATOM, "at": TOMBSTONES, "media": MEDIA, "georss": GEORSS}
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def parse(document: bytes) -> Any:
    parsed = feedparser.parse(document)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def assert_rfc4287(document: bytes) -> etree._Element:
    """RFC 4287's MUSTs for the elements photohub writes, on a strictly parsed document."""
    root = etree.fromstring(document, etree.XMLParser(resolve_entities=False))
    assert root.tag == f"{{{ATOM}}}feed"

    def one(parent: etree._Element, name: str) -> etree._Element:
        found = parent.findall(f"a:{name}", NS)
        assert len(found) == 1, f"{parent.tag!r} needs exactly one atom:{name}, has {len(found)}"
        return found[0]

    def date(parent: etree._Element, name: str) -> None:
        assert RFC3339.fullmatch(one(parent, name).text or ""), name

    def persons(parent: etree._Element, name: str) -> list[etree._Element]:
        found = parent.findall(f"a:{name}", NS)
        for person in found:  # §3.2: exactly one atom:name, at most one uri
            assert len(person.findall("a:name", NS)) == 1
            assert len(person.findall("a:uri", NS)) <= 1
        return found

    one(root, "id")
    one(root, "title")
    date(root, "updated")
    feed_authors = persons(root, "author")
    for link in root.iter(f"{{{ATOM}}}link"):
        assert link.get("href"), "§4.2.7: every atom:link has an href"
    for entry in root.findall("a:entry", NS):
        one(entry, "id")
        one(entry, "title")
        date(entry, "updated")
        if entry.find("a:published", NS) is not None:
            date(entry, "published")
        # §4.1.1: a feed without atom:author needs one in every entry.
        assert feed_authors or persons(entry, "author"), "no author for an entry"
        persons(entry, "contributor")
        alternates = [
            (link.get("type"), link.get("hreflang"))
            for link in entry.findall("a:link", NS)
            if link.get("rel", "alternate") == "alternate"
        ]
        # §4.1.2: content or an alternate link; no two alternates of one type and language.
        assert alternates or entry.find("a:content", NS) is not None
        assert len(alternates) == len(set(alternates))
        for category in entry.findall("a:category", NS):
            assert category.get("term"), "§4.2.2: a category has a term"
        for text in entry.findall("a:content", NS) + entry.findall("a:summary", NS):
            assert text.get("type", "text") in ("text", "html"), text.get("type")
            assert len(text) == 0, "text and html constructs hold no child elements"
    for deleted in root.findall("at:deleted-entry", NS):  # RFC 6721 §3
        assert deleted.get("ref")
        assert RFC3339.fullmatch(deleted.get("when") or "")
    return root


def test_every_field_a_subscriber_reads() -> None:
    entry = photo(location=(48.858093, 2.294694), contributors=(Person("Bob", f"{BASE}/p/b"),))
    document = feed([entry], **META)
    assert_rfc4287(document)
    parsed = parse(document)

    assert parsed.version == "atom10"
    assert parsed.feed.id == META["feed_id"]
    assert parsed.feed.title == "Ann's photos"
    assert parsed.feed.updated == "2026-11-21T22:15:03Z"
    feed_links = {link.rel: link for link in parsed.feed.links}
    assert feed_links["self"].href == META["self_url"]
    assert feed_links["self"].type == "application/atom+xml"
    assert feed_links["hub"].href == META["hub_url"]

    [got] = parsed.entries
    assert got.id == "tag:photos.example.org,2026:photo/42"
    assert got.title == "Sunset 42"
    assert got.published == "2026-11-20T18:30:00Z"
    assert got.updated == "2026-11-21T09:01:02Z"
    links = {link.rel: link for link in got.links}
    assert set(links) == {"alternate", "enclosure"}
    assert links["alternate"].href == f"{BASE}/photos/ann/42"
    assert links["alternate"].type == "text/html"
    assert links["enclosure"].href == f"{BASE}/files/42_s3cr3t_2048.webp"
    assert links["enclosure"].type == "image/webp"
    assert links["enclosure"].length == "401234"
    assert got.link == f"{BASE}/photos/ann/42"

    main, smaller = got.media_content
    assert main == {
        "url": f"{BASE}/files/42_s3cr3t_2048.webp",
        "type": "image/webp",
        "medium": "image",
        "width": "2048",
        "height": "1536",
        "filesize": "401234",
        "isdefault": "true",
    }
    assert smaller["url"].endswith("_1024.webp") and smaller["width"] == "1024"
    assert "isdefault" not in smaller
    assert got.media_thumbnail == [
        {"url": f"{BASE}/files/42_s3cr3t_256.webp", "width": "256", "height": "192"}
    ]
    assert got.where == {"type": "Point", "coordinates": (2.294694, 48.858093)}
    assert [(tag.term, tag.label) for tag in got.tags] == [
        ("newyork", "New York!"),
        ("geo:lat=48.85", "geo:lat=48.85"),
    ]
    assert got.author_detail == {"name": "Ann Example", "href": f"{BASE}/people/12345@N01"}
    assert got.contributors == [{"name": "Bob", "href": f"{BASE}/p/b"}]
    assert got.summary_detail.type == "text/plain"
    assert got.summary == "Over the bay.\nSecond line."
    [content] = got.content
    assert content.type == "text/html"
    assert f'src="{BASE}/files/42_s3cr3t_2048.webp"' in content.value
    assert f'href="{BASE}/photos/ann/42"' in content.value
    assert "Over the bay.<br />" in content.value


def test_namespaces_are_declared_once_on_the_root() -> None:
    document = feed([photo(1, location=(1.0, 2.0)), tombstone(2)], **META)
    root = etree.fromstring(document)
    assert root.nsmap == NSMAP
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<feed ")
    for uri in NSMAP.values():
        assert document.count(f'"{uri}"'.encode()) == 1, uri
    assert b"<media:content " in document and b"<georss:point>" in document


def test_georss_point_only_when_a_location_is_given() -> None:
    document = feed([photo(1), photo(2, location=(-33.8568, 151.2153))], **META)
    root = assert_rfc4287(document)
    points = [
        [p.text for p in entry.findall("georss:point", NS)] for entry in root.findall("a:entry", NS)
    ]
    assert points == [[], ["-33.8568 151.2153"]]
    first, second = parse(document).entries
    assert "where" not in first
    assert second.where["coordinates"] == (151.2153, -33.8568)


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.0, "0"), (-0.0000001, "0"), (1e-05, "0.00001"), (-90.0, "-90"), (48.8580931, "48.858093")],
)
def test_coordinates_are_plain_decimals(value: float, text: str) -> None:
    assert atom.coordinate(value) == text


def test_tombstones_follow_rfc_6721() -> None:
    gone = tombstone(7, by=Person("Ann Example", f"{BASE}/people/12345@N01"), comment="deleted")
    private = tombstone(8, when=datetime(2026, 11, 22, 9, 0, 0, 250_000))
    document = feed([photo(6), gone, private], **META)
    root = assert_rfc4287(document)
    deleted = root.xpath("/a:feed/at:deleted-entry", namespaces=NS)
    assert [(d.get("ref"), d.get("when")) for d in deleted] == [
        ("tag:photos.example.org,2026:photo/7", "2026-11-22T08:00:00Z"),
        ("tag:photos.example.org,2026:photo/8", "2026-11-22T09:00:00.250000Z"),
    ]
    assert root.xpath("string(at:deleted-entry[1]/at:by/a:name)", namespaces=NS) == "Ann Example"
    assert root.xpath("string(at:deleted-entry[1]/at:by/a:uri)", namespaces=NS).endswith("@N01")
    assert root.xpath("string(at:deleted-entry[1]/at:comment)", namespaces=NS) == "deleted"
    assert root.xpath("count(at:deleted-entry[2]/*)", namespaces=NS) == 0
    # A reader that knows no tombstones sees only the photo.
    assert [e.id for e in parse(document).entries] == ["tag:photos.example.org,2026:photo/6"]


def test_hostile_text_stays_well_formed_and_round_trips() -> None:
    entry = photo(
        title=HOSTILE,
        description=HOSTILE,
        page_url=f"{BASE}/photos/ann/42?x=<&y=\x01",
        author=Person(HOSTILE, f"{BASE}/people/\x00x"),
        tags=(Category("ok", HOSTILE), Category("\x01\x02", "only controls")),
        contributors=(Person(HOSTILE),),
    )
    document = feed(
        [entry, tombstone(9, comment=HOSTILE)], **(META | {"title": HOSTILE, "feed_id": "x\x00y"})
    )
    root = assert_rfc4287(document)  # a strict parser accepts it
    document.decode("utf-8")
    assert b"<script>" not in document and b"]]>" not in document
    assert root.findtext("a:title", namespaces=NS) == SURVIVES
    assert root.findtext("a:id", namespaces=NS) == "xy"
    assert root.xpath("string(at:deleted-entry/at:comment)", namespaces=NS) == SURVIVES
    got = parse(document).entries[0]
    assert got.title == SURVIVES
    assert got.summary == SURVIVES
    assert got.author == SURVIVES
    assert got.contributors[0]["name"] == SURVIVES
    assert got.link == f"{BASE}/photos/ann/42?x=<&y="
    assert got.author_detail["href"] == f"{BASE}/people/x"
    # A tag with nothing left of its term is dropped, not written as term="".
    assert [(t.term, t.label) for t in got.tags] == [("ok", SURVIVES)]


# Every code point, controls and lone surrogates included.
everything = st.text(alphabet=st.characters(exclude_categories=()))


@settings(max_examples=200, deadline=None)
@given(everything, everything)
def test_any_text_makes_a_document_a_strict_parser_reads(title: str, description: str) -> None:
    document = feed([photo(title=title, description=description)], **META | {"title": title})
    root = etree.fromstring(document)
    expected = atom.clean(title)
    # XML parsers normalise a CR (alone or before LF) to LF in text (XML 1.0 §2.11) unless
    # it was written as a character reference, which lxml does.
    assert root.findtext("a:title", namespaces=NS) == expected
    assert root.findtext("a:entry/a:summary", namespaces=NS) == (atom.clean(description) or None)


def test_entries_without_optional_parts() -> None:
    bare = photo(description="", images=(), thumbnail=None, tags=(), title="")
    document = feed([bare], **META)
    root = assert_rfc4287(document)
    [entry] = root.findall("a:entry", NS)
    names = [etree.QName(child).localname for child in entry]
    assert names == ["id", "title", "link", "published", "updated", "author"]
    got = parse(document).entries[0]
    assert [link.rel for link in got.links] == ["alternate"]
    assert "media_content" not in got and "media_thumbnail" not in got


def test_empty_and_deletion_only_feeds_are_valid() -> None:
    for entries in ([], [tombstone(1), tombstone(2)]):
        root = assert_rfc4287(feed(entries, **META))
        assert root.findtext("a:author/a:name", namespaces=NS) == "photohub"


def test_dates_render_in_utc_with_z() -> None:
    assert timestamp(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05Z"
    assert timestamp(datetime(2026, 1, 2, 3, 4, 5, 7)) == "2026-01-02T03:04:05.000007Z"
    paris = timezone(timedelta(hours=2))
    assert timestamp(datetime(2026, 6, 1, 0, 30, tzinfo=paris)) == "2026-05-31T22:30:00Z"
    assert timestamp(datetime(2026, 6, 1, 0, 30, tzinfo=UTC)) == "2026-06-01T00:30:00Z"


def test_entry_ids_are_stable_tag_uris() -> None:
    assert entry_id("Photos.Example.ORG.", 42) == "tag:photos.example.org,2026:photo/42"
    assert entry_id(HOST, 42) == photo(42, title="edited", updated=datetime(2027, 1, 1)).id
    for bad in ("localhost:8000", "https://photos.example.org", "", "a_b.org", "-x.org"):
        with pytest.raises(ValueError, match="DNS name"):
            entry_id(bad, 1)
    with pytest.raises(ValueError, match="positive"):
        entry_id(HOST, 0)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: photo(location=(91.0, 0.0)), "latitude"),
        (lambda: photo(location=(float("nan"), 0.0)), "latitude"),
        (lambda: photo(location=(0.0, 180.5)), "longitude"),
        (lambda: photo(location=(0.0, float("inf"))), "longitude"),
        (lambda: photo(id=""), "id"),
        (lambda: photo(page_url=""), "page URL"),
        (lambda: Image("", "image/webp"), "URL"),
        (lambda: Image("https://x/y", "webp"), "MIME"),
        (lambda: Image("https://x/y", "image/webp", width=-1), "width"),
        (lambda: tombstone(ref=""), "id of the entry"),
    ],
)
def test_bad_input_is_refused_clearly(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_a_feed_is_its_head_entries_and_tail() -> None:
    entries: list[Entry] = [photo(1), tombstone(2), photo(3, location=(1.5, -2.5))]
    document = feed(entries, **META)
    parts = [render_entry(entry) for entry in entries]
    assert b"".join(parts) in document
    assert document.endswith(b"".join(parts) + b"</feed>")
    assert all(b"xmlns" not in part for part in parts)


def mixed_entries(count: int) -> list[Entry]:
    """Entries of very different sizes, with deletions among them."""
    entries: list[Entry] = []
    for n in range(1, count + 1):
        if n % 7 == 0:
            entries.append(tombstone(n, comment="x" * (n * 13 % 300)))
        else:
            entries.append(photo(n, description="word " * (n * 37 % 400)))
    return entries


@pytest.mark.parametrize("cap", [1, 3_000, 8_000, 20_000, 10**9])
def test_batches_respect_the_cap_and_lose_nothing(cap: int) -> None:
    entries = mixed_entries(60)
    got = list(batches(entries, cap, **META))
    assert [entry for batch in got for entry in batch.entries] == entries
    for batch in got:
        assert len(batch.document) <= cap or len(batch.entries) == 1
        assert batch.document == feed(batch.entries, **META)
        root = assert_rfc4287(batch.document)
        ids = [e.findtext("a:id", namespaces=NS) for e in root.findall("a:entry", NS)]
        refs = [d.get("ref") for d in root.findall("at:deleted-entry", NS)]
        assert ids == [e.id for e in batch.entries if isinstance(e, PhotoEntry)]
        assert refs == [e.ref for e in batch.entries if isinstance(e, DeletedEntry)]
    if cap == 10**9:
        assert len(got) == 1
    if cap == 1:
        assert len(got) == len(entries)
    if cap == 8_000:  # packed greedily: no batch could have taken the next entry
        for batch, following in itertools.pairwise(got):
            assert len(batch.document) + len(render_entry(following.entries[0])) > cap


def test_an_entry_larger_than_the_cap_goes_alone() -> None:
    small, huge = photo(1), photo(2, description="x" * 50_000)
    got = list(batches([small, huge, small], 10_000, **META))
    assert [batch.entries for batch in got] == [[small], [huge], [small]]
    assert len(got[1].document) > 10_000


def test_batches_render_each_entry_once(monkeypatch: pytest.MonkeyPatch) -> None:
    rendered: list[Entry] = []
    original = atom.render_entry

    def counting(entry: Entry) -> bytes:
        rendered.append(entry)
        return original(entry)

    monkeypatch.setattr(atom, "render_entry", counting)
    entries = mixed_entries(40)
    assert len(list(batches(entries, 5_000, **META))) > 3
    assert rendered == entries


def test_batches_refuse_a_cap_below_one_and_yield_nothing_for_nothing() -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        list(batches([photo()], 0, **META))
    assert list(batches([], 1_000, **META)) == []


def test_every_code_point_survives_unless_xml_cannot_carry_it() -> None:
    """XML 1.0 §2.2 over all of Unicode: lxml's refusals and ``clean`` agree with a parser."""
    for start in range(0, 0x110000, 0x10000):
        text = "".join(map(chr, range(start, start + 0x10000)))
        root = etree.fromstring(feed([photo(title=text)], **META))
        assert root.findtext("a:entry/a:title", namespaces=NS) == atom.clean(text)
