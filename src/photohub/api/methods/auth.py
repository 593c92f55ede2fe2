"""flickr.auth.oauth.*: what an OAuth access token grants. (Flickr's
``getAccessToken``, which traded its older auth tokens, has nothing to trade here.)"""

from __future__ import annotations

from photohub.api.args import Arg, Text
from photohub.api.call import Call
from photohub.api.errors import INVALID_TOKEN, MISSING_SIGNATURE, ApiError
from photohub.api.registry import Result, registry


@registry.method(
    "flickr.auth.oauth.checkToken",
    "Returns the credentials attached to an OAuth authentication token.",
    args=(
        Arg(
            "oauth_token",
            Text(64),
            doc="The OAuth access token the call is signed with (Flickr requires it; "
            "here it may stay in the Authorization header alone).",
        ),
    ),
    description="The call must be signed (OAuth 1.0a) with the token it asks about, so "
    "only the app the token was granted to learns what it grants.",
)
async def check_token(call: Call) -> Result:
    caller = call.caller
    if caller.token is None or caller.user is None:
        # Unsigned (api_key only) or signed by the app alone: the token proves nothing.
        raise ApiError(MISSING_SIGNATURE, "Missing signature (sign the call with the token)")
    sent = (call.args["oauth_token"] or caller.token).strip()
    if sent != caller.token:
        raise ApiError(INVALID_TOKEN, "Invalid auth token (not the token the call is signed with)")
    user = caller.user
    return {
        "oauth": {
            "token": {"_content": caller.token},
            "perms": {"_content": caller.perms},
            "user": {
                "nsid": user["nsid"],
                "username": user["username"],
                "fullname": user["realname"],
            },
        }
    }
