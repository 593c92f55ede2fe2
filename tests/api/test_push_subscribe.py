"""flickr.push.*: subscribing with sync and async verification against a real local
callback, unsubscribing, listing, the callback rules and Flickr's error codes."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from photohub.config import Settings
from photohub.push import http
from photohub.site import Site
from photohub.store import subscriptions as subs
from photohub.store.db import utcnow
from photohub.store.schema import tasks
from photohub.tasks.definitions import HANDLERS
from tests import factories
from tests.api.client import Api, api_for
from tests.push.receiver import Receiver, receiving

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, push_allow="127.0.0.1")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as receiver:
        yield receiver


@pytest.fixture
async def member(site: Site) -> RowMapping:
    async with site.db.write() as conn:
        return await factories.user(conn, "subscriber")


@pytest.fixture
async def api(site: Site, client: httpx.AsyncClient, member: RowMapping) -> Api:
    return await api_for(site, client, member, "write")


async def listed(api: Api) -> list[dict[str, Any]]:
    body = await api.ok("flickr.push.getSubscriptions")
    found: list[dict[str, Any]] = body["subscriptions"]["subscription"]
    return found


async def test_get_topics_lists_the_nine(api: Api) -> None:
    body = await api.ok("flickr.push.getTopics")
    names = [t["name"] for t in body["topics"]["topic"]]
    assert names[:3] == ["contacts_photos", "contacts_faves", "photos_of_contacts"]
    assert len(names) == 9 and "geo" in names and "tags" in names
    assert all(t["display_name"] for t in body["topics"]["topic"])


async def test_sync_subscribe_verifies_then_is_active(
    api: Api, receiver: Receiver, member: RowMapping
) -> None:
    callback = receiver.url + "/push?app=1"
    await api.ok(
        "flickr.push.subscribe",
        topic="my_photos",
        callback=callback,
        verify="sync",
        verify_token="s3cret",
        lease_seconds="3600",
    )
    got = receiver.last()
    assert set(got) == {"app", "mode", "topic", "challenge", "verify_token", "lease_seconds"}
    assert got["mode"] == "subscribe" and got["topic"] == "my_photos"
    assert got["verify_token"] == "s3cret" and got["lease_seconds"] == "3600"
    [sub] = await listed(api)
    assert sub["topic"] == "my_photos" and sub["callback"] == callback
    assert sub["pending"] == 0 and sub["lease_seconds"] == 3600
    assert int(sub["expiry"]) - int(sub["date_create"]) in (3599, 3600, 3601)
    assert sub["verify_attempts"] == 1 and sub["last_verify_error"] == ""
    assert sub["topic_url"].endswith(f"/push/topics/my_photos?user_id={member['nsid']}")


async def test_auto_renewing_subscription_lists_lease_zero(api: Api, receiver: Receiver) -> None:
    await api.ok(
        "flickr.push.subscribe",
        topic="tags",
        tags="cats, Dogs",
        callback=receiver.url + "/t",
        verify="sync",
    )
    assert "lease_seconds" in receiver.last()
    [sub] = await listed(api)
    assert sub["lease_seconds"] == 0 and sub["pending"] == 0
    assert int(sub["expiry"]) - int(sub["date_create"]) >= 86_399


@pytest.mark.parametrize("behaviour", ["wrong", "newline", "refuse", "error"])
async def test_sync_subscribe_with_a_bad_answer_is_4_and_stores_nothing(
    api: Api, receiver: Receiver, behaviour: str
) -> None:
    receiver.behaviour = behaviour
    message = await api.fail(
        "flickr.push.subscribe", 4, topic="my_faves", callback=receiver.url + "/cb", verify="sync"
    )
    assert message.startswith("Callback failed or invalid response")
    assert len(receiver.requests) == 1
    assert await listed(api) == []


async def test_async_subscribe_is_pending_then_active_after_the_task(
    site: Site, api: Api, receiver: Receiver
) -> None:
    await api.ok(
        "flickr.push.subscribe", topic="photos_of_me", callback=receiver.url + "/a", verify="async"
    )
    assert receiver.requests == []
    [sub] = await listed(api)
    assert sub["pending"] == 1 and sub["expiry"] == "0"
    assert await site.runner.run_due() >= 1
    assert receiver.last()["mode"] == "subscribe"
    [sub] = await listed(api)
    assert sub["pending"] == 0 and sub["verify_attempts"] == 1


async def test_async_verification_is_retried_until_the_callback_answers(
    site: Site, api: Api, receiver: Receiver
) -> None:
    receiver.behaviour = "error"
    await api.ok(
        "flickr.push.subscribe", topic="my_faves", callback=receiver.url + "/r", verify="async"
    )
    await site.runner.run_due()
    [sub] = await listed(api)
    assert sub["pending"] == 1 and sub["verify_attempts"] == 1
    assert "HTTP 500" in sub["last_verify_error"]
    async with site.db.write() as conn:  # the backoff has passed
        await conn.execute(tasks.update().values(run_at=utcnow()))
    receiver.behaviour = "echo"
    assert await site.runner.run_due() >= 1
    [sub] = await listed(api)
    assert sub["pending"] == 0 and sub["verify_attempts"] == 2 and sub["last_verify_error"] == ""


async def test_the_verify_task_is_registered() -> None:
    assert "verify_subscription" in HANDLERS


async def test_a_callback_is_one_subscription_per_user(api: Api, receiver: Receiver) -> None:
    callback = receiver.url + "/one"
    await api.ok("flickr.push.subscribe", topic="my_photos", callback=callback, verify="sync")
    await api.fail("flickr.push.subscribe", 3, topic="my_faves", callback=callback, verify="sync")
    assert len(receiver.requests) == 1  # refused before any request
    # The same topic again is a renewal, not a conflict.
    await api.ok("flickr.push.subscribe", topic="my_photos", callback=callback, verify="sync")
    assert len(await listed(api)) == 1


async def test_unsubscribe_sync_verifies_then_deletes(api: Api, receiver: Receiver) -> None:
    callback = receiver.url + "/u"
    await api.ok("flickr.push.subscribe", topic="my_photos", callback=callback, verify="sync")
    await api.fail("flickr.push.unsubscribe", 7, topic="my_faves", callback=callback, verify="sync")
    await api.fail(
        "flickr.push.unsubscribe", 7, topic="my_photos", callback=callback + "x", verify="sync"
    )
    receiver.behaviour = "refuse"
    await api.fail(
        "flickr.push.unsubscribe", 4, topic="my_photos", callback=callback, verify="sync"
    )
    assert len(await listed(api)) == 1
    receiver.behaviour = "echo"
    await api.ok(
        "flickr.push.unsubscribe",
        topic="my_photos",
        callback=callback,
        verify="sync",
        verify_token="t",
    )
    got = receiver.last()
    assert got["mode"] == "unsubscribe" and got["topic"] == "my_photos"
    assert got["verify_token"] == "t" and "lease_seconds" not in got
    assert await listed(api) == []


async def test_unsubscribe_async_deletes_after_the_task(
    site: Site, api: Api, receiver: Receiver
) -> None:
    callback = receiver.url + "/ua"
    await api.ok("flickr.push.subscribe", topic="my_photos", callback=callback, verify="sync")
    await api.ok("flickr.push.unsubscribe", topic="my_photos", callback=callback, verify="async")
    assert len(await listed(api)) == 1
    await site.runner.run_due()
    assert receiver.last()["mode"] == "unsubscribe"
    assert await listed(api) == []


async def test_others_do_not_see_my_subscriptions(
    site: Site, client: httpx.AsyncClient, api: Api, receiver: Receiver
) -> None:
    await api.ok(
        "flickr.push.subscribe",
        topic="geo",
        lat="48.85",
        lon="2.35",
        callback=receiver.url + "/g",
        verify="sync",
    )
    async with site.db.write() as conn:
        other = await factories.user(conn, "other")
    other_api = await api_for(site, client, other, "read")
    assert await listed(other_api) == []
    await other_api.fail(
        "flickr.push.subscribe", 99, topic="my_photos", callback=receiver.url, verify="sync"
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_loopback_callbacks_are_refused_when_not_allowed(
    site: Site, api: Api, receiver: Receiver, host: str
) -> None:
    site.settings = replace(site.settings, push_allow="")
    port = receiver.url.rsplit(":", 1)[1]
    for verify in ("sync", "async"):
        await api.fail(
            "flickr.push.subscribe",
            2,
            topic="my_photos",
            callback=f"http://{host}:{port}/x",
            verify=verify,
        )
    assert receiver.requests == []
    assert await listed(api) == []


async def test_private_callbacks_are_refused(api: Api) -> None:
    for url in ("http://10.1.2.3/cb", "http://169.254.169.254/latest", "http://[::1]:80/"):
        message = await api.fail(
            "flickr.push.subscribe", 2, topic="my_photos", callback=url, verify="sync"
        )
        assert "callback" in message


async def test_refusals_name_no_address_the_host_resolves_to(
    site: Site, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same checked client as POST /hub: what a name resolves to, or that it does
    # not resolve, is not told (the API is open to any registered account).
    async def resolve(host: str, port: int) -> list[str]:
        if host == "inside.test":
            return ["10.9.8.7"]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(http, "resolve", resolve)
    site.settings = replace(site.settings, push_allow="")
    messages = []
    for name in ("inside.test", "nowhere.test"):
        message = await api.fail(
            "flickr.push.subscribe",
            4,
            topic="my_photos",
            callback=f"http://{name}/cb",
            verify="sync",
        )
        assert "not allowed" in message and "10.9.8.7" not in message
        messages.append(message.replace(name, "NAME"))
    assert messages[0] == messages[1]
    literal = await api.fail(
        "flickr.push.subscribe", 2, topic="my_photos", callback="http://localhost/cb", verify="sync"
    )
    assert "not allowed" in literal and "127.0.0.1" not in literal
    assert await listed(api) == []


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        ({"callback": "http://127.0.0.1/", "verify": "sync"}, 1, "topic"),
        ({"topic": "my_photos", "verify": "sync"}, 1, "callback"),
        ({"topic": "my_photos", "callback": "http://127.0.0.1/"}, 1, "verify"),
        ({"topic": "kittens", "callback": "http://127.0.0.1/", "verify": "sync"}, 2, "topic"),
        ({"topic": "my_photos", "callback": "http://127.0.0.1/", "verify": "later"}, 2, "verify"),
        ({"topic": "my_photos", "callback": "ftp://127.0.0.1/", "verify": "sync"}, 2, "callback"),
        (
            {"topic": "my_photos", "callback": "http://127.0.0.1/" + "a" * 300, "verify": "sync"},
            2,
            "callback",
        ),
        (
            {
                "topic": "my_photos",
                "callback": "http://127.0.0.1/",
                "verify": "sync",
                "lease_seconds": "59",
            },
            2,
            "lease_seconds",
        ),
        (
            {
                "topic": "geo",
                "lat": "48",
                "lon": "2",
                "radius": "99",
                "callback": "http://127.0.0.1/",
                "verify": "sync",
            },
            2,
            "radius",
        ),
        ({"topic": "tags", "callback": "http://127.0.0.1/", "verify": "sync"}, 1, "tags"),
    ],
)
async def test_bad_requests_get_flickrs_codes(
    api: Api, args: dict[str, str], code: int, words: str
) -> None:
    message = await api.fail("flickr.push.subscribe", code, **args)
    assert words in message
    assert await listed(api) == []


async def test_save_keeps_another_owners_subscription(site: Site, member: RowMapping) -> None:
    from photohub.domain.topics import make_topic

    topic = make_topic("tags", {"tags": "cats"})
    async with site.db.write() as conn:
        other = await factories.user(conn, "someone")
        first = await subs.save(
            conn,
            user_id=int(other["id"]),
            dialect="flickr",
            topic=topic,
            callback="http://x.example/",
            lease_seconds=60,
        )
        taken = await subs.save(
            conn,
            user_id=int(member["id"]),
            dialect="flickr",
            topic=topic,
            callback="http://x.example/",
            lease_seconds=60,
        )
        assert first is not None and taken is None
        count = await conn.scalar(
            sa.select(sa.func.count()).select_from(sa.table("push_subscriptions"))
        )
    assert count == 1


async def test_changing_a_pending_subscription_is_code_6(
    site: Site, api: Api, receiver: Receiver
) -> None:
    callback = receiver.url + "/pending"
    await api.ok("flickr.push.subscribe", topic="my_photos", callback=callback, verify="async")
    for verify in ("sync", "async"):
        message = await api.fail(
            "flickr.push.subscribe", 6, topic="my_photos", callback=callback, verify=verify
        )
        assert message.startswith("Subscription awaiting verification callback response")
        await api.fail(
            "flickr.push.unsubscribe", 6, topic="my_photos", callback=callback, verify=verify
        )
    assert receiver.requests == []
    await site.runner.run_due()
    [sub] = await listed(api)
    assert sub["pending"] == 0
    await api.ok("flickr.push.unsubscribe", topic="my_photos", callback=callback, verify="sync")
    assert await listed(api) == []


async def test_resubscribing_keeps_the_subscription_until_the_new_lease_is_verified(
    site: Site, api: Api, receiver: Receiver, member: RowMapping
) -> None:
    callback = receiver.url + "/renew"
    await api.ok(
        "flickr.push.subscribe",
        topic="my_photos",
        callback=callback,
        verify="sync",
        lease_seconds="3600",
    )
    async with site.db.read() as conn:
        first = await subs.by_callback(conn, int(member["id"]), callback)
    assert first is not None
    await api.ok(
        "flickr.push.subscribe",
        topic="my_photos",
        callback=callback,
        verify="async",
        lease_seconds="7200",
        verify_token="new",
    )
    [sub] = await listed(api)
    assert sub["pending"] == 0 and sub["lease_seconds"] == 3600  # still the old lease
    await site.runner.run_due()
    got = receiver.last()
    assert got["lease_seconds"] == "7200" and got["verify_token"] == "new"
    [sub] = await listed(api)
    assert sub["pending"] == 0 and sub["lease_seconds"] == 7200
    assert int(sub["expiry"]) - int(sub["date_create"]) >= 7199
    async with site.db.read() as conn:
        row = await subs.by_callback(conn, int(member["id"]), callback)
    assert row is not None and row["id"] == first["id"] and row["verify_token"] == "new"


async def test_an_ended_subscription_frees_its_callback_for_another_topic(
    site: Site, api: Api, receiver: Receiver
) -> None:
    callback = receiver.url + "/ended"
    await api.ok("flickr.push.subscribe", topic="my_photos", callback=callback, verify="sync")
    async with site.db.write() as conn:
        await conn.execute(
            sa.table("push_subscriptions", sa.column("state")).update().values(state="expired")
        )
    await api.ok("flickr.push.subscribe", topic="my_faves", callback=callback, verify="sync")
    [sub] = await listed(api)
    assert sub["topic"] == "my_faves" and sub["state"] == "active"


async def test_subscribe_requests_per_callback_host_are_limited(
    api: Api, receiver: Receiver
) -> None:
    from photohub.push.limits import SUBSCRIBE_REQUESTS_PER_HOST

    for n in range(SUBSCRIBE_REQUESTS_PER_HOST):
        await api.ok(
            "flickr.push.subscribe",
            topic="my_photos",
            callback=f"{receiver.url}/{n}",
            verify="async",
        )
    message = await api.fail(
        "flickr.push.subscribe", 2, topic="my_photos", callback=receiver.url + "/x", verify="async"
    )
    assert "callback" in message and "try again" in message


async def test_get_subscriptions_shows_the_delivery_state(
    site: Site, api: Api, receiver: Receiver, member: RowMapping
) -> None:
    from photohub.push.dispatch import follow_outbox
    from photohub.store import events

    await follow_outbox(site)
    callback = receiver.url + "/mine"
    await api.ok("flickr.push.subscribe", topic="my_photos", callback=callback, verify="sync")
    [fresh] = await listed(api)
    assert fresh["queue_depth"] == 0 and fresh["last_success"] == "0"
    receiver.post_status = 503
    async with site.db.write() as conn:
        photo_id = await factories.photo(conn, member)
        await events.append(conn, "photo.published", {"id": photo_id}, photo_id=photo_id)
    await follow_outbox(site)
    await site.runner.run_due()
    await site.deliverer.run_until_idle()
    [failing] = await listed(api)
    assert failing["queue_depth"] == 1 and failing["delivery_attempts"] == 1
    assert "503" in failing["last_failure_reason"] and failing["last_failure"] != "0"
    assert int(failing["next_attempt"]) >= int(failing["last_failure"])
