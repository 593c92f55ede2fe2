"""Password rules and Argon2id hashes (domain/passwords.py)."""

from __future__ import annotations

from argon2 import PasswordHasher

from photohub.domain import passwords


def test_the_length_rules() -> None:
    assert passwords.check_password("1234567") is not None
    assert passwords.check_password("12345678") is None
    assert passwords.check_password("x" * 1024) is None
    assert passwords.check_password("x" * 1025) is not None
    assert passwords.check_password("ünïcødé") is not None  # 7 characters, more bytes


def test_hash_and_verify() -> None:
    hashed = passwords.hash_password("correct horse")
    assert hashed.startswith("$argon2id$") and "correct horse" not in hashed
    assert hashed != passwords.hash_password("correct horse")  # salted
    assert passwords.verify_password(hashed, "correct horse") == (True, None)
    assert passwords.verify_password(hashed, "Correct horse") == (False, None)


def test_no_account_and_broken_hashes_are_a_plain_no() -> None:
    assert passwords.verify_password(None, "anything at all") == (False, None)
    assert passwords.verify_password("not a hash", "anything at all") == (False, None)
    assert passwords.verify_password(passwords.hash_password("x" * 8), "x" * 5000).ok is False


def test_an_old_hash_is_upgraded_on_the_next_login() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("correct horse")
    verified = passwords.verify_password(weak, "correct horse")
    assert verified.ok and verified.rehash is not None
    assert verified.rehash != weak and "m=65536" in verified.rehash
    assert passwords.verify_password(verified.rehash, "correct horse") == (True, None)
