"""Photo representations and field rules (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from photohub.domain.privacy import GEO_PUBLIC

TITLE_MAX = 200
DESCRIPTION_MAX = 2000
NAME_MAX = 80


class FieldError(ValueError):
    """A field a person typed is not acceptable; ``message`` says why in plain words."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def clean_text(value: object, field: str, limit: int, *, multiline: bool = False) -> str:
    """Trim and check a free-text field. HTML is kept as typed (it is escaped when
    shown); control characters are removed."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FieldError(field, f"The {field} must be text.")
    allowed = "\n\t" if multiline else ""
    text = "".join(ch for ch in value if ch.isprintable() or ch in allowed).strip()
    if len(text) > limit:
        raise FieldError(field, f"The {field} is too long (at most {limit} characters).")
    return text


def rendition_name(photo_id: int, secret: str, size: int) -> str:
    """File name of a rendition; the secret makes the URL unguessable."""
    return f"{photo_id}_{secret}_{size}.webp"


def media_url(photo_id: int, secret: str, size: int) -> str:
    return "/media/" + rendition_name(photo_id, secret, size)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def photo_view(
    row: Mapping[Any, Any],
    author: str,
    *,
    with_geo: bool = False,
    private_fields: bool = False,
) -> dict[str, Any]:
    """The JSON form of a photo. No location unless ``with_geo``; owner-only fields
    (state, approval) only with ``private_fields``."""
    renditions: Sequence[Mapping[str, int]] = row["renditions"] or []
    view: dict[str, Any] = {
        "id": int(row["id"]),
        "title": row["title"],
        "description": row["description"],
        "author": author,
        "width": row["width"],
        "height": row["height"],
        "taken_at": _iso(row["taken_at"]),
        "created_at": _iso(row["created_at"]),
        "updated_at": _iso(row["updated_at"]),
        "sizes": [
            {
                "size": r["size"],
                "width": r["width"],
                "height": r["height"],
                "url": media_url(int(row["id"]), row["secret"], r["size"]),
            }
            for r in renditions
        ],
    }
    if with_geo and row["latitude"] is not None:
        view["latitude"] = row["latitude"]
        view["longitude"] = row["longitude"]
    if private_fields:
        view["state"] = row["state"]
        view["approved"] = bool(row["approved"])
        view["geo_public"] = row["geo_perm"] == GEO_PUBLIC
        view["has_geo"] = row["latitude"] is not None
    return view
