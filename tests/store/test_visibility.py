"""The privacy matrix at its source: the SQL conditions (store/visibility.py) agree with
the domain decision (domain/privacy.py) for every visibility, geo permission and viewer."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa

from photohub.domain.privacy import (
    GEO_PERM_VISIBILITY,
    OWNER,
    STRANGER,
    VISIBILITIES,
    Relation,
    Viewer,
    may_see,
    may_see_location,
)
from photohub.site import Site
from photohub.store import visibility
from photohub.store.schema import photos
from tests import factories

pytestmark = pytest.mark.anyio

RELATIONS = {
    "owner": OWNER,
    "stranger": STRANGER,
    "contact": Relation(is_contact=True),
    "friend": Relation(is_contact=True, is_friend=True),
    "family": Relation(is_contact=True, is_family=True),
    "friend+family": Relation(is_contact=True, is_friend=True, is_family=True),
}


def test_the_domain_table() -> None:
    assert may_see("public", STRANGER)
    assert not may_see("contacts", STRANGER)
    assert may_see("contacts", RELATIONS["friend"])
    assert may_see("friends_family", RELATIONS["family"])
    assert not may_see("friends", RELATIONS["family"])
    assert not may_see("family", RELATIONS["friend"])
    assert not may_see("private", RELATIONS["friend+family"])
    assert all(may_see(v, OWNER) for v in VISIBILITIES)


async def test_sql_agrees_with_the_domain_for_every_case(site: Site) -> None:
    async with site.db.write() as conn:
        owner = await factories.user(conn, "owner")
        viewers = {
            name: await factories.user(conn, name.replace("+", "-"))
            for name in RELATIONS
            if name != "owner"
        }
        for name, relation in RELATIONS.items():
            if relation.is_contact:
                await factories.contact(
                    conn,
                    owner,
                    viewers[name],
                    friend=relation.is_friend,
                    family=relation.is_family,
                )
        cases: dict[int, tuple[str, int]] = {}
        for vis, perm in itertools.product(VISIBILITIES, GEO_PERM_VISIBILITY):
            photo_id = await factories.photo(
                conn, owner, visibility=vis, geo_perm=perm, latitude=48.85, longitude=2.35
            )
            cases[photo_id] = (vis, perm)
        # The same matrix for a photo still processing: only its owner sees it.
        processing = await factories.photo(conn, owner, state="processing")
    viewer_of = {name: Viewer(user_id=int(u["id"])) for name, u in viewers.items()}
    viewer_of["owner"] = Viewer(user_id=int(owner["id"]))
    viewer_of["anonymous"] = Viewer()
    relation_of = {**RELATIONS, "anonymous": STRANGER}
    async with site.db.read() as conn:
        for name, viewer in viewer_of.items():
            relation = relation_of[name]
            seen = set(
                (
                    await conn.execute(
                        sa.select(photos.c.id).where(visibility.photo_visible(viewer))
                    )
                ).scalars()
            )
            located = set(
                (
                    await conn.execute(
                        sa.select(photos.c.id).where(visibility.location_visible(viewer))
                    )
                ).scalars()
            )
            expected = {pid for pid, (vis, _) in cases.items() if may_see(vis, relation)}
            expected_geo = {
                pid for pid, (vis, perm) in cases.items() if may_see_location(vis, perm, relation)
            }
            if relation.is_owner:
                expected.add(processing)
            assert seen == expected, name
            assert located == expected_geo, name
            computed = await visibility.relation(conn, viewer, int(owner["id"]))
            assert computed == relation, name
