"""What photo lists outside search show a caller, beyond who may see each photo.

Privacy is ``photo_query.page_of``'s (it always applies ``store.visibility``); these
filters add safety, the one other rule a list follows:

- lists of someone's photostream (``flickr.people.getPhotos``/``getPublicPhotos``) take
  Flickr's ``safe_search`` like ``flickr.photos.search``: anonymous callers see only
  safe photos, other callers safe unless they ask for more, owners everything;
- collections without that argument (favorites, pools, albums, counts) show anonymous
  callers only safe photos (Flickr: un-authed calls can only see Safe content) and
  signed-in callers every photo they may open.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.sql.elements import ColumnElement

from photohub.api.call import Call
from photohub.api.methods.photos import safe_search_level
from photohub.api.photolist import unix
from photohub.domain.privacy import SAFE
from photohub.store import photo_filters as f


def collection_filters(call: Call) -> list[ColumnElement[bool]]:
    return [f.safety(SAFE)] if call.user is None else []


def stream_filters(call: Call, owner_id: int, safe_search: int | None) -> list[ColumnElement[bool]]:
    if call.viewer.user_id == owner_id:
        return [] if safe_search is None else [f.safety(safe_search)]
    return [f.safety(safe_search_level(call, safe_search))]


def annotate(
    result: dict[str, Any], key: str, extra: Mapping[int, Mapping[str, Any]]
) -> dict[str, Any]:
    """Add per-photo attributes (``date_faved``, ``dateadded``, ``isprimary``) to the
    items of a ``page_result``."""
    for item in result[key]["photo"]:
        item.update(extra.get(int(item["id"]), {}))
    return result


def unix_text(value: datetime | None) -> str:
    stamp = unix(value)
    return "" if stamp is None else str(stamp)
