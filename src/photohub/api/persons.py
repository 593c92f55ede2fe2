"""How an account appears in API answers: its NSID, names and buddy icon fields.

Flickr clients build an icon URL from ``iconserver``/``iconfarm`` and fall back to the
default icon when ``iconserver`` is 0; photohub cannot serve Flickr's farm URLs, so it
says 0 for the default icon, 1 for an own icon, and gives the icon's real URL in
``buddyicon`` (a photohub addition) where a person is shown in full.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from photohub.domain.people import buddyicon_url


def icon_fields(user: Mapping[Any, Any]) -> dict[str, Any]:
    has_icon = bool(user["buddyicon"])
    return {"iconserver": "1" if has_icon else "0", "iconfarm": 1 if has_icon else 0}


def buddyicon(base_url: str, user: Mapping[Any, Any]) -> str:
    """The absolute URL of the account's buddy icon (the default one if it has none)."""
    return base_url + buddyicon_url(user["buddyicon"])


def person_item(user: Mapping[Any, Any]) -> dict[str, Any]:
    """A person in a list (contacts, people in a photo): Flickr's attribute set."""
    return {
        "nsid": user["nsid"],
        "username": user["username"],
        **icon_fields(user),
        "realname": user["realname"],
        "path_alias": "",
    }
