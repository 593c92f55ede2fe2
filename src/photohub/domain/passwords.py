"""Passwords: the rules a new one must meet, and Argon2id hashes of them.

Argon2id (RFC 9106) with argon2-cffi's defaults (t=3, 64 MiB, 4 lanes: RFC 9106's
"second recommended option"): about 120 ms and 64 MiB per hash on the 2-core reference
machine. Hashing is CPU work with no I/O, so callers run it in a thread
(``asyncio.to_thread``); the default thread pool then bounds how many hashes run at once,
and with it the memory a flood of logins can take. Hashes carry their own parameters, so
raising them later only needs :func:`verify_password`'s rehash to upgrade old ones.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

PASSWORD_MIN = 8
# A bound on the work one login asks for, far above any passphrase a person types.
PASSWORD_MAX = 1024

_hasher = PasswordHasher()


class Verified(NamedTuple):
    ok: bool
    rehash: str | None
    """A new hash of the same password when the stored one uses old parameters."""


def check_password(password: str) -> str | None:
    """Why a new password is not acceptable, or None when it is."""
    if len(password) < PASSWORD_MIN:
        return f"Your password needs at least {PASSWORD_MIN} characters."
    if len(password) > PASSWORD_MAX:
        return f"Your password can have at most {PASSWORD_MAX} characters."
    return None


def hash_password(password: str) -> str:
    """An Argon2id hash in PHC string form (``$argon2id$v=19$m=...``), salted at random."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> Verified:
    """Whether ``password`` matches ``password_hash`` (None: no such account, and the
    answer is no after the same work). A match on a hash made with older parameters
    comes with a fresh hash to store."""
    if password_hash is None or len(password) > PASSWORD_MAX:
        _check(_dummy_hash(), password[:PASSWORD_MAX])
        return Verified(False, None)
    if not _check(password_hash, password):
        return Verified(False, None)
    rehash = _hasher.hash(password) if _needs_rehash(password_hash) else None
    return Verified(True, rehash)


@cache
def _dummy_hash() -> str:
    # Checked against when the account does not exist, so that "no such user" takes as
    # long as "wrong password" and a stopwatch cannot tell which usernames exist.
    return _hasher.hash("photohub: no account has this password")


def _check(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
