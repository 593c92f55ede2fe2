"""Tags of photos (``photo_tags``), and the search conditions over them.

Each row keeps the raw tag as typed, Flickr's clean form in ``tag`` (unique per photo),
and for a machine tag its normalised namespace, predicate and value. Search conditions
are written so both SQLite and PostgreSQL answer them from the schema's indexes:

- plain tags: ``tag IN (...)`` on ``ix_photo_tags_tag (tag, photo_id)``, a covering index;
- machine tags: ``ix_photo_tags_machine (namespace, predicate, value)`` for ``ns:``,
  ``ns:pred=`` and ``ns:pred=value``; ``ix_photo_tags_predicate (predicate, value)`` for
  ``*:pred=`` and ``*:pred=value``; ``ix_photo_tags_value (value)`` for ``*:*=value``
  and ``ns:*=value``;
- exclusions: ``NOT EXISTS`` probing the unique ``(photo_id, tag)`` index per candidate.

Positive conditions are uncorrelated ``photos.id IN (subquery)``: PostgreSQL turns them
into semi-joins and SQLite can drive the search from the (usually selective) tag index,
where a correlated ``EXISTS`` would make SQLite scan every photo.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.domain.machinetags import MachineTagPattern
from photohub.domain.tags import MAX_TAGS_PER_PHOTO, Tag, TagError
from photohub.store.schema import photo_tags, photos


def _row(photo_id: int, tag: Tag, author_id: int | None) -> dict[str, Any]:
    machine = tag.machine
    return {
        "photo_id": photo_id,
        "author_id": author_id,
        "raw": tag.raw,
        "tag": tag.clean,
        "namespace": machine.namespace if machine else None,
        "predicate": machine.predicate if machine else None,
        "value": machine.value if machine else None,
    }


def _distinct(tags: Sequence[Tag]) -> list[Tag]:
    """One tag per clean form, the first spelling kept (as domain.tags.parse_tag_string)."""
    seen: dict[str, Tag] = {}
    for tag in tags:
        if tag.clean:
            seen.setdefault(tag.clean, tag)
    return list(seen.values())


async def _lock_photo(conn: AsyncConnection, photo_id: int) -> None:
    # PostgreSQL: serialise tag edits of one photo, so the 75-tag count and the "already
    # there?" check hold under concurrent requests. SQLite writers are serial already
    # (BEGIN IMMEDIATE, store/db.py).
    if conn.dialect.name == "postgresql":
        query = sa.select(photos.c.id).where(photos.c.id == photo_id).with_for_update()
        await conn.execute(query)


async def _insert(conn: AsyncConnection, rows: list[dict[str, Any]]) -> list[RowMapping]:
    if not rows:
        return []
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    query = (
        insert(photo_tags)
        .values(rows)
        .on_conflict_do_nothing(index_elements=[photo_tags.c.photo_id, photo_tags.c.tag])
        .returning(*photo_tags.c)
    )
    inserted = list((await conn.execute(query)).mappings())
    return sorted(inserted, key=lambda row: int(row["id"]))


async def set_tags(
    conn: AsyncConnection, photo_id: int, tags: Sequence[Tag], author_id: int | None
) -> None:
    """Replace the photo's tags (flickr.photos.setTags).

    A tag that stays (same clean form) keeps its row, id and author, so tag ids handed
    out earlier (flickr.photos.removeTag) remain valid; only its raw spelling follows the
    new text. Raises TagError beyond MAX_TAGS_PER_PHOTO, changing nothing.
    """
    wanted = _distinct(tags)
    if len(wanted) > MAX_TAGS_PER_PHOTO:
        raise TagError(
            f"A photo can have at most {MAX_TAGS_PER_PHOTO} tags; you gave {len(wanted)}."
        )
    await _lock_photo(conn, photo_id)
    query = sa.select(photo_tags.c.id, photo_tags.c.tag, photo_tags.c.raw).where(
        photo_tags.c.photo_id == photo_id
    )
    existing = {row["tag"]: row for row in (await conn.execute(query)).mappings()}
    keep = {tag.clean: tag for tag in wanted}
    gone = [row["id"] for clean, row in existing.items() if clean not in keep]
    if gone:
        await conn.execute(photo_tags.delete().where(photo_tags.c.id.in_(gone)))
    for clean, tag in keep.items():
        old = existing.get(clean)
        if old is not None and old["raw"] != tag.raw:
            update = photo_tags.update().where(photo_tags.c.id == old["id"])
            await conn.execute(update.values(raw=tag.raw))
    await _insert(conn, [_row(photo_id, t, author_id) for t in wanted if t.clean not in existing])


async def add_tags(
    conn: AsyncConnection, photo_id: int, tags: Sequence[Tag], author_id: int | None
) -> list[RowMapping]:
    """Add tags the photo lacks (by clean form); returns the rows added, by id.

    Flickr's flickr.photos.addTags: "If the current count is less than the maximum, but
    adding all of the tags for this request would go over the limit, the whole request
    is ignored" - so going past MAX_TAGS_PER_PHOTO raises TagError and adds none.
    """
    await _lock_photo(conn, photo_id)
    query = sa.select(photo_tags.c.tag).where(photo_tags.c.photo_id == photo_id)
    existing = set((await conn.execute(query)).scalars())
    new = [tag for tag in _distinct(tags) if tag.clean not in existing]
    if len(existing) + len(new) > MAX_TAGS_PER_PHOTO:
        raise TagError(
            f"A photo can have at most {MAX_TAGS_PER_PHOTO} tags. This one has "
            f"{len(existing)}, so {len(new)} more would be too many; none were added."
        )
    return await _insert(conn, [_row(photo_id, tag, author_id) for tag in new])


async def get_tag(conn: AsyncConnection, tag_id: int) -> RowMapping | None:
    """One tag row, e.g. to check who may remove it before remove_tag."""
    query = sa.select(photo_tags).where(photo_tags.c.id == tag_id)
    return (await conn.execute(query)).mappings().first()


async def remove_tag(conn: AsyncConnection, tag_id: int) -> RowMapping | None:
    """Delete one tag by id; returns the deleted row, or None if there was none."""
    query = photo_tags.delete().where(photo_tags.c.id == tag_id).returning(*photo_tags.c)
    return (await conn.execute(query)).mappings().first()


async def tags_of(conn: AsyncConnection, photo_ids: Sequence[int]) -> dict[int, list[RowMapping]]:
    """The tags of several photos in one query: every id asked for is a key, rows by id."""
    ids = list(dict.fromkeys(int(i) for i in photo_ids))
    found: dict[int, list[RowMapping]] = {photo_id: [] for photo_id in ids}
    if not ids:
        return found
    query = sa.select(photo_tags).where(photo_tags.c.photo_id.in_(ids)).order_by(photo_tags.c.id)
    for row in (await conn.execute(query)).mappings():
        found[int(row["photo_id"])].append(row)
    return found


def _check_mode(mode: str) -> None:
    if mode not in ("any", "all"):
        raise ValueError(f"mode must be 'any' or 'all', not {mode!r}")


def tag_condition(
    tags: Sequence[str], mode: str = "any", *, exclude: Sequence[str] = ()
) -> sa.ColumnElement[bool]:
    """``photos.id`` has any / all of the clean ``tags`` and none of ``exclude``.

    With no tags and no exclusions the condition is simply true.
    """
    _check_mode(mode)
    include = list(dict.fromkeys(tags))
    excluded = list(dict.fromkeys(exclude))
    conditions: list[sa.ColumnElement[bool]] = []
    if include:
        # A fresh alias per subquery: it never correlates with an outer photo_tags.
        pt = photo_tags.alias()
        matching = sa.select(pt.c.photo_id).where(pt.c.tag.in_(include))
        if mode == "all" and len(include) > 1:
            matching = matching.group_by(pt.c.photo_id).having(
                sa.func.count(sa.distinct(pt.c.tag)) == len(include)
            )
        conditions.append(photos.c.id.in_(matching))
    if excluded:
        pt = photo_tags.alias()
        found = sa.exists().where(pt.c.photo_id == photos.c.id, pt.c.tag.in_(excluded))
        conditions.append(~found.correlate(photos))
    return sa.and_(sa.true(), *conditions)


def _pattern_select(pattern: MachineTagPattern) -> sa.Select[tuple[int]]:
    pt = photo_tags.alias()
    where: list[sa.ColumnElement[bool]] = []
    if pattern.namespace is not None:
        where.append(pt.c.namespace == pattern.namespace)
    if pattern.predicate is not None:
        where.append(pt.c.predicate == pattern.predicate)
    if pattern.value is not None:
        where.append(pt.c.value == pattern.value)
    if not where:
        raise ValueError("a machine tag pattern needs a namespace, a predicate or a value")
    return sa.select(pt.c.photo_id).where(*where)


def machine_tag_condition(
    patterns: Sequence[MachineTagPattern], mode: str = "any"
) -> sa.ColumnElement[bool]:
    """``photos.id`` has a machine tag matching any / all of ``patterns``.

    Patterns come from domain.machinetags.parse_machine_tags, normalised like the stored
    columns, so equality is enough. "any" is one ``IN`` over a ``UNION ALL`` (each branch
    on its own index); "all" is one ``IN`` per pattern, since two patterns may match the
    same tag. With no patterns the condition is simply true.
    """
    _check_mode(mode)
    selects = [_pattern_select(p) for p in dict.fromkeys(patterns)]
    if not selects:
        return sa.true()
    if mode == "all":
        return sa.and_(*(photos.c.id.in_(s) for s in selects))
    if len(selects) == 1:
        return photos.c.id.in_(selects[0])
    return photos.c.id.in_(sa.union_all(*selects))
