"""The SSE messages of topic streams: an entry of the push log as one message, made once.

Each entry, replayed or live, goes out only as its photo allows *now*
(``domain.push_recheck``, the photos of a page of the log read in one query by
``store.push_current``): an entry stored before its owner made the photo private, or hid
its location, never sends what was withdrawn (see :func:`checked`).

The SSE messages (HTML Living Standard, "Server-sent events"):

* ``id: <entry id>``, ``event: entry`` (or ``event: deleted`` for an RFC 6721
  ``at:deleted-entry``), and the entry's Atom XML as ``data:``, one ``data:`` line per
  line of the XML (the spec's rule: a client joins them with line feeds). Each entry
  declares the Atom, ``at:``, ``media:`` and ``georss:`` namespaces itself, so it
  parses alone;
* ``event: ready`` (data ``{}``) once the replay is done; its ``id`` is the resume point;
* a ``: heartbeat`` comment on a stream quiet for ``heartbeat`` seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from photohub.domain import atom
from photohub.domain.push_recheck import Audience, PhotoNow, recheck, shown
from photohub.live.hub import body
from photohub.store import push_entries

HEARTBEAT = body(b": heartbeat\r\n\r\n")
_DELETED_START = b"<at:deleted-entry"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the SSE spec's line ends (not str.splitlines')
_NAMESPACES = "".join(
    f' xmlns="{uri}"' if prefix is None else f' xmlns:{prefix}="{uri}"'
    for prefix, uri in atom.NSMAP.items()
).encode()


def standalone(entry: bytes) -> bytes:
    """An entry as stored (inside a feed, whose root declares the namespaces) with the
    declarations on its own root, so it parses by itself."""
    name_end = entry.index(b"<") + 1
    while entry[name_end : name_end + 1] not in (b" ", b">", b"/"):
        name_end += 1
    return entry[:name_end] + _NAMESPACES + entry[name_end:]


def sse_message(ident: int, kind: str, data: str) -> bytes:
    """One SSE message; ``data`` may hold line breaks (each line is a ``data:`` line)."""
    lines = "".join(f"data: {line}\r\n" for line in _LINE_BREAK.split(data))
    return f"id: {ident}\r\nevent: {kind}\r\n{lines}\r\n".encode()


def ready_message(ident: int) -> bytes:
    return sse_message(ident, "ready", "{}")


@dataclass(frozen=True)
class StreamEntry:
    id: int
    frame: bytes  # the whole SSE message, made once for all streams


def encode(entry: push_entries.Logged, data: bytes | None = None) -> StreamEntry:
    """The SSE message of an entry, as stored or as ``data`` (its re-checked bytes)."""
    data = entry.body if data is None else data
    kind = "deleted" if data.startswith(_DELETED_START) else "entry"
    xml = standalone(data).decode("utf-8")
    return StreamEntry(entry.id, sse_message(entry.id, kind, xml))


def checked(
    entry: push_entries.Logged, now: PhotoNow | None, audience: Audience
) -> StreamEntry | None:
    """The entry as it may go out today to ``audience`` (``domain.push_recheck``:
    against its photo's current state, ``now``), None when it may not."""
    data = shown(entry.body, recheck(entry.body, now, audience))
    return None if data is None else encode(entry, data)
