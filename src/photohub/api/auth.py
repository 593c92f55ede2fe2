"""Who is calling the REST API: an API key alone, an OAuth 1.0a signed call, or the
API Explorer page of a logged-in user (session cookie plus its CSRF token)."""

from __future__ import annotations

from starlette.requests import Request

from photohub.api.call import Caller
from photohub.api.errors import INVALID_API_KEY, ApiError
from photohub.api.keys import keys_of
from photohub.site import Site
from photohub.web import identity

EXPLORER_KEY = "explorer"


def is_signed(request: Request, params: dict[str, str]) -> bool:
    header = request.headers.get("authorization", "")
    # An OAuth protocol parameter makes it a signed call: one without its signature is
    # error 97. (``oauth_token`` alone is also flickr.auth.oauth.checkToken's argument.)
    if header[:6].lower() == "oauth ":
        return True
    return any(name.startswith("oauth_") and name != "oauth_token" for name in params)


async def identify(request: Request, params: dict[str, str], site: Site) -> Caller:
    """The caller of one REST request, or an ``ApiError`` (96-100) saying why not."""
    if is_signed(request, params):
        from photohub.api import oauth

        return await oauth.verify_call(site, request, params)
    if request.headers.get("x-csrf-token"):
        return await _explorer(request, site)
    api_key = params.get("api_key", "").strip()
    if not api_key:
        raise ApiError(INVALID_API_KEY, "Invalid API Key (Key has invalid format)")
    app_id = await keys_of(site).app_id(api_key)
    if app_id is None:
        raise ApiError(INVALID_API_KEY, "Invalid API Key (Key not found)")
    return Caller(api_key=api_key, app_id=app_id)


async def _explorer(request: Request, site: Site) -> Caller:
    """The API Explorer calls as the logged-in user, with the page's CSRF token in a
    header (which another site cannot send), so a page never holds a secret."""
    who = await identity.current_viewer(request, site)
    try:
        identity.require_csrf(request, site, who)
    except Exception as exc:
        raise ApiError(INVALID_API_KEY, "Invalid API Key (the Explorer page expired)") from exc
    user = await identity.current_user(request, site)
    if user is None:
        return Caller(api_key=EXPLORER_KEY)
    return Caller(api_key=EXPLORER_KEY, user=user, perms="delete")
