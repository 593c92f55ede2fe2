"""Loading the gazetteer: once, in the background, with lookups that wait for it."""

from __future__ import annotations

import io
import threading
import time
from array import array
from pathlib import Path
from typing import IO, Any

import pytest

from photohub.places import gazetteer
from photohub.places.datafile import DataFileError, decode, encode
from photohub.places.gazetteer import DATA_FILE, Gazetteer, GazetteerNotReady
from photohub.places.index import PlaceIndex

NOTRE_DAME = (48.8530, 2.3499)
PARIS = 2988507


class Slow(PlaceIndex):
    """The real index, loaded after a pause; counts how often it was made."""

    made: list[float] = []
    pause = 0.3

    def __init__(self, file: IO[bytes]) -> None:
        Slow.made.append(time.monotonic())
        time.sleep(self.pause)
        super().__init__(file)


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch) -> type[Slow]:
    monkeypatch.setattr(gazetteer, "PlaceIndex", Slow)
    monkeypatch.setattr(Slow, "made", [])
    return Slow


def test_the_shipped_file_loads_quickly_and_compactly() -> None:
    blob = DATA_FILE.read_bytes()
    assert len(blob) < 8_000_000  # the install's share: was 453 MB with numpy and scipy
    started = time.process_time()
    data = PlaceIndex(io.BytesIO(blob))
    assert time.process_time() - started < 3.0  # about 0.3 s on a quiet machine
    assert len(data) > 230_000
    assert all(isinstance(column, array) for column in (data.ids, data.xs, data.lat_e5))


def test_loads_once_when_threads_race(slow: type[Slow]) -> None:
    lazy = Gazetteer()
    assert not lazy.loaded
    answers: list[int | None] = []

    def look() -> None:
        city = lazy.reverse(*NOTRE_DAME).city
        answers.append(None if city is None else city.woe_id)

    threads = [threading.Thread(target=look) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(slow.made) == 1 and lazy.loaded
    assert answers == [PARIS] * 6


def test_a_lookup_during_a_background_load_waits_for_it(slow: type[Slow]) -> None:
    lazy = Gazetteer()
    started = time.monotonic()
    lazy.load_in_background()
    assert time.monotonic() - started < slow.pause  # returned at once
    lazy.load_in_background()  # already loading: nothing more
    found = lazy.reverse(*NOTRE_DAME)  # waits rather than failing
    assert found.city is not None and found.city.woe_id == PARIS
    assert len(slow.made) == 1
    lazy.load_in_background()  # loaded: nothing more
    assert len(slow.made) == 1


def test_the_wait_is_bounded(slow: type[Slow], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gazetteer, "LOAD_WAIT_S", 0.05)
    lazy = Gazetteer()
    lazy.load_in_background()
    with pytest.raises(GazetteerNotReady):
        lazy.reverse(*NOTRE_DAME)
    lazy.load()  # a caller without a deadline of its own may wait on
    assert lazy.loaded


def test_a_failed_background_load_is_retried_by_the_next_lookup(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = Gazetteer(tmp_path / "places.bin.gz")
    missing.load_in_background()
    with pytest.raises(FileNotFoundError):
        missing.reverse(*NOTRE_DAME)
    assert missing._loader is not None
    missing._loader.join(timeout=10)  # its failure is logged, whichever came first
    assert not missing.loaded
    assert "loading the gazetteer" in caplog.text


def test_the_preload_function_loads_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = Gazetteer()
    monkeypatch.setattr(gazetteer, "_default", fresh)
    gazetteer.preload()
    assert gazetteer.get(PARIS) is not None
    assert fresh.loaded


def test_a_copy_of_the_file_elsewhere_answers_the_same(tmp_path: Path) -> None:
    copy = tmp_path / "places.bin.gz"
    copy.write_bytes(DATA_FILE.read_bytes())
    assert Gazetteer(copy).reverse(*NOTRE_DAME) == gazetteer.reverse(*NOTRE_DAME)
    assert Gazetteer(str(copy)).get(PARIS) == gazetteer.get(PARIS)


def test_the_file_format_round_trips_and_refuses_damage(tmp_path: Path) -> None:
    sections: dict[str, array[Any]] = {
        "a": array("I", [1, 2, 2**32 - 1]),
        "b": array("d", [0.5, -1e300]),
        "c": array("B"),
    }
    header, back = decode(io.BytesIO(encode({"name": "Île"}, sections)))
    assert header["name"] == "Île" and back == sections
    blob = encode({}, sections)
    for damaged in (b"", b"not gzip at all", blob[: len(blob) // 2], encode({}, {})[:-4]):
        with pytest.raises(DataFileError):
            decode(io.BytesIO(damaged))
    with pytest.raises(DataFileError):
        encode({}, {"q": array("q", [1])})  # no fixed-size typecode in the format
    bad = tmp_path / "bad.bin.gz"
    bad.write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(DataFileError):
        Gazetteer(bad).load()
