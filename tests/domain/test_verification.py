"""Verification of intent: the query, the judgement, the leases
(domain/verification.py)."""

from __future__ import annotations

import string
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from photohub.domain.verification import (
    MAX_RESPONSE_BYTES,
    callback_with_params,
    denied_params,
    failure_reason,
    is_expired,
    judge_verification,
    lease_expiry,
    new_challenge,
    renewal_due,
    renewal_due_at,
    request_verification_params,
    verification_params,
)
from photohub.domain.websub import parse_flickr_request, parse_hub_request

TOPIC = "https://photos.example/push/topics/tags?tags=cats"
T0 = datetime(2026, 11, 1, 12, 0, 0)


def test_challenges_are_random_url_safe_and_long() -> None:
    challenges = {new_challenge() for _ in range(200)}
    assert len(challenges) == 200
    for challenge in challenges:
        assert len(challenge) == 43  # 32 bytes
        assert set(challenge) <= set(string.ascii_letters + string.digits + "-_")
    assert len(new_challenge(16)) == 22
    assert MAX_RESPONSE_BYTES >= 43


def test_websub_verification_query() -> None:
    params = verification_params("websub", "subscribe", TOPIC, "ch", lease_seconds=3600)
    assert params == [
        ("hub.mode", "subscribe"),
        ("hub.topic", TOPIC),
        ("hub.challenge", "ch"),
        ("hub.lease_seconds", "3600"),
    ]
    # WebSub has no verify_token; one is never sent.
    assert verification_params(
        "websub", "subscribe", TOPIC, "ch", lease_seconds=1, verify_token="tok"
    ) == verification_params("websub", "subscribe", TOPIC, "ch", lease_seconds=1)


def test_unsubscribe_verification_carries_no_lease() -> None:
    params = verification_params("websub", "unsubscribe", TOPIC, "ch", lease_seconds=3600)
    assert [k for k, _ in params] == ["hub.mode", "hub.topic", "hub.challenge"]


def test_0_3_verification_echoes_the_verify_token() -> None:
    params = verification_params(
        "pubsubhubbub-0.3", "subscribe", TOPIC, "ch", lease_seconds=60, verify_token="tok"
    )
    assert params[-1] == ("hub.verify_token", "tok")
    without = verification_params("pubsubhubbub-0.3", "unsubscribe", TOPIC, "ch")
    assert without == [("hub.mode", "unsubscribe"), ("hub.topic", TOPIC), ("hub.challenge", "ch")]


def test_flickr_verification_uses_unprefixed_names() -> None:
    params = verification_params(
        "flickr", "subscribe", "contacts_photos", "ch", lease_seconds=86400, verify_token="tok"
    )
    assert params == [
        ("mode", "subscribe"),
        ("topic", "contacts_photos"),
        ("challenge", "ch"),
        ("lease_seconds", "86400"),
        ("verify_token", "tok"),
    ]


def test_verification_needs_a_challenge_and_a_lease_to_subscribe() -> None:
    with pytest.raises(ValueError, match="challenge"):
        verification_params("websub", "subscribe", TOPIC, "", lease_seconds=1)
    with pytest.raises(ValueError, match="lease"):
        verification_params("websub", "subscribe", TOPIC, "ch")


def test_params_for_a_parsed_request_echo_the_topic_as_sent() -> None:
    sent = "https://photos.example/push/topics/tags?tags=Cats,cats"  # not canonical
    request = parse_hub_request(
        [
            ("hub.mode", "subscribe"),
            ("hub.callback", "https://receiver.example/cb"),
            ("hub.topic", sent),
            ("hub.verify", "sync"),
            ("hub.verify_token", "tok"),
        ]
    )
    params = dict(request_verification_params(request, "ch"))
    assert params == {
        "hub.mode": "subscribe",
        "hub.topic": sent,
        "hub.challenge": "ch",
        "hub.lease_seconds": "864000",
        "hub.verify_token": "tok",
    }
    flickr = parse_flickr_request(
        {"topic": "my_faves", "callback": "https://receiver.example/f", "verify": "async"},
        mode="subscribe",
        user="10000001@N01",
    )
    assert dict(request_verification_params(flickr, "ch")) == {
        "mode": "subscribe",
        "topic": "my_faves",
        "challenge": "ch",
        "lease_seconds": "86400",
    }


def test_denied_notice() -> None:
    assert denied_params(TOPIC) == [("hub.mode", "denied"), ("hub.topic", TOPIC)]
    assert denied_params(TOPIC, "owner opted out")[-1] == ("hub.reason", "owner opted out")


@pytest.mark.parametrize(
    ("callback", "expected"),
    [
        ("https://r.example/cb", "https://r.example/cb?hub.mode=denied&hub.topic=t%2Fx"),
        ("https://r.example/cb?a=1", "https://r.example/cb?a=1&hub.mode=denied&hub.topic=t%2Fx"),
        ("https://r.example/cb?", "https://r.example/cb?hub.mode=denied&hub.topic=t%2Fx"),
        ("https://r.example/cb?a=1&", "https://r.example/cb?a=1&hub.mode=denied&hub.topic=t%2Fx"),
        # WebSub §5.1.1: an overlapping name is not overwritten; ours is appended.
        (
            "https://r.example/cb?hub.mode=mine",
            "https://r.example/cb?hub.mode=mine&hub.mode=denied&hub.topic=t%2Fx",
        ),
    ],
)
def test_parameters_are_appended_to_the_callbacks_own_query(callback: str, expected: str) -> None:
    assert callback_with_params(callback, denied_params("t/x")) == expected
    assert callback_with_params(callback, []) == callback


def test_the_topic_url_survives_the_query_intact() -> None:
    url = callback_with_params(
        "https://r.example/cb?x=1",
        verification_params("websub", "subscribe", TOPIC + ",dogs&x", "c h", lease_seconds=5),
    )
    assert dict(parse_qsl(urlsplit(url).query))["hub.topic"] == TOPIC + ",dogs&x"
    assert dict(parse_qsl(urlsplit(url).query))["hub.challenge"] == "c h"


# --- judging the answer -------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (200, b"abc", "verified"),
        (200, "abc", "verified"),
        (204, b"abc", "verified"),
        (299, b"abc", "verified"),
        (200, b"abc\n", "failed"),  # exact match: no whitespace is trimmed
        (200, b" abc", "failed"),
        (200, b"ABC", "failed"),
        (200, b"", "failed"),
        (200, b"abcd", "failed"),
        (404, b"abc", "refused"),
        (404, b"", "refused"),
        (301, b"abc", "failed"),
        (302, b"abc", "failed"),
        (400, b"abc", "failed"),
        (410, b"abc", "failed"),
        (500, b"abc", "failed"),
        (199, b"abc", "failed"),
        (300, b"abc", "failed"),
    ],
)
def test_judging_a_verification_answer(status: int, body: bytes | str, outcome: str) -> None:
    assert judge_verification(status, body, "abc") == outcome


def test_a_non_ascii_challenge_compares_as_utf8() -> None:
    assert judge_verification(200, "é".encode(), "é") == "verified"


def test_failure_reasons_say_what_went_wrong() -> None:
    assert failure_reason(200, b"abc", "abc") is None
    assert "404" in (failure_reason(404, b"", "abc") or "")
    assert "HTTP 500" in (failure_reason(500, b"abc", "abc") or "")
    assert "whitespace" in (failure_reason(200, b"abc\r\n", "abc") or "")
    assert "not the challenge" in (failure_reason(200, b"nope", "abc") or "")


# --- leases -------------------------------------------------------------------------


def test_a_lease_runs_from_the_verification_request() -> None:
    assert lease_expiry(T0, 86400) == T0 + timedelta(days=1)
    assert not is_expired(T0 + timedelta(seconds=86399), lease_expiry(T0, 86400))
    assert is_expired(T0 + timedelta(days=1), lease_expiry(T0, 86400))
    with pytest.raises(ValueError, match="perpetual"):
        lease_expiry(T0, 0)


def test_auto_renewing_subscriptions_are_verified_again_at_90_percent() -> None:
    due = renewal_due_at(T0, 86400)
    assert due == T0 + timedelta(hours=21, minutes=36)
    assert not renewal_due(due - timedelta(seconds=1), T0, 86400)
    assert renewal_due(due, T0, 86400)
    assert renewal_due_at(T0, 100, fraction=0.5) == T0 + timedelta(seconds=50)
    assert renewal_due_at(T0, 100, fraction=1.0) == lease_expiry(T0, 100)
    for fraction in (0.0, -0.1, 1.5):
        with pytest.raises(ValueError, match="fraction"):
            renewal_due_at(T0, 100, fraction=fraction)
    with pytest.raises(ValueError):
        renewal_due_at(T0, -1)
