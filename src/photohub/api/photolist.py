"""Photos in API responses: list items with Flickr's ``extras``, and pages of them.

Locations appear only where the row's ``geo_ok`` (computed in SQL by
``store.visibility.location_admitted``) says this viewer may see them.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from photohub.api.args import ListOf, Text
from photohub.domain.photos import media_url
from photohub.domain.privacy import flags_of
from photohub.store.photo_query import Page

# Flickr's extras (flickr.photos.search "extras"); photohub fills those it has data for
# and accepts the rest so existing clients keep working.
URL_SIZES: dict[str, int] = {
    "sq": 75, "q": 150, "t": 100, "s": 240, "n": 320, "w": 400, "m": 500,
    "z": 640, "c": 800, "l": 1024, "h": 1600, "k": 2048, "o": 100_000,
}  # fmt: skip
EXTRAS = (
    "description", "license", "date_upload", "date_taken", "owner_name", "icon_server",
    "original_format", "last_update", "geo", "tags", "machine_tags", "o_dims", "views",
    "media", "path_alias", "count_faves", "count_comments", "isfavorite", "realname",
    *(f"url_{size}" for size in URL_SIZES),
)  # fmt: skip


class Extra(Text):
    def parse(self, raw: str) -> str:
        value = raw.strip().lower()
        if value not in EXTRAS:
            raise ValueError("is not a known extra")
        return value


EXTRAS_ARG = ListOf(Extra(40), max_items=len(EXTRAS))


def unix(value: datetime | None) -> int | None:
    return None if value is None else calendar.timegm(value.utctimetuple())


def mysql_date(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def owner_nsid(row: Mapping[Any, Any]) -> str:
    """Guests have no account: their photos show the owner id ``guest``."""
    return str(row["owner_nsid"] or "guest")


def owner_name(row: Mapping[Any, Any]) -> str:
    return str(row["owner_username"] or row["guest_name"] or "")


def rendition_for(row: Mapping[Any, Any], target: int) -> Mapping[str, int] | None:
    """The smallest rendition at least ``target`` px on its long edge, else the largest.
    Originals are never linked: they may carry GPS EXIF."""
    sizes: list[Mapping[str, int]] = sorted(row["renditions"] or [], key=lambda r: r["size"])
    for rendition in sizes:
        if rendition["size"] >= target:
            return rendition
    return sizes[-1] if sizes else None


def url_of(base_url: str, row: Mapping[Any, Any], rendition: Mapping[str, int]) -> str:
    return base_url + media_url(int(row["id"]), row["secret"], rendition["size"])


def list_item(
    row: Mapping[Any, Any],
    extras: Sequence[str],
    base_url: str,
    tags: Sequence[Mapping[Any, Any]] = (),
) -> dict[str, Any]:
    """One ``<photo>`` of a list, as flickr.photos.search returns it."""
    is_public, is_friend, is_family = flags_of(row["visibility"])
    item: dict[str, Any] = {
        "id": str(row["id"]),
        "owner": owner_nsid(row),
        "secret": row["secret"],
        "server": "1",
        "farm": 1,
        "title": row["title"],
        "ispublic": int(is_public),
        "isfriend": int(is_friend),
        "isfamily": int(is_family),
    }
    wanted = set(extras)
    if "description" in wanted:
        item["description"] = {"_content": row["description"]}
    if "license" in wanted:
        item["license"] = "0"
    if "date_upload" in wanted:
        item["dateupload"] = str(unix(row["created_at"]))
    if "last_update" in wanted:
        item["lastupdate"] = str(unix(row["updated_at"]))
    if "date_taken" in wanted:
        item["datetaken"] = mysql_date(row["taken_at"] or row["created_at"])
        item["datetakengranularity"] = 0
        item["datetakenunknown"] = int(row["taken_at"] is None)
    if "owner_name" in wanted:
        item["ownername"] = owner_name(row)
    if "realname" in wanted:
        item["realname"] = row["owner_realname"] or ""
    if "views" in wanted:
        item["views"] = str(row["views"])
    if "media" in wanted:
        item["media"], item["media_status"] = "photo", "ready"
    if "original_format" in wanted:
        item["originalformat"] = row["ext"]
    if "o_dims" in wanted:
        item["o_width"], item["o_height"] = str(row["width"]), str(row["height"])
    if "icon_server" in wanted:
        item["iconserver"], item["iconfarm"] = "1", 1
    if "tags" in wanted:
        item["tags"] = " ".join(t["tag"] for t in tags if t["namespace"] is None)
    if "machine_tags" in wanted:
        item["machine_tags"] = " ".join(t["tag"] for t in tags if t["namespace"] is not None)
    if "geo" in wanted:
        if row["geo_ok"] and row["latitude"] is not None:
            item["latitude"], item["longitude"] = row["latitude"], row["longitude"]
            item["accuracy"] = row["accuracy"] or 16
            item["context"] = 0
        else:
            item["latitude"], item["longitude"], item["accuracy"] = 0, 0, 0
    for size, target in URL_SIZES.items():
        if f"url_{size}" in wanted:
            rendition = rendition_for(row, target)
            if rendition is not None:
                item[f"url_{size}"] = url_of(base_url, row, rendition)
                item[f"height_{size}"] = rendition["height"]
                item[f"width_{size}"] = rendition["width"]
    return item


def page_result(
    page: Page,
    extras: Sequence[str],
    base_url: str,
    tags: Mapping[int, Sequence[Mapping[Any, Any]]] | None = None,
    *,
    key: str = "photos",
    **attributes: Any,
) -> dict[str, Any]:
    """``{"photos": {"page", "pages", "perpage", "total", "photo": [...]}}``."""
    tags = tags or {}
    return {
        key: {
            **attributes,
            "page": page.page,
            "pages": page.pages,
            "perpage": page.per_page,
            "total": page.total,
            "photo": [
                list_item(row, extras, base_url, tags.get(int(row["id"]), ())) for row in page.rows
            ],
        }
    }
