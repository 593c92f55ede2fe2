"""Answering a use case's refusal with the calling method's Flickr error code.

Use cases (``photohub.actions``) refuse with a ``PhotohubError`` whose ``code`` names
what went wrong ("photo_not_found", "already_faved"); each method maps those names to
the codes it declares, so one rule keeps one wording per method.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from photohub.api.errors import INSUFFICIENT_PERMISSIONS, INVALID_ARGUMENT, ApiError
from photohub.domain.errors import PhotohubError

Declared = tuple[int, str]


@contextmanager
def flickr_errors(codes: Mapping[str, Declared]) -> Iterator[None]:
    """Within the block, a ``PhotohubError`` becomes the ``ApiError`` its code maps to;
    an unmapped refusal is bad input (91) with the use case's own words."""
    try:
        yield
    except PhotohubError as exc:
        if exc.code == "not_signed_in":
            raise ApiError(INSUFFICIENT_PERMISSIONS, "Insufficient permissions.") from None
        declared = codes.get(exc.code)
        if declared is None:
            raise ApiError(INVALID_ARGUMENT, f"Invalid argument: {exc.message}") from None
        raise ApiError(*declared) from None
