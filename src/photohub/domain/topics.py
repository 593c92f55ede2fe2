"""The nine push topics, their arguments, and one canonical URL for each.

Flickr's topics (flickr.push.getTopics; "Engage Kitten Hose", code.flickr.net, 19 August
2011) and the flickr.push.subscribe arguments that refine them:

* six personal ones, relative to the subscriber: contacts_photos, contacts_faves,
  photos_of_contacts, photos_of_me, my_photos, my_faves;
* ``geo``: "The order of precedence for geo subscriptions is: woe ids, place ids,
  radial, i.e. the lat, lon parameters will be ignored if place_ids is present, which
  will be ignored if woe_ids is present." ``radius`` defaults to 5 km, at most 32 km or
  20 mi (:func:`photohub.domain.geo.radius_km`); ``accuracy`` is "the minimum accuracy
  required ... Legal values are 1-16, default is 1 (i.e. any accuracy level)";
* ``commons``: ``nsids`` of institutions, or none for all of them;
* ``tags``: "Photos with one or more of the tags listed will be included".

Every topic also has a URL, its WebSub ``rel=self`` (WebSub §4), which a WebSub or
PubSubHubbub subscriber sends back as ``hub.topic``: ``/push/topics/<name>`` and the
same argument names as a query. The form is canonical, so one topic has exactly one
URL: lists sorted and de-duplicated, tags in their clean form (domain.tags), numbers
rounded to 6 decimals without trailing zeros, arguments in a fixed order, a default
accuracy left out, ignored arguments dropped. Personal topics name their subscriber:
``/push/topics/my_photos?user_id=10000001@N01``. :func:`parse_topic_url` reads any
spelling of such a URL back into the same :class:`Topic`.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast, get_args
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlsplit

from photohub.domain import geo
from photohub.domain.push_errors import SubscribeError, invalid, missing
from photohub.domain.tags import MAX_TAG_LENGTH, clean_tag

TopicName = Literal[
    "contacts_photos",
    "contacts_faves",
    "photos_of_contacts",
    "photos_of_me",
    "my_photos",
    "my_faves",
    "geo",
    "commons",
    "tags",
]
TOPIC_NAMES: tuple[TopicName, ...] = get_args(TopicName)
PERSONAL_TOPICS: frozenset[TopicName] = frozenset(TOPIC_NAMES[:6])
# flickr.push.getTopics' display names, as Flickr answered them.
DISPLAY_NAMES: dict[TopicName, str] = {
    "contacts_photos": "photos from your contacts",
    "contacts_faves": "favorites from your contacts",
    "photos_of_contacts": "photos of your contacts",
    "photos_of_me": "photos of you",
    "my_photos": "your photos",
    "my_faves": "your favorites",
    "geo": "photos from an area (geo)",
    "commons": "photos from the Flickr Commons",
    "tags": "photos with a tag (or tags)",
}
GeoForm = Literal["woe_ids", "place_ids", "radius"]
Units = Literal["km", "mi"]

TOPICS_PATH = "/push/topics/"
MAX_TOPIC_URL_LENGTH = 4096
# photohub's limits (Flickr documents none): a topic is matched through indexes, one
# row per item, so one subscription may not add thousands.
MAX_TAGS = 20
MAX_PLACES = 20
MAX_NSIDS = 50
MAX_WOE_ID = 2**32 - 1  # "A 32-bit integer for a Where on Earth ID"
DEFAULT_MIN_ACCURACY = 1

NSID = re.compile(r"[0-9]{1,19}@N[0-9]{2}")  # as api.args.NSID_PATTERN
PLACE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_DECIMAL = re.compile(
    r"[+-]?(?:[0-9]{1,30}(?:\.[0-9]{0,30})?|\.[0-9]{1,30})"  # 12, 12., 12.5, .5
    r"(?:[eE][+-]?[0-9]{1,3})?"  # 1e-05, as str() writes small floats
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
TOPIC_ARGUMENTS = frozenset(
    {"user_id", "woe_ids", "place_ids", "lat", "lon", "radius", "radius_units"}
    | {"accuracy", "nsids", "tags"}
)


@dataclass(frozen=True)
class Topic:
    """One topic and its arguments, already canonical (build it with :func:`make_topic`).

    ``user`` is the subscriber's NSID for the six personal topics, else None. For geo,
    exactly one form is set: ``woe_ids``, ``place_ids`` (photohub place ids, decoded by
    photohub.places), or ``lat``/``lon``/``radius``/``radius_units``; ``accuracy`` is
    the least accuracy a photo's location needs. ``nsids`` empty means every
    institution. ``tags`` are clean tags, any of which matches.
    """

    name: TopicName
    user: str | None = None
    woe_ids: tuple[int, ...] = ()
    place_ids: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None
    radius: float | None = None
    radius_units: Units | None = None
    accuracy: int | None = None
    nsids: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def geo_form(self) -> GeoForm | None:
        if self.name != "geo":
            return None
        if self.woe_ids:
            return "woe_ids"
        return "place_ids" if self.place_ids else "radius"

    @property
    def radius_km(self) -> float | None:
        if self.radius is None:
            return None
        return self.radius * geo.KM_PER_MILE if self.radius_units == "mi" else self.radius

    @property
    def path(self) -> str:
        """The canonical path and query: ``/push/topics/tags?tags=cats,dogs``."""
        query = "&".join(f"{key}={_quote(value)}" for key, value in _arguments(self))
        return TOPICS_PATH + self.name + (f"?{query}" if query else "")


def topic_url(topic: Topic, base_url: str = "") -> str:
    """The topic's absolute URL under ``base_url`` (``https://photos.example``, which may
    end in a path prefix), or its path when ``base_url`` is empty."""
    return base_url.rstrip("/") + topic.path


def _quote(value: str) -> str:
    # Commas separate list items and stay readable; "+" and "&" and "=" must not.
    return quote(value, safe=",:@")


def _number(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _arguments(topic: Topic) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if topic.user is not None:
        pairs.append(("user_id", topic.user))
    if topic.woe_ids:
        pairs.append(("woe_ids", ",".join(str(w) for w in topic.woe_ids)))
    elif topic.place_ids:
        pairs.append(("place_ids", ",".join(topic.place_ids)))
    elif topic.lat is not None and topic.lon is not None and topic.radius is not None:
        pairs += [("lat", _number(topic.lat)), ("lon", _number(topic.lon))]
        pairs += [("radius", _number(topic.radius)), ("radius_units", topic.radius_units or "km")]
    if topic.accuracy is not None and topic.accuracy != DEFAULT_MIN_ACCURACY:
        pairs.append(("accuracy", str(topic.accuracy)))
    if topic.nsids:
        pairs.append(("nsids", ",".join(topic.nsids)))
    if topic.tags:
        pairs.append(("tags", ",".join(topic.tags)))
    return pairs


def _items(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def _float(args: Mapping[str, str], key: str) -> float:
    """A number "in decimal format" (Flickr): ``-33.8688``, ``5``, ``.5``, and ``1e-05``
    as Python's str() writes small numbers; not ``1_000``, ``nan``, ``inf`` or ``0x1p3``,
    which float() would also take."""
    text = args[key].strip()
    value = float(text) if _DECIMAL.fullmatch(text) else math.nan
    if not math.isfinite(value):
        raise invalid(key, "must be a decimal number such as -33.8688")
    return round(value, 6) + 0.0  # + 0.0 turns -0.0 into 0.0


def _given(args: Mapping[str, str], key: str) -> bool:
    return bool(args.get(key, "").strip())


def _woe_ids(raw: str) -> tuple[int, ...]:
    ids: set[int] = set()
    for item in _items(raw):
        whole = item.isascii() and item.isdigit() and len(item) <= 10
        if not whole or not 0 < int(item) <= MAX_WOE_ID:
            raise invalid("woe_ids", f"must be whole numbers from 1 to {MAX_WOE_ID}: {item!r}")
        ids.add(int(item))
    return tuple(sorted(ids))


def _limited(argument: str, values: set[str] | set[int], limit: int) -> None:
    if len(values) > limit:
        raise invalid(argument, f"has {len(values)} items; at most {limit} are allowed")


def _accuracy(args: Mapping[str, str]) -> int:
    if not _given(args, "accuracy"):
        return DEFAULT_MIN_ACCURACY
    text = args["accuracy"].strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 2):
        raise invalid("accuracy", "must be a whole number from 1 (world) to 16 (street)")
    try:
        return geo.validate_accuracy(int(text))
    except geo.GeoError:
        raise invalid("accuracy", "must be from 1 (world) to 16 (street)") from None


def _geo(args: Mapping[str, str]) -> Topic:
    accuracy = _accuracy(args)
    if _given(args, "woe_ids"):
        woe_ids = _woe_ids(args["woe_ids"])
        _limited("woe_ids", set(woe_ids), MAX_PLACES)
        if woe_ids:
            return Topic("geo", woe_ids=woe_ids, accuracy=accuracy)
    if _given(args, "place_ids"):
        place_ids = set(_items(args["place_ids"]))
        bad = sorted(p for p in place_ids if not PLACE_ID.fullmatch(p))
        if bad:
            raise invalid("place_ids", f"must be place ids such as 'kH8dLOub': {bad[0]!r}")
        _limited("place_ids", place_ids, MAX_PLACES)
        if place_ids:
            return Topic("geo", place_ids=tuple(sorted(place_ids)), accuracy=accuracy)
    if not (_given(args, "lat") or _given(args, "lon")):
        raise missing("woe_ids, place_ids or lat and lon (for the geo topic)")
    for key in ("lat", "lon"):
        if not _given(args, key):
            raise missing(key)
    lat, lon = _float(args, "lat"), _float(args, "lon")
    units = (args.get("radius_units") or "km").strip().lower() or "km"
    radius = _float(args, "radius") if _given(args, "radius") else geo.DEFAULT_RADIUS_KM
    try:
        geo.validate_latitude(lat)
        geo.validate_longitude(lon)
        geo.radius_km(radius, units)
    except geo.GeoError as exc:
        # geo's messages read "Invalid argument radius: it must be ..."
        raise invalid(exc.argument, exc.message.partition(": it ")[2] or exc.message) from None
    return Topic(
        "geo",
        lat=lat,
        lon=lon,
        radius=radius,
        radius_units=cast(Units, units),
        accuracy=accuracy,
    )


def _clean(raw: str) -> str:
    """clean_tag until it no longer changes: once is not always enough ("K\u00b8" cleans
    to "k" + a combining cedilla, which cleans again to "\u0137"), and a topic's URL
    must read back as the same tags."""
    clean = clean_tag(raw)
    for _ in range(4):
        again = clean_tag(clean)
        if again == clean:
            break
        clean = again
    return clean


def _tags(raw: str) -> tuple[str, ...]:
    tags: set[str] = set()
    for item in _items(raw):
        if len(item) > MAX_TAG_LENGTH:
            raise invalid("tags", f"has a tag longer than {MAX_TAG_LENGTH} characters")
        clean = _clean(item)
        if clean and len(clean) <= MAX_TAG_LENGTH:
            tags.add(clean)
    if not tags:
        raise invalid("tags", "has no tag left once written plainly (letters and digits)")
    _limited("tags", tags, MAX_TAGS)
    return tuple(sorted(tags))


def parse_topic_name(name: str) -> TopicName:
    """One of the nine topic names (any case, spaces around ignored), or code 2."""
    topic = name.strip().lower()
    if topic not in TOPIC_NAMES:
        raise invalid("topic", f"must be one of {', '.join(TOPIC_NAMES)}; got {name[:40]!r}")
    return topic


def make_topic(name: str, args: Mapping[str, str], *, user: str | None = None) -> Topic:
    """The canonical :class:`Topic` for a topic name and flickr.push.subscribe's
    arguments (unrelated or ignored arguments are not read). ``user`` is the
    subscriber's NSID, required for personal topics and ignored for the others.
    Raises SubscribeError: code 1 for a missing argument, 2 for a bad one."""
    known = parse_topic_name(name)
    if known in PERSONAL_TOPICS:
        if not user:
            raise missing("user_id")
        if not NSID.fullmatch(user):
            raise invalid("user_id", "must be a user id such as 12345678@N01")
        return Topic(known, user=user)
    if known == "geo":
        return _geo(args)
    if known == "commons":
        nsids = set(_items(args.get("nsids", "")))
        bad = sorted(n for n in nsids if not NSID.fullmatch(n))
        if bad:
            raise invalid("nsids", f"must be institution ids such as 12345678@N01: {bad[0]!r}")
        _limited("nsids", nsids, MAX_NSIDS)
        return Topic(known, nsids=tuple(sorted(nsids)))
    if not _given(args, "tags"):
        raise missing("tags")
    return Topic(known, tags=_tags(args["tags"]))


def _origin(parts: SplitResult) -> tuple[str, str, int | None]:
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or ""), parts.port or _DEFAULT_PORTS.get(scheme)


@functools.lru_cache(maxsize=65536)
def stored_topic(path: str) -> Topic:
    """The Topic of a canonical topic path as stored with a subscription (matching
    reads the same ones again and again: parsed once, remembered)."""
    return parse_topic_url(path)


def parse_topic_url(url: str, *, base_url: str | None = None, argument: str = "hub.topic") -> Topic:
    """The :class:`Topic` a topic URL stands for, whatever the order, encoding or
    repetition of its list items. With ``base_url``, an absolute URL must be on that
    origin (scheme, host, port) and under its path; without, the path alone is read.
    A path such as ``/push/topics/geo?...`` is accepted too. Raises SubscribeError
    (code 2, HTTP 400) saying what is wrong."""
    text = url.strip()
    if not text:
        raise missing(argument)
    if len(text) > MAX_TOPIC_URL_LENGTH:
        raise invalid(argument, f"is longer than {MAX_TOPIC_URL_LENGTH} characters")
    try:
        parts = urlsplit(text)
        _ = parts.port
    except ValueError:
        raise invalid(argument, "is not a valid URL") from None
    base = urlsplit(base_url) if base_url else None
    prefix = base.path.rstrip("/") if base else ""
    if parts.scheme or parts.netloc:
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise invalid(argument, "must be an http:// or https:// topic URL of this hub")
        if base and _origin(parts) != _origin(base):
            raise invalid(argument, f"is not a topic of this hub (topics are at {base_url})")
    # WebSub §5.1.1: "Hubs MUST always decode non-reserved characters".
    path = unquote(parts.path)
    if not path.startswith(prefix + TOPICS_PATH):
        raise invalid(argument, f"is not a topic URL of this hub (no {TOPICS_PATH}...)")
    name = path[len(prefix + TOPICS_PATH) :]
    if name not in TOPIC_NAMES:
        raise invalid(argument, f"names no topic; the topics are {', '.join(TOPIC_NAMES)}")
    args: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key not in TOPIC_ARGUMENTS:
            raise invalid(argument, f"has an argument topics do not take: {key[:40]!r}")
        if key in args and args[key] != value:
            raise invalid(argument, f"gives {key} twice")
        args[key] = value
    try:
        return make_topic(name, args, user=args.get("user_id", "").strip() or None)
    except SubscribeError as exc:
        raise invalid(argument, f"has a bad argument: {exc.reason}") from None
