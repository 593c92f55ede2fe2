"""Topic streams for real: a topic URL asked for text/event-stream on a running server
streams the entries dispatch makes (the subscriptions' own matching), authorised by a
signed URL from flickr.push.getStreamUrl or an OAuth signature, and resumes with
Last-Event-ID. SQLite and PostgreSQL with the queues in the database; the first test and
the resume test also with Redis (broker and queues; on PostgreSQL, as tests.push.hubs
runs Redis)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from lxml import etree
from oauthlib.oauth1 import SIGNATURE_TYPE_QUERY, Client

from photohub.actions import photos as photo_actions
from photohub.domain import stream_urls
from photohub.domain.atom import ATOM, TOMBSTONES
from photohub.domain.privacy import Viewer
from photohub.domain.topics import make_topic
from photohub.push.dispatch import follow_outbox
from photohub.site import Site
from tests.api.client import Api, api_for
from tests.push.hubs import account, changed, new_photo, pump, settings
from tests.servers import SSE, read_events, running
from tests.waiting import bounded, until_set

__all__ = ["settings"]  # fixture

pytestmark = pytest.mark.anyio

SQL_ONLY = pytest.mark.parametrize("settings", ["sql"], indirect=True)
PUBLIC_URL = "http://photos.test"  # hubs.settings' public URL, the signed URLs' base
STREAM = {"Accept": "text/event-stream"}
PARIS = {"latitude": 48.8566, "longitude": 2.3522, "accuracy": 16}


@pytest.fixture
async def dispatching(site: Site) -> None:
    await follow_outbox(site)  # a new hub starts reading at the newest event


def entry_ref(photo_id: int) -> str:
    return f"tag:photos.test,2026:photo/{photo_id}"


def ref_of(item: SSE) -> str:
    """The entry id an ``entry`` event carries, or the ref of a ``deleted`` one; the
    data parses as XML by itself."""
    root = etree.fromstring(item.data.encode())
    if item.event == "deleted":
        assert root.tag == f"{{{TOMBSTONES}}}deleted-entry"
        return str(root.get("ref"))
    assert root.tag == f"{{{ATOM}}}entry"
    return str(root.findtext(f"{{{ATOM}}}id"))


def entries(seen: list[SSE]) -> list[tuple[str, str]]:
    return [(item.event, ref_of(item)) for item in seen if item.event in ("entry", "deleted")]


def of(photo_id: int, event: str = "entry") -> Callable[[SSE], bool]:
    return lambda item: item.event == event and ref_of(item) == entry_ref(photo_id)


def on(base: str, url: str) -> str:
    """A URL the site handed out (under its public URL), on the running server."""
    assert url.startswith(PUBLIC_URL + "/")
    return base + url[len(PUBLIC_URL) :]


async def read_until(
    http: httpx.AsyncClient,
    url: str,
    done: Callable[[SSE], bool],
    *,
    headers: dict[str, str] | None = None,
    started: asyncio.Event | None = None,
) -> list[SSE]:
    """The events of a stream, up to the first one ``done`` accepts."""
    seen: list[SSE] = []

    async def read() -> None:
        async with http.stream("GET", url, headers={**STREAM, **(headers or {})}) as response:
            assert response.status_code == 200, (await response.aread()).decode()
            assert response.headers["content-type"].startswith("text/event-stream")
            async for item in read_events(response):
                seen.append(item)
                if item.event == "ready" and started is not None:
                    started.set()
                if done(item):
                    return

    await bounded(
        read(),
        15,
        f"a matching event from {url}",
        detail=lambda: f"got {[item.event for item in seen]}",
    )
    return seen


def ready(item: SSE) -> bool:
    return item.event == "ready"


async def stream_url(site: Site, client: httpx.AsyncClient, user: Any, **args: str) -> str:
    api = await api_for(site, client, user, "read")
    body = await api.ok("flickr.push.getStreamUrl", **args)
    url = str(body["stream"]["url"])
    assert dict(parse_qsl(urlsplit(url).query))["expires"] == body["stream"]["expires"]
    return url


def oauth_headers(api: Api, url: str) -> dict[str, str]:
    signer = Client(
        api.api_key,
        client_secret=api.secret,
        resource_owner_key=api.token,
        resource_owner_secret=api.token_secret,
    )
    _, headers, _ = signer.sign(url, "GET")
    return dict(headers)


async def test_a_signed_tags_stream_gets_the_public_photos_it_matches(
    site: Site, client: httpx.AsyncClient, dispatching: None
) -> None:
    ann = await account(site, "ann")
    url = await stream_url(site, client, ann, topic="tags", tags="Cats")
    assert url.startswith(PUBLIC_URL + "/push/topics/tags?tags=cats&expires=")
    private = await new_photo(site, ann, tags="cats", visibility="private")
    hidden = await new_photo(site, ann, tags="cats", hidden=True)
    dogs = await new_photo(site, ann, tags="dogs")
    tabby = await new_photo(site, ann, title="Tabby", tags="cats sofa")
    marker = await new_photo(site, None, tags="cats")
    async with running(site) as base, httpx.AsyncClient(timeout=10) as http:
        started = asyncio.Event()
        reader = asyncio.create_task(read_until(http, on(base, url), of(marker), started=started))
        await until_set(started, 10, "the stream's ready event", unless=reader)
        for photo_id in (private, hidden, dogs, tabby):
            await changed(site, photo_id)
        await pump(site)
        await changed(site, marker)  # dispatched last: its entry has the highest id
        await pump(site)
        seen = await bounded(reader, 20, "the stream's entries")
    assert seen[0].event == "ready"
    # What dispatch logged after the stream opened, in id order, only what the topic
    # matches: not the private photo, nor the one hidden from public searches.
    assert entries(seen) == [("entry", entry_ref(tabby)), ("entry", entry_ref(marker))]
    ids = [int(item.id or 0) for item in seen]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    root = etree.fromstring(seen[1].data.encode())
    assert root.findtext(f"{{{ATOM}}}title") == "Tabby"
    assert {c.get("term") for c in root.iter(f"{{{ATOM}}}category")} == {"cats", "sofa"}


@SQL_ONLY
async def test_a_deletion_arrives_as_deleted(
    site: Site, client: httpx.AsyncClient, dispatching: None
) -> None:
    ann = await account(site, "ann")
    url = await stream_url(site, client, ann, topic="tags", tags="cats")
    photo_id = await new_photo(site, ann, tags="cats")
    async with running(site) as base, httpx.AsyncClient(timeout=10) as http:
        started = asyncio.Event()
        reader = asyncio.create_task(
            read_until(http, on(base, url), of(photo_id, "deleted"), started=started)
        )
        await until_set(started, 10, "the stream's ready event", unless=reader)
        await changed(site, photo_id)
        await pump(site)
        await photo_actions.delete(site, Viewer(user_id=int(ann["id"])), photo_id)
        await pump(site)
        seen = await bounded(reader, 20, "the stream's entries")
    assert entries(seen) == [("entry", entry_ref(photo_id)), ("deleted", entry_ref(photo_id))]
    tombstone = etree.fromstring(seen[-1].data.encode())
    assert tombstone.findtext(f"{{{TOMBSTONES}}}comment") == "deleted"


async def test_resuming_with_last_event_id_gets_exactly_the_missed_entries(
    site: Site, client: httpx.AsyncClient, dispatching: None
) -> None:
    ann = await account(site, "ann")
    url = await stream_url(site, client, ann, topic="tags", tags="cats")
    async with running(site) as base, httpx.AsyncClient(timeout=10) as http:
        stream = on(base, url)
        started = asyncio.Event()
        first = await new_photo(site, ann, tags="cats")
        reader = asyncio.create_task(read_until(http, stream, of(first), started=started))
        await until_set(started, 10, "the stream's ready event", unless=reader)
        await changed(site, first)
        await pump(site)
        last_seen = (await bounded(reader, 20, "the stream's entries"))[-1].id
        assert last_seen is not None
        # The client is gone while these happen.
        missed = [await new_photo(site, ann, tags="cats") for _ in range(3)]
        other = await new_photo(site, ann, tags="dogs")
        for photo_id in (*missed, other):
            await changed(site, photo_id)
            await pump(site)
        by_header = await read_until(http, stream, ready, headers={"Last-Event-ID": last_seen})
        by_query = await read_until(http, f"{stream}&last_event_id={last_seen}", ready)
        resume_point = by_header[-1].id
        assert resume_point is not None
        again = await read_until(http, stream, ready, headers={"Last-Event-ID": resume_point})
        from_now = await read_until(http, stream, ready)
    for seen in (by_header, by_query):
        assert entries(seen) == [("entry", entry_ref(p)) for p in missed]
        assert [int(item.id or 0) for item in seen] == sorted(int(item.id or 0) for item in seen)
    assert [item.event for item in again] == ["ready"]
    assert [item.event for item in from_now] == ["ready"]


@SQL_ONLY
async def test_a_geo_circle_stream_gets_public_locations_inside_it(
    site: Site, client: httpx.AsyncClient, dispatching: None
) -> None:
    ann = await account(site, "ann")
    url = await stream_url(site, client, ann, topic="geo", lat="48.86", lon="2.35", radius="5")
    inside = await new_photo(site, ann, geo_perm=1, **PARIS)
    secret_place = await new_photo(site, ann, tags="paris", geo_perm=6, **PARIS)
    # The same grid cell, 10 km north: outside the 5 km circle.
    saint_denis = await new_photo(site, ann, geo_perm=1, latitude=48.95, longitude=2.35)
    london = await new_photo(site, ann, geo_perm=1, latitude=51.5, longitude=-0.12)
    marker = await new_photo(site, None, geo_perm=1, **PARIS)
    async with running(site) as base, httpx.AsyncClient(timeout=10) as http:
        started = asyncio.Event()
        reader = asyncio.create_task(read_until(http, on(base, url), of(marker), started=started))
        await until_set(started, 10, "the stream's ready event", unless=reader)
        for photo_id in (inside, secret_place, saint_denis, london, marker):
            await changed(site, photo_id)
            await pump(site)
        seen = await bounded(reader, 20, "the stream's entries")
    assert entries(seen) == [("entry", entry_ref(inside)), ("entry", entry_ref(marker))]
    assert "<georss:point>48.8566 2.3522</georss:point>" in seen[1].data


@SQL_ONLY
async def test_bad_expired_or_missing_credentials_are_refused(
    site: Site, client: httpx.AsyncClient
) -> None:
    ann = await account(site, "ann")
    url = await stream_url(site, client, ann, topic="tags", tags="cats")
    path = url[len(PUBLIC_URL) :]
    params = dict(parse_qsl(urlsplit(url).query))
    cats = make_topic("tags", {"tags": "cats"})
    expired = stream_urls.signed_url("", cats, int(time.time()) - 10, site.secret_key)
    forged = path.replace(params["signature"], "A" * len(params["signature"]))
    other_topic = path.replace("tags=cats", "tags=dogs")
    cases = {
        "/push/topics/tags?tags=cats": (401, "signed URL"),
        path.replace("&signature=" + params["signature"], ""): (403, "no signature"),
        forged: (403, "signature does not match"),
        other_topic: (403, "signature does not match"),
        expired: (403, "expired"),
    }
    for target, (status, reason) in cases.items():
        response = await client.get(target, headers=STREAM)
        assert response.status_code == status, (target, response.text)
        assert response.headers["content-type"].startswith("text/plain")
        assert reason in response.text
    unauthorised = await client.get("/push/topics/tags?tags=cats", headers=STREAM)
    assert unauthorised.headers["www-authenticate"].startswith("OAuth")
    # An unknown topic is still 404 and a bad one 400, as for the feed.
    assert (await client.get("/push/topics/nope", headers=STREAM)).status_code == 404
    assert (await client.get("/push/topics/tags", headers=STREAM)).status_code == 400
    # A browser's own Accept (*/*) gets the feed, not a stream.
    feed = await client.get("/push/topics/tags?tags=cats", headers={"Accept": "*/*"})
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")


@SQL_ONLY
async def test_an_oauth_signed_request_streams_and_personal_topics_are_their_users(
    site: Site, client: httpx.AsyncClient, dispatching: None
) -> None:
    ann = await account(site, "ann")
    bob = await account(site, "bob")
    ann_api = await api_for(site, client, ann, "read")
    bob_api = await api_for(site, client, bob, "read")
    photo_id = await new_photo(site, ann, tags="harbour")
    async with running(site) as base, httpx.AsyncClient(timeout=10) as http:
        mine = f"{base}/push/topics/my_photos?user_id={ann['nsid']}"
        started = asyncio.Event()
        headers = oauth_headers(ann_api, mine)
        reader = asyncio.create_task(
            read_until(http, mine, of(photo_id), headers=headers, started=started)
        )
        await until_set(started, 10, "the stream's ready event", unless=reader)
        await changed(site, photo_id)
        await pump(site)
        seen = await bounded(reader, 20, "the stream's entries")
        replay = http.get(mine, headers={**STREAM, **headers})
        replayed = await bounded(replay, 10, "the answer to a replayed signature")
        bob_signed = {**STREAM, **oauth_headers(bob_api, mine)}
        refused = await bounded(http.get(mine, headers=bob_signed), 10, "the answer to bob")
        # Signed in the query instead of the header, a public topic.
        query_signer = Client(
            bob_api.api_key,
            client_secret=bob_api.secret,
            resource_owner_key=bob_api.token,
            resource_owner_secret=bob_api.token_secret,
            signature_type=SIGNATURE_TYPE_QUERY,
        )
        signed_query, _, _ = query_signer.sign(f"{base}/push/topics/tags?tags=harbour", "GET")
        by_query = await read_until(http, signed_query, ready)
    assert entries(seen) == [("entry", entry_ref(photo_id))]
    assert replayed.status_code == 403 and "nonce" in replayed.text  # one stream per signature
    assert refused.status_code == 403 and "own user" in refused.text
    assert [item.event for item in by_query] == ["ready"]


@SQL_ONLY
async def test_heartbeats_keep_a_quiet_stream_open_and_shutdown_ends_it(
    site: Site, client: httpx.AsyncClient
) -> None:
    ann = await account(site, "ann")
    url = await stream_url(site, client, ann, topic="commons")
    site.topic_streams.heartbeat = 0.3
    lines: list[str] = []
    async with running(site) as base, httpx.AsyncClient(timeout=10) as http:

        async def read() -> None:
            async with http.stream("GET", on(base, url), headers=STREAM) as response:
                async for line in response.aiter_lines():
                    lines.append(line)
                    if line == ": heartbeat":
                        site.topic_streams.end_streams()  # as the server shutting down

        # Returns: the server ended the response.
        await bounded(read(), 15, "a heartbeat, then the end of the stream", detail=lambda: lines)
    assert lines[1] == "event: ready"
    assert ": heartbeat" in lines[2:]


@SQL_ONLY
async def test_get_stream_url_takes_subscribe_s_topic_arguments(
    site: Site, client: httpx.AsyncClient
) -> None:
    ann = await account(site, "ann")
    api = await api_for(site, client, ann, "read")
    body = await api.ok("flickr.push.getStreamUrl", topic="my_faves", expires_in="60")
    stream = body["stream"]
    assert stream["topic_url"] == f"{PUBLIC_URL}/push/topics/my_faves?user_id={ann['nsid']}"
    assert stream["url"].startswith(stream["topic_url"] + "&expires=" + stream["expires"])
    longer = await api.ok("flickr.push.getStreamUrl", topic="my_faves")
    assert int(longer["stream"]["expires"]) > int(stream["expires"])
    for code, args in (
        (1, {}),
        (1, {"topic": "tags"}),
        (1, {"topic": "geo", "lat": "48.8"}),
        (2, {"topic": "kittens"}),
        (2, {"topic": "geo", "lat": "48.8", "lon": "2.3", "radius": "100"}),
        (2, {"topic": "tags", "tags": "cats", "expires_in": "59"}),
        (2, {"topic": "tags", "tags": "cats", "expires_in": "604801"}),
        (2, {"topic": "tags", "tags": "cats", "expires_in": "soon"}),
    ):
        message = await api.fail("flickr.push.getStreamUrl", code, **args)
        assert message.startswith(("Required parameter missing", "Invalid parameter value"))
    anonymous = await api_for(site, client)
    await anonymous.fail("flickr.push.getStreamUrl", 99, topic="tags", tags="cats")
    info = await api.ok("flickr.reflection.getMethodInfo", method_name="flickr.push.getStreamUrl")
    assert "photohub extension" in str(info)
