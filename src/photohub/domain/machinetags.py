"""The tag arguments of flickr.photos.search: ``tags``/``tag_mode`` and
``machine_tags``/``machine_tag_mode``, parsed and limited the way Flickr documents them
(https://www.flickr.com/services/api/flickr.photos.search.html).

``machine_tags``: "Aside from passing in a fully formed machine tag, there is a special
syntax for searching on specific properties": ``dc:`` (the namespace), ``dc:title=``
(any value), ``dc:title="mr. camera"``, ``*:*="mr. camera"`` (the value in any namespace
and predicate), ``*:title=``, ``*:title="mr. camera"``, ``dc:*="mr. camera"``. "Multiple
machine tags may be queried by passing a comma-separated list. [...] AND queries are
limited to (16) machine tags. OR queries are limited to (8)."

``tags``: "A comma-delimited list of tags. Photos with one or more of the tags listed will
be returned. You can exclude results that match a term by prepending it with a -
character." Error 1, "Too many tags in ALL query": "When performing an 'all tags' search,
you may not specify more than 20 tags to join together."
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from photohub.domain.tags import NAME, clean_tag, normalise_value, unquote

Mode = Literal["any", "all"]

# flickr.photos.search limits (its documentation, quoted above).
MAX_MACHINE_TAGS_ALL = 16
MAX_MACHINE_TAGS_ANY = 8
MAX_TAGS_ALL = 20
# Photohub's own cap on the terms of one `tags` search in any mode (Flickr documents
# none); it keeps one request from turning into a statement with thousands of parameters.
MAX_SEARCH_TAGS = 200

# flickr.photos.search error codes.
ERR_TOO_MANY_TAGS = 1
ERR_NO_VALID_MACHINE_TAGS = 11
ERR_TOO_MANY_MACHINE_TAGS = 12


class TagQueryError(ValueError):
    """A search tag argument Flickr would refuse: its Flickr error code and message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class MachineTagQueryError(TagQueryError):
    """Error 11 (no valid machine tags) or 12 (too many machine tags)."""


@dataclass(frozen=True)
class MachineTagPattern:
    """One machine_tags item; None is "any". Parts are normalised like stored tags."""

    namespace: str | None
    predicate: str | None
    value: str | None


@dataclass(frozen=True)
class TagQuery:
    """A parsed ``tags`` argument: clean tags to match, and clean tags to exclude."""

    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude)


def parse_mode(value: str | None) -> Mode:
    """``tag_mode`` / ``machine_tag_mode``: "all" for AND, anything else is "any".

    Flickr: "Either 'any' for an OR combination of tags, or 'all' for an AND
    combination. Defaults to 'any' if not specified."
    """
    return "all" if (value or "").strip().lower() == "all" else "any"


def split_list(text: str) -> list[str]:
    """Split on commas outside double quotes: ``dc:title="a, b"`` stays one item."""
    items: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            items.append("".join(current).strip())
            current.clear()
        else:
            current.append(ch)
    items.append("".join(current).strip())
    return [item for item in items if item]


def _name(part: str) -> str | Literal[False] | None:
    """A namespace or predicate: None for the wildcard, False when malformed."""
    if part == "*":
        return None
    if NAME.fullmatch(part):
        return part.lower()
    return False


def parse_machine_tag_pattern(item: str) -> MachineTagPattern | None:
    """One machine_tags item, or None when it does not validate.

    Beyond Flickr's documented forms, ``ns:pred`` (no "=") means ``ns:pred=`` and
    ``ns:*`` means ``ns:``. Wildcards stand for a whole namespace or predicate only:
    there is no value wildcard, so an unquoted ``=*`` is refused (a quoted ``="*"`` is
    the literal value). ``*:*=`` with no value matches nothing in particular and is
    refused too, as Flickr refuses an all-wildcard tag URL.
    """
    item = item.strip()
    namespace_part, colon, rest = item.partition(":")
    if not colon:
        return None
    predicate_part, equals, value_part = rest.partition("=")
    namespace = _name(namespace_part)
    if not equals and predicate_part == "":
        predicate: str | Literal[False] | None = None  # "ns:"
    else:
        predicate = _name(predicate_part)
    if namespace is False or predicate is False:
        return None
    value: str | None = None
    if value_part.strip():
        if value_part.strip() == "*":
            return None
        value = normalise_value(unquote(value_part)) or None
    if namespace is None and predicate is None and value is None:
        return None
    return MachineTagPattern(namespace, predicate, value)


def parse_machine_tags(text: str, mode: str = "any") -> list[MachineTagPattern]:
    """The ``machine_tags`` argument as patterns (duplicates dropped, order kept).

    Empty text means no machine tag filter: ``[]``. Items that do not validate are
    skipped; if none validates, error 11. More patterns than the mode allows (16 for
    all, 8 for any): error 12.
    """
    items = split_list(text)
    if not items:
        return []
    patterns: list[MachineTagPattern] = []
    for item in items:
        pattern = parse_machine_tag_pattern(item)
        if pattern is not None and pattern not in patterns:
            patterns.append(pattern)
    if not patterns:
        raise MachineTagQueryError(ERR_NO_VALID_MACHINE_TAGS, "No valid machine tags")
    limit = MAX_MACHINE_TAGS_ALL if parse_mode(mode) == "all" else MAX_MACHINE_TAGS_ANY
    if len(patterns) > limit:
        raise MachineTagQueryError(
            ERR_TOO_MANY_MACHINE_TAGS, "Exceeded maximum allowable machine tags"
        )
    return patterns


def parse_search_tags(text: str, mode: str = "any") -> TagQuery:
    """The ``tags`` argument as clean tags; a leading "-" excludes a tag.

    Each item is cleaned like a stored tag, so ``New York`` finds "newyork" and a full
    machine tag such as ``geo:lat=48.85`` finds that machine tag. Items that clean to
    nothing are skipped. In "all" mode more than 20 tags to match is error 1; in any
    mode more than MAX_SEARCH_TAGS terms is error 1 as well (photohub's cap).
    """
    include: list[str] = []
    exclude: list[str] = []
    for item in split_list(text):
        target = include
        if item.startswith("-"):
            target, item = exclude, item[1:]
        clean = clean_tag(item)
        if clean and clean not in target:
            target.append(clean)
    if parse_mode(mode) == "all" and len(include) > MAX_TAGS_ALL:
        raise TagQueryError(ERR_TOO_MANY_TAGS, "Too many tags in ALL query")
    if len(include) + len(exclude) > MAX_SEARCH_TAGS:
        raise TagQueryError(ERR_TOO_MANY_TAGS, "Too many tags in query")
    return TagQuery(tuple(include), tuple(exclude))
