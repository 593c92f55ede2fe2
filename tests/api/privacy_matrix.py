"""The privacy matrix every photo list must pass: one photo per visibility (public,
contacts, friends, family, friends_family, private) and one caller per standing with
their owner (anonymous, the owner, a contact, a friend, a family member, anyone else).
Each caller must get exactly the photos ``domain.privacy.may_see`` allows them (or what
a list's own ``rule`` allows, such as "public only"), no more and no fewer, and the
list's ``total`` must count exactly those.

A path plugs in with a ``Lister``: given the world and one caller's API client, it asks
its method and returns the photo ids it got (``listed_ids`` reads a standard answer).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.engine import RowMapping

from photohub.domain.privacy import OWNER, STRANGER, VISIBILITIES, Relation, may_see
from photohub.site import Site
from tests import factories
from tests.api.client import Api, api_for

VIEWERS = ("anonymous", "owner", "contact", "friend", "family", "other")
RELATION_OF: dict[str, Relation] = {
    "anonymous": STRANGER,
    "owner": OWNER,
    "contact": Relation(is_contact=True),
    "friend": Relation(is_contact=True, is_friend=True),
    "family": Relation(is_contact=True, is_family=True),
    "other": STRANGER,
}
START = datetime(2026, 3, 1, 12, 0, 0)

Rule = Callable[[str, Relation], bool]


@dataclass
class World:
    """The owner, the people who look at their photos, and one photo per visibility.

    Photos are uploaded oldest-private to newest-public, so a date that leaks from a
    hidden photo shows too."""

    site: Site
    http: httpx.AsyncClient
    owner: RowMapping
    people: dict[str, RowMapping]  # every viewer but "anonymous"
    photos: dict[str, int]  # visibility -> photo id
    created: dict[str, datetime]  # visibility -> upload time
    _apis: dict[str, Api] = field(default_factory=dict)

    async def api(self, viewer: str) -> Api:
        """The API as ``viewer`` (OAuth-signed; anonymous: an API key alone)."""
        if viewer not in self._apis:
            user = None if viewer == "anonymous" else self.people[viewer]
            self._apis[viewer] = await api_for(self.site, self.http, user)
        return self._apis[viewer]

    def expected(self, viewer: str, rule: Rule = may_see) -> set[int]:
        return {self.photos[v] for v in VISIBILITIES if rule(v, RELATION_OF[viewer])}


async def make_world(site: Site, http: httpx.AsyncClient, **photo_values: Any) -> World:
    async with site.db.write() as conn:
        owner = await factories.user(conn, "owner")
        people = {"owner": owner}
        for name in VIEWERS[2:]:
            people[name] = await factories.user(conn, name)
        await factories.contact(conn, owner, people["contact"])
        await factories.contact(conn, owner, people["friend"], friend=True)
        await factories.contact(conn, owner, people["family"], family=True)
        # Marks the *viewers* make count for nothing: only the owner's decide.
        await factories.contact(conn, people["other"], owner, friend=True, family=True)
        await factories.contact(conn, people["contact"], owner, friend=True, family=True)
        created = {
            vis: START + timedelta(days=len(VISIBILITIES) - i) for i, vis in enumerate(VISIBILITIES)
        }
        photos = {  # uploaded in time order (ids follow upload order), the oldest first
            vis: await factories.photo(
                conn, owner, title=vis, visibility=vis, created_at=created[vis], **photo_values
            )
            for vis in reversed(VISIBILITIES)
        }
    return World(site, http, owner, people, photos, created)


def listed_ids(body: dict[str, Any], key: str = "photos") -> set[int]:
    """The photo ids of one page of a standard photo list, checking that its ``total``
    counts exactly the photos listed (the matrix pages fit on one page)."""
    listing = body[key]
    ids = {int(p["id"]) for p in listing["photo"]}
    assert len(ids) == len(listing["photo"]), "a photo is listed twice"
    assert int(listing["total"]) == len(ids), f"total {listing['total']} but {len(ids)} listed"
    return ids


Lister = Callable[[World, Api], Awaitable[set[int]]]


async def assert_matrix(world: World, list_ids: Lister, *, rule: Rule = may_see) -> None:
    """Every viewer gets exactly the photos ``rule`` allows; all mismatches reported."""
    wrong: list[str] = []
    everything = set(world.photos.values())
    for viewer in VIEWERS:
        got = await list_ids(world, await world.api(viewer))
        want = world.expected(viewer, rule)
        for vis, photo_id in world.photos.items():
            if (photo_id in got) != (photo_id in want):
                shown = "shown" if photo_id in got else "not shown"
                wrong.append(f"{viewer} / {vis}: {shown}")
        if got - everything:
            wrong.append(f"{viewer}: unexpected photos {sorted(got - everything)}")
    assert not wrong, "privacy matrix mismatches:\n" + "\n".join(wrong)
