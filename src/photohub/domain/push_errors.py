"""Why a subscribe or unsubscribe request is refused, in both of the hub's languages.

One :class:`SubscribeError` carries an HTTP status for ``POST /hub`` (W3C WebSub §5.1.2:
"an appropriate HTTP error response code (4xx or 5xx) MUST be returned ... hubs SHOULD
return a description of the error in the response body as plain text") *and* a
flickr.push error code for ``/services/rest/``, so the rules that check callbacks and
topics are written once and each front end answers in its own terms.

The Flickr codes are flickr.push.subscribe's and flickr.push.unsubscribe's own, as
``flickr.reflection.getMethodInfo`` lists them (a copy ships with the flickrex client:
``lib/flickr/getMethodInfo/flickr.push.subscribe.json``, ``...unsubscribe.json``).
Flickr has no separate codes for a bad topic, callback, lease or radius: each of those
is code 2, "Invalid parameter value", and the reason names the argument.
"""

from __future__ import annotations

# flickr.push.subscribe and flickr.push.unsubscribe.
REQUIRED_PARAMETER_MISSING = 1
INVALID_PARAMETER_VALUE = 2
CALLBACK_IN_USE = 3  # subscribe only
CALLBACK_FAILED = 4
PRO_ONLY = 5  # Flickr's; photohub has no Pro accounts and never sends it
PENDING = 6
NOT_FOUND = 7  # unsubscribe only

FLICKR_MESSAGES: dict[int, str] = {
    REQUIRED_PARAMETER_MISSING: "Required parameter missing",
    INVALID_PARAMETER_VALUE: "Invalid parameter value",
    CALLBACK_IN_USE: "Callback URL already in use for a different subscription",
    CALLBACK_FAILED: "Callback failed or invalid response",
    PRO_ONLY: "Service currently available only to pro accounts",
    PENDING: "Subscription awaiting verification callback response - try again later",
    NOT_FOUND: "Subscription not found",
}

# HTTP statuses for POST /hub.
BAD_REQUEST = 400
FORBIDDEN = 403  # a callback address the hub's policy refuses (private, loopback, ...)


class SubscribeError(ValueError):
    """A refused request: Flickr's ``code``, an HTTP ``status``, and a ``reason`` in
    plain words that names the offending ``argument`` (as the client spelled it)."""

    def __init__(
        self, code: int, reason: str, *, status: int = BAD_REQUEST, argument: str | None = None
    ) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.status = status
        self.argument = argument

    @property
    def flickr_message(self) -> str:
        """Flickr's message for the code followed by the reason, for ``stat=fail``."""
        return f"{FLICKR_MESSAGES.get(self.code, 'Error')}: {self.reason}"


def missing(argument: str) -> SubscribeError:
    return SubscribeError(REQUIRED_PARAMETER_MISSING, f"{argument} is required", argument=argument)


def invalid(argument: str, problem: str, *, status: int = BAD_REQUEST) -> SubscribeError:
    return SubscribeError(
        INVALID_PARAMETER_VALUE, f"{argument} {problem}", status=status, argument=argument
    )
