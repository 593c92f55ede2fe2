"""A real HTTP callback for push tests: a small ASGI app served by uvicorn on
127.0.0.1, a free port, that records every request and answers as it is told."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from tests.servers import serving

Behaviour = str  # echo | wrong | newline | refuse | error | slow | redirect | big


@dataclass(frozen=True)
class Post:
    """One content delivery the receiver got: path, headers (lower-case names), body,
    and the client's (address, port): the same for POSTs over one kept-alive connection."""

    path: str
    headers: dict[str, str]
    body: bytes
    peer: tuple[str, int] | None = None


@dataclass
class Receiver:
    behaviour: Behaviour = "echo"
    requests: list[list[tuple[str, str]]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    url: str = ""
    # Deliveries (POSTs): recorded, answered with post_status (per path if listed).
    posts: list[Post] = field(default_factory=list)
    post_status: int = 204
    post_status_by_path: dict[str, int] = field(default_factory=dict)
    post_delay: float = 0.0
    post_delay_by_path: dict[str, float] = field(default_factory=dict)

    def posts_to(self, path: str) -> list[Post]:
        return [p for p in self.posts if p.path == path]

    async def _post(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        delay = self.post_delay_by_path.get(scope["path"], self.post_delay)
        if delay:
            await asyncio.sleep(delay)
        status = self.post_status_by_path.get(scope["path"], self.post_status)
        client = scope.get("client")
        self.posts.append(Post(scope["path"], headers, body, tuple(client) if client else None))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def last(self) -> dict[str, str]:
        return dict(self.requests[-1])

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] == "POST":
            await self._post(scope, receive, send)
            return
        pairs = parse_qsl(scope["query_string"].decode(), keep_blank_values=True)
        self.requests.append(pairs)
        self.paths.append(scope["path"])
        challenge = dict(pairs).get("challenge", "")
        status, body, headers = 200, challenge.encode(), [(b"content-type", b"text/plain")]
        if self.behaviour == "wrong":
            body = b"not the challenge"
        elif self.behaviour == "newline":
            body += b"\n"
        elif self.behaviour == "refuse":
            status, body = 404, b"no thanks"
        elif self.behaviour == "error":
            status = 500
        elif self.behaviour == "slow":
            await asyncio.sleep(3)
        elif self.behaviour == "redirect":
            status = 302
            headers.append(
                (b"location", f"{self.url}/elsewhere?{scope['query_string'].decode()}".encode())
            )
        elif self.behaviour == "big":
            body = challenge.encode() * 1000
        elif self.behaviour == "hub":
            # WebSub / PubSubHubbub 0.3: echo hub.challenge (a denied notice has none).
            body = dict(pairs).get("hub.challenge", "").encode()
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@contextlib.asynccontextmanager
async def receiving(
    behaviour: Behaviour = "echo", host: str = "127.0.0.1"
) -> AsyncIterator[Receiver]:
    """A receiver on ``host`` (``::1`` for IPv6), a free port."""
    receiver = Receiver(behaviour)
    async with serving(receiver, host) as port:
        receiver.url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        yield receiver
