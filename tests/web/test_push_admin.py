"""/admin/push: the host sees every subscription's lease and delivery state, and can
end one; nobody else can."""

from __future__ import annotations

import httpx
import pytest

from photohub.domain.topics import make_topic
from photohub.site import Site
from photohub.store import subscriptions as subs
from photohub.store.db import utcnow
from tests.web.helpers import login_host

pytestmark = pytest.mark.anyio


async def add(site: Site, callback: str, *, active: bool = True) -> int:
    async with site.db.write() as conn:
        subscription_id = await subs.save(
            conn,
            user_id=None,
            dialect="pubsubhubbub-0.3",  # no denied notice: nothing to reach in this test
            topic=make_topic("tags", {"tags": "cats"}),
            callback=callback,
            lease_seconds=3600,
        )
        assert subscription_id is not None
        if active:
            await subs.mark_verified(conn, subscription_id, utcnow())
    return subscription_id


async def test_only_the_host_sees_the_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin/push", headers={"accept": "text/html"})
    assert response.status_code == 303 and response.headers["location"] == "/admin/login"


async def test_the_host_sees_state_and_can_end_one(site: Site, client: httpx.AsyncClient) -> None:
    active = await add(site, "http://example.org/a")
    await add(site, "http://example.org/b", active=False)
    csrf = await login_host(client)
    page = await client.get("/admin/push")
    assert page.status_code == 200
    assert "http://example.org/a" in page.text and "http://example.org/b" in page.text
    assert "2 subscriptions" in page.text
    pending = await client.get("/admin/push?state=pending")
    assert "http://example.org/b" in pending.text and "http://example.org/a" not in pending.text
    bad = await client.get("/admin/push?state=nonsense")
    assert bad.status_code == 400 and "no &#39;nonsense&#39;" in bad.text
    ended = await client.post(f"/admin/push/{active}/end", data={"csrf_token": csrf})
    assert ended.status_code == 303
    async with site.db.read() as conn:
        row = await subs.get(conn, active)
    assert row is not None and row["state"] == "denied"
    forged = await client.post(f"/admin/push/{active}/end", data={"csrf_token": "forged"})
    assert forged.status_code == 403
