"""People: Flickr-style ids and the rules for usernames (pure)."""

from __future__ import annotations

import re

# NSIDs look like Flickr's ("12345678@N01"): a number and a suffix naming the kind.
USER_SUFFIX = "@N01"
GROUP_SUFFIX = "@N02"
_NSID_OFFSET = 10_000_000  # so the first account is 10000001@N01, not 1@N01
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{1,38}[A-Za-z0-9_.\-]$")


def nsid_for(row_id: int, suffix: str = USER_SUFFIX) -> str:
    return f"{row_id + _NSID_OFFSET}{suffix}"


def id_from_nsid(nsid: str, suffix: str = USER_SUFFIX) -> int | None:
    """The row id behind an NSID of this kind, or None when it is not one of ours."""
    if not nsid.endswith(suffix):
        return None
    number = nsid[: -len(suffix)]
    # Only the spelling nsid_for writes: ASCII digits (``str.isdigit`` and ``int`` take
    # any Unicode digit) without leading zeros, so one account has one NSID.
    if not (number.isascii() and number.isdigit()) or number[0] == "0" or len(number) > 18:
        return None
    row_id = int(number) - _NSID_OFFSET
    return row_id if row_id > 0 else None


def username_key(username: str) -> str:
    """Usernames are unique whatever their case."""
    return username.strip().casefold()


def check_username(username: str) -> str | None:
    """Why a username is not acceptable, or None when it is: 3-40 characters, letters,
    digits, spaces, dots, dashes and underscores, starting with a letter or digit."""
    if not USERNAME.match(username):
        return (
            "A username has 3 to 40 characters: letters, digits, spaces, dots, dashes "
            "and underscores, and starts with a letter or a digit."
        )
    return None


REALNAME_MAX = 100  # users.realname
BUDDYICON_SIZE = 48  # Flickr's buddy icons are 48x48 pixels
DEFAULT_BUDDYICON = "/static/buddyicon.jpg"


def buddyicon_url(buddyicon: str | None) -> str:
    """The path of an account's buddy icon (``users.buddyicon``), or of the default one."""
    return f"/buddyicons/{buddyicon}" if buddyicon else DEFAULT_BUDDYICON
