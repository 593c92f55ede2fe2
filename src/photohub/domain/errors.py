"""Errors a person sees: an HTTP status, a stable code, and words a guest understands."""

from __future__ import annotations


class PhotohubError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class NotFound(PhotohubError):
    status = 404
    code = "not_found"


class Forbidden(PhotohubError):
    status = 403
    code = "forbidden"


class UploadsPaused(PhotohubError):
    status = 503
    code = "uploads_paused"

    def __init__(self) -> None:
        super().__init__("Uploads are paused by the host for now. Try again in a little while.")


class TooLarge(PhotohubError):
    status = 413
    code = "too_large"
