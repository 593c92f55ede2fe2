"""Signed stream URLs: what they carry, what they open, and why one is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qsl, urlsplit

import pytest

from photohub.domain import stream_urls
from photohub.domain.push_errors import INVALID_PARAMETER_VALUE, SubscribeError
from photohub.domain.stream_urls import check, parse_expires_in, sign, signed_url
from photohub.domain.topics import make_topic, parse_topic_url

SECRET = "site-secret"
NOW = 1_800_000_000
CATS = make_topic("tags", {"tags": "Cats,dogs"})


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def test_the_url_is_the_canonical_topic_url_with_expiry_and_signature() -> None:
    url = signed_url("https://photos.example/", CATS, NOW + 60, SECRET)
    assert url.startswith("https://photos.example/push/topics/tags?tags=cats,dogs&expires=")
    params = _query(url)
    assert params["expires"] == str(NOW + 60)
    assert params["signature"] == sign(CATS.path, NOW + 60, SECRET)
    assert check(CATS.path, params, SECRET, now=NOW) is None


def test_a_topic_without_arguments_gets_a_query_of_its_own() -> None:
    url = signed_url("http://h", make_topic("commons", {}), NOW + 60, SECRET)
    assert url.startswith("http://h/push/topics/commons?expires=")


def test_the_signature_is_hmac_sha256_over_the_label_expiry_and_path() -> None:
    message = f"photohub topic stream v1\n{NOW}\n{CATS.path}".encode()
    digest = hmac.new(SECRET.encode(), message, hashlib.sha256).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert sign(CATS.path, NOW, SECRET) == expected
    assert "=" not in expected and len(expected) == 43


def test_any_spelling_of_the_topic_checks_the_same() -> None:
    params = _query(signed_url("http://h", CATS, NOW + 60, SECRET))
    respelled = parse_topic_url("/push/topics/tags?tags=dogs,CATS,dogs")
    assert check(respelled.path, params, SECRET, now=NOW) is None


def test_another_topic_expiry_or_secret_is_a_bad_signature() -> None:
    params = _query(signed_url("http://h", CATS, NOW + 60, SECRET))
    dogs = make_topic("tags", {"tags": "dogs"})
    for path, sent, secret in (
        (dogs.path, params, SECRET),
        (CATS.path, {**params, "expires": str(NOW + 600)}, SECRET),
        (CATS.path, params, "another secret"),
        (CATS.path, {**params, "signature": params["signature"][:-1]}, SECRET),
        (CATS.path, {**params, "signature": "ü" * 43}, SECRET),
        (CATS.path, {**params, "expires": "soon"}, SECRET),
    ):
        refusal = check(path, sent, secret, now=NOW)
        assert refusal is not None and refusal.kind == "bad_signature", (path, sent)


def test_a_url_past_its_expiry_is_expired() -> None:
    params = _query(signed_url("http://h", CATS, NOW, SECRET))
    refusal = check(CATS.path, params, SECRET, now=NOW)
    assert refusal is not None and refusal.kind == "expired"
    assert "expired" in refusal.reason
    assert check(CATS.path, params, SECRET, now=NOW - 1) is None


def test_a_forged_url_is_a_bad_signature_even_when_expired() -> None:
    params = {"expires": str(NOW - 10), "signature": "A" * 43}
    refusal = check(CATS.path, params, SECRET, now=NOW)
    assert refusal is not None and refusal.kind == "bad_signature"


@pytest.mark.parametrize("absent", ["expires", "signature"])
def test_a_missing_part_is_named(absent: str) -> None:
    params = _query(signed_url("http://h", CATS, NOW + 60, SECRET))
    del params[absent]
    refusal = check(CATS.path, params, SECRET, now=NOW)
    assert refusal is not None and refusal.kind == "missing" and absent in refusal.reason
    assert stream_urls.has_proof(params)
    assert not stream_urls.has_proof({"tags": "cats"})


def test_expires_in_is_a_minute_to_a_week_a_day_by_default() -> None:
    assert parse_expires_in(None) == parse_expires_in(" ") == 86400
    assert parse_expires_in("60") == 60 and parse_expires_in(" 604800 ") == 604800
    for raw in ("59", "604801", "-60", "1.5", "an hour", "9" * 40):
        with pytest.raises(SubscribeError) as caught:
            parse_expires_in(raw)
        assert caught.value.code == INVALID_PARAMETER_VALUE
        assert caught.value.argument == "expires_in"


def test_no_secret_no_signature() -> None:
    with pytest.raises(ValueError):
        sign(CATS.path, NOW, "")
