"""The same entries as a JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/), no I/O.

Ids, titles, dates, authors and the HTML are the Atom document's (``domain/atom.py``), so
a subscriber can switch formats and keep de-duplicating on the same (id, date_modified).
JSON Feed has no place for some of what Atom carries; photohub adds three extension
objects (JSON Feed: "custom objects", names starting with an underscore), each carrying
``about`` (a URL of their documentation, docs/push.md) when the caller gives one:

- ``_geo`` on an item: ``{"latitude": 48.85, "longitude": 2.35}``, WGS 84 decimal degrees,
  present only when the Atom entry has a ``georss:point``.
- ``_photohub`` on an item: ``photo_id``, ``images`` (every rendition: ``url``,
  ``mime_type``, ``width``, ``height``, ``size_in_bytes``, the main image first),
  ``thumbnail``, ``tags`` (``term`` clean, ``label`` raw) and ``contributors`` (who faved:
  ``name``, ``url``), none of which JSON Feed's own fields can say.
- ``_tombstones`` on the feed: ``{"entries": [{"id", "when", "by", "comment"}]}``, the
  RFC 6721 deleted entries, beside ``items`` rather than in it, so that a reader that does
  not know the extension ignores them instead of showing empty posts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from photohub.domain.atom import (
    HUB,
    DeletedEntry,
    Entry,
    Image,
    Person,
    PhotoEntry,
    clean,
    content_html,
    timestamp,
)

VERSION = "https://jsonfeed.org/version/1.1"
MEDIA_TYPE = "application/feed+json"


def _person(person: Person) -> dict[str, str]:
    out = {"name": clean(person.name)}
    if person.uri:
        out["url"] = clean(person.uri)
    return out


def _image(image: Image) -> dict[str, Any]:
    out: dict[str, Any] = {"url": clean(image.url), "mime_type": clean(image.type)}
    if image.width is not None:
        out["width"] = image.width
    if image.height is not None:
        out["height"] = image.height
    if image.length is not None:
        out["size_in_bytes"] = image.length
    return out


def _extension(about: str | None, **fields: Any) -> dict[str, Any]:
    return ({"about": about} if about else {}) | fields


def _item(entry: PhotoEntry, about: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": clean(entry.id),
        "url": clean(entry.page_url),
        "title": clean(entry.title),
        # JSON Feed: content_html or content_text must be present; content_html always is.
        "content_html": clean(content_html(entry)),
    }
    text = clean(entry.description)
    if text:
        item["content_text"] = text
    if entry.images:
        main = entry.images[0]
        item["image"] = clean(main.url)
        attachment = {k: v for k, v in _image(main).items() if k not in ("width", "height")}
        item["attachments"] = [attachment]
    item["date_published"] = timestamp(entry.published)
    item["date_modified"] = timestamp(entry.updated)
    item["authors"] = [_person(entry.author)]
    terms = [clean(tag.term) for tag in entry.tags]
    item["tags"] = [term for term in terms if term]
    if entry.location is not None:
        latitude, longitude = entry.location
        item["_geo"] = _extension(about, latitude=latitude, longitude=longitude)
    extra = _extension(
        about,
        photo_id=entry.photo_id,
        images=[_image(image) for image in entry.images],
        tags=[
            {"term": clean(tag.term), "label": clean(tag.label or tag.term)}
            for tag in entry.tags
            if clean(tag.term)
        ],
        contributors=[_person(person) for person in entry.contributors],
    )
    if entry.thumbnail is not None:
        extra["thumbnail"] = _image(entry.thumbnail)
    item["_photohub"] = extra
    return item


def _tombstone(entry: DeletedEntry) -> dict[str, Any]:
    out: dict[str, Any] = {"id": clean(entry.ref), "when": timestamp(entry.when)}
    if entry.by is not None:
        out["by"] = _person(entry.by)
    if entry.comment:
        out["comment"] = clean(entry.comment)
    return out


def json_feed(
    entries: Iterable[Entry],
    *,
    title: str,
    feed_url: str,
    hub_url: str,
    home_page_url: str | None = None,
    author: Person = HUB,
    about: str | None = None,
) -> dict[str, Any]:
    """A JSON Feed 1.1 object (``json.dumps`` it), with the WebSub hub in ``hubs``."""
    items: list[dict[str, Any]] = []
    deleted: list[dict[str, Any]] = []
    for entry in entries:
        if isinstance(entry, PhotoEntry):
            items.append(_item(entry, about))
        else:
            deleted.append(_tombstone(entry))
    document: dict[str, Any] = {"version": VERSION, "title": clean(title)}
    if home_page_url:
        document["home_page_url"] = clean(home_page_url)
    document["feed_url"] = clean(feed_url)
    document["hubs"] = [{"type": "WebSub", "url": clean(hub_url)}]
    document["authors"] = [_person(author)]
    document["items"] = items
    if deleted:
        document["_tombstones"] = _extension(about, entries=deleted)
    return document
