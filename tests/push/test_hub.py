"""POST /hub against real local receivers: WebSub (202, then the verification task),
PubSubHubbub 0.3 sync (204/409) and async, hub.verify_token echoed, hub.secret stored,
bad requests answered 4xx with reasons naming the parameter, 415 for non-forms,
unsubscribing, re-subscribing (same id, new lease and secret once verified), the
hub.mode=denied notice and the per-host limits."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from photohub.config import Settings
from photohub.domain.topics import make_topic
from photohub.push import http
from photohub.push.dispatch import follow_outbox
from photohub.push.limits import SUBSCRIBE_REQUESTS_PER_HOST, SUBSCRIPTIONS_PER_HOST
from photohub.site import Site
from photohub.store import subscriptions as subs
from photohub.store.db import utcnow
from photohub.store.push_schema import push_subscriptions
from tests import factories
from tests.push.hubs import changed, entries, new_photo, pump
from tests.push.receiver import Receiver, receiving
from tests.servers import serving

pytestmark = pytest.mark.anyio

# Another spelling of /push/topics/tags?tags=cats,dogs: echoed exactly when verifying.
TOPIC = "http://testserver/push/topics/tags?tags=Dogs,cats,dogs"
CANONICAL = "/push/topics/tags?tags=cats,dogs"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, push_allow="127.0.0.1")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving("hub") as receiver:
        yield receiver


async def hub(client: httpx.AsyncClient, **fields: Any) -> httpx.Response:
    """POST /hub with hub.<name> fields (hub_mode=... becomes hub.mode=...)."""
    data = {key.replace("hub_", "hub.", 1): value for key, value in fields.items()}
    return await client.post("/hub", data=data)


async def subscribe(client: httpx.AsyncClient, callback: str, **fields: Any) -> httpx.Response:
    fields.setdefault("hub_topic", TOPIC)
    return await hub(client, hub_mode="subscribe", hub_callback=callback, **fields)


async def rows(site: Site) -> list[RowMapping]:
    async with site.db.read() as conn:
        query = sa.select(push_subscriptions).order_by(push_subscriptions.c.id)
        return list((await conn.execute(query)).mappings())


async def the_row(site: Site) -> RowMapping:
    [row] = await rows(site)
    return row


def lease_of(row: RowMapping) -> float:
    lease: timedelta = row["expires_at"] - row["verified_at"]
    return lease.total_seconds()


async def test_websub_subscribe_answers_202_then_verifies_with_hub_names(
    site: Site, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    callback = receiver.url + "/cb?app=1"
    response = await subscribe(
        client, callback, hub_lease_seconds="3600", hub_secret="s3cret", hub_verify_token="t"
    )
    assert response.status_code == 202, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert receiver.requests == []  # WebSub verifies later
    row = await the_row(site)
    assert row["state"] == "pending" and row["user_id"] is None
    assert row["dialect"] == "websub" and row["topic"] == CANONICAL
    assert row["callback"] == callback and row["secret"] == "s3cret"
    assert await site.runner.run_due() >= 1
    assert receiver.paths == ["/cb"]
    got = receiver.requests[0]
    assert [k for k, _ in got] == [
        "app",
        "hub.mode",
        "hub.topic",
        "hub.challenge",
        "hub.lease_seconds",
    ]  # the callback's query kept; no hub.verify_token for WebSub
    assert dict(got)["hub.mode"] == "subscribe" and dict(got)["hub.topic"] == TOPIC
    assert dict(got)["hub.lease_seconds"] == "3600"
    row = await the_row(site)
    assert row["state"] == "active" and lease_of(row) == 3600
    assert row["secret"] == "s3cret"


@pytest.mark.parametrize(("asked", "granted"), [("10", 60), ("", 864_000), ("99999999", 864_000)])
async def test_the_lease_is_clamped_to_the_hubs_bounds(
    site: Site, client: httpx.AsyncClient, receiver: Receiver, asked: str, granted: int
) -> None:
    fields = {"hub_lease_seconds": asked} if asked else {}
    assert (await subscribe(client, receiver.url + "/l", **fields)).status_code == 202
    await site.runner.run_due()
    assert receiver.last()["hub.lease_seconds"] == str(granted)
    assert lease_of(await the_row(site)) == granted


async def test_pubsubhubbub_sync_verifies_before_answering_204(
    site: Site, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    response = await subscribe(
        client,
        receiver.url + "/s",
        hub_verify="sync",
        hub_verify_token="tok en",
        hub_lease_seconds="600",
        hub_secret="k",
    )
    assert response.status_code == 204 and response.content == b""
    got = receiver.last()
    assert got["hub.mode"] == "subscribe" and got["hub.topic"] == TOPIC
    assert got["hub.verify_token"] == "tok en" and got["hub.lease_seconds"] == "600"
    row = await the_row(site)
    assert row["state"] == "active" and row["dialect"] == "pubsubhubbub-0.3"
    assert row["secret"] == "k" and row["verify_token"] == "tok en" and lease_of(row) == 600


@pytest.mark.parametrize(("behaviour", "words"), [("refuse", "404"), ("echo", "challenge")])
async def test_pubsubhubbub_sync_failure_is_409_with_why_and_stores_nothing(
    site: Site, client: httpx.AsyncClient, receiver: Receiver, behaviour: str, words: str
) -> None:
    receiver.behaviour = behaviour  # "echo" answers Flickr's challenge, not hub.challenge
    response = await subscribe(client, receiver.url + "/f", hub_verify="sync")
    assert response.status_code == 409
    assert "hub.callback" in response.text and words in response.text
    assert len(receiver.requests) == 1
    assert await rows(site) == []


async def test_pubsubhubbub_async_is_202_and_echoes_the_token_later(
    site: Site, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    # The subscriber's preference order: the first mode the hub knows wins.
    response = await client.post(
        "/hub",
        data={
            "hub.mode": "subscribe",
            "hub.callback": receiver.url + "/a",
            "hub.topic": TOPIC,
            "hub.verify": ["later", "async", "sync"],
            "hub.verify_token": "abc",
        },
    )
    assert response.status_code == 202, response.text
    assert receiver.requests == []
    await site.runner.run_due()
    assert receiver.last()["hub.verify_token"] == "abc"
    assert (await the_row(site))["state"] == "active"


@pytest.mark.parametrize(
    ("fields", "status", "parameter"),
    [
        ({"hub_mode": None}, 400, "hub.mode"),
        ({"hub_mode": "publish"}, 400, "hub.mode"),
        ({"hub_mode": "watch"}, 400, "hub.mode"),
        ({"hub_callback": None}, 400, "hub.callback"),
        ({"hub_callback": "ftp://127.0.0.1/x"}, 400, "hub.callback"),
        ({"hub_callback": "http://127.0.0.1/x#frag"}, 400, "hub.callback"),
        ({"hub_callback": "http://10.1.2.3/x"}, 403, "hub.callback"),
        ({"hub_callback": "http://169.254.169.254/latest"}, 403, "hub.callback"),
        ({"hub_topic": None}, 400, "hub.topic"),
        ({"hub_topic": "http://testserver/push/topics/kittens"}, 400, "hub.topic"),
        ({"hub_topic": "http://testserver/photos/1"}, 400, "hub.topic"),
        ({"hub_lease_seconds": "soon"}, 400, "hub.lease_seconds"),
        ({"hub_lease_seconds": "-5"}, 400, "hub.lease_seconds"),
        ({"hub_secret": "x" * 200}, 400, "hub.secret"),
        ({"hub_verify": "later"}, 400, "hub.verify"),
        ({"hub_verify": "sync", "hub_verify_token": "t" * 201}, 400, "hub.verify_token"),
    ],
)
async def test_bad_requests_get_a_4xx_naming_the_parameter(
    site: Site,
    client: httpx.AsyncClient,
    receiver: Receiver,
    fields: dict[str, str | None],
    status: int,
    parameter: str,
) -> None:
    base: dict[str, str | None] = {
        "hub_mode": "subscribe",
        "hub_callback": receiver.url + "/b",
        "hub_topic": TOPIC,
    }
    base.update(fields)
    response = await hub(client, **{k: v for k, v in base.items() if v is not None})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/plain")
    assert parameter in response.text
    assert receiver.requests == []
    assert await rows(site) == []


async def test_a_parameter_given_twice_differently_is_refused(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    body = (
        f"hub.mode=subscribe&hub.callback={receiver.url}/x&hub.callback={receiver.url}/y"
        f"&hub.topic={CANONICAL}"
    )
    response = await client.post(
        "/hub", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 400 and "hub.callback" in response.text


@pytest.mark.parametrize(
    "content_type", ["application/json", "multipart/form-data; boundary=x", "text/plain", None]
)
async def test_only_forms_are_taken(
    site: Site, client: httpx.AsyncClient, receiver: Receiver, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    body = f"hub.mode=subscribe&hub.callback={receiver.url}/j&hub.topic={CANONICAL}"
    response = await client.post("/hub", content=body.encode(), headers=headers)
    assert response.status_code == 415
    assert "application/x-www-form-urlencoded" in response.text
    assert await rows(site) == []


async def test_a_form_with_its_charset_is_a_form(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    body = f"hub.mode=subscribe&hub.callback={receiver.url}/c&hub.topic={CANONICAL}"
    headers = {"content-type": "application/x-www-form-urlencoded; charset=UTF-8"}
    response = await client.post("/hub", content=body, headers=headers)
    assert response.status_code == 202


async def test_an_oversized_form_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/hub", data={"hub.mode": "subscribe", "x": "y" * 70_000})
    assert response.status_code == 413


async def test_only_post(client: httpx.AsyncClient) -> None:
    assert (await client.get("/hub")).status_code == 405


async def test_websub_unsubscribe_is_202_and_deletes_once_the_callback_agrees(
    site: Site, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    callback = receiver.url + "/u"
    await subscribe(client, callback, hub_lease_seconds="3600")
    await site.runner.run_due()
    response = await hub(client, hub_mode="unsubscribe", hub_callback=callback, hub_topic=TOPIC)
    assert response.status_code == 202
    assert (await the_row(site))["state"] == "active"  # until the callback agrees
    await site.runner.run_due()
    got = receiver.last()
    assert got["hub.mode"] == "unsubscribe" and got["hub.topic"] == TOPIC
    assert "hub.lease_seconds" not in got
    assert await rows(site) == []


async def test_an_unsubscribe_the_callback_refuses_changes_nothing(
    site: Site, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    callback = receiver.url + "/r"
    await subscribe(client, callback, hub_verify="sync")
    receiver.behaviour = "refuse"
    response = await hub(
        client, hub_mode="unsubscribe", hub_callback=callback, hub_topic=TOPIC, hub_verify="sync"
    )
    assert response.status_code == 409 and "404" in response.text
    assert (
        await hub(client, hub_mode="unsubscribe", hub_callback=callback, hub_topic=TOPIC)
    ).status_code == 202
    await site.runner.run_due()
    row = await the_row(site)
    assert row["state"] == "active" and "unsubscribe" in row["last_verify_error"]
    receiver.behaviour = "hub"
    response = await hub(
        client,
        hub_mode="unsubscribe",
        hub_callback=callback,
        hub_topic=TOPIC,
        hub_verify="sync",
        hub_verify_token="bye",
    )
    assert response.status_code == 204
    assert receiver.last()["hub.verify_token"] == "bye"
    assert await rows(site) == []


@pytest.mark.parametrize(("verify", "status"), [(None, 202), ("async", 202), ("sync", 204)])
async def test_unsubscribing_what_is_not_subscribed_sends_nothing(
    site: Site, client: httpx.AsyncClient, receiver: Receiver, verify: str | None, status: int
) -> None:
    fields = {"hub_verify": verify} if verify else {}
    response = await hub(
        client, hub_mode="unsubscribe", hub_callback=receiver.url + "/n", hub_topic=TOPIC, **fields
    )
    assert response.status_code == status
    await site.runner.run_due()
    assert receiver.requests == []
    assert await rows(site) == []


async def test_resubscribing_keeps_the_subscription_and_renews_it_once_verified(
    site: Site, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    callback = receiver.url + "/again"
    await subscribe(client, callback, hub_lease_seconds="3600", hub_secret="old")
    await site.runner.run_due()
    first = await the_row(site)
    # Another spelling of the same topic is the same subscription.
    response = await subscribe(
        client,
        callback,
        hub_topic="http://testserver/push/topics/tags?tags=dogs%2Ccats",
        hub_lease_seconds="7200",
        hub_secret="new",
    )
    assert response.status_code == 202
    pending = await the_row(site)
    assert pending["id"] == first["id"] and pending["state"] == "active"
    assert pending["secret"] == "old" and lease_of(pending) == 3600  # not yet verified
    await site.runner.run_due()
    got = receiver.last()
    assert got["hub.lease_seconds"] == "7200"
    assert got["hub.topic"] == "http://testserver/push/topics/tags?tags=dogs%2Ccats"  # as sent
    renewed = await the_row(site)
    assert renewed["id"] == first["id"] and renewed["state"] == "active"
    assert renewed["secret"] == "new" and lease_of(renewed) == 7200
    assert renewed["verified_at"] >= first["verified_at"]


async def test_a_refused_resubscription_leaves_the_subscription_as_it_was(
    site: Site, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    callback = receiver.url + "/keep"
    await subscribe(client, callback, hub_lease_seconds="3600", hub_secret="old")
    await site.runner.run_due()
    first = await the_row(site)
    receiver.behaviour = "refuse"
    await subscribe(client, callback, hub_lease_seconds="7200", hub_secret="new")
    await site.runner.run_due()
    row = await the_row(site)
    assert row["id"] == first["id"] and row["state"] == "active"
    assert row["secret"] == "old" and row["expires_at"] == first["expires_at"]
    assert "re-subscribe" in row["last_verify_error"]


async def test_pubsubhubbub_sync_resubscription_keeps_the_id(
    site: Site, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    callback = receiver.url + "/sync"
    await subscribe(client, callback, hub_verify="sync", hub_lease_seconds="600")
    first = await the_row(site)
    response = await subscribe(
        client, callback, hub_verify="sync", hub_lease_seconds="900", hub_secret="z"
    )
    assert response.status_code == 204
    row = await the_row(site)
    assert row["id"] == first["id"] and lease_of(row) == 900 and row["secret"] == "z"


async def test_a_pending_subscription_is_replaced(
    site: Site, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    callback = receiver.url + "/p"
    await subscribe(client, callback, hub_lease_seconds="3600", hub_secret="a")
    await subscribe(client, callback, hub_lease_seconds="4000", hub_secret="b")
    row = await the_row(site)
    assert row["state"] == "pending" and row["secret"] == "b"
    await site.runner.run_due()
    assert len(receiver.requests) == 1  # the replaced row's task found nothing to do
    assert receiver.last()["hub.lease_seconds"] == "4000"
    assert (await the_row(site))["state"] == "active"


async def test_a_flickr_subscriptions_topic_and_callback_are_not_taken(
    site: Site, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    callback = receiver.url + "/flickr"
    async with site.db.write() as conn:
        user = await factories.user(conn, "owner")
        await subs.save(
            conn,
            user_id=int(user["id"]),
            dialect="flickr",
            topic=make_topic("tags", {"tags": "cats,dogs"}),
            callback=callback,
            lease_seconds=3600,
        )
    response = await subscribe(client, callback)
    assert response.status_code == 409 and "flickr.push" in response.text
    response = await hub(client, hub_mode="unsubscribe", hub_callback=callback, hub_topic=TOPIC)
    assert response.status_code == 202
    await site.runner.run_due()
    assert receiver.requests == [] and len(await rows(site)) == 1


async def fill_host(site: Site, receiver: Receiver, count: int) -> None:
    """``count`` active subscriptions with callbacks on the receiver's host."""
    now = utcnow()
    values: list[dict[str, Any]] = [
        {
            "user_id": None,
            "dialect": "websub",
            "topic": "/push/topics/commons",
            "topic_name": "commons",
            "topic_args": {},
            "callback": f"{receiver.url}/many/{n}",
            "topic_key": subs.url_key("/push/topics/commons"),
            "callback_key": subs.url_key(f"{receiver.url}/many/{n}"),
            "lease_seconds": 3600,
            "state": "active",
            "created_at": now,
            "verified_at": now,
            "expires_at": now + timedelta(hours=1),
        }
        for n in range(count)
    ]
    async with site.db.write() as conn:
        await conn.execute(push_subscriptions.insert(), values)


async def test_a_host_over_the_cap_is_denied_with_a_notice(
    site: Site, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    callback = receiver.url + "/late?id=7"
    assert (await subscribe(client, callback)).status_code == 202
    await fill_host(site, receiver, SUBSCRIPTIONS_PER_HOST)  # before it is verified
    await site.runner.run_due()
    # No verification request: the hub tells the subscriber it refused (WebSub §5.2).
    [got] = receiver.requests
    assert receiver.paths == ["/late"]
    assert got[0] == ("id", "7")
    notice = dict(got)
    assert notice["hub.mode"] == "denied" and notice["hub.topic"] == TOPIC
    assert "limit" in notice["hub.reason"]
    row = await subs_row(site, callback)
    assert row["state"] == "denied" and "limit" in row["last_verify_error"]
    # New subscriptions on that host are refused at once.
    response = await subscribe(client, receiver.url + "/later")
    assert response.status_code == 403 and "hub.callback" in response.text
    assert len(receiver.requests) == 1


async def subs_row(site: Site, callback: str) -> RowMapping:
    async with site.db.read() as conn:
        row = await subs.by_topic_callback(conn, CANONICAL, callback)
    assert row is not None
    return row


async def test_a_callback_refused_at_verification_time_is_denied(
    site: Site, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    callback = receiver.url + "/moved"
    assert (await subscribe(client, callback)).status_code == 202
    site.settings = replace(site.settings, push_allow="")  # the operator closes the door
    await site.runner.run_due()
    row = await the_row(site)
    assert row["state"] == "denied" and "not allowed" in row["last_verify_error"]
    # Neither the verification nor the notice reached the refused address.
    assert receiver.requests == []


async def test_subscribe_requests_are_rate_limited_per_host(
    site: Site, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    for n in range(SUBSCRIBE_REQUESTS_PER_HOST):
        response = await subscribe(client, f"{receiver.url}/rate/{n}")
        assert response.status_code == 202, (n, response.text)
    response = await subscribe(client, receiver.url + "/rate/over")
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    assert "hub.callback" in response.text and "try again" in response.text
    # Another host is counted apart.
    port = receiver.url.rsplit(":", 1)[1]
    other = await subscribe(client, f"http://localhost:{port}/rate/other")
    assert other.status_code == 202
    assert len(await rows(site)) == SUBSCRIBE_REQUESTS_PER_HOST + 1


async def test_an_ipv6_callback_subscribes_and_gets_deliveries(
    site: Site, client: httpx.AsyncClient
) -> None:
    site.settings = replace(site.settings, push_allow="127.0.0.1, ::1")
    await follow_outbox(site)  # the hub reads from the newest event on
    async with receiving("hub", host="::1") as v6:
        callback = v6.url + "/cb"
        assert callback.startswith("http://[::1]:")
        response = await subscribe(
            client, callback, hub_topic="http://testserver/push/topics/tags?tags=cats"
        )
        assert response.status_code == 202, response.text
        assert await site.runner.run_due() >= 1
        assert (await the_row(site))["state"] == "active"
        photo_id = await new_photo(site, None, tags="cats")
        await changed(site, photo_id)
        await pump(site)
    [post] = v6.posts
    assert post.path == "/cb" and post.peer is not None and post.peer[0] == "::1"
    assert [e.id.rsplit("/", 1)[1] for e in entries(post)] == [str(photo_id)]


# ------------------------------------------------- refusals name no address (no DNS oracle)

# What a name "resolves" to in the tests below (push.http.resolve replaced): every one is
# refused, and a name that does not resolve must be told apart from none of them.
RESOLVED = {
    "loopback.test": ["127.0.0.1"],
    "v6loopback.test": ["::1"],
    "mapped.test": ["::ffff:10.0.0.7"],
    "metadata.test": ["169.254.169.254"],
    "ula.test": ["fd00:ec2::254"],
    "mixed.test": ["93.184.216.34", "192.168.7.7"],
    "nat64.test": ["64:ff9b::a00:7"],
}
ADDRESS_WORDS = ("127.0.0.1", "::1", "10.0.0.7", "ffff", "169.254", "fd00", "192.168", "93.184")


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch, site: Site) -> dict[str, list[str]]:
    """The hub's resolver answers from RESOLVED (any other name does not resolve), and
    no address is allow-listed."""

    async def resolve(host: str, port: int) -> list[str]:
        if host not in RESOLVED:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return RESOLVED[host]

    monkeypatch.setattr(http, "resolve", resolve)
    site.settings = replace(site.settings, push_allow="")
    return RESOLVED


def names_no_address(text: str) -> bool:
    return not any(word in text for word in ADDRESS_WORDS)


async def test_a_sync_refusal_names_no_address_and_matches_a_name_that_does_not_resolve(
    site: Site, client: httpx.AsyncClient, resolver: dict[str, list[str]]
) -> None:
    answers = {}
    for name in [*resolver, "nowhere.invalid"]:
        response = await subscribe(client, f"http://{name}/cb", hub_verify="sync")
        assert response.status_code == 409, (name, response.text)
        answers[name] = response.text.replace(name, "NAME")
        assert names_no_address(response.text), response.text
        assert "not allowed" in response.text
    # Resolving to a refused address reads exactly as not resolving at all.
    assert len(set(answers.values())) == 1, answers
    assert await rows(site) == []


@pytest.mark.parametrize(
    "callback",
    [
        "http://10.1.2.3/x",
        "http://127.0.0.1/x",
        "http://localhost/x",
        "http://LOCALHOST./x",
        "http://app.localhost/x",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://[::ffff:7f00:1]/x",
        "http://[64:ff9b::a00:7]/x",
        "http://169.254.169.254/latest",
        "http://2130706433/x",
        "http://0177.0.0.1/x",
        "http://0x7f.1/x",
        "http://127.1/x",
    ],
)
async def test_a_refused_literal_callback_names_no_address(
    site: Site, client: httpx.AsyncClient, callback: str
) -> None:
    site.settings = replace(site.settings, push_allow="")
    response = await subscribe(client, callback, hub_verify="sync")
    assert response.status_code in (400, 403), response.text
    assert "hub.callback" in response.text
    # The host as the caller wrote it may come back; what it is, or resolves to, may not.
    assert names_no_address(response.text.replace(callback, "")), response.text
    assert await rows(site) == []


async def test_a_callback_refused_at_verification_time_names_no_address(
    site: Site, client: httpx.AsyncClient, resolver: dict[str, list[str]]
) -> None:
    assert (await subscribe(client, "http://metadata.test/cb")).status_code == 202
    assert (await subscribe(client, "http://nowhere.invalid/cb")).status_code == 202
    await site.runner.run_due()
    denied, retried = await rows(site)
    assert denied["state"] == "denied" and "not allowed" in denied["last_verify_error"]
    assert names_no_address(denied["last_verify_error"])
    assert retried["state"] == "pending" and names_no_address(retried["last_verify_error"])


async def test_a_redirect_to_a_private_address_is_not_followed_or_named(
    site: Site, client: httpx.AsyncClient
) -> None:
    async def redirect(scope: dict[str, Any], receive: Any, send: Any) -> None:
        location = (b"location", b"http://10.20.30.40/internal?x=1")
        await send({"type": "http.response.start", "status": 302, "headers": [location]})
        await send({"type": "http.response.body", "body": b""})

    async with serving(redirect) as port:
        response = await subscribe(client, f"http://127.0.0.1:{port}/cb", hub_verify="sync")
    assert response.status_code == 409 and "302" in response.text
    assert "10.20.30.40" not in response.text and "internal" not in response.text


# ------------------------------------------- expected verification failures: one calm line


def photohub_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.name.startswith("photohub") and r.levelno >= logging.INFO
    ]


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        ("refuse", "404"),
        ("wrong", "not the challenge"),
        ("error", "HTTP 500"),
        ("slow", "did not answer within"),
        ("closed", "no connection"),
        ("nxdomain", "cannot resolve"),
    ],
)
async def test_an_expected_verification_failure_is_one_line_without_a_traceback(
    site: Site,
    client: httpx.AsyncClient,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
    behaviour: str,
    reason: str,
) -> None:
    site.settings = replace(site.settings, push_timeout=0.5)
    callback, host = receiver.url + "/v", "127.0.0.1"
    if behaviour == "closed":
        async with receiving() as gone:
            callback = gone.url + "/v"
    elif behaviour == "nxdomain":
        callback, host = "http://nowhere.invalid/v", "nowhere.invalid"
    else:
        receiver.behaviour = behaviour
    assert (await subscribe(client, callback)).status_code == 202
    row = await the_row(site)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="photohub"):
        assert await site.runner.run_due() >= 1
    records = photohub_records(caplog)
    assert all(r.exc_info is None for r in records), [r.getMessage() for r in records]
    [line] = [r.getMessage() for r in records]
    assert f"subscription {row['id']}" in line and host in line and reason in line, line
