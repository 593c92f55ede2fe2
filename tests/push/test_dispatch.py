"""From a change to a delivery, for real: outbox -> dispatch task -> index match ->
queue -> signed Atom POST to a local receiver. Who is told what (the privacy matrix),
tombstones, faves and people, collapsing bursts. Each test runs with the queues in the
database and in Redis."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from photohub.actions import favorites, photo_people
from photohub.actions import geo as geo_actions
from photohub.actions import photos as photo_actions
from photohub.domain.privacy import Viewer
from photohub.domain.signatures import verify_signature
from photohub.domain.tags import make_tags
from photohub.domain.topics import make_topic
from photohub.push import deliver
from photohub.push.dispatch import PHOTO_TASK
from photohub.site import Site
from photohub.store import events, tags
from photohub.store import subscriptions as subs
from photohub.store.db import utcnow
from photohub.store.schema import tasks
from tests import factories
from tests.push.hubs import (
    account,
    changed,
    entries,
    make_due,
    new_photo,
    personal,
    pump,
    receiver,
    settings,
    subscribe,
    tags_topic,
    tombstone_refs,
)
from tests.push.receiver import Receiver

__all__ = ["receiver", "settings"]  # fixtures

pytestmark = pytest.mark.anyio


async def test_a_public_photo_reaches_its_tag_subscribers_signed(
    site: Site, receiver: Receiver
) -> None:
    await subscribe(site, receiver, "/cats", tags_topic("cats"), secret="s3cret")
    await subscribe(site, receiver, "/dogs", tags_topic("dogs"))
    ann = await account(site, "ann")
    photo_id = await new_photo(site, ann, title="Tabby", tags="cats sofa")
    await changed(site, photo_id)
    await pump(site)
    assert [p.path for p in receiver.posts] == ["/cats"]
    post = receiver.posts[0]
    assert post.headers["content-type"].startswith("application/atom+xml")
    assert verify_signature("s3cret", post.body, post.headers["x-hub-signature"])
    assert post.headers["x-hub-signature"].startswith("sha256=")
    links = post.headers["link"]
    assert '<http://photos.test/hub>; rel="hub"' in links
    assert '<http://photos.test/push/topics/tags?tags=cats>; rel="self"' in links
    [entry] = entries(post)
    assert entry.id == f"tag:photos.test,2026:photo/{photo_id}"
    assert entry.title == "Tabby"
    assert {t.term for t in entry.tags} == {"cats", "sofa"}


async def test_pubsubhubbub_03_subscribers_get_sha1(site: Site, receiver: Receiver) -> None:
    topic = tags_topic("cats")
    await subscribe(site, receiver, "/old", topic, dialect="pubsubhubbub-0.3", secret="k")
    photo_id = await new_photo(site, None, tags="cats")
    await changed(site, photo_id)
    await pump(site)
    [post] = receiver.posts
    assert post.headers["x-hub-signature"].startswith("sha1=")
    assert verify_signature("k", post.body, post.headers["x-hub-signature"])


@pytest.mark.parametrize(
    "values",
    [
        {"visibility": "private"},
        {"visibility": "friends"},
        {"visibility": "family"},
        {"visibility": "friends_family"},
        {"visibility": "contacts"},
        {"safety_level": 2},
        {"safety_level": 3},
        {"state": "processing"},
        {"approved": False},
    ],
)
async def test_only_public_safe_ready_photos_are_pushed(
    site: Site, receiver: Receiver, values: dict[str, Any]
) -> None:
    if site.settings.redis_url:
        pytest.skip("who is told is decided before any queue: tested with SQL queues")
    ann = await account(site, "ann")
    await subscribe(site, receiver, "/tags", tags_topic("cats"))
    await subscribe(site, receiver, "/mine", personal("my_photos", ann))
    photo_id = await new_photo(site, ann, tags="cats", **values)
    await changed(site, photo_id, "photo.updated")
    await pump(site)
    assert receiver.posts == []


@pytest.mark.parametrize("opt_out", ["push_opt_out", "api_opt_out"])
async def test_an_owner_who_opted_out_is_never_pushed(
    site: Site, receiver: Receiver, opt_out: str
) -> None:
    if site.settings.redis_url:
        pytest.skip("who is told is decided before any queue: tested with SQL queues")
    ann = await account(site, "ann", **{opt_out: True})
    await subscribe(site, receiver, "/mine", personal("my_photos", ann))
    await changed(site, await new_photo(site, ann))
    await pump(site)
    assert receiver.posts == []


async def test_a_pending_subscription_gets_nothing(site: Site, receiver: Receiver) -> None:
    await subscribe(site, receiver, "/pending", tags_topic("cats"), verified=False)
    await changed(site, await new_photo(site, None, tags="cats"))
    await pump(site)
    assert receiver.posts == []


async def test_going_private_and_deleting_send_tombstones(site: Site, receiver: Receiver) -> None:
    ann = await account(site, "ann")
    await subscribe(site, receiver, "/cats", tags_topic("cats"))
    first = await new_photo(site, ann, tags="cats")
    second = await new_photo(site, ann, tags="cats")
    for photo_id in (first, second):
        await changed(site, photo_id)
    await pump(site)
    assert len(receiver.posts) == 1 and len(entries(receiver.posts[0])) == 2
    owner = Viewer(user_id=int(ann["id"]))
    await photo_actions.set_perms(site, owner, first, "friends")
    await photo_actions.delete(site, owner, second)
    await pump(site)
    refs = [ref for post in receiver.posts[1:] for ref in tombstone_refs(post)]
    assert sorted(refs) == sorted(f"tag:photos.test,2026:photo/{i}" for i in (first, second))
    # Told once: a further change of the private photo tells nobody.
    await changed(site, first, "photo.updated")
    count = len(receiver.posts)
    await pump(site)
    assert len(receiver.posts) == count


async def test_a_removed_tag_tombstones_only_that_topic(site: Site, receiver: Receiver) -> None:
    ann = await account(site, "ann")
    await subscribe(site, receiver, "/cats", tags_topic("cats"))
    await subscribe(site, receiver, "/sofa", tags_topic("sofa"))
    photo_id = await new_photo(site, ann, tags="cats sofa")
    await changed(site, photo_id)
    await pump(site)
    async with site.db.write() as conn:
        await tags.set_tags(conn, photo_id, make_tags("sofa"), None)
    await changed(site, photo_id, "photo.updated")
    await pump(site)
    cats, sofa = receiver.posts_to("/cats"), receiver.posts_to("/sofa")
    assert len(cats) == 2 and tombstone_refs(cats[1]) == [f"tag:photos.test,2026:photo/{photo_id}"]
    assert len(sofa) == 2 and tombstone_refs(sofa[1]) == [] and len(entries(sofa[1])) == 1


async def test_contacts_photos_reach_who_lists_the_owner(site: Site, receiver: Receiver) -> None:
    ann, bob, cat = [await account(site, n) for n in ("ann", "bob", "cat")]
    async with site.db.write() as conn:
        await factories.contact(conn, ann, bob)  # ann lists bob
    await subscribe(site, receiver, "/ann", personal("contacts_photos", ann))
    await subscribe(site, receiver, "/cat", personal("contacts_photos", cat))
    await subscribe(site, receiver, "/bob", personal("my_photos", bob))
    await changed(site, await new_photo(site, bob, title="Bob's"))
    await pump(site)
    assert sorted(p.path for p in receiver.posts) == ["/ann", "/bob"]


async def test_faves_reach_my_faves_and_contacts_faves_with_the_faver(
    site: Site, receiver: Receiver
) -> None:
    ann = await account(site, "ann")
    bob = await account(site, "bob")
    cat = await account(site, "cat")
    async with site.db.write() as conn:
        await factories.contact(conn, cat, bob)  # cat lists bob
    await subscribe(site, receiver, "/bob", personal("my_faves", bob))
    await subscribe(site, receiver, "/cat", personal("contacts_faves", cat))
    await subscribe(site, receiver, "/ann", personal("contacts_faves", ann))
    photo_id = await new_photo(site, ann, title="Faved")
    await favorites.add(site, Viewer(user_id=int(bob["id"])), photo_id)
    await pump(site)
    assert sorted(p.path for p in receiver.posts) == ["/bob", "/cat"]
    [entry] = entries(receiver.posts_to("/cat")[0])
    assert [c.name for c in entry.contributors] == ["bob"]


async def test_people_tagged_reach_photos_of_me_and_their_contacts(
    site: Site, receiver: Receiver
) -> None:
    ann = await account(site, "ann")
    bob = await account(site, "bob")
    cat = await account(site, "cat")
    async with site.db.write() as conn:
        await factories.contact(conn, cat, bob)
    await subscribe(site, receiver, "/bob", personal("photos_of_me", bob))
    await subscribe(site, receiver, "/cat", personal("photos_of_contacts", cat))
    photo_id = await new_photo(site, ann)
    await photo_people.add(site, Viewer(user_id=int(ann["id"])), photo_id, str(bob["nsid"]))
    await pump(site)
    assert sorted(p.path for p in receiver.posts) == ["/bob", "/cat"]
    await photo_people.remove(site, Viewer(user_id=int(ann["id"])), photo_id, str(bob["nsid"]))
    await pump(site)
    untagged = [ref for p in receiver.posts[2:] for ref in tombstone_refs(p)]
    assert untagged == [f"tag:photos.test,2026:photo/{photo_id}"] * 2


async def test_geo_topics_need_a_public_location(site: Site, receiver: Receiver) -> None:
    paris = {"latitude": 48.8566, "longitude": 2.3522, "accuracy": 16, "place_city": 2988507}
    circle = make_topic("geo", {"lat": "48.86", "lon": "2.35", "radius": "5"})
    far = make_topic("geo", {"lat": "51.5", "lon": "-0.12", "radius": "5"})
    city = make_topic("geo", {"woe_ids": "2988507"})
    for path, topic in (("/circle", circle), ("/far", far), ("/city", city)):
        await subscribe(site, receiver, path, topic)
    await subscribe(site, receiver, "/tags", tags_topic("paris"))
    hidden_place = await new_photo(site, None, tags="paris", geo_perm=6, **paris)
    await changed(site, hidden_place)
    await pump(site)
    assert [p.path for p in receiver.posts] == ["/tags"]
    assert b"georss:point" not in receiver.posts[0].body and b"48.85" not in receiver.posts[0].body
    shown = await new_photo(site, None, geo_perm=1, **paris)
    await changed(site, shown)
    await pump(site)
    assert sorted(p.path for p in receiver.posts[1:]) == ["/circle", "/city"]
    [entry] = entries(receiver.posts_to("/circle")[0])
    assert entry.where["coordinates"] == pytest.approx((2.3522, 48.8566))


async def test_hiding_a_location_sends_the_entry_again_without_it(
    site: Site, receiver: Receiver
) -> None:
    """A subscriber that got the photo with its location gets it again without: the
    change is announced, not only applied (issue 11: nothing recalled it before)."""
    ann = await account(site, "ann")
    paris = {"latitude": 48.8566, "longitude": 2.3522, "accuracy": 16}
    await subscribe(site, receiver, "/tags", tags_topic("paris"))
    photo_id = await new_photo(site, ann, tags="paris", geo_perm=1, **paris)
    await changed(site, photo_id)
    await pump(site)
    assert b"georss:point" in receiver.posts_to("/tags")[0].body
    await geo_actions.set_geo_perm(site, Viewer(user_id=int(ann["id"])), photo_id, 6)
    await pump(site)
    [_, again] = receiver.posts_to("/tags")
    assert [e.id for e in entries(again)] == [f"tag:photos.test,2026:photo/{photo_id}"]
    assert b"georss:point" not in again.body and b"48.85" not in again.body


async def test_a_geo_topic_wants_its_accuracy(site: Site, receiver: Receiver) -> None:
    streets = make_topic("geo", {"lat": "48.86", "lon": "2.35", "radius": "5", "accuracy": "16"})
    await subscribe(site, receiver, "/streets", streets)
    coarse = await new_photo(
        site, None, latitude=48.8566, longitude=2.3522, accuracy=11, geo_perm=1
    )
    await changed(site, coarse)
    await pump(site)
    assert receiver.posts == []


async def test_a_burst_of_changes_collapses_into_one_task(site: Site, receiver: Receiver) -> None:
    site.settings = site.settings.with_overrides(push_collapse_seconds=60.0)
    await subscribe(site, receiver, "/cats", tags_topic("cats"))
    photo_id = await new_photo(site, None, tags="cats")
    await changed(site, photo_id)
    await pump(site)
    for _ in range(5):
        await changed(site, photo_id, "photo.updated")
    await pump(site)
    assert len(receiver.posts) == 1  # the updates wait for the window to pass
    async with site.db.write() as conn:
        query = sa.select(tasks.c.id).where(tasks.c.name == PHOTO_TASK)
        waiting = list((await conn.execute(query)).scalars())
        assert len(waiting) == 1
        await conn.execute(tasks.update().values(run_at=utcnow()))
    await pump(site)
    assert len(receiver.posts) == 2 and len(entries(receiver.posts[1])) == 1


async def test_a_failing_callback_keeps_its_queue_and_others_are_served(
    site: Site, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Full jitter may draw a backoff of a fraction of a second, which a slow machine's pump
    # would wait out and retry; an hour keeps the queue backing off until make_due.
    monkeypatch.setattr(deliver, "backoff", lambda attempts: 3600.0)
    failing = await subscribe(site, receiver, "/down", tags_topic("cats"))
    gone = await subscribe(site, receiver, "/gone", tags_topic("cats"))
    await subscribe(site, receiver, "/up", tags_topic("cats"))
    receiver.post_status_by_path = {"/down": 503, "/gone": 410}
    photo_id = await new_photo(site, None, tags="cats")
    await changed(site, photo_id)
    await pump(site)
    assert sorted(p.path for p in receiver.posts) == ["/down", "/gone", "/up"]
    async with site.db.read() as conn:
        ended = await subs.get(conn, gone)
    states = await site.queues.states([failing, gone])
    down = states[failing]
    assert ended is not None and ended["state"] == "gone" and states[gone].depth == 0
    assert down.depth == 1 and down.attempts == 1 and down.last_failure
    assert "503" in down.last_failure
    assert down.due_at is not None and down.last_failure_at is not None
    assert down.due_at > down.last_failure_at  # backing off
    # The callback recovers; once due again, the same entry arrives (at-least-once).
    receiver.post_status_by_path = {}
    await make_due(site, failing)
    await pump(site)
    retried = receiver.posts_to("/down")
    assert len(retried) == 2 and entries(retried[0])[0].id == entries(retried[1])[0].id
    down = (await site.queues.states([failing]))[failing]
    assert down.depth == 0 and down.attempts == 0 and down.last_success_at is not None


async def test_batches_respect_the_size_cap(site: Site, receiver: Receiver) -> None:
    site.settings = site.settings.with_overrides(push_batch_bytes=4096)
    await subscribe(site, receiver, "/cats", tags_topic("cats"))
    photo_ids = [await new_photo(site, None, tags="cats", title=f"n{i}") for i in range(12)]
    for photo_id in photo_ids:
        await changed(site, photo_id)
    await pump(site)
    assert len(receiver.posts) > 1
    assert all(len(p.body) <= 4096 for p in receiver.posts)
    # Every entry once (photos dispatched concurrently may queue in either order).
    titles = [e.title for p in receiver.posts for e in entries(p)]
    assert sorted(titles, key=lambda t: int(t[1:])) == [f"n{i}" for i in range(12)]


async def test_a_faved_photo_deleted_tombstones_the_faves_topics_but_edits_do_not(
    site: Site, receiver: Receiver
) -> None:
    ann = await account(site, "ann")
    bob = await account(site, "bob")
    await subscribe(site, receiver, "/bob", personal("my_faves", bob))
    photo_id = await new_photo(site, ann, title="Faved")
    await changed(site, photo_id)
    await favorites.add(site, Viewer(user_id=int(bob["id"])), photo_id)
    await pump(site)
    assert len(receiver.posts_to("/bob")) == 1
    await changed(site, photo_id, "photo.updated")
    await pump(site)
    assert len(receiver.posts_to("/bob")) == 1  # an edit is no fave
    await photo_actions.delete(site, Viewer(user_id=int(ann["id"])), photo_id)
    await pump(site)
    [*_, last] = receiver.posts_to("/bob")
    assert tombstone_refs(last) == [f"tag:photos.test,2026:photo/{photo_id}"]


async def test_a_change_right_after_the_first_start_is_dispatched(site: Site) -> None:
    """The cursor is placed when the site starts, not by the dispatcher's first step:
    a photo published in between (the first upload at a party) is not skipped."""
    from photohub.push.dispatch import follow_outbox

    async with site.db.write() as conn:
        photo_id = await factories.photo(conn, None, title="first", tags="cats")
        await events.append(conn, "photo.published", {"id": photo_id}, photo_id=photo_id)
    assert await follow_outbox(site)
    async with site.db.read() as conn:
        names = (await conn.execute(sa.select(tasks.c.name, tasks.c.args))).all()
    assert (PHOTO_TASK, {"photo_id": photo_id}) in [(n, a) for n, a in names]
