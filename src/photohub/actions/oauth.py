"""OAuth credentials made without the browser flow: ``photohub admin create-token`` gives
a script an app and an access token in one step."""

from __future__ import annotations

from dataclasses import dataclass

from photohub.domain.errors import NotFound, PhotohubError
from photohub.domain.oauth import PERMS
from photohub.site import Site
from photohub.store import apps, users
from photohub.store import oauth as tokens

CLI_APP_NAME = "photohub CLI"


@dataclass(frozen=True)
class Credentials:
    """Everything a script needs to sign calls as one user."""

    api_key: str
    api_secret: str
    oauth_token: str
    oauth_token_secret: str
    perms: str
    user_nsid: str
    username: str
    app_name: str
    app_created: bool


async def create_token(
    site: Site, username: str, *, perms: str = "read", app_name: str = CLI_APP_NAME
) -> Credentials:
    """A new access token of ``username`` for their app ``app_name`` (created if they
    have none of that name), in one transaction."""
    if perms not in PERMS:
        raise PhotohubError(f"perms must be one of {', '.join(PERMS)}", code="invalid_perms")
    name = app_name.strip()
    if not name or len(name) > 100:
        raise PhotohubError("The app name must be 1 to 100 characters.", code="invalid_app")
    async with site.db.write() as conn:
        user = await users.by_username(conn, username)
        if user is None:
            raise NotFound(f"There is no account called {username!r}.", code="user_not_found")
        user_id = int(user["id"])
        app = await apps.by_name(conn, user_id, name)
        created = app is None
        if app is None:
            app = await apps.create(conn, user_id, name, "Made by photohub admin create-token.")
        token = await tokens.create_access_token(conn, int(app["id"]), user_id, perms)
    return Credentials(
        api_key=str(app["api_key"]),
        api_secret=str(app["secret"]),
        oauth_token=str(token["token"]),
        oauth_token_secret=str(token["secret"]),
        perms=perms,
        user_nsid=str(user["nsid"]),
        username=str(user["username"]),
        app_name=name,
        app_created=created,
    )
