"""Subscribe requests in the three dialects: WebSub, PubSubHubbub 0.3 and Flickr
(domain/websub.py)."""

from __future__ import annotations

import pytest

from photohub.domain import websub
from photohub.domain.callbacks import parse_allow_list
from photohub.domain.push_errors import (
    CALLBACK_FAILED,
    CALLBACK_IN_USE,
    FLICKR_MESSAGES,
    INVALID_PARAMETER_VALUE,
    NOT_FOUND,
    PENDING,
    REQUIRED_PARAMETER_MISSING,
    SubscribeError,
)
from photohub.domain.topics import Topic, make_topic
from photohub.domain.websub import (
    AUTO_RENEW_LEASE_SECONDS,
    LeasePolicy,
    SubscriptionRequest,
    accepted_status,
    parse_flickr_request,
    parse_hub_request,
)

ME = "10000001@N01"
CALLBACK = "https://receiver.example/cb?sub=1"
TOPIC = "https://photos.example/push/topics/tags?tags=dogs,cats"


def form(**fields: str) -> list[tuple[str, str]]:
    """A WebSub form: keyword mode_="x" becomes hub.mode=x."""
    pairs = [("hub.mode", "subscribe"), ("hub.callback", CALLBACK), ("hub.topic", TOPIC)]
    given = {f"hub.{key.rstrip('_')}": value for key, value in fields.items()}
    pairs = [(k, given.pop(k)) if k in given else (k, v) for k, v in pairs]
    return [(k, v) for k, v in pairs + list(given.items()) if v != "<absent>"]


def hub_refused(pairs: list[tuple[str, str]], **kwargs: object) -> SubscribeError:
    with pytest.raises(SubscribeError) as caught:
        parse_hub_request(pairs, **kwargs)  # type: ignore[arg-type]
    return caught.value


# --- WebSub -------------------------------------------------------------------------


def test_a_websub_subscription() -> None:
    request = parse_hub_request(form(secret="s3cret", lease_seconds="3600"))
    assert request == SubscriptionRequest(
        mode="subscribe",
        dialect="websub",
        callback=CALLBACK,
        topic_name="tags",
        topic=make_topic("tags", {"tags": "cats,dogs"}),
        topic_param=TOPIC,
        lease_seconds=3600,
        verify="async",
        secret="s3cret",
    )
    assert accepted_status(request) == 202


def test_a_mapping_works_as_well_as_pairs() -> None:
    request = parse_hub_request(dict(form()))
    assert request.dialect == "websub" and request.lease_seconds == 864_000


def test_websub_unsubscribe_ignores_lease_and_secret() -> None:
    # WebSub §5.1: hub.lease_seconds "MUST be ignored by the hub" for unsubscribe.
    request = parse_hub_request(form(mode_="unsubscribe", lease_seconds="soon", secret="x"))
    assert request.mode == "unsubscribe"
    assert request.lease_seconds is None and request.secret is None
    assert request.topic is not None and request.topic.tags == ("cats", "dogs")


@pytest.mark.parametrize(
    ("requested", "granted"),
    [
        ("<absent>", 864_000),
        ("", 864_000),
        ("1", 60),
        ("60", 60),
        ("3600", 3600),
        ("0003600", 3600),
        ("864000", 864_000),
        ("864001", 864_000),
        ("9" * 40, 864_000),
    ],
)
def test_leases_are_clamped_to_the_policy(requested: str, granted: int) -> None:
    assert parse_hub_request(form(lease_seconds=requested)).lease_seconds == granted


def test_a_configured_lease_policy() -> None:
    policy = LeasePolicy(min_seconds=300, default_seconds=3600, max_seconds=7200)
    assert parse_hub_request(form(), leases=policy).lease_seconds == 3600
    assert parse_hub_request(form(lease_seconds="10"), leases=policy).lease_seconds == 300
    assert parse_hub_request(form(lease_seconds="99999"), leases=policy).lease_seconds == 7200
    for bad in ((0, 1, 2), (10, 5, 20), (1, 30, 20)):
        with pytest.raises(ValueError, match="min_seconds"):
            LeasePolicy(*bad)


@pytest.mark.parametrize("lease", ["0", "000", "-5", "1.5", "ten", "1e3", "٣٠"])
def test_a_lease_that_is_not_a_positive_whole_number_is_a_400(lease: str) -> None:
    error = hub_refused(form(lease_seconds=lease))
    assert error.status == 400
    assert error.argument == "hub.lease_seconds"
    assert "positive whole number" in error.reason


def test_secrets_must_be_less_than_200_bytes() -> None:
    ok = "x" * 199
    assert parse_hub_request(form(secret=ok)).secret == ok
    assert "at most 199 bytes" in hub_refused(form(secret="x" * 200)).reason
    # Bytes, not characters: 100 two-byte characters are 200 bytes.
    assert hub_refused(form(secret="é" * 100)).argument == "hub.secret"
    assert parse_hub_request(form(secret="")).secret is None


def test_a_secret_is_accepted_over_plain_http_too() -> None:
    request = parse_hub_request(form(callback="http://receiver.example/cb", secret="s"))
    assert request.secret == "s"


@pytest.mark.parametrize(
    ("pairs", "argument", "words"),
    [
        (form(mode_="<absent>"), "hub.mode", "required"),
        (form(mode_=""), "hub.mode", "required"),
        (form(mode_="publish"), "hub.mode", "publishes its own"),
        (form(mode_="subscribe!"), "hub.mode", "subscribe or unsubscribe"),
        (form(callback="<absent>"), "hub.callback", "required"),
        (form(callback="not a url"), "hub.callback", "printable ASCII"),
        (form(callback="ftp://receiver.example/"), "hub.callback", "http://"),
        (form(topic="<absent>"), "hub.topic", "required"),
        (form(topic="https://photos.example/elsewhere"), "hub.topic", "no /push/topics/"),
        (form(topic="https://photos.example/push/topics/kittens"), "hub.topic", "no topic"),
        (
            form(
                topic="https://photos.example/push/topics/tags?tags="
                + ",".join("abcdefghijklmnopqrstu")
            ),
            "hub.topic",
            "at most 20",
        ),
        (
            form(topic="https://photos.example/push/topics/geo?lat=1&lon=2&radius=40"),
            "hub.topic",
            "radius",
        ),
        ([*form(), ("hub.mode", "unsubscribe")], "hub.mode", "twice"),
    ],
)
def test_bad_websub_requests_are_400s_with_reasons(
    pairs: list[tuple[str, str]], argument: str, words: str
) -> None:
    error = hub_refused(pairs)
    assert error.status == 400
    assert error.argument == argument
    assert words in error.reason
    assert error.reason.startswith(argument)


def test_the_same_parameter_twice_with_the_same_value_is_fine() -> None:
    assert parse_hub_request([*form(), ("hub.mode", "subscribe")]).mode == "subscribe"


def test_private_callbacks_are_403_unless_allow_listed() -> None:
    pairs = form(callback="http://127.0.0.1:9000/cb")
    error = hub_refused(pairs)
    assert (error.status, error.argument) == (403, "hub.callback")
    allowed = parse_hub_request(pairs, allow=parse_allow_list("127.0.0.1"))
    assert allowed.callback == "http://127.0.0.1:9000/cb"


def test_the_callback_length_limit_is_configurable() -> None:
    long = "https://receiver.example/" + "a" * 100
    assert hub_refused(form(callback=long), max_callback_length=100).argument == "hub.callback"


def test_a_base_url_pins_the_topic_origin() -> None:
    base = "https://photos.example"
    assert parse_hub_request(form(), base_url=base).topic_name == "tags"
    error = hub_refused(form(topic=TOPIC.replace("photos.example", "other.example")), base_url=base)
    assert "not a topic of this hub" in error.reason


def test_unknown_parameters_are_ignored() -> None:
    # WebSub §5.1: "Hubs MUST ignore additional request parameters they do not understand".
    request = parse_hub_request([*form(extra="1"), ("utm_source", "x")])
    assert request.dialect == "websub"


def test_a_websub_request_keeps_no_verify_token() -> None:
    assert parse_hub_request(form(verify_token="abc")).verify_token is None


# --- PubSubHubbub 0.3 ---------------------------------------------------------------


def test_hub_verify_makes_it_a_0_3_request() -> None:
    request = parse_hub_request(form(verify="sync", verify_token="tok"))
    assert request.dialect == "pubsubhubbub-0.3"
    assert request.verify == "sync"
    assert request.verify_token == "tok"
    assert accepted_status(request) == 204
    assert websub.VERIFICATION_FAILED == 409


@pytest.mark.parametrize(
    ("values", "chosen"),
    [
        (["async"], "async"),
        (["sync", "async"], "sync"),
        (["async", "sync"], "async"),
        (["sync,async"], "sync"),
        (["ASYNC"], "async"),
        (["carrier-pigeon", "async", "sync"], "async"),  # unknown modes are skipped
    ],
)
def test_the_first_supported_verify_mode_wins(values: list[str], chosen: str) -> None:
    pairs = form() + [("hub.verify", v) for v in values]
    request = parse_hub_request(pairs)
    assert request.verify == chosen
    assert accepted_status(request) == (204 if chosen == "sync" else 202)


@pytest.mark.parametrize("values", [[""], ["later"], ["carrier-pigeon", " "]])
def test_no_supported_verify_mode_is_a_400(values: list[str]) -> None:
    error = hub_refused(form() + [("hub.verify", v) for v in values])
    assert (error.status, error.argument) == (400, "hub.verify")


def test_0_3_verify_tokens_are_limited_to_200_bytes() -> None:
    assert parse_hub_request(form(verify="async", verify_token="t" * 200)).verify_token
    error = hub_refused(form(verify="async", verify_token="t" * 201))
    assert error.argument == "hub.verify_token"


def test_0_3_unsubscribe_keeps_the_token() -> None:
    request = parse_hub_request(form(mode_="unsubscribe", verify="sync", verify_token="t"))
    assert (request.mode, request.verify, request.verify_token) == ("unsubscribe", "sync", "t")
    assert request.lease_seconds is None


# --- Flickr -------------------------------------------------------------------------


def flickr(**args: str) -> dict[str, str]:
    base = {"topic": "contacts_photos", "callback": CALLBACK, "verify": "async"}
    return {k: v for k, v in (base | args).items() if v != "<absent>"}


def flickr_refused(args: dict[str, str], **kwargs: object) -> SubscribeError:
    with pytest.raises(SubscribeError) as caught:
        parse_flickr_request(args, **({"mode": "subscribe", "user": ME} | kwargs))  # type: ignore[arg-type]
    return caught.value


def test_a_flickr_subscription_without_a_lease_auto_renews() -> None:
    request = parse_flickr_request(flickr(verify_token="tok"), mode="subscribe", user=ME)
    assert request == SubscriptionRequest(
        mode="subscribe",
        dialect="flickr",
        callback=CALLBACK,
        topic_name="contacts_photos",
        topic=Topic("contacts_photos", user=ME),
        topic_param="contacts_photos",
        lease_seconds=AUTO_RENEW_LEASE_SECONDS,
        verify="async",
        auto_renew=True,
        verify_token="tok",
    )
    assert AUTO_RENEW_LEASE_SECONDS == 86_400


@pytest.mark.parametrize(("lease", "granted"), [("60", 60), ("3600", 3600), ("86400", 86_400)])
def test_flickr_leases_from_60_to_86400(lease: str, granted: int) -> None:
    request = parse_flickr_request(flickr(lease_seconds=lease), mode="subscribe", user=ME)
    assert (request.lease_seconds, request.auto_renew) == (granted, False)


@pytest.mark.parametrize("lease", ["59", "0", "86401", "1000000", "-60", "sixty", "60.0"])
def test_flickr_leases_outside_the_range_are_error_2(lease: str) -> None:
    error = flickr_refused(flickr(lease_seconds=lease))
    assert (error.code, error.argument) == (INVALID_PARAMETER_VALUE, "lease_seconds")
    assert error.flickr_message == "Invalid parameter value: lease_seconds must be from 60 to 86400"


def test_flickr_leases_are_clamped_by_the_policy_too() -> None:
    policy = LeasePolicy(min_seconds=300, default_seconds=3600, max_seconds=7200)
    request = parse_flickr_request(
        flickr(lease_seconds="60"), mode="subscribe", user=ME, leases=policy
    )
    assert request.lease_seconds == 300
    auto = parse_flickr_request(flickr(), mode="subscribe", user=ME, leases=policy)
    assert (auto.lease_seconds, auto.auto_renew) == (7200, True)


@pytest.mark.parametrize("missing", ["topic", "callback", "verify"])
def test_flickr_required_arguments_are_error_1(missing: str) -> None:
    for value in ("<absent>", " "):
        error = flickr_refused(flickr(**{missing: value}))
        assert (error.code, error.argument) == (REQUIRED_PARAMETER_MISSING, missing)
        assert error.flickr_message == f"Required parameter missing: {missing} is required"


@pytest.mark.parametrize(
    ("args", "argument"),
    [
        (flickr(topic="kittens"), "topic"),
        (flickr(verify="later"), "verify"),
        (flickr(callback="ftp://receiver.example/"), "callback"),
        (flickr(callback="https://receiver.example/" + "a" * 231), "callback"),  # 256 bytes
        (flickr(verify_token="t" * 201), "verify_token"),
        (flickr(topic="geo", lat="1", lon="1", radius="33"), "radius"),
        (flickr(topic="geo", lat="1", lon="1", radius_units="ft"), "radius_units"),
        (flickr(topic="tags", tags=",".join(f"t{n}" for n in range(21))), "tags"),
        (flickr(topic="commons", nsids="nobody"), "nsids"),
    ],
)
def test_flickr_bad_values_are_error_2(args: dict[str, str], argument: str) -> None:
    error = flickr_refused(args)
    assert (error.code, error.argument) == (INVALID_PARAMETER_VALUE, argument)


def test_flickr_callbacks_may_have_255_bytes() -> None:
    callback = "https://receiver.example/" + "a" * 230
    assert len(callback) == 255
    assert parse_flickr_request(flickr(callback=callback), mode="subscribe", user=ME).callback


def test_flickr_geo_without_a_place_is_error_1() -> None:
    assert flickr_refused(flickr(topic="geo")).code == REQUIRED_PARAMETER_MISSING
    assert flickr_refused(flickr(topic="tags")).code == REQUIRED_PARAMETER_MISSING


def test_flickr_private_callbacks_are_error_2_and_403() -> None:
    error = flickr_refused(flickr(callback="http://10.0.0.8/cb"))
    assert (error.code, error.status, error.argument) == (INVALID_PARAMETER_VALUE, 403, "callback")
    allow = parse_allow_list("10.0.0.0/8")
    assert parse_flickr_request(
        flickr(callback="http://10.0.0.8/cb"), mode="subscribe", user=ME, allow=allow
    )


def test_flickr_topics_with_arguments() -> None:
    args = flickr(topic="GEO", woe_ids="2487956", lat="1", lon="2", verify="SYNC")
    request = parse_flickr_request(args, mode="subscribe", user=ME)
    assert request.topic == Topic("geo", woe_ids=(2487956,), accuracy=1)
    assert (request.topic_name, request.topic_param, request.verify) == ("geo", "GEO", "sync")
    tags = parse_flickr_request(flickr(topic="tags", tags="b,a"), mode="subscribe", user=ME)
    assert tags.topic is not None and tags.topic.path == "/push/topics/tags?tags=a,b"


def test_flickr_unsubscribe_names_the_subscription_by_callback() -> None:
    args = flickr(topic="geo", verify="sync", verify_token="t", lease_seconds="nonsense")
    request = parse_flickr_request(args, mode="unsubscribe", user=ME)
    assert (request.mode, request.topic_name, request.topic) == ("unsubscribe", "geo", None)
    assert (request.lease_seconds, request.verify_token, request.verify) == (None, "t", "sync")
    assert flickr_refused(flickr(topic="nope"), mode="unsubscribe").argument == "topic"
    assert flickr_refused(flickr(verify="<absent>"), mode="unsubscribe").code == 1


def test_flickr_error_codes_are_flickrs() -> None:
    # flickr.reflection.getMethodInfo for flickr.push.subscribe / unsubscribe.
    assert FLICKR_MESSAGES[REQUIRED_PARAMETER_MISSING] == "Required parameter missing"
    assert FLICKR_MESSAGES[INVALID_PARAMETER_VALUE] == "Invalid parameter value"
    assert CALLBACK_IN_USE == 3 and CALLBACK_FAILED == 4 and PENDING == 6 and NOT_FOUND == 7
    assert FLICKR_MESSAGES[NOT_FOUND] == "Subscription not found"


def test_the_public_face_exports_what_the_hub_needs() -> None:
    for name in websub.__all__:
        assert hasattr(websub, name), name
