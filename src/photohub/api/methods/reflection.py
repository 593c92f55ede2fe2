"""flickr.reflection.*: the API describes itself from the same registry that dispatches."""

from __future__ import annotations

from photohub.api.args import Arg, Text
from photohub.api.call import Call
from photohub.api.errors import GLOBAL_ERRORS, ApiError
from photohub.api.registry import Method, Result, perm_level, registry

PERM_NUMBERS = {"none": 0, "read": 1, "write": 2, "delete": 3}


@registry.method(
    "flickr.reflection.getMethods", "Returns a list of available photohub API methods."
)
async def get_methods(call: Call) -> Result:
    return {"methods": {"method": [{"_content": name} for name in registry.names()]}}


def describe(method: Method) -> Result:
    """Flickr's getMethodInfo shape: method, arguments, errors."""
    return {
        "method": {
            "name": method.name,
            "needslogin": int(method.needs_login),
            "needssigning": int(perm_level(method.perms) > 0),
            "requiredperms": PERM_NUMBERS[method.perms],
            "description": {"_content": method.summary},
        },
        "arguments": {
            "argument": [
                {"name": "api_key", "optional": 0, "_content": "Your API application key."}
            ]
            + [
                {
                    "name": arg.name,
                    "optional": int(not arg.required),
                    "_content": (arg.doc + " " if arg.doc else "") + f"({arg.type.doc})",
                }
                for arg in method.args
            ]
        },
        "errors": {
            "error": [
                {"code": code, "message": message, "_content": message}
                for code, message in method.errors + GLOBAL_ERRORS
            ]
        },
    }


@registry.method(
    "flickr.reflection.getMethodInfo",
    "Returns information for a given photohub API method.",
    args=(Arg("method_name", Text(200), required=True, doc="The name of the method."),),
    errors=((1, "Method not found: the requested method was not found."),),
)
async def get_method_info(call: Call) -> Result:
    method = registry.get(call.args["method_name"].strip())
    if method is None:
        raise ApiError(1, "Method not found")
    return describe(method)
