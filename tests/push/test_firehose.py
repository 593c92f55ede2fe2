"""The firehose: the host's endpoint gets every public photo (and its deletion), signed,
no faster than its configured rate; private and hidden photos never."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from photohub.actions import photos as photo_actions
from photohub.domain.privacy import Viewer
from photohub.domain.signatures import verify_signature
from photohub.push import firehose
from photohub.site import Site
from photohub.store.push_schema import push_subscriptions
from tests.push.hubs import (
    account,
    changed,
    entries,
    new_photo,
    pump,
    receiver,
    settings,
    tombstone_refs,
)
from tests.push.receiver import Receiver

__all__ = ["receiver", "settings"]  # fixtures

pytestmark = pytest.mark.anyio


async def hose(site: Site, receiver: Receiver, **values: object) -> int:
    site.settings = site.settings.with_overrides(
        push_firehose_url=receiver.url + "/hose", push_firehose_secret="hose-key", **values
    )
    subscription_id = await firehose.configure(site)
    assert subscription_id is not None
    return subscription_id


async def test_every_public_photo_and_its_deletion_reach_the_firehose(
    site: Site, receiver: Receiver
) -> None:
    await hose(site, receiver)
    ann = await account(site, "ann")
    shown = await new_photo(site, ann, title="shown")
    await new_photo(site, ann, title="private", visibility="private")
    await new_photo(site, ann, title="hidden", hidden=True)
    await new_photo(site, ann, title="unsafe", safety_level=2)
    for photo_id in range(shown, shown + 4):
        await changed(site, photo_id)
    await pump(site)
    [post] = receiver.posts
    assert post.path == "/hose"
    assert verify_signature("hose-key", post.body, post.headers["x-hub-signature"])
    assert [e.title for e in entries(post)] == ["shown"]
    await photo_actions.delete(site, Viewer(user_id=int(ann["id"])), shown)
    await pump(site)
    assert tombstone_refs(receiver.posts[-1]) == [f"tag:photos.test,2026:photo/{shown}"]


async def test_the_rate_is_a_ceiling(site: Site, receiver: Receiver) -> None:
    subscription_id = await hose(site, receiver, push_firehose_rate=5.0)
    for n in range(10):
        await changed(site, await new_photo(site, None, title=f"p{n}"))
    await pump(site)
    assert len(receiver.posts) == 1 and len(entries(receiver.posts[0])) == 10
    await changed(site, await new_photo(site, None, title="later"))
    await pump(site)
    assert len(receiver.posts) == 1  # 10 entries at 5/s: the queue waits two seconds
    state = (await site.queues.states([subscription_id]))[subscription_id]
    assert state.depth == 1 and state.due_at is not None and state.last_success_at is not None
    assert (state.due_at - state.last_success_at).total_seconds() >= 1.9


async def test_changing_or_clearing_the_url_replaces_the_firehose(
    site: Site, receiver: Receiver
) -> None:
    first = await hose(site, receiver)
    site.settings = site.settings.with_overrides(push_firehose_url=receiver.url + "/other")
    second = await firehose.configure(site)
    assert second is not None and second != first
    site.settings = site.settings.with_overrides(push_firehose_url="")
    assert await firehose.configure(site) is None
    async with site.db.read() as conn:
        query = sa.select(sa.func.count()).select_from(push_subscriptions)
        assert await conn.scalar(query) == 0
