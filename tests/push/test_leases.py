"""Leases, for every dialect: the push_leases sweep marks lapsed subscriptions expired
(kept for getSubscriptions, deleted after a week), verifies auto-renewing Flickr
subscriptions again at 90% of their lease (success extends it, failure lets it lapse),
and schedules itself. Time moves by writing timestamps, never by sleeping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from photohub.config import Settings
from photohub.push.leases import ENDED_KEPT_DAYS, LEASES_TASK, sweep_leases
from photohub.site import Site
from photohub.store.db import utcnow
from photohub.store.push_schema import push_subscriptions
from photohub.store.schema import tasks
from photohub.tasks.definitions import HANDLERS
from tests import factories
from tests.api.client import Api, api_for
from tests.push.receiver import Receiver, receiving

pytestmark = pytest.mark.anyio

TOPIC = "http://testserver/push/topics/commons"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, push_allow="127.0.0.1")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as receiver:
        yield receiver


@pytest.fixture
async def api(site: Site, client: httpx.AsyncClient) -> Api:
    async with site.db.write() as conn:
        member = await factories.user(conn, "leaseholder")
    return await api_for(site, client, member, "write")


async def listed(api: Api) -> list[dict[str, Any]]:
    body = await api.ok("flickr.push.getSubscriptions")
    found: list[dict[str, Any]] = body["subscriptions"]["subscription"]
    return found


async def the_row(site: Site) -> RowMapping:
    async with site.db.read() as conn:
        [row] = list((await conn.execute(sa.select(push_subscriptions))).mappings())
    return row


async def set_times(site: Site, **values: datetime) -> None:
    async with site.db.write() as conn:
        await conn.execute(push_subscriptions.update().values(**values))


async def flickr_subscribe(api: Api, receiver: Receiver, **args: str) -> None:
    await api.ok(
        "flickr.push.subscribe",
        topic="my_photos",
        callback=receiver.url + "/cb",
        verify="sync",
        verify_token="tok",
        **args,
    )


async def test_a_lapsed_lease_is_expired_and_kept_then_deleted_after_a_week(
    site: Site, api: Api, receiver: Receiver
) -> None:
    await flickr_subscribe(api, receiver, lease_seconds="3600")
    now = utcnow()
    await sweep_leases(site, {})
    assert (await listed(api))[0]["state"] == "active"  # not yet
    await set_times(site, verified_at=now - timedelta(hours=2), expires_at=now - timedelta(hours=1))
    await sweep_leases(site, {})
    [sub] = await listed(api)
    assert sub["state"] == "expired" and sub["pending"] == 0
    assert len(receiver.requests) == 1  # an ended lease sends nothing (it is no denial)
    await set_times(site, expires_at=now - timedelta(days=ENDED_KEPT_DAYS, hours=1))
    await sweep_leases(site, {})
    assert await listed(api) == []


async def test_an_expired_subscription_can_be_subscribed_again(
    site: Site, api: Api, receiver: Receiver
) -> None:
    await flickr_subscribe(api, receiver, lease_seconds="3600")
    now = utcnow()
    await set_times(site, verified_at=now - timedelta(hours=2), expires_at=now - timedelta(hours=1))
    await sweep_leases(site, {})
    await flickr_subscribe(api, receiver, lease_seconds="600")
    [sub] = await listed(api)
    assert sub["state"] == "active" and sub["lease_seconds"] == 600


async def test_websub_leases_expire_too(
    site: Site, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.behaviour = "hub"
    data = {
        "hub.mode": "subscribe",
        "hub.callback": receiver.url + "/w",
        "hub.topic": TOPIC,
        "hub.lease_seconds": "600",
    }
    assert (await client.post("/hub", data=data)).status_code == 202
    await site.runner.run_due()
    assert (await the_row(site))["state"] == "active"
    await set_times(site, expires_at=utcnow() - timedelta(seconds=1))
    await sweep_leases(site, {})
    row = await the_row(site)
    assert row["state"] == "expired" and not row["auto_renew"]
    assert len(receiver.requests) == 1  # no renewal and no denied notice


async def test_auto_renewing_subscriptions_are_verified_again_and_extended(
    site: Site, api: Api, receiver: Receiver
) -> None:
    await flickr_subscribe(api, receiver)  # no lease: auto-renewing, one day
    first = await the_row(site)
    assert first["auto_renew"] and first["lease_seconds"] == 86_400
    # 21 hours in: not yet due (90% is 21.6 hours).
    verified = utcnow() - timedelta(hours=21)
    await set_times(site, verified_at=verified, expires_at=verified + timedelta(days=1))
    await sweep_leases(site, {})
    await site.runner.run_due()
    assert len(receiver.requests) == 1
    # 22 hours in: due.
    verified = utcnow() - timedelta(hours=22)
    await set_times(site, verified_at=verified, expires_at=verified + timedelta(days=1))
    await sweep_leases(site, {})
    assert await site.runner.run_due() >= 1
    assert len(receiver.requests) == 2
    got = receiver.last()
    assert got["mode"] == "subscribe" and got["topic"] == "my_photos"
    assert got["lease_seconds"] == "86400" and got["verify_token"] == "tok"
    row = await the_row(site)
    assert row["id"] == first["id"] and row["state"] == "active" and row["auto_renew"]
    assert row["expires_at"] - verified > timedelta(days=1, hours=21)
    assert row["verify_attempts"] == first["verify_attempts"] + 1
    [sub] = await listed(api)
    assert sub["lease_seconds"] == 0 and sub["last_verify_error"] == ""


async def test_a_failed_renewal_lets_the_subscription_lapse(
    site: Site, api: Api, receiver: Receiver
) -> None:
    await flickr_subscribe(api, receiver)
    verified = utcnow() - timedelta(hours=23)
    await set_times(site, verified_at=verified, expires_at=verified + timedelta(days=1))
    receiver.behaviour = "refuse"
    await sweep_leases(site, {})
    await site.runner.run_due()
    assert len(receiver.requests) == 2
    [sub] = await listed(api)
    assert sub["state"] == "active"  # until its lease ends
    assert sub["last_verify_error"].startswith("renewal: ") and "404" in sub["last_verify_error"]
    # The sweep does not start another renewal of it.
    await sweep_leases(site, {})
    await site.runner.run_due()
    assert len(receiver.requests) == 2
    await set_times(site, expires_at=utcnow() - timedelta(seconds=1))
    await sweep_leases(site, {})
    [sub] = await listed(api)
    assert sub["state"] == "expired"


async def test_subscriptions_with_a_lease_are_not_renewed_by_the_hub(
    site: Site, api: Api, receiver: Receiver
) -> None:
    await flickr_subscribe(api, receiver, lease_seconds="3600")
    verified = utcnow() - timedelta(minutes=59)
    await set_times(site, verified_at=verified, expires_at=verified + timedelta(hours=1))
    await sweep_leases(site, {})
    await site.runner.run_due()
    assert len(receiver.requests) == 1


async def test_the_sweep_is_registered_started_and_schedules_itself(site: Site) -> None:
    assert LEASES_TASK in HANDLERS
    async with site.db.read() as conn:
        names = list((await conn.execute(sa.select(tasks.c.name))).scalars())
    assert LEASES_TASK in names  # Site.start enqueued it
    await site.runner.run_due()
    async with site.db.read() as conn:
        query = sa.select(tasks.c.status, tasks.c.run_at).where(tasks.c.name == LEASES_TASK)
        [(status, run_at)] = list(await conn.execute(query))
    assert status == "pending" and run_at > utcnow()  # the next run, a minute on
