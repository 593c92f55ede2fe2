"""Argument types of API methods: each parses one raw string and says why it cannot.

A method lists its arguments with these types; the registry validates every call with
them before the method runs, reflection and the API Explorer describe them, and the
OpenAPI document gives them as JSON Schema. A bad value is Flickr error 91 naming the
argument; a missing required one is 90.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

NSID_PATTERN = re.compile(r"^[0-9]{1,19}@N[0-9]{2}$")


class ArgType(Protocol):
    """Parses the text of one argument."""

    @property
    def doc(self) -> str:
        """A few words on what the argument accepts (shown in the Explorer)."""
        ...

    def parse(self, raw: str) -> Any:
        """The value, or ``ValueError`` whose message says what is wrong."""
        ...

    def schema(self) -> dict[str, Any]:
        """JSON Schema of the raw string (for the OpenAPI document)."""
        ...


@dataclass(frozen=True)
class Text:
    max_length: int = 1000
    min_length: int = 0

    @property
    def doc(self) -> str:
        return f"text, at most {self.max_length} characters"

    def parse(self, raw: str) -> str:
        if len(raw) > self.max_length:
            raise ValueError(f"is longer than {self.max_length} characters")
        if len(raw.strip()) < self.min_length:
            raise ValueError("is empty")
        if "\x00" in raw:
            raise ValueError("contains a NUL character")
        return raw

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "maxLength": self.max_length}


@dataclass(frozen=True)
class Integer:
    minimum: int = 0
    maximum: int = 2**53

    @property
    def doc(self) -> str:
        return f"integer from {self.minimum} to {self.maximum}"

    def parse(self, raw: str) -> int:
        text = raw.strip()
        if not re.fullmatch(r"[+-]?[0-9]{1,19}", text):
            raise ValueError("is not a whole number")
        value = int(text)
        if not self.minimum <= value <= self.maximum:
            raise ValueError(f"must be from {self.minimum} to {self.maximum}")
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": r"^[+-]?[0-9]{1,19}$"}


@dataclass(frozen=True)
class Number:
    minimum: float = -math.inf
    maximum: float = math.inf

    @property
    def doc(self) -> str:
        return f"number from {self.minimum:g} to {self.maximum:g}"

    def parse(self, raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError("is not a number") from None
        if not math.isfinite(value):
            raise ValueError("is not a finite number")
        if not self.minimum <= value <= self.maximum:
            raise ValueError(f"must be from {self.minimum:g} to {self.maximum:g}")
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "maxLength": 64}


@dataclass(frozen=True)
class Flag:
    """Flickr's booleans: 1/0 (also true/false, yes/no)."""

    @property
    def doc(self) -> str:
        return "1 or 0"

    def parse(self, raw: str) -> bool:
        value = raw.strip().lower()
        if value in ("1", "true", "yes"):
            return True
        if value in ("0", "false", "no"):
            return False
        raise ValueError("must be 1 or 0")

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": ["0", "1"]}


@dataclass(frozen=True)
class Choice:
    values: tuple[str, ...]

    @property
    def doc(self) -> str:
        return "one of " + ", ".join(self.values)

    def parse(self, raw: str) -> str:
        value = raw.strip().lower()
        if value not in self.values:
            raise ValueError("must be one of " + ", ".join(self.values))
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.values)}


@dataclass(frozen=True)
class NSID:
    """A user or group id such as ``12345678@N01``."""

    @property
    def doc(self) -> str:
        return "a user or group id such as 12345678@N01"

    def parse(self, raw: str) -> str:
        value = raw.strip()
        if not NSID_PATTERN.match(value):
            raise ValueError("is not an id such as 12345678@N01")
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": NSID_PATTERN.pattern}


# The largest id a database row can have (a signed 64-bit integer).
MAX_ROW_ID = 2**63 - 1
NO_ROW_ID = 0  # no row has it: ids start at 1


def row_id(text: str) -> int | None:
    """``text`` as a database id (ASCII digits, 0 to 2^63-1), or None. Checked by length
    before ``int()``: Python refuses to convert strings of 4,300 digits and more."""
    if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > 19:
        return None
    value = int(text)
    return value if value <= MAX_ROW_ID else None


@dataclass(frozen=True)
class Id:
    """A numeric object id (photo, album, ticket) sent as text.

    Any string of ASCII digits is an id, as at Flickr; one beyond the database's range
    (2^63 and up, or thousands of digits) names no object, so it becomes
    :data:`NO_ROW_ID` and the method answers its own "not found" (``Photo not found``,
    code 1), never a database error."""

    @property
    def doc(self) -> str:
        return "a numeric id"

    def parse(self, raw: str) -> int:
        text = raw.strip()
        if not re.fullmatch(r"[0-9]+", text):
            raise ValueError("is not a numeric id")
        found = row_id(text)
        return NO_ROW_ID if found is None else found

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": r"^[0-9]+$"}


@dataclass(frozen=True)
class Date:
    """A Unix timestamp or a MySQL datetime (``2026-12-01 08:00:00``), as Flickr takes."""

    @property
    def doc(self) -> str:
        return "a Unix timestamp or a date such as 2026-12-01 08:00:00"

    def parse(self, raw: str) -> datetime:
        text = raw.strip()
        if re.fullmatch(r"-?[0-9]{1,12}", text):
            try:
                return datetime.fromtimestamp(int(text), UTC).replace(tzinfo=None)
            except (OverflowError, OSError, ValueError):
                raise ValueError("is not a valid timestamp") from None
        for form in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y-%m"):
            try:
                return datetime.strptime(text, form)
            except ValueError:
                continue
        raise ValueError("is not a Unix timestamp or a date such as 2026-12-01 08:00:00")

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "maxLength": 32}


@dataclass(frozen=True)
class ListOf:
    """A comma-separated list of another type."""

    item: ArgType
    max_items: int = 100
    separator: str = ","

    @property
    def doc(self) -> str:
        return f"up to {self.max_items} comma-separated values, each {self.item.doc}"

    def parse(self, raw: str) -> list[Any]:
        parts = [p.strip() for p in raw.split(self.separator) if p.strip()]
        if len(parts) > self.max_items:
            raise ValueError(f"has more than {self.max_items} values")
        values = []
        for part in parts:
            try:
                values.append(self.item.parse(part))
            except ValueError as exc:
                raise ValueError(f"has a value {part[:40]!r} that {exc}") from None
        return values

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "maxLength": 10000}


@dataclass(frozen=True)
class Arg:
    """One argument of a method."""

    name: str
    type: ArgType = field(default_factory=Text)
    required: bool = False
    doc: str = ""
    default: Any = None


def parse_args(args: Sequence[Arg], params: dict[str, str]) -> dict[str, Any]:
    """The values of ``args`` parsed from ``params``; ``ArgError`` on the first bad one.
    Unknown parameters are ignored, as Flickr does (OAuth and format fields ride along)."""
    values: dict[str, Any] = {}
    for arg in args:
        raw = params.get(arg.name)
        if raw is None or raw.strip() == "":
            if arg.required:
                raise ArgError(arg.name, None)
            values[arg.name] = arg.default
            continue
        try:
            values[arg.name] = arg.type.parse(raw)
        except ValueError as exc:
            raise ArgError(arg.name, str(exc)) from None
    return values


class ArgError(Exception):
    """An argument is missing (``problem`` None) or has a bad value."""

    def __init__(self, name: str, problem: str | None) -> None:
        super().__init__(name)
        self.name = name
        self.problem = problem
