"""Which subscriptions a change reaches, by index keys: pure, no I/O.

Flickr kept, per thing that can happen, the set of endpoints that want to hear of it
(``SADD user_1234 endpoint_5678``) and looked the set up when it happened, instead of
testing every subscription against every photo. photohub does the same with string keys:

* a subscription writes the keys of its topic (:func:`topic_keys`) once, when stored;
* a change computes the keys of the photo (:func:`photo_keys`) or of the fave
  (:func:`fave_keys`), and the store returns the active subscriptions under any of them;
* where a key is coarser than the topic (a grid cell around a circle, a minimum
  accuracy), :func:`admits` makes the exact test, on those few candidates only.

The keys:

=====================  ===================================  =============================
topic                  subscription's keys                  a photo's (or fave's) keys
=====================  ===================================  =============================
my_photos              ``owner:U``                          ``owner:<owner>``
contacts_photos        ``contacts_photos:U``                ``contacts_photos:<R>`` for R
                                                            who list the owner as contact
photos_of_me           ``person:U``                         ``person:<P>`` per person P
photos_of_contacts     ``contacts_people:U``                ``contacts_people:<R>`` for R
                                                            who list a person P
my_faves               ``faver:U``                          ``faver:<F>`` (fave by F)
contacts_faves         ``contacts_faver:U``                 ``contacts_faver:<R>`` for R
                                                            who list F
tags                   ``tag:T`` per tag                    ``tag:T`` per clean tag
commons                ``commons:*`` or ``commons:<id>``    both, when the owner is one
geo woe_ids/place_ids  ``woe:N`` per place                  ``woe:N`` per place it is in
geo radius             ``cell:LAT:LON`` over the circle     its cell and its ``band:LAT``
(the firehose)         ``firehose``                         ``firehose``
=====================  ===================================  =============================

Geo keys come only from a location the public may see (the location itself would leak
through the topic otherwise). Photos hidden from public searches (Flickr's ``hidden``)
reach personal topics only, never tags, geo, commons or the firehose. The grid is
:data:`CELL_DEGREES` square; a circle that would need more than :data:`MAX_CELLS` cells
(near a pole, where meridians converge) is indexed by latitude bands instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from photohub.domain import geo
from photohub.domain.people import id_from_nsid
from photohub.domain.topics import Topic

CELL_DEGREES = 0.5  # about 55 km of latitude: a 32 km circle covers at most 3 x 3 cells
MAX_CELLS = 64
STREET_ACCURACY = 16  # a location with no recorded accuracy counts as exact
ALL_INSTITUTIONS = "commons:*"
FIREHOSE = "firehose"  # the admin's firehose endpoint: every public photo
_ROWS = int(180 / CELL_DEGREES)  # latitude rows -90..90
_COLUMNS = int(360 / CELL_DEGREES)  # longitude columns -180..180


def _row(lat: float) -> int:
    return min(_ROWS // 2 - 1, max(-_ROWS // 2, math.floor(lat / CELL_DEGREES)))


def _column(lon: float) -> int:
    return min(_COLUMNS // 2 - 1, max(-_COLUMNS // 2, math.floor(lon / CELL_DEGREES)))


def cell_key(lat: float, lon: float) -> str:
    return f"cell:{_row(lat)}:{_column(lon)}"


def band_key(lat: float) -> str:
    return f"band:{_row(lat)}"


def circle_keys(lat: float, lon: float, radius_km: float) -> list[str]:
    """Grid cells that cover the circle (a superset: :func:`admits` tests the distance),
    or the latitude bands it spans when that would take more than MAX_CELLS cells."""
    cells: list[str] = []
    rows: set[int] = set()
    for box in geo.circle_bbox(lat, lon, radius_km):
        lat_span = range(_row(box.min_lat), _row(box.max_lat) + 1)
        rows.update(lat_span)
        for row in lat_span:
            for column in range(_column(box.min_lon), _column(box.max_lon) + 1):
                cells.append(f"cell:{row}:{column}")
    if len(cells) > MAX_CELLS:
        return [f"band:{row}" for row in sorted(rows)]
    return sorted(set(cells))


def _user_id(nsid: str | None) -> int | None:
    return id_from_nsid(nsid) if nsid else None


def topic_keys(topic: Topic, place_woe_id: Callable[[str], int | None]) -> list[str]:
    """The index keys a subscription to ``topic`` is stored under. ``place_woe_id``
    decodes a photohub place id into its woe id (None when it names no place); a
    personal topic of a user id this site never issued has no keys (it matches
    nothing)."""
    name = topic.name
    if name == "tags":
        return [f"tag:{tag}" for tag in topic.tags]
    if name == "commons":
        if not topic.nsids:
            return [ALL_INSTITUTIONS]
        ids = (_user_id(nsid) for nsid in topic.nsids)
        return [f"commons:{user_id}" for user_id in ids if user_id is not None]
    if name == "geo":
        if topic.woe_ids:
            return [f"woe:{woe_id}" for woe_id in topic.woe_ids]
        if topic.place_ids:
            woe_ids = (place_woe_id(place_id) for place_id in topic.place_ids)
            return sorted({f"woe:{woe_id}" for woe_id in woe_ids if woe_id is not None})
        assert topic.lat is not None and topic.lon is not None and topic.radius_km is not None
        return circle_keys(topic.lat, topic.lon, topic.radius_km)
    user_id = _user_id(topic.user)
    if user_id is None:
        return []
    prefix = {
        "my_photos": "owner",
        "contacts_photos": "contacts_photos",
        "photos_of_me": "person",
        "photos_of_contacts": "contacts_people",
        "my_faves": "faver",
        "contacts_faves": "contacts_faver",
    }[name]
    return [f"{prefix}:{user_id}"]


@dataclass(frozen=True, slots=True)
class PhotoFacts:
    """What matching needs to know of a photo the public may see.

    ``owner_watchers`` are the users who list the owner as a contact (the owner's
    reverse contacts); ``people_watchers`` those who list one of the ``people`` tagged.
    ``location`` and ``woe_ids`` are set only when the public may see the location.
    """

    owner_id: int | None
    owner_is_institution: bool = False
    hidden: bool = False
    tags: tuple[str, ...] = ()
    people: tuple[int, ...] = ()
    owner_watchers: tuple[int, ...] = ()
    people_watchers: tuple[int, ...] = ()
    location: tuple[float, float] | None = None
    accuracy: int | None = None
    woe_ids: tuple[int, ...] = ()


def _each(prefix: str, ids: Iterable[int]) -> list[str]:
    return [f"{prefix}:{i}" for i in sorted(set(ids))]


def photo_keys(facts: PhotoFacts) -> list[str]:
    """The keys of the subscriptions a photo's publication or change may reach."""
    keys: list[str] = []
    if facts.owner_id is not None:
        keys.append(f"owner:{facts.owner_id}")
        keys += _each("contacts_photos", facts.owner_watchers)
    keys += _each("person", facts.people)
    keys += _each("contacts_people", facts.people_watchers)
    if facts.hidden:
        return keys
    keys.append(FIREHOSE)
    keys += [f"tag:{tag}" for tag in sorted(set(facts.tags))]
    if facts.owner_is_institution and facts.owner_id is not None:
        keys += [ALL_INSTITUTIONS, f"commons:{facts.owner_id}"]
    if facts.location is not None:
        keys += _each("woe", facts.woe_ids)
        lat, lon = facts.location
        keys += [cell_key(lat, lon), band_key(lat)]
    return keys


FAVE_PREFIXES = ("faver:", "contacts_faver:")


def is_fave_key(key: str) -> bool:
    """A key a fave reached (kept with the photo, so its deletion reaches those too)."""
    return key.startswith(FAVE_PREFIXES)


def fave_keys(faver_id: int, faver_watchers: Sequence[int]) -> list[str]:
    """The keys a fave by ``faver_id`` reaches: my_faves of the faver, contacts_faves of
    whoever lists the faver as a contact."""
    return [f"faver:{faver_id}", *_each("contacts_faver", faver_watchers)]


def admits(topic: Topic, facts: PhotoFacts) -> bool:
    """The exact test after an index hit: a geo topic wants a public location at least
    as accurate as its ``accuracy`` and, for a circle, within its radius; every other
    topic is decided by its keys alone."""
    if topic.name != "geo":
        return True
    if facts.location is None:
        return False
    accuracy = facts.accuracy if facts.accuracy is not None else STREET_ACCURACY
    if accuracy < (topic.accuracy or 1):
        return False
    if topic.geo_form != "radius":
        return True
    assert topic.lat is not None and topic.lon is not None and topic.radius_km is not None
    lat, lon = facts.location
    return geo.haversine_km(topic.lat, topic.lon, lat, lon) <= topic.radius_km


def entry_reaches(
    topic: Topic,
    topic_keyset: frozenset[str],
    entry_keys: Iterable[str],
    geo: Mapping[str, float] | None,
) -> bool:
    """Whether a change's entry belongs on a stream of ``topic`` (whose keys are
    ``topic_keyset``): the same test as a subscription's, from what the entry log keeps.
    ``geo`` is the photo's public location and accuracy (None for a tombstone, which
    goes wherever the photo's keys went)."""
    if topic_keyset.isdisjoint(entry_keys):
        return False
    if geo is None:
        return True
    facts = PhotoFacts(
        owner_id=None,
        location=(float(geo["lat"]), float(geo["lon"])),
        accuracy=int(geo["accuracy"]),
    )
    return admits(topic, facts)
