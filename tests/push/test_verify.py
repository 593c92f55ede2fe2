"""The verification GET against a real local receiver: exact parameters, judging the
answer, timeouts, no redirects, a capped body, and the SSRF guard (no request made)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from photohub.domain.callbacks import parse_allow_list
from photohub.domain.verification import new_challenge, verification_params
from photohub.push.verify import verify_callback
from tests.push.receiver import Receiver, receiving

pytestmark = pytest.mark.anyio

LOOPBACK = parse_allow_list("127.0.0.1")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as receiver:
        yield receiver


def flickr_params(challenge: str) -> list[tuple[str, str]]:
    return verification_params(
        "flickr", "subscribe", "my_photos", challenge, lease_seconds=3600, verify_token="tok"
    )


async def test_an_echo_verifies_with_flickrs_unprefixed_parameters(receiver: Receiver) -> None:
    challenge = new_challenge()
    callback = receiver.url + "/cb?keep=1"
    result = await verify_callback(callback, flickr_params(challenge), challenge, allow=LOOPBACK)
    assert result.verified and result.status == 200 and result.reason is None
    assert receiver.paths == ["/cb"]
    assert receiver.requests[0] == [
        ("keep", "1"),
        ("mode", "subscribe"),
        ("topic", "my_photos"),
        ("challenge", challenge),
        ("lease_seconds", "3600"),
        ("verify_token", "tok"),
    ]


@pytest.mark.parametrize(
    ("behaviour", "outcome", "words"),
    [
        ("wrong", "failed", "not the challenge"),
        ("newline", "failed", "whitespace"),
        ("refuse", "refused", "404"),
        ("error", "failed", "HTTP 500"),
        ("redirect", "failed", "HTTP 302"),
        ("big", "failed", "not the challenge"),
    ],
)
async def test_other_answers_fail_with_a_reason(
    receiver: Receiver, behaviour: str, outcome: str, words: str
) -> None:
    receiver.behaviour = behaviour
    challenge = new_challenge()
    result = await verify_callback(
        receiver.url + "/cb", flickr_params(challenge), challenge, allow=LOOPBACK
    )
    assert result.outcome == outcome
    assert result.reason is not None and words in result.reason
    assert receiver.paths == ["/cb"]  # a redirect is never followed


async def test_a_slow_callback_times_out(receiver: Receiver) -> None:
    receiver.behaviour = "slow"
    challenge = new_challenge()
    result = await verify_callback(
        receiver.url + "/cb", flickr_params(challenge), challenge, allow=LOOPBACK, wait=0.5
    )
    assert result.outcome == "failed" and result.status is None
    assert result.reason is not None and "within 0.5 s" in result.reason


@pytest.mark.parametrize("allow", ["", "10.0.0.0/8"])
async def test_loopback_is_refused_unless_allowed_and_nothing_is_sent(
    receiver: Receiver, allow: str
) -> None:
    challenge = new_challenge()
    result = await verify_callback(
        receiver.url + "/cb", flickr_params(challenge), challenge, allow=parse_allow_list(allow)
    )
    assert result.outcome == "failed" and result.status is None
    assert result.reason is not None and "not allowed" in result.reason
    assert "127.0.0.1" not in result.reason  # the subscriber's words name no address
    assert result.detail is not None and "127.0.0.1" in result.detail  # the log's do
    assert receiver.requests == []


async def test_a_name_resolving_to_loopback_is_refused(receiver: Receiver) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    challenge = new_challenge()
    result = await verify_callback(
        f"http://localhost:{port}/cb", flickr_params(challenge), challenge
    )
    assert result.outcome == "failed"
    assert result.reason is not None and "not allowed" in result.reason
    assert "127.0.0.1" not in result.reason
    assert result.detail is not None and "localhost resolves to 127.0.0.1" in result.detail
    assert receiver.requests == []


async def test_an_allowed_name_connects_to_the_checked_address(receiver: Receiver) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    challenge = new_challenge()
    allow = parse_allow_list("127.0.0.0/8, ::1")
    result = await verify_callback(
        f"http://localhost:{port}/cb", flickr_params(challenge), challenge, allow=allow
    )
    assert result.verified, result.reason
    assert receiver.last()["challenge"] == challenge


async def test_an_unreachable_callback_fails_with_a_reason() -> None:
    async with receiving() as gone:
        url = gone.url
    challenge = new_challenge()
    result = await verify_callback(url + "/cb", flickr_params(challenge), challenge, allow=LOOPBACK)
    assert result.outcome == "failed"
    assert result.reason is not None and "could not be reached" in result.reason
    assert "127.0.0.1" not in result.reason  # aiohttp's words name the address it tried
    assert result.detail is not None and "127.0.0.1" in result.detail


async def test_a_name_that_does_not_resolve_reads_as_a_refused_one(receiver: Receiver) -> None:
    # Told apart, the two answers would say what the hub's DNS knows (a name exists
    # inside, or not) to anyone who subscribes.
    port = receiver.url.rsplit(":", 1)[1]
    challenge = new_challenge()
    refused = await verify_callback(
        f"http://localhost:{port}/cb", flickr_params(challenge), challenge
    )
    missing = await verify_callback(
        "http://nowhere.invalid/cb", flickr_params(challenge), challenge
    )
    assert refused.reason == missing.reason
    assert missing.detail is not None and "cannot resolve nowhere.invalid" in missing.detail
    assert receiver.requests == []
