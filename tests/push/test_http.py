"""The hub's callback client against a real local receiver: IP literals are checked
before any connection (aiohttp resolves only names), answers are capped, redirects
are not followed, and connections are kept alive between POSTs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from photohub.domain.callbacks import parse_allow_list
from photohub.push.http import AddressRefused, CallbackClient, CallbackFailed
from tests.push.receiver import Receiver, receiving

pytestmark = pytest.mark.anyio

LOOPBACK = parse_allow_list("127.0.0.1")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as receiver:
        yield receiver


async def post(client: CallbackClient, url: str, body: bytes = b"<feed/>") -> int:
    status, _ = await client.request("POST", url, headers={}, body=body, wait=5, limit=64)
    return status


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "169.254.169.254", "10.1.2.3", "[fe80::1]"]
)
async def test_a_refused_ip_literal_is_never_connected_to(receiver: Receiver, host: str) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    async with CallbackClient() as client:
        with pytest.raises(AddressRefused, match="not allowed") as refused:
            await post(client, f"http://{host}:{port}/cb")
    assert host.strip("[]") not in str(refused.value)  # only in the detail, for the log
    assert host.strip("[]") in refused.value.detail
    assert receiver.posts == []


async def test_a_name_is_checked_at_every_address(receiver: Receiver) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    async with CallbackClient() as client:
        with pytest.raises(AddressRefused, match="not allowed") as refused:
            await post(client, f"http://localhost:{port}/cb")
    assert "127.0.0.1" not in str(refused.value)
    assert "localhost resolves to 127.0.0.1" in refused.value.detail
    async with CallbackClient(parse_allow_list("127.0.0.0/8, ::1")) as client:
        assert await post(client, f"http://localhost:{port}/cb") == 204
    assert [p.path for p in receiver.posts] == ["/cb"]


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/cb", "file:///etc/passwd", "http:///cb"])
async def test_only_http_urls_are_called(url: str) -> None:
    async with CallbackClient(LOOPBACK) as client:
        with pytest.raises(CallbackFailed, match="scheme is not http or https"):
            await post(client, url)


async def test_answers_are_capped_and_redirects_not_followed(receiver: Receiver) -> None:
    receiver.behaviour = "big"
    async with CallbackClient(LOOPBACK) as client:
        status, body = await client.request(
            "GET", receiver.url + "/cb?challenge=abc", headers={}, wait=5, limit=10
        )
        assert status == 200 and body == b"abcabcabcab"  # limit + 1: "there was more"
        receiver.behaviour = "redirect"
        status, _ = await client.request("GET", receiver.url + "/cb", headers={}, wait=5, limit=10)
        assert status == 302
    assert receiver.paths == ["/cb", "/cb"]


async def test_posts_share_a_kept_alive_connection(receiver: Receiver) -> None:
    async with CallbackClient(LOOPBACK, connections=4) as client:
        for n in range(5):
            assert await post(client, f"{receiver.url}/cb/{n}", f"<n>{n}</n>".encode()) == 204
    assert [p.body for p in receiver.posts] == [f"<n>{n}</n>".encode() for n in range(5)]
    assert len({p.peer for p in receiver.posts}) == 1


async def test_a_slow_answer_times_out_with_a_reason(receiver: Receiver) -> None:
    receiver.post_delay = 2.0
    async with CallbackClient(LOOPBACK) as client:
        with pytest.raises(CallbackFailed, match=r"did not answer within 0.3 s"):
            await client.request(
                "POST", receiver.url + "/cb", headers={}, body=b"x", wait=0.3, limit=8
            )


async def test_an_ipv6_callback_is_called_when_allowed_and_refused_otherwise() -> None:
    async with receiving(host="::1") as receiver:
        async with CallbackClient(parse_allow_list("::1")) as client:
            assert await post(client, receiver.url + "/cb", b"<v6/>") == 204
        async with CallbackClient(LOOPBACK) as client:  # 127.0.0.1 only
            with pytest.raises(AddressRefused, match="not allowed") as refused:
                await post(client, receiver.url + "/cb")
            assert "::1" in refused.value.detail
    assert [p.body for p in receiver.posts] == [b"<v6/>"]
    assert receiver.posts[0].peer is not None and receiver.posts[0].peer[0] == "::1"
