"""Tag rows and tag search conditions (store/tags.py) on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.domain.machinetags import (
    MachineTagPattern,
    parse_machine_tags,
    parse_search_tags,
)
from photohub.domain.tags import MAX_TAGS_PER_PHOTO, TagError, make_tags
from photohub.site import Site
from photohub.store import photos as photo_store
from photohub.store import tags as tag_store
from photohub.store.db import utcnow
from photohub.store.schema import photo_tags, photos, users

pytestmark = pytest.mark.anyio


async def _photo(conn: AsyncConnection) -> int:
    now = utcnow()
    return await photo_store.insert(
        conn,
        secret="s" * 24,
        format="jpeg",
        ext="jpg",
        bytes=1,
        width=1,
        height=1,
        renditions=[],
        created_at=now,
        updated_at=now,
    )


async def _user(conn: AsyncConnection, name: str) -> int:
    result = await conn.execute(
        users.insert()
        .values(
            nsid=f"{name}@N01",
            username=name,
            username_key=name,
            password_hash="x",
            created_at=utcnow(),
        )
        .returning(users.c.id)
    )
    return int(result.scalar_one())


async def _tags(site: Site, photo_id: int) -> list[tuple[str, str]]:
    async with site.db.read() as conn:
        rows = (await tag_store.tags_of(conn, [photo_id]))[photo_id]
    return [(row["raw"], row["tag"]) for row in rows]


async def test_set_tags_stores_raw_clean_and_machine_parts(site: Site) -> None:
    async with site.db.write() as conn:
        photo = await _photo(conn)
        await tag_store.set_tags(
            conn, photo, make_tags('"New York" dc:title="The Eiffel Tower" nyc'), None
        )
    async with site.db.read() as conn:
        rows = (await tag_store.tags_of(conn, [photo]))[photo]
    assert [(r["raw"], r["tag"], r["namespace"], r["predicate"], r["value"]) for r in rows] == [
        ("New York", "newyork", None, None, None),
        (
            'dc:title="The Eiffel Tower"',
            "dc:title=the eiffel tower",
            "dc",
            "title",
            "the eiffel tower",
        ),
        ("nyc", "nyc", None, None, None),
    ]


async def test_set_tags_replaces_but_keeps_the_rows_that_stay(site: Site) -> None:
    async with site.db.write() as conn:
        photo = await _photo(conn)
        alice = await _user(conn, "alice")
        bob = await _user(conn, "bob")
        await tag_store.set_tags(conn, photo, make_tags("cat dog bird"), alice)
        before = {r["tag"]: r for r in (await tag_store.tags_of(conn, [photo]))[photo]}
        await tag_store.set_tags(conn, photo, make_tags("DOG fish cat"), bob)
    async with site.db.read() as conn:
        after = {r["tag"]: r for r in (await tag_store.tags_of(conn, [photo]))[photo]}
    assert set(after) == {"cat", "dog", "fish"}
    # Tag ids handed out before stay valid; the raw spelling follows the new text.
    assert after["dog"]["id"] == before["dog"]["id"]
    assert after["dog"]["raw"] == "DOG"
    assert after["dog"]["author_id"] == alice
    assert after["fish"]["author_id"] == bob
    async with site.db.write() as conn:
        await tag_store.set_tags(conn, photo, [], None)
    assert await _tags(site, photo) == []


async def test_set_tags_beyond_the_limit_changes_nothing(site: Site) -> None:
    many = make_tags(" ".join(f"t{i}" for i in range(MAX_TAGS_PER_PHOTO)))
    extra = make_tags("one-too-many")
    async with site.db.write() as conn:
        photo = await _photo(conn)
        await tag_store.set_tags(conn, photo, make_tags("keep"), None)
    with pytest.raises(TagError):
        async with site.db.write() as conn:
            await tag_store.set_tags(conn, photo, many + extra, None)
    assert await _tags(site, photo) == [("keep", "keep")]
    async with site.db.write() as conn:
        await tag_store.set_tags(conn, photo, many, None)
    assert len(await _tags(site, photo)) == MAX_TAGS_PER_PHOTO


async def test_add_tags_skips_present_ones_and_is_all_or_nothing(site: Site) -> None:
    async with site.db.write() as conn:
        photo = await _photo(conn)
        await tag_store.set_tags(conn, photo, make_tags("cat"), None)
        added = await tag_store.add_tags(conn, photo, make_tags("CAT dog geo:lat=1 dog"), None)
        assert [r["tag"] for r in added] == ["dog", "geo:lat=1"]
        assert added[1]["namespace"] == "geo"
        assert await tag_store.add_tags(conn, photo, make_tags("Cat Dog"), None) == []
    assert [t for _, t in await _tags(site, photo)] == ["cat", "dog", "geo:lat=1"]
    fill = make_tags(" ".join(f"t{i}" for i in range(MAX_TAGS_PER_PHOTO - 3)))
    async with site.db.write() as conn:
        assert len(await tag_store.add_tags(conn, photo, fill, None)) == 72
    with pytest.raises(TagError, match="none were added"):
        async with site.db.write() as conn:
            # One new tag past the limit: the whole request is ignored, like Flickr's.
            await tag_store.add_tags(conn, photo, make_tags("cat last"), None)
    assert len(await _tags(site, photo)) == MAX_TAGS_PER_PHOTO
    async with site.db.write() as conn:
        # Tags already there do not count as new, even at the limit.
        assert await tag_store.add_tags(conn, photo, make_tags("cat t0"), None) == []


async def test_remove_and_get_tag(site: Site) -> None:
    async with site.db.write() as conn:
        photo = await _photo(conn)
        [row] = await tag_store.add_tags(conn, photo, make_tags("Cat"), None)
        got = await tag_store.get_tag(conn, int(row["id"]))
        assert got is not None and got["raw"] == "Cat"
        removed = await tag_store.remove_tag(conn, int(row["id"]))
        assert removed is not None
        assert (removed["photo_id"], removed["tag"]) == (photo, "cat")
        assert await tag_store.remove_tag(conn, int(row["id"])) is None
        assert await tag_store.get_tag(conn, int(row["id"])) is None


async def test_tags_of_many_photos_in_one_query(site: Site) -> None:
    async with site.db.write() as conn:
        a, b, c = await _photo(conn), await _photo(conn), await _photo(conn)
        await tag_store.set_tags(conn, a, make_tags("x y"), None)
        await tag_store.set_tags(conn, b, make_tags("z"), None)
    async with site.db.read() as conn:
        found = await tag_store.tags_of(conn, [b, a, c, a])
        assert await tag_store.tags_of(conn, []) == {}
    assert list(found) == [b, a, c]
    assert [r["tag"] for r in found[a]] == ["x", "y"]
    assert [r["tag"] for r in found[b]] == ["z"]
    assert found[c] == []


async def _corpus(site: Site) -> dict[str, int]:
    """Named photos with known tags for the search tests."""
    tagged = {
        "paris": 'paris "Eiffel Tower" geo:locality=paris dc:title="The Eiffel Tower"',
        "london": "london bridge geo:locality=london dc:creator=Turner",
        "cat": "cat paris",
        "depicts": "pleiades:depicts=440947682 dc:title=Paris",
        "plain": "geolocality",
        "none": "",
    }
    ids: dict[str, int] = {}
    async with site.db.write() as conn:
        for name, text in tagged.items():
            ids[name] = await _photo(conn)
            await tag_store.set_tags(conn, ids[name], make_tags(text), None)
    return ids


async def _search(site: Site, cond: sa.ColumnElement[bool]) -> list[int]:
    async with site.db.read() as conn:
        query = sa.select(photos.c.id).where(cond).order_by(photos.c.id)
        return [int(i) for i in (await conn.execute(query)).scalars()]


def _names(ids: dict[str, int], found: Sequence[int]) -> set[str]:
    by_id = {v: k for k, v in ids.items()}
    return {by_id[i] for i in found}


async def test_tag_condition_any_all_and_exclude(site: Site) -> None:
    ids = await _corpus(site)

    async def search(text: str, mode: str = "any") -> set[str]:
        query = parse_search_tags(text, mode)
        cond = tag_store.tag_condition(query.include, mode, exclude=query.exclude)
        return _names(ids, await _search(site, cond))

    assert await search("paris") == {"paris", "cat"}
    assert await search("Paris, London") == {"paris", "cat", "london"}
    assert await search("paris, eiffel tower", "all") == {"paris"}
    assert await search("paris, cat", "all") == {"cat"}
    assert await search("paris, london", "all") == set()
    assert await search("paris, -cat") == {"paris"}
    assert await search("paris, london, -cat, -bridge") == {"paris"}
    assert await search("paris, paris", "all") == {"paris", "cat"}  # duplicates count once
    assert await search("-paris") == {"london", "depicts", "plain", "none"}
    # A full machine tag is a tag too: its clean form matches.
    assert await search("geo:locality=PARIS") == {"paris"}
    assert await search("nosuchtag") == set()
    assert _names(ids, await _search(site, tag_store.tag_condition([], "all"))) == set(ids)
    with pytest.raises(ValueError, match="mode"):
        tag_store.tag_condition(["x"], "some")


async def test_machine_tag_condition_every_pattern_form(site: Site) -> None:
    ids = await _corpus(site)

    async def search(text: str, mode: str = "any") -> set[str]:
        cond = tag_store.machine_tag_condition(parse_machine_tags(text, mode), mode)
        return _names(ids, await _search(site, cond))

    assert await search("geo:") == {"paris", "london"}
    assert await search("dc:title=") == {"paris", "depicts"}
    assert await search("dc:title") == {"paris", "depicts"}
    assert await search('dc:title="the EIFFEL tower"') == {"paris"}
    assert await search("dc:title=paris") == {"depicts"}
    assert await search("*:title=") == {"paris", "depicts"}
    assert await search("*:locality=london") == {"london"}
    assert await search("*:*=paris") == {"paris", "depicts"}  # geo:locality and dc:title
    assert await search("geo:*=paris") == {"paris"}
    assert await search("pleiades:depicts=440947682") == {"depicts"}
    assert await search("dc:creator=turner, pleiades:") == {"london", "depicts"}
    assert await search("geo:locality=paris, dc:title=", "all") == {"paris"}
    assert await search("*:*=paris, dc:title=paris", "all") == {"depicts"}
    assert await search("geo:, pleiades:", "all") == set()
    assert await search("nosuch:") == set()
    # A plain tag that looks like the parts does not match.
    assert "plain" not in await search("geo:")
    assert _names(ids, await _search(site, tag_store.machine_tag_condition([], "any"))) == set(ids)
    with pytest.raises(ValueError, match="needs"):
        tag_store.machine_tag_condition([MachineTagPattern(None, None, None)], "any")


async def test_conditions_combine_with_a_query_that_joins_photo_tags(site: Site) -> None:
    ids = await _corpus(site)
    cond = sa.and_(
        tag_store.tag_condition(["paris"], "any", exclude=["cat"]),
        tag_store.machine_tag_condition(parse_machine_tags("dc:title=, geo:"), "all"),
    )
    async with site.db.read() as conn:
        query = (
            sa.select(photos.c.id, sa.func.count(photo_tags.c.id))
            .select_from(photos.join(photo_tags, photo_tags.c.photo_id == photos.c.id))
            .where(cond)
            .group_by(photos.c.id)
        )
        rows = (await conn.execute(query)).all()
    assert [(int(r[0]), int(r[1])) for r in rows] == [(ids["paris"], 4)]


def _plan_sql(conn: AsyncConnection, cond: sa.ColumnElement[bool]) -> str:
    query = sa.select(photos.c.id).where(cond)
    return str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))


@pytest.mark.parametrize(
    ("kind", "text", "index"),
    [
        ("tags", "paris", "ix_photo_tags_tag"),
        ("tags_all", "paris, cat", "ix_photo_tags_tag"),
        ("machine", "dc:", "ix_photo_tags_machine"),
        ("machine", "dc:title=paris", "ix_photo_tags_machine"),
        ("machine", "*:title=paris", "ix_photo_tags_predicate"),
        ("machine", "*:*=paris", "ix_photo_tags_value"),
    ],
)
async def test_search_conditions_use_the_tag_indexes(
    site: Site, kind: str, text: str, index: str
) -> None:
    await _corpus(site)
    if kind == "machine":
        cond = tag_store.machine_tag_condition(parse_machine_tags(text), "any")
    else:
        query = parse_search_tags(text)
        cond = tag_store.tag_condition(query.include, "all" if kind == "tags_all" else "any")
    async with site.db.read() as conn:
        sql = _plan_sql(conn, cond)
        if conn.dialect.name == "postgresql":
            # A handful of rows: tell the planner a scan is dear, as on a big table.
            await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            rows = await conn.exec_driver_sql("EXPLAIN " + sql)
        else:
            rows = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)
        plan = "\n".join(str(row[-1]) for row in rows.all())
        postgres = conn.dialect.name == "postgresql"
    if postgres:
        # Without statistics PostgreSQL may pick a sibling index; never a scan of the table.
        assert "ix_photo_tags_" in plan, plan
        assert "Seq Scan" not in plan, plan
    else:
        assert index in plan, plan
        assert "SCAN photo_tags" not in plan, plan
