"""Content distribution: signatures, delivery outcomes, retry backoff
(domain/signatures.py)."""

from __future__ import annotations

import hashlib
import hmac
import itertools

import pytest

from photohub.domain.signatures import (
    ALGORITHMS,
    SIGNATURE_HEADER,
    STRONG_ALGORITHMS,
    Algorithm,
    RetryPolicy,
    algorithm_for,
    delivery_outcome,
    full_jitter,
    parse_signature,
    sign,
    signature_header,
    verify_signature,
)

# RFC 4231 (HMAC-SHA-224/256/384/512) test cases 1 and 2, and RFC 2202 (HMAC-SHA-1) test
# cases 1 and 2, as published.
RFC_VECTORS: list[tuple[bytes, bytes, Algorithm, str]] = [
    (
        b"\x0b" * 20,
        b"Hi There",
        "sha256",
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    ),
    (
        b"Jefe",
        b"what do ya want for nothing?",
        "sha256",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ),
    (
        b"Jefe",
        b"what do ya want for nothing?",
        "sha384",
        "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
        "8e2240ca5e69e2c78b3239ecfab21649",
    ),
    (
        b"Jefe",
        b"what do ya want for nothing?",
        "sha512",
        "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
        "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
    ),
    (b"\x0b" * 20, b"Hi There", "sha1", "b617318655057264e28bc0b6fb378c8ef146be00"),
    (
        b"Jefe",
        b"what do ya want for nothing?",
        "sha1",
        "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
    ),
]
BODY = b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"/>'


@pytest.mark.parametrize(("key", "data", "algorithm", "digest"), RFC_VECTORS)
def test_published_hmac_vectors(key: bytes, data: bytes, algorithm: Algorithm, digest: str) -> None:
    assert sign(key, data, algorithm) == f"{algorithm}={digest}"
    assert verify_signature(key, data, f"{algorithm}={digest}")


def test_the_secret_is_used_as_its_utf8_bytes() -> None:
    assert sign("Jefe", b"what do ya want for nothing?") == sign(
        b"Jefe", b"what do ya want for nothing?"
    )
    # No published vector signs an Atom body with a text secret; hmac computes one.
    expected = hmac.new("sécret".encode(), BODY, hashlib.sha256).hexdigest()
    assert sign("sécret", BODY) == f"sha256={expected}"


def test_websub_is_signed_with_sha256_and_0_3_with_sha1() -> None:
    assert algorithm_for("websub") == "sha256"
    assert algorithm_for("pubsubhubbub-0.3") == "sha1"
    assert algorithm_for("flickr") == "sha256"
    name, value = signature_header("websub", "s", BODY)
    assert name == SIGNATURE_HEADER == "X-Hub-Signature"
    assert value.startswith("sha256=") and len(value) == 7 + 64
    name, value = signature_header("pubsubhubbub-0.3", "s", BODY)
    expected = hmac.new(b"s", BODY, hashlib.sha1).hexdigest()
    assert value == f"sha1={expected}"


def test_sign_refuses_unknown_methods() -> None:
    with pytest.raises(ValueError, match="md5"):
        sign("s", BODY, "md5")  # type: ignore[arg-type]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_recognized_method_verifies(algorithm: Algorithm) -> None:
    header = sign("s", BODY, algorithm)
    assert verify_signature("s", BODY, header)
    assert verify_signature("s", BODY, header.upper().replace("SHA", "sha"))  # hex any case
    assert verify_signature("s", BODY, f"  {header} ")


def test_a_wrong_signature_fails() -> None:
    good = sign("s", BODY)
    assert not verify_signature("other", BODY, good)
    assert not verify_signature("s", BODY + b" ", good)
    flipped = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert not verify_signature("s", BODY, flipped)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256",
        "sha256=",
        "=abc",
        "md5=" + "0" * 32,
        "sha256=" + "0" * 63,  # one digit short
        "sha256=" + "g" * 64,
        "sha256:" + "0" * 64,
        "sha256=" + "0" * 64 + ",sha1=" + "0" * 40,
    ],
)
def test_missing_or_malformed_headers_fail(header: str | None) -> None:
    assert not verify_signature("s", BODY, header)


def test_parse_signature() -> None:
    digest = "A" * 64
    assert parse_signature(f"SHA256={digest}") == ("sha256", "a" * 64)
    assert parse_signature("sha1=" + "0" * 64) is None  # wrong length for sha1


def test_a_subscriber_may_refuse_sha1() -> None:
    header = sign("s", BODY, "sha1")
    assert verify_signature("s", BODY, header)
    assert not verify_signature("s", BODY, header, algorithms=STRONG_ALGORITHMS)
    assert verify_signature("s", BODY, sign("s", BODY), algorithms=STRONG_ALGORITHMS)


# --- delivery outcomes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "delivered"),
        (202, "delivered"),
        (204, "delivered"),
        (299, "delivered"),
        (410, "gone"),
        (301, "failed"),  # WebSub §7: no redirects
        (307, "failed"),
        (400, "failed"),
        (404, "failed"),
        (429, "failed"),
        (500, "failed"),
        (503, "failed"),
        (100, "failed"),
    ],
)
def test_only_2xx_counts_and_410_ends_it(status: int, outcome: str) -> None:
    assert delivery_outcome(status) == outcome


# --- backoff ------------------------------------------------------------------------


def test_full_jitter_is_uniform_below_an_exponential_ceiling() -> None:
    top = 0.999999
    assert [round(full_jitter(n, rand=lambda: top), 3) for n in range(1, 6)] == [
        1.0,
        2.0,
        4.0,
        8.0,
        16.0,
    ]
    assert full_jitter(3, rand=lambda: 0.0) == 0.0
    assert full_jitter(3, rand=lambda: 0.5) == 2.0
    assert full_jitter(3, base=10, rand=lambda: 0.5) == 20.0


def test_full_jitter_is_capped_even_for_huge_attempts() -> None:
    assert full_jitter(13, cap=3600, rand=lambda: 0.5) == 1800.0
    assert full_jitter(10_000, cap=60, rand=lambda: 0.5) == 30.0
    assert full_jitter(1025, cap=60, rand=lambda: 0.5) == 30.0


def test_full_jitter_takes_its_randomness_from_the_caller() -> None:
    draws = itertools.cycle([0.1, 0.9])
    assert [full_jitter(4, rand=lambda: next(draws)) for _ in range(2)] == pytest.approx([0.8, 7.2])
    for n in range(1, 30):  # the default source stays within bounds
        assert 0.0 <= full_jitter(n, cap=100) < 100


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"attempt": 0}, "attempt"),
        ({"attempt": 1, "base": 0}, "positive"),
        ({"attempt": 1, "cap": -1}, "positive"),
        ({"attempt": 1, "rand": lambda: 1.0}, r"\[0, 1\)"),
        ({"attempt": 1, "rand": lambda: -0.1}, r"\[0, 1\)"),
    ],
)
def test_full_jitter_rejects_nonsense(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        full_jitter(**kwargs)  # type: ignore[arg-type]


def test_a_retry_policy_gives_up_after_its_attempts() -> None:
    policy = RetryPolicy(base=2, cap=100, max_attempts=4)
    assert [policy.delay(n, rand=lambda: 0.5) for n in range(1, 6)] == [1.0, 2.0, 4.0, None, None]
    assert policy.longest_total() == 2 + 4 + 8
    assert RetryPolicy(max_attempts=1).delay(1) is None
    assert RetryPolicy().longest_total() < 4 * 3600  # twelve attempts fit in a few hours
    for bad in ({"base": 0}, {"base": 10, "cap": 5}, {"max_attempts": 0}):
        with pytest.raises(ValueError):
            RetryPolicy(**bad)
