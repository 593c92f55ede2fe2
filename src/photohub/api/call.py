"""One API call as a method sees it: validated arguments and who is calling."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import RowMapping

from photohub.api.errors import INSUFFICIENT_PERMISSIONS, ApiError
from photohub.api.registry import Method, perm_level
from photohub.domain.privacy import ANONYMOUS, Viewer
from photohub.site import Site


@dataclass(frozen=True)
class Caller:
    """Who is calling: the app (by API key) and, for authenticated calls, the account
    and the permissions its token grants."""

    api_key: str
    app_id: int | None = None
    user: RowMapping | None = None
    perms: str = "none"
    token: str | None = None

    @property
    def viewer(self) -> Viewer:
        if self.user is None:
            return ANONYMOUS
        return Viewer(user_id=int(self.user["id"]))


@dataclass(frozen=True)
class Call:
    site: Site
    method: Method
    args: dict[str, Any]
    caller: Caller
    params: dict[str, str] = field(default_factory=dict)  # as sent, for flickr.test.echo
    base_url: str = ""  # scheme://host of the request, for absolute file URLs

    @property
    def viewer(self) -> Viewer:
        return self.caller.viewer

    @property
    def user(self) -> RowMapping | None:
        return self.caller.user

    def require_user(self, perms: str = "read") -> RowMapping:
        """The calling account, or error 99 when the call is not authenticated enough."""
        user = self.caller.user
        if user is None or perm_level(self.caller.perms) < perm_level(perms):
            raise ApiError(
                INSUFFICIENT_PERMISSIONS,
                f"Insufficient permissions. Method requires {perms} privileges; "
                f"{self.caller.perms if user is not None else 'none'} granted.",
            )
        return user
