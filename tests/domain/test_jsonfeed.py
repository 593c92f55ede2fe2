"""JSON Feed 1.1 rendering of the hub's entries (domain/jsonfeed.py)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from photohub.domain.atom import Person
from photohub.domain.jsonfeed import VERSION, json_feed
from tests.domain.feed_samples import BASE, HOSTILE, SURVIVES, photo, tombstone

JSON_META: dict[str, Any] = {
    "title": "Ann's photos",
    "feed_url": f"{BASE}/hub/topics/my_photos/7.json",
    "hub_url": f"{BASE}/hub",
}
ABOUT = f"{BASE}/docs/push#atom-documents"


def test_feed_shape_follows_json_feed_1_1() -> None:
    document = json_feed([photo(1)], **JSON_META, home_page_url=f"{BASE}/people/ann")
    assert document["version"] == VERSION == "https://jsonfeed.org/version/1.1"
    assert document["title"] == "Ann's photos"
    assert document["home_page_url"] == f"{BASE}/people/ann"
    assert document["feed_url"] == JSON_META["feed_url"]
    assert document["hubs"] == [{"type": "WebSub", "url": f"{BASE}/hub"}]
    assert document["authors"] == [{"name": "photohub"}]
    assert "_tombstones" not in document
    [item] = document["items"]
    assert item["id"] == "tag:photos.example.org,2026:photo/1"  # the Atom entry's id
    assert item["url"] == f"{BASE}/photos/ann/1"
    assert item["title"] == "Sunset 1"
    assert item["content_text"] == "Over the bay.\nSecond line."
    assert f'<img src="{BASE}/files/1_s3cr3t_2048.webp"' in item["content_html"]
    assert item["image"] == f"{BASE}/files/1_s3cr3t_2048.webp"
    assert item["attachments"] == [
        {
            "url": f"{BASE}/files/1_s3cr3t_2048.webp",
            "mime_type": "image/webp",
            "size_in_bytes": 401_234,
        }
    ]
    assert item["date_published"] == "2026-11-20T18:30:00Z"
    assert item["date_modified"] == "2026-11-21T09:01:02Z"
    assert item["authors"] == [{"name": "Ann Example", "url": f"{BASE}/people/12345@N01"}]
    assert item["tags"] == ["newyork", "geo:lat=48.85"]
    assert "_geo" not in item
    extra = item["_photohub"]
    assert extra["photo_id"] == 1
    assert [image["width"] for image in extra["images"]] == [2048, 1024]
    assert extra["images"][0]["size_in_bytes"] == 401_234
    assert extra["thumbnail"] == {
        "url": f"{BASE}/files/1_s3cr3t_256.webp",
        "mime_type": "image/webp",
        "width": 256,
        "height": 192,
    }
    assert extra["tags"][0] == {"term": "newyork", "label": "New York!"}
    assert extra["contributors"] == []
    assert "about" not in extra


def test_extensions_for_location_contributors_and_deletions() -> None:
    faved = photo(2, location=(48.85, 2.35), contributors=(Person("Bob", f"{BASE}/p/b"),))
    gone = tombstone(3, by=Person("Ann"), comment="no longer public")
    document = json_feed([faved, gone, tombstone(4)], **JSON_META, about=ABOUT)
    [item] = document["items"]  # deletions are not items: readers would show empty posts
    assert item["_geo"] == {"about": ABOUT, "latitude": 48.85, "longitude": 2.35}
    assert item["_photohub"]["about"] == ABOUT
    assert item["_photohub"]["contributors"] == [{"name": "Bob", "url": f"{BASE}/p/b"}]
    assert document["_tombstones"] == {
        "about": ABOUT,
        "entries": [
            {
                "id": "tag:photos.example.org,2026:photo/3",
                "when": "2026-11-22T08:00:00Z",
                "by": {"name": "Ann"},
                "comment": "no longer public",
            },
            {"id": "tag:photos.example.org,2026:photo/4", "when": "2026-11-22T08:00:00Z"},
        ],
    }


def test_every_item_has_what_json_feed_requires() -> None:
    bare = photo(5, description="", images=(), thumbnail=None, tags=(), title="")
    document = json_feed([bare, photo(6)], **JSON_META)
    for item in document["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert "content_html" in item or "content_text" in item
    first = document["items"][0]
    assert "image" not in first and "attachments" not in first and "content_text" not in first
    assert first["content_html"] == ""
    assert json_feed([], **JSON_META)["items"] == []


def test_hostile_text_encodes_as_utf_8_json() -> None:
    entry = photo(title=HOSTILE, description=HOSTILE, author=Person(HOSTILE))
    document = json_feed(
        [entry, tombstone(comment=HOSTILE)],
        **(JSON_META | {"title": HOSTILE}),
        author=Person(HOSTILE),
    )
    encoded = json.dumps(document, ensure_ascii=False).encode("utf-8")
    back = json.loads(encoded)
    assert back["title"] == SURVIVES
    assert back["items"][0]["title"] == SURVIVES
    assert back["items"][0]["content_text"] == SURVIVES
    assert back["items"][0]["authors"] == [{"name": SURVIVES}]
    assert back["_tombstones"]["entries"][0]["comment"] == SURVIVES
    assert "<script>" not in back["items"][0]["content_html"]


def test_dates_match_the_atom_rendering() -> None:
    entry = photo(updated=datetime(2026, 11, 21, 9, 1, 2, 500))
    [item] = json_feed([entry], **JSON_META)["items"]
    assert item["date_modified"] == "2026-11-21T09:01:02.000500Z"
