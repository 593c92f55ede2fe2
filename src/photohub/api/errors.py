"""Flickr's error codes. Every failed call answers ``stat=fail`` with one of these (or a
method's own code, listed with the method) in the format the caller asked for."""

from __future__ import annotations


class ApiError(Exception):
    """A failed API call: Flickr's numeric code and a message for the developer."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


# photohub's own global codes for argument validation (Flickr leaves it to each method;
# 90 and 91 are free in Flickr's global range, which starts at 95).
MISSING_ARGUMENT = 90
INVALID_ARGUMENT = 91
# Flickr's global codes (https://www.flickr.com/services/api/ , "Error Codes" per method).
SSL_REQUIRED = 95
INVALID_SIGNATURE = 96
MISSING_SIGNATURE = 97
INVALID_TOKEN = 98
INSUFFICIENT_PERMISSIONS = 99
INVALID_API_KEY = 100
SERVICE_UNAVAILABLE = 105
WRITE_FAILED = 106
FORMAT_NOT_FOUND = 111
METHOD_NOT_FOUND = 112
BAD_URL = 116

GLOBAL_ERRORS: tuple[tuple[int, str], ...] = (
    (MISSING_ARGUMENT, "Missing required argument: a required argument was not sent."),
    (INVALID_ARGUMENT, "Invalid argument: an argument has the wrong type or is out of range."),
    (INVALID_SIGNATURE, "Invalid signature: the passed signature was invalid."),
    (MISSING_SIGNATURE, "Missing signature: the call required signing but no signature was sent."),
    (INVALID_TOKEN, "Invalid auth token: the OAuth token is unknown, expired or revoked."),
    (INSUFFICIENT_PERMISSIONS, "Insufficient permissions: the method needs more than granted."),
    (INVALID_API_KEY, "Invalid API Key: the key passed was not valid or has expired."),
    (SERVICE_UNAVAILABLE, "Service currently unavailable."),
    (WRITE_FAILED, "Write operation failed: the change could not be stored."),
    (FORMAT_NOT_FOUND, "Format not found: the requested response format was not found."),
    (METHOD_NOT_FOUND, "Method not found: the requested method was not found."),
)
