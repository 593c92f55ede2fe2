"""Flickr tags and machine tags: how a typed tag string becomes stored tags.

Flickr keeps two forms of every tag (https://www.flickr.com/services/api/misc.tags.html):
the *raw* form, as the person typed it ("New York!"), shown on the photo page, and the
*clean* form ("newyork") that search, tag URLs and push topics compare. Photohub does the
same: ``Tag.raw`` is displayed, ``Tag.clean`` is stored in ``photo_tags.tag`` and searched.

Machine tags (Flickr API group, "Machine tags", 24 January 2007) are tags of the form
``namespace:predicate=value``: "Namespaces MUST begin with any character between a - z;
remaining characters MAY be a - z, 0 - 9 and underbars. Namespaces are case-insensitive."
Predicates follow the same rule. "Values MAY contain any characters that a plain vanilla
tag uses. Values may also contain spaces but, like regular tags, they need to be wrapped in
quotes", e.g. ``dc:title="The Eiffel Tower"``. Anything that does not follow the syntax
is simply a plain tag.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from photohub.domain.errors import PhotohubError

# Flickr: "each photo can have up to 75 tags" (the limit since January 2007); its
# flickr.photos.addTags fails as a whole (error 2) when the request would pass it.
MAX_TAGS_PER_PHOTO = 75
# The raw and clean columns of photo_tags are VARCHAR(255).
MAX_TAG_LENGTH = 255
# The namespace and predicate columns are VARCHAR(100); longer names are plain tags.
MAX_NAME_LENGTH = 100

# Namespace and predicate: ASCII, starting with a letter (Flickr's machine tag spec).
NAME = re.compile(rf"[A-Za-z][A-Za-z0-9_]{{0,{MAX_NAME_LENGTH - 1}}}")
_MACHINE = re.compile(r"(?P<ns>[^:=]*):(?P<pred>[^=]*)=(?P<value>.*)", re.DOTALL)
_SPACES = re.compile(r"\s+")


class TagError(PhotohubError, ValueError):
    """A tag string photohub cannot store; the message says why, in plain words."""

    code = "bad_tags"


@dataclass(frozen=True)
class MachineTag:
    """The three parts of a machine tag, normalised: parts lower-cased, value unquoted."""

    namespace: str
    predicate: str
    value: str

    @property
    def clean(self) -> str:
        return f"{self.namespace}:{self.predicate}={self.value}"


@dataclass(frozen=True)
class Tag:
    raw: str
    clean: str
    machine: MachineTag | None = None


def normalise_value(value: str) -> str:
    """A machine tag value as stored and compared: case and spacing do not matter.

    Flickr matches machine tag values case-insensitively, so values are lower-cased;
    unlike plain tags the inner spaces stay ("plateau mont royal"), but runs of spaces
    collapse to one and NFKC folds look-alike characters (full-width digits and so on).
    """
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", value)).strip().lower()


def unquote(value: str) -> str:
    """Strip the double quotes around a value; an unclosed opening quote goes too."""
    value = value.strip()
    if value.startswith('"'):
        value = value[1:]
        if value.endswith('"'):
            value = value[:-1]
    return value


def parse_machine_tag(raw: str) -> MachineTag | None:
    """``namespace:predicate=value`` as a MachineTag, or None for a plain tag.

    The value is everything after the first "=" (so ``geo:neighbourhood=geo:quartier`` has
    the value ``geo:quartier``), with surrounding double quotes removed; it must not be
    empty. ``:pred=v``, ``ns:=v``, ``1ns:p=v`` and ``ns:p=`` are plain tags.
    """
    match = _MACHINE.fullmatch(raw.strip())
    if match is None:
        return None
    namespace, predicate = match["ns"], match["pred"]
    if not NAME.fullmatch(namespace) or not NAME.fullmatch(predicate):
        return None
    value = normalise_value(unquote(match["value"]))
    if not value:
        return None
    return MachineTag(namespace.lower(), predicate.lower(), value)


def clean_tag(raw: str) -> str:
    """Flickr's clean form: what search, tag URLs and push topics compare.

    A plain tag keeps only its letters, digits and combining marks (any script),
    lower-cased after NFKC: "New York!" -> "newyork", "Köln" -> "köln", "東京" stays.
    A machine tag keeps its structure: ``Geo:Lat=48.85`` -> ``geo:lat=48.85`` and
    ``dc:title="The Eiffel Tower"`` -> ``dc:title=the eiffel tower``.
    """
    machine = parse_machine_tag(raw)
    if machine is not None:
        return machine.clean
    text = raw
    # Filtering can leave a mark that NFKC then composes ("K\u00b8" -> "k" + cedilla -> "ķ"):
    # repeat until stable, so that cleaning a clean tag changes nothing.
    for _ in range(4):
        normal = unicodedata.normalize("NFKC", text).lower()
        kept = "".join(ch for ch in normal if unicodedata.category(ch)[0] in "LNM")
        if kept == text:
            break
        text = kept
    return text


def split_tag_string(text: str, *, commas: bool = False) -> list[str]:
    """Split a tags argument into raw tags, without cleaning or limits.

    Flickr's upload and flickr.photos.setTags/addTags take "a space-separated list of
    tags"; a double-quoted phrase is one tag (``"new york"`` -> ``new york``) and a quote
    may open inside a word, as in ``dc:title="The Eiffel Tower"``. A token entirely in
    quotes loses them; an unclosed quote runs to the end of the text. Commas are ordinary
    characters there (Flickr's API keeps ``a,b`` as one tag, clean ``ab``); web forms that
    want commas as separators too pass ``commas=True``.
    """
    tokens: list[str] = []
    current: list[str] = []
    quoted = False

    def end_token() -> None:
        token = "".join(current).strip()
        current.clear()
        if len(token) >= 2 and token[0] == '"' and token[-1] == '"':
            token = token[1:-1].strip()
        elif token.startswith('"') and token.count('"') == 1:
            token = token[1:].strip()  # an unclosed quote
        if token:
            tokens.append(token)

    for ch in text:
        if ch == '"':
            quoted = not quoted
            current.append(ch)
        elif not quoted and (ch.isspace() or (commas and ch == ",")):
            end_token()
        else:
            current.append(ch)
    end_token()
    return tokens


def parse_tag_string(text: str, *, commas: bool = False) -> list[str]:
    """The raw tags of a tags argument: no empty ones, no two with the same clean form.

    The first spelling of a tag wins ("NYC nyc" -> ["NYC"]). Raises TagError for a tag
    longer than MAX_TAG_LENGTH or more than MAX_TAGS_PER_PHOTO distinct tags.
    """
    raws: list[str] = []
    seen: set[str] = set()
    for raw in split_tag_string(text, commas=commas):
        if len(raw) > MAX_TAG_LENGTH:
            raise TagError(
                f"A tag can be at most {MAX_TAG_LENGTH} characters long; "
                f"this one has {len(raw)}: {raw[:40]}..."
            )
        clean = clean_tag(raw)
        if not clean or clean in seen:
            continue
        if len(clean) > MAX_TAG_LENGTH:
            raise TagError(f"The tag {raw[:40]}... is too long once written plainly.")
        seen.add(clean)
        raws.append(raw)
    if len(raws) > MAX_TAGS_PER_PHOTO:
        raise TagError(
            f"A photo can have at most {MAX_TAGS_PER_PHOTO} tags; you gave {len(raws)}. "
            "Remove a few and try again."
        )
    return raws


def make_tag(raw: str) -> Tag:
    machine = parse_machine_tag(raw)
    return Tag(raw=raw, clean=clean_tag(raw), machine=machine)


def make_tags(text: str, *, commas: bool = False) -> list[Tag]:
    """Tags to store from a tags argument (see parse_tag_string for the rules)."""
    return [make_tag(raw) for raw in parse_tag_string(text, commas=commas)]
