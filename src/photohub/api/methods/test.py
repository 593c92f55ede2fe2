"""flickr.test.*: check that calls, keys and tokens work."""

from __future__ import annotations

from photohub.api.call import Call
from photohub.api.registry import Result, registry

# Protocol fields that are not echoed: signatures and token secrets stay out of responses.
_NOT_ECHOED = ("oauth_signature", "api_sig")


@registry.method(
    "flickr.test.echo",
    "A testing method which echoes all parameters back in the response.",
)
async def echo(call: Call) -> Result:
    return {
        name: {"_content": value[:1000]}
        for name, value in list(call.params.items())[:100]
        if name not in _NOT_ECHOED and name.isidentifier() and name != "stat"
    }


@registry.method(
    "flickr.test.login",
    "A testing method which checks if the caller is logged in then returns their username.",
    perms="read",
)
async def login(call: Call) -> Result:
    user = call.require_user("read")
    return {"user": {"id": user["nsid"], "username": {"_content": user["username"]}}}


@registry.method("flickr.test.null", "Null test: needs a token with read permission.", perms="read")
async def null(call: Call) -> Result:
    call.require_user("read")
    return {}
