"""The Atom 1.0 documents the push hub delivers and serves, rendered without I/O.

One entry per photo (RFC 4287), with Media RSS for the image and its renditions, GeoRSS for
a location the caller has decided is public, ``atom:contributor`` for who faved, and
RFC 6721 tombstones (``at:deleted-entry``) for photos deleted or switched away from public.
The caller decides what may be shown; this module only writes what it is given.

Entry ids are tag URIs (RFC 4151) that never change for a photo (``entry_id``): an edit is
the same id with a later ``updated``, a deletion refers to it, and a redelivery (the hub is
at-least-once) repeats the same (id, updated) pair, so subscribers de-duplicate on it.

lxml builds each entry once; a document is the feed's head, the entries' bytes and the
closing tag, so ``batches`` knows every document's exact size without rendering twice.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from lxml import etree

ATOM = "http://www.w3.org/2005/Atom"
TOMBSTONES = "http://purl.org/atompub/tombstones/1.0"  # RFC 6721
MEDIA = "http://search.yahoo.com/mrss/"
GEORSS = "http://www.georss.org/georss"
# Declared once, on the root, with these prefixes (Atom is the default namespace).
NSMAP: dict[str | None, str] = {None: ATOM, "at": TOMBSTONES, "media": MEDIA, "georss": GEORSS}
MEDIA_TYPE = "application/atom+xml"
# The date in every entry id. Fixed, so that an id never changes (RFC 4151 §2.1 asks only
# that the authority name was owned on that date).
ENTRY_ID_YEAR = 2026

# XML 1.0 §2.2 Char: no C0 controls but tab, LF and CR; no surrogates, U+FFFE or U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# RFC 4151 DNSname: labels of letters, digits and inner hyphens.
_DNS_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")


# Clark notation prefixes: "{namespace}name" is how lxml names a qualified element.
_A, _AT, _MRSS, _GEO = (f"{{{uri}}}" for uri in (ATOM, TOMBSTONES, MEDIA, GEORSS))
_ENTRY = f"{_A}entry"
# What lxml repeats on an element serialised on its own: the root's declarations.
_DECLARATIONS = etree.tostring(etree.Element(_ENTRY, nsmap=NSMAP))[len(b"<entry") : -len(b"/>")]
TAIL = b"</feed>"


def clean(text: str) -> str:
    """``text`` without the characters XML cannot carry (lxml refuses them; a parser would)."""
    return _NOT_XML.sub("", text)


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with ``Z``; photohub's datetimes are naive UTC, aware ones convert."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds") + "Z"


def entry_id(host: str, photo_id: int) -> str:
    """The photo's entry id: ``tag:HOST,2026:photo/ID``, the same for every update."""
    name = host.strip().lower().rstrip(".")
    if not _DNS_NAME.fullmatch(name):
        raise ValueError(f"tag URIs need a DNS name without scheme or port, not {host!r}")
    if photo_id < 1:
        raise ValueError(f"photo ids are positive, not {photo_id}")
    return f"tag:{name},{ENTRY_ID_YEAR}:photo/{photo_id}"


@dataclass(frozen=True, slots=True)
class Person:
    """An Atom person construct: the owner, a faver, or who deleted."""

    name: str
    uri: str | None = None


HUB = Person("photohub")


@dataclass(frozen=True, slots=True)
class Image:
    """One rendition (or the thumbnail): its URL, MIME type, pixels and bytes if known."""

    url: str
    type: str
    width: int | None = None
    height: int | None = None
    length: int | None = None

    def __post_init__(self) -> None:
        if not self.url:
            raise ValueError("an image needs a URL")
        if "/" not in self.type:
            raise ValueError(f"an image type is a MIME type like image/webp, not {self.type!r}")
        for name in ("width", "height", "length"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"an image's {name} cannot be negative ({value})")


@dataclass(frozen=True, slots=True)
class Category:
    """A tag: ``term`` is the clean form subscribers match, ``label`` the raw one shown."""

    term: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class PhotoEntry:
    """A public photo as one entry. ``images`` are the renditions, the main image first.

    ``description`` is plain text (photohub stores no markup); it is written as a text
    ``summary`` and, escaped, in an HTML ``content`` that shows the image to feed readers.
    ``location`` (latitude, longitude) only when the caller decided it is public."""

    id: str
    photo_id: int
    title: str
    description: str
    page_url: str
    images: tuple[Image, ...]
    thumbnail: Image | None
    author: Person
    published: datetime
    updated: datetime
    tags: tuple[Category, ...] = ()
    location: tuple[float, float] | None = None
    contributors: tuple[Person, ...] = ()

    def __post_init__(self) -> None:
        if not self.id or not self.page_url:
            raise ValueError("an entry needs an id and a page URL")
        if self.location is not None:
            latitude, longitude = self.location
            if not (math.isfinite(latitude) and -90 <= latitude <= 90):
                raise ValueError(f"latitude must be within -90..90, not {latitude}")
            if not (math.isfinite(longitude) and -180 <= longitude <= 180):
                raise ValueError(f"longitude must be within -180..180, not {longitude}")


@dataclass(frozen=True, slots=True)
class DeletedEntry:
    """RFC 6721 tombstone: the entry ``ref`` (same id as the photo's entry) is gone."""

    ref: str
    when: datetime
    by: Person | None = None
    comment: str | None = None

    def __post_init__(self) -> None:
        if not self.ref:
            raise ValueError("a deleted entry needs the id of the entry it removes")


Entry = PhotoEntry | DeletedEntry


class Batch(NamedTuple):
    """One delivery: the entries and the Atom document that carries them."""

    entries: list[Entry]
    document: bytes


def content_html(entry: PhotoEntry) -> str:
    """The HTML a feed reader shows: the main image linked to its page, then the text."""
    parts = []
    if entry.images:
        main = entry.images[0]
        size = ""
        if main.width and main.height:
            size = f' width="{main.width}" height="{main.height}"'
        parts.append(
            f'<p><a href="{html.escape(entry.page_url)}"><img src="{html.escape(main.url)}"'
            f'{size} alt="{html.escape(entry.title)}"></a></p>'
        )
    text = clean(entry.description)
    if text:
        parts.append(f"<p>{html.escape(text).replace(chr(10), '<br>' + chr(10))}</p>")
    return "\n".join(parts)


def coordinate(value: float) -> str:
    """Decimal degrees to 6 places (about 0.1 m), no exponent, no trailing zeros."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _add(
    parent: etree._Element, tag: str, text: str | None = None, attrs: dict[str, str] | None = None
) -> etree._Element:
    """A child element. lxml refuses exactly the characters XML cannot carry (ValueError;
    UnicodeEncodeError for lone surrogates), so text is cleaned only when it has them."""
    try:
        element = etree.SubElement(parent, tag, attrs)
    except (ValueError, UnicodeError):
        element = etree.SubElement(parent, tag, {k: clean(v) for k, v in (attrs or {}).items()})
    if text:
        try:
            element.text = text
        except (ValueError, UnicodeError):
            element.text = clean(text)
    return element


def _person(parent: etree._Element, tag: str, person: Person) -> None:
    element = etree.SubElement(parent, tag)
    _add(element, f"{_A}name", person.name)
    if person.uri:
        _add(element, f"{_A}uri", person.uri)


def _size(image: Image) -> dict[str, str]:
    size = {} if image.width is None else {"width": str(image.width)}
    if image.height is not None:
        size["height"] = str(image.height)
    return size


def _media(image: Image, main: bool) -> dict[str, str]:
    attrs = {"url": image.url, "type": image.type, "medium": "image", **_size(image)}
    if image.length is not None:
        attrs["fileSize"] = str(image.length)
    if main:
        attrs["isDefault"] = "true"
    return attrs


def _photo_element(entry: PhotoEntry) -> etree._Element:
    element = etree.Element(_ENTRY, nsmap=NSMAP)
    _add(element, f"{_A}id", entry.id)
    _add(element, f"{_A}title", entry.title)
    page = {"rel": "alternate", "type": "text/html", "href": entry.page_url}
    _add(element, f"{_A}link", None, page)
    if entry.images:
        main = entry.images[0]
        link = {"rel": "enclosure", "type": main.type, "href": main.url}
        if main.length is not None:
            link["length"] = str(main.length)
        _add(element, f"{_A}link", None, link)
    _add(element, f"{_A}published", timestamp(entry.published))
    _add(element, f"{_A}updated", timestamp(entry.updated))
    _person(element, f"{_A}author", entry.author)
    for contributor in entry.contributors:
        _person(element, f"{_A}contributor", contributor)
    description = clean(entry.description)
    if description:
        _add(element, f"{_A}summary", description, {"type": "text"})
    body = content_html(entry)
    if body:
        _add(element, f"{_A}content", body, {"type": "html"})
    for tag in entry.tags:
        term = clean(tag.term)
        if term:  # RFC 4287 §4.2.2: a category needs a term; "!!!" has no clean form
            _add(element, f"{_A}category", None, {"term": term, "label": tag.label or term})
    if entry.location is not None:
        latitude, longitude = entry.location
        _add(element, f"{_GEO}point", f"{coordinate(latitude)} {coordinate(longitude)}")
    if entry.images:
        # Media RSS: renditions of one picture belong in one media:group, the main one default.
        group = etree.SubElement(element, f"{_MRSS}group")
        for index, image in enumerate(entry.images):
            _add(group, f"{_MRSS}content", None, _media(image, index == 0))
    if entry.thumbnail is not None:
        thumbnail = {"url": entry.thumbnail.url, **_size(entry.thumbnail)}
        _add(element, f"{_MRSS}thumbnail", None, thumbnail)  # Media RSS: no type, no size
    return element


def _deleted_element(entry: DeletedEntry) -> etree._Element:
    element = etree.Element(f"{_AT}deleted-entry", nsmap=NSMAP)
    element.set("ref", clean(entry.ref))
    element.set("when", timestamp(entry.when))
    if entry.by is not None:
        _person(element, f"{_AT}by", entry.by)
    if entry.comment:
        _add(element, f"{_AT}comment", entry.comment)
    return element


def render_entry(entry: Entry) -> bytes:
    """One entry's bytes as they appear inside a feed (the root declares the namespaces)."""
    if isinstance(entry, PhotoEntry):
        element, start = _photo_element(entry), b"<entry"
    else:
        element, start = _deleted_element(entry), b"<at:deleted-entry"
    data = etree.tostring(element, encoding="UTF-8")
    if not data.startswith(start + _DECLARATIONS):
        raise RuntimeError(f"lxml serialised an entry unexpectedly: {data[:200]!r}")
    return start + data[len(start) + len(_DECLARATIONS) :]


def head(
    feed_id: str, title: str, self_url: str, hub_url: str, updated: datetime, author: Person = HUB
) -> bytes:
    """A document's bytes up to its first entry: ``head + entries + TAIL`` is a feed."""
    root = etree.Element(f"{_A}feed", nsmap=NSMAP)
    _add(root, f"{_A}id", feed_id)
    _add(root, f"{_A}title", title)
    _add(root, f"{_A}updated", timestamp(updated))
    # WebSub §4: discovery by the self (topic) and hub links.
    _add(root, f"{_A}link", None, {"rel": "self", "type": MEDIA_TYPE, "href": self_url})
    _add(root, f"{_A}link", None, {"rel": "hub", "href": hub_url})
    _person(root, f"{_A}author", author)
    _add(root, f"{_A}generator", "photohub")
    data = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
    return data[: -len(TAIL)]


def feed(
    entries: Iterable[Entry],
    *,
    feed_id: str,
    title: str,
    self_url: str,
    hub_url: str,
    updated: datetime,
    author: Person = HUB,
) -> bytes:
    """An Atom 1.0 document, UTF-8 with an XML declaration, entries in the order given."""
    start = head(feed_id, title, self_url, hub_url, updated, author)
    return start + b"".join(render_entry(entry) for entry in entries) + TAIL


def pack(start: bytes, parts: Sequence[bytes], max_bytes: int) -> Iterator[tuple[int, bytes]]:
    """Documents of at most ``max_bytes`` from rendered entries, in order, as (how many
    entries, document). ``start`` is a :func:`head`. An entry too large for the cap on
    its own still goes, alone in its document: refusing it would stall the
    subscription's queue behind it for ever."""
    if max_bytes < 1:
        raise ValueError(f"max_bytes must be positive, not {max_bytes}")
    fixed = len(start) + len(TAIL)
    chunk: list[bytes] = []
    size = fixed
    for part in parts:
        if chunk and size + len(part) > max_bytes:
            yield len(chunk), start + b"".join(chunk) + TAIL
            chunk, size = [], fixed
        chunk.append(part)
        size += len(part)
    if chunk:
        yield len(chunk), start + b"".join(chunk) + TAIL


def batches(
    entries: Iterable[Entry],
    max_bytes: int,
    *,
    feed_id: str,
    title: str,
    self_url: str,
    hub_url: str,
    updated: datetime,
    author: Person = HUB,
) -> Iterator[Batch]:
    """Documents of at most ``max_bytes`` each, entries in order, each rendered once
    (see :func:`pack`)."""
    items = list(entries)
    start = head(feed_id, title, self_url, hub_url, updated, author)
    done = 0
    for count, document in pack(start, [render_entry(e) for e in items], max_bytes):
        yield Batch(items[done : done + count], document)
        done += count
