"""Flickr's upload error codes, and the upload pipeline's refusals as those errors.

Flickr (upload.api.html, replace.api.html) answers a failed upload with its own small set
of codes, not the REST methods'; ``/services/upload/`` and ``/services/replace/``
(``api.upload``) answer with these, keeping photohub's reason in the message.
"""

from __future__ import annotations

from photohub.api.errors import ApiError
from photohub.domain.errors import Forbidden, NotFound, PhotohubError

# Flickr's upload error codes (upload.api.html; replace.api.html has no "photo not
# found", so photohub answers 1 as the REST methods do, having no "pro" accounts).
PHOTO_NOT_FOUND = 1
NO_PHOTO = 2
UPLOAD_FAILED = 3
EMPTY_FILE = 4
BAD_FILETYPE = 5
TOO_LARGE = 8
# PhotohubError codes of the upload pipeline -> (Flickr code, Flickr's message).
_PIPELINE_ERRORS: dict[str, tuple[int, str]] = {
    "missing_photo": (NO_PHOTO, "No photo specified"),
    "empty": (EMPTY_FILE, "Filesize was zero"),
    "not_image": (BAD_FILETYPE, "Filetype was not recognised"),
    "unsupported": (BAD_FILETYPE, "Filetype was not recognised"),
    "too_large": (TOO_LARGE, "Filesize was too large"),
    "too_many_pixels": (TOO_LARGE, "Filesize was too large"),
    "too_much_memory": (TOO_LARGE, "Filesize was too large"),
}


def pipeline_error(exc: PhotohubError) -> ApiError:
    """A refusal of the upload pipeline as Flickr's upload error, keeping the reason."""
    if exc.code in (NotFound.code, Forbidden.code):  # a replace's photo: missing or not yours
        return ApiError(PHOTO_NOT_FOUND, "Photo not found")
    code, flickr_message = _PIPELINE_ERRORS.get(exc.code, (UPLOAD_FAILED, "General upload failure"))
    return ApiError(code, f"{flickr_message}: {exc.message}")
