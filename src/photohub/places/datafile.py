"""The gazetteer's data file: a JSON header and little-endian arrays, compressed.

Layout (after gzip decompression, stdlib ``gzip``: 5x faster to read than LZMA for a
file a third larger; written with no timestamp, so the same data gives the same
file)::

    MAGIC  header-JSON  "\\n"  array bytes, one section after another

The header lists the sections as ``[name, typecode, length]`` in file order
(``array`` typecodes of a fixed size: ``B`` 1, ``H`` 2, ``i`` and ``I`` 4, ``d`` 8
bytes); everything else in it (tables of names, the places that are not cities,
attribution) is for :mod:`photohub.places.index`. Reading is ``array.frombytes`` per
section: no Python object per place.

Written by :mod:`photohub.places.generate`; read at run time with the stdlib only.
"""

from __future__ import annotations

import gzip
import json
import sys
import zlib
from array import array
from typing import IO, Any

MAGIC = b"photohub-places\n"
FORMAT = 1
_ITEM_SIZES = {"B": 1, "H": 2, "i": 4, "I": 4, "d": 8}


class DataFileError(ValueError):
    """The gazetteer's data file is missing a part, truncated or of another format."""


def encode(header: dict[str, Any], sections: dict[str, array[Any]]) -> bytes:
    """The compressed file holding ``header`` (JSON-able) and ``sections`` in order."""
    listing = []
    parts = []
    for name, values in sections.items():
        if _ITEM_SIZES.get(values.typecode) != values.itemsize:
            raise DataFileError(f"section {name}: typecode {values.typecode!r} not portable")
        listing.append([name, values.typecode, len(values)])
        if sys.byteorder == "big":
            values = array(values.typecode, values)
            values.byteswap()
        parts.append(values.tobytes())
    head = json.dumps(
        {**header, "format": FORMAT, "sections": listing},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    payload = b"".join([MAGIC, head, b"\n", *parts])
    return gzip.compress(payload, compresslevel=9, mtime=0)


def decode(file: IO[bytes]) -> tuple[dict[str, Any], dict[str, array[Any]]]:
    """The header and the sections of a file made by :func:`encode`, read from its
    compressed bytes a section at a time (no copy of the whole file in memory)."""
    try:
        with gzip.GzipFile(fileobj=file, mode="rb") as stream:
            return _read(stream)
    except (OSError, EOFError, zlib.error) as error:
        raise DataFileError(f"not a gzip file, or a damaged one: {error}") from None


def _read(stream: gzip.GzipFile) -> tuple[dict[str, Any], dict[str, array[Any]]]:
    if stream.read(len(MAGIC)) != MAGIC:
        raise DataFileError("not a photohub places file")
    line = stream.readline()
    if not line.endswith(b"\n"):
        raise DataFileError("no header")
    header = json.loads(line.decode("utf-8"))
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise DataFileError(f"format {header.get('format')!r}, expected {FORMAT}")
    sections: dict[str, array[Any]] = {}
    for name, typecode, length in header.pop("sections"):
        values = array(typecode)
        if values.itemsize != _ITEM_SIZES[typecode]:
            raise DataFileError(f"typecode {typecode!r} has another size on this platform")
        size = length * values.itemsize
        chunk = stream.read(size)
        if len(chunk) != size:
            raise DataFileError(f"section {name} is truncated")
        values.frombytes(chunk)
        del chunk
        if sys.byteorder == "big":
            values.byteswap()
        sections[name] = values
    if stream.read(1):
        raise DataFileError("trailing bytes after the last section")
    return header, sections
