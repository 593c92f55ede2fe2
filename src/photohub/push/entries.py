"""From stored photos to the Atom entries the hub delivers and serves.

The caller has decided the photo may be pushed (``domain.privacy.pushable``); this module
decides only what of it shows: the location only where the public may see it
(``location_public``), the author by name (an account's page is not public yet, so no
``uri``), every rendition with its absolute URL, the largest first, the smallest as the
thumbnail, and the tags as categories. Entry ids are the photo's stable tag URI under the
site's host, so a redelivery or an update carries the same id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from photohub.domain import atom
from photohub.domain.photos import media_url
from photohub.domain.privacy import location_public

RENDITION_TYPE = "image/webp"
FALLBACK_HOST = "photohub.invalid"  # RFC 2606: for a site reached by an IPv6 literal


def entry_host(base_url: str) -> str:
    """The DNS name (or IPv4 address) entry ids are minted under."""
    host = (urlsplit(base_url).hostname or "").lower()
    try:
        atom.entry_id(host, 1)
    except ValueError:
        return FALLBACK_HOST
    return host


def photo_entry_id(base_url: str, photo_id: int) -> str:
    return atom.entry_id(entry_host(base_url), photo_id)


def _images(base_url: str, row: Mapping[Any, Any]) -> list[atom.Image]:
    renditions: Sequence[Mapping[str, int]] = row["renditions"] or []
    ordered = sorted(renditions, key=lambda r: r["size"], reverse=True)
    return [
        atom.Image(
            url=base_url + media_url(int(row["id"]), row["secret"], r["size"]),
            type=RENDITION_TYPE,
            width=r.get("width"),
            height=r.get("height"),
        )
        for r in ordered
    ]


def photo_entry(
    base_url: str,
    row: Mapping[Any, Any],
    tags: Sequence[Mapping[Any, Any]] = (),
    contributors: Sequence[atom.Person] = (),
) -> atom.PhotoEntry:
    """The entry of a pushable photo row (``store.photos.get``: with ``author``) and its
    tag rows (``raw``, ``tag``)."""
    images = _images(base_url, row)
    location = None
    if row["latitude"] is not None and location_public(row["visibility"], row["geo_perm"]):
        location = (float(row["latitude"]), float(row["longitude"]))
    page = images[0].url if images else base_url + "/"
    return atom.PhotoEntry(
        id=photo_entry_id(base_url, int(row["id"])),
        photo_id=int(row["id"]),
        title=row["title"] or "",
        description=row["description"] or "",
        page_url=page,
        images=tuple(images),
        thumbnail=images[-1] if images else None,
        author=atom.Person(row["author"] or "photohub"),
        published=row["created_at"],
        updated=row["updated_at"],
        tags=tuple(atom.Category(t["tag"], t["raw"]) for t in tags),
        location=location,
        contributors=tuple(contributors),
    )


def deleted_entry(base_url: str, photo_id: int, when: datetime, comment: str) -> atom.DeletedEntry:
    """The tombstone of a photo deleted or no longer public (RFC 6721)."""
    return atom.DeletedEntry(ref=photo_entry_id(base_url, photo_id), when=when, comment=comment)
