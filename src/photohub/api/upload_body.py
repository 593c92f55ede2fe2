"""Reading an upload's multipart body under the size limit, and the answer's format.

The body is read once, streamed under ``PHOTOHUB_MAX_UPLOAD_BYTES`` (a body over it is
refused while it arrives: error 8); its text fields then go to the signature check
(``api.upload``). A body refused before its form could be parsed is still answered in the
``format`` asked for, whether the query or the form's fields before the file (read from
the body's first 64 KB) asked for it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.types import Message

from photohub.api import formats
from photohub.api.errors import FORMAT_NOT_FOUND, ApiError
from photohub.api.upload_errors import NO_PHOTO, pipeline_error
from photohub.domain.errors import PhotohubError
from photohub.site import Site
from photohub.web.receive import read_form

# Room for every Flickr upload argument, the OAuth parameters, api_key and format ones.
MAX_FIELDS = 40
# How much of a refused body is read to find the answer's format among the fields that
# precede the file (Flickr clients, python-requests and browsers send fields first).
FORMAT_PEEK = 64 * 1024
_FORMAT_FIELDS = frozenset({"format", "nojsoncallback", "jsoncallback"})


def answer_format(params: dict[str, str]) -> tuple[str, str | None]:
    """The answer's format and JSONP callback asked for in ``params`` (error 111 if unknown)."""
    fmt = params.get("format", "rest").strip() or "rest"
    if fmt not in formats.FORMATS:
        raise ApiError(FORMAT_NOT_FOUND, f'Format "{fmt[:40]}" not found')
    return fmt, formats.json_callback(params) if fmt == "json" else None


async def format_of_refused(
    request: Request,
    receive: Callable[[], Awaitable[Message]],
    head: bytearray,
    params: dict[str, str],
    fmt: str,
    callback: str | None,
) -> tuple[str, str | None]:
    """The answer's format for a body refused before its form was parsed (too large,
    malformed): the format fields among the form fields found in the body's first
    ``FORMAT_PEEK`` bytes (read now if the refusal came before the body) win over the
    query's, as they do for an accepted upload."""
    more = True
    with contextlib.suppress(Exception):  # the client went away: answer with what we have
        while more and len(head) < FORMAT_PEEK:
            message = await receive()
            more = message["type"] == "http.request" and bool(message.get("more_body"))
    fields = _leading_fields(request.headers.get("content-type", ""), bytes(head))
    try:
        return answer_format({**params, **fields})
    except ApiError:
        return fmt, callback


class _LeadingFields:
    """Collects the complete format fields (``_FORMAT_FIELDS``) of a multipart body's start,
    fed to python-multipart's streaming parser (the one Starlette parses forms with)."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}
        self._header = bytearray()
        self._value = bytearray()
        self._disposition = b""
        self._data = bytearray()

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def header_end(self) -> None:
        if bytes(self._header).lower() == b"content-disposition":
            self._disposition = bytes(self._value)
        self._header.clear()
        self._value.clear()

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if len(self._data) <= 200:  # a format field is short; a file part is not kept
            self._data += data[start:end]

    def part_end(self) -> None:
        _, options = parse_options_header(self._disposition)
        name = options.get(b"name", b"").decode("latin-1")
        if name in _FORMAT_FIELDS and b"filename" not in options and len(self._data) <= 200:
            self.found[name] = self._data.decode("utf-8", "replace")
        self._disposition = b""
        self._data.clear()


def _leading_fields(content_type: str, head: bytes) -> dict[str, str]:
    """The complete format fields in the start of a multipart body (empty if none)."""
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        return {}
    fields = _LeadingFields()
    parser = MultipartParser(
        boundary,
        {
            "on_header_field": fields.header_field,
            "on_header_value": fields.header_value,
            "on_header_end": fields.header_end,
            "on_part_data": fields.part_data,
            "on_part_end": fields.part_end,
        },
    )
    with contextlib.suppress(Exception):  # malformed: fields complete before the fault stand
        parser.write(head)
    return fields.found


async def read_body(request: Request, site: Site) -> FormData:
    """The multipart form, read under ``PHOTOHUB_MAX_UPLOAD_BYTES``; else Flickr's error."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ApiError(NO_PHOTO, "No photo specified (send a multipart/form-data body)")
    try:
        return await read_form(request, site.settings.max_upload_bytes, max_fields=MAX_FIELDS)
    except PhotohubError as exc:
        raise pipeline_error(exc) from None
