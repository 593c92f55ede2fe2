"""Accounts: sign up (claiming the browser's guest photos), log in, log out, profile.

Passwords are hashed in a thread before any transaction opens, so no database lock is
held during the ~100 ms of Argon2 work. A guest who signs up keeps their party photos:
the account row, the claim of the guest identity and the change of owner of its photos
are one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import unicodedata
import weakref
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from photohub.domain import passwords
from photohub.domain import people as rules
from photohub.domain.errors import PhotohubError
from photohub.domain.photos import FieldError, clean_text
from photohub.domain.throttle import Throttle
from photohub.media import buddyicons
from photohub.media.inspect import MediaError
from photohub.site import Site
from photohub.store import sessions, users

# Against guessing: failed logins per username and per address, in 15 minutes.
THROTTLE_WINDOW = 15 * 60.0
USER_FAILURES = 10
ADDRESS_FAILURES = 100  # generous: a party's guests may share one address


class AccountError(PhotohubError):
    """A form value that cannot be taken; ``field`` names it for the page."""

    def __init__(self, field: str, message: str, *, status: int = 400) -> None:
        super().__init__(message, code="invalid_" + field, status=status)
        self.field = field


class LoginFailed(PhotohubError):
    status = 403
    code = "login_failed"

    def __init__(self) -> None:
        # The same words whichever was wrong: nobody learns which usernames exist.
        super().__init__("Wrong username or password.")


class TooManyAttempts(PhotohubError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, seconds: float) -> None:
        minutes = max(1, round(seconds / 60))
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(f"Too many wrong passwords. Please wait {minutes} {unit} and try again.")
        self.retry_after = max(1, int(seconds))


@dataclass(frozen=True)
class SignedUp:
    user: RowMapping
    claimed_photos: int


@dataclass
class _Throttles:
    users: Throttle
    addresses: Throttle


_throttles: weakref.WeakKeyDictionary[Site, _Throttles] = weakref.WeakKeyDictionary()


def throttles(site: Site) -> _Throttles:
    """This process's failure counts for one site."""
    found = _throttles.get(site)
    if found is None:
        found = _throttles[site] = _Throttles(
            Throttle(USER_FAILURES, THROTTLE_WINDOW),
            Throttle(ADDRESS_FAILURES, THROTTLE_WINDOW),
        )
    return found


def check_username(username: object) -> str:
    if not isinstance(username, str) or not username.strip():
        raise AccountError("username", "Choose a username.")
    username = username.strip()
    problem = rules.check_username(username)
    if problem is not None:
        raise AccountError("username", problem)
    return username


def check_realname(realname: object) -> str:
    try:
        return clean_text(realname, "real name", rules.REALNAME_MAX)
    except FieldError as exc:
        raise AccountError("realname", exc.message) from exc


def check_new_password(password: object) -> str:
    if not isinstance(password, str) or not password:
        raise AccountError("password", "Choose a password.")
    problem = passwords.check_password(password)
    if problem is not None:
        raise AccountError("password", problem)
    return password


def _taken(username: str) -> AccountError:
    return AccountError(
        "username", f"The username “{username}” is taken. Please choose another.", status=409
    )


async def signup(
    site: Site,
    *,
    username: object,
    password: object,
    realname: object = "",
    guest_id: str | None = None,
    is_institution: bool = False,
) -> SignedUp:
    """Create an account. With ``guest_id`` (the browser's guest cookie), the account
    also claims that guest identity and its photos, unless another account has it."""
    clean_username = check_username(username)
    clean_realname = check_realname(realname)
    clean_password = check_new_password(password)
    async with site.db.read() as conn:
        if await users.by_username(conn, clean_username) is not None:
            raise _taken(clean_username)  # before the hashing work, when we can tell
    password_hash = await asyncio.to_thread(passwords.hash_password, clean_password)
    try:
        async with site.db.write() as conn:
            if await users.by_username(conn, clean_username) is not None:
                raise _taken(clean_username)
            user = await users.create(
                conn,
                username=clean_username,
                password_hash=password_hash,
                realname=clean_realname,
                is_institution=is_institution,
            )
            claimed = 0
            if guest_id and await users.by_guest(conn, guest_id) is None:
                claimed = await users.claim_guest(conn, int(user["id"]), guest_id)
                claimant = await users.get(conn, int(user["id"]))
                assert claimant is not None
                user = claimant
    except sa.exc.IntegrityError as exc:
        # A sign-up with the same name, or from the same browser, won the race.
        async with site.db.read() as conn:
            if await users.by_username(conn, clean_username) is not None:
                raise _taken(clean_username) from exc
        raise PhotohubError(
            "Your account could not be created just now. Please try again.",
            code="conflict",
            status=409,
        ) from exc
    return SignedUp(user, claimed)


def throttle_key(name: str, user: RowMapping | None) -> str:
    """The failure counter a login attempt counts against: the account it names, however
    it is spelt (username in any case, NSID), so every spelling shares its 10 tries.
    A name that names no account counts by its NFKC, case-folded form."""
    if user is not None:
        return f"user:{int(user['id'])}"
    return "name:" + rules.username_key(unicodedata.normalize("NFKC", name))


async def authenticate(
    site: Site, identifier: object, password: object, *, address: str = ""
) -> RowMapping:
    """The account named by ``identifier`` (its username, in any case, or its NSID) if
    ``password`` is its password; else ``LoginFailed``, or ``TooManyAttempts`` when this
    username or address has failed too often lately (checked before any password)."""
    name = identifier.strip() if isinstance(identifier, str) else ""
    secret = password if isinstance(password, str) else ""
    user: RowMapping | None = None
    if name and len(name) <= 64:
        async with site.db.read() as conn:
            if rules.id_from_nsid(name) is not None:
                user = await users.by_nsid(conn, name)
            else:
                user = await users.by_username(conn, name)
    user_key = throttle_key(name, user)
    address_key = "address:" + address
    limits = throttles(site)
    now = time.monotonic()
    wait = max(
        limits.users.retry_after(user_key, now), limits.addresses.retry_after(address_key, now)
    )
    if wait > 0:
        raise TooManyAttempts(wait)
    stored = str(user["password_hash"]) if user is not None else None
    verified = await asyncio.to_thread(passwords.verify_password, stored, secret)
    if user is None or not verified.ok:
        now = time.monotonic()
        limits.users.fail(user_key, now)
        limits.addresses.fail(address_key, now)
        raise LoginFailed()
    limits.users.reset(user_key)
    if verified.rehash is not None:
        async with site.db.write() as conn:
            await users.update(conn, int(user["id"]), password_hash=verified.rehash)
    return user


async def open_session(site: Site, user_id: int, *, replacing: str | None = None) -> str:
    """A new session token for the cookie. A token the browser had before is ended, so a
    session fixed on this browser by someone else never becomes a logged-in one."""
    async with site.db.write() as conn:
        if replacing:
            await sessions.delete(conn, replacing)
        return await sessions.create(conn, user_id)


async def close_session(site: Site, token: str) -> None:
    async with site.db.write() as conn:
        await sessions.delete(conn, token)


async def set_password(site: Site, user_id: int, password: object) -> None:
    """Change an account's password; every session of the account ends."""
    clean = check_new_password(password)
    password_hash = await asyncio.to_thread(passwords.hash_password, clean)
    async with site.db.write() as conn:
        await users.update(conn, user_id, password_hash=password_hash)
        await sessions.delete_for_user(conn, user_id)


async def set_realname(site: Site, user_id: int, realname: object) -> str:
    clean = check_realname(realname)
    async with site.db.write() as conn:
        await users.update(conn, user_id, realname=clean)
    return clean


async def set_buddyicon(site: Site, user_id: int, upload: Path) -> str:
    """Make the image at ``upload`` the account's buddy icon; returns its file name.
    ``upload`` is consumed; the previous icon's file is removed once the new one is set."""
    root = site.media.root
    try:
        name = await asyncio.to_thread(
            buddyicons.make_buddyicon,
            upload,
            root,
            user_id,
            max_pixels=site.settings.max_image_pixels,
        )
    except MediaError as exc:
        status = 415 if exc.reason in ("not_image", "unsupported") else 400
        raise AccountError("buddyicon", exc.message, status=status) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            upload.unlink()
    try:
        async with site.db.write() as conn:
            user = await users.get(conn, user_id)
            if user is None:
                raise PhotohubError("This account no longer exists.", code="not_found", status=404)
            old = user["buddyicon"]
            await users.update(conn, user_id, buddyicon=name)
    except BaseException:
        buddyicons.remove(root, name)
        raise
    buddyicons.remove(root, old)
    return name
