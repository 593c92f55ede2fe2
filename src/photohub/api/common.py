"""Arguments and lookups shared by many methods: pages, users, photos."""

from __future__ import annotations

from collections.abc import Awaitable

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from photohub.api.args import NSID, Arg, Id, Integer, Text
from photohub.api.call import Call
from photohub.api.errors import INVALID_ARGUMENT, ApiError
from photohub.api.photolist import EXTRAS_ARG
from photohub.domain.errors import PhotohubError
from photohub.domain.tags import TagError
from photohub.store import photo_query, users

MAX_PER_PAGE = 500  # Flickr's limit

PAGE = Arg("page", Integer(1, 1_000_000), doc="The page of results to return.", default=1)
PER_PAGE = Arg(
    "per_page", Integer(1, MAX_PER_PAGE), doc="Photos per page (at most 500).", default=100
)
EXTRAS = Arg("extras", EXTRAS_ARG, doc="Extra information to fetch for each photo.", default=[])
PHOTO_ID = Arg("photo_id", Id(), required=True, doc="The id of the photo.")
PHOTO_NOT_FOUND = (1, "Photo not found: the photo id was not valid or not visible to you.")


class UserRef(Text):
    """An NSID, or ``me`` for the calling user."""

    def __init__(self) -> None:
        super().__init__(max_length=40)

    @property
    def doc(self) -> str:
        return "a user id such as 12345678@N01, or me"

    def parse(self, raw: str) -> str:
        value = raw.strip()
        return "me" if value.lower() == "me" else NSID().parse(value)


async def find_user(
    conn: AsyncConnection, call: Call, ref: str, code: int, message: str = "User not found"
) -> RowMapping:
    """The account named by an NSID (or ``me``), else error ``code``."""
    if ref == "me":
        return call.require_user("read")
    user = await users.by_nsid(conn, ref)
    if user is None:
        raise ApiError(code, message)
    return user


async def visible_photo(conn: AsyncConnection, call: Call, photo_id: int) -> RowMapping:
    """The photo if the caller may see it, else error 1 (missing and hidden look alike)."""
    row = await photo_query.one(conn, call.viewer, photo_id)
    if row is None:
        raise ApiError(*PHOTO_NOT_FOUND)
    return row


async def as_owner(call: Call, perms: str, action: Awaitable[object]) -> None:
    """Run an owner-only action; missing and not-yours both answer error 1."""
    call.require_user(perms)
    try:
        await action
    except TagError as exc:
        raise ApiError(2, exc.message) from None
    except PhotohubError as exc:
        if exc.status in (403, 404):
            raise ApiError(*PHOTO_NOT_FOUND) from None
        raise ApiError(INVALID_ARGUMENT, exc.message) from None
