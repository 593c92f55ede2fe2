"""Security headers on every response, in one place (docs/pages.md, "Security headers").

Every response, the REST API, files and event streams included, says
``X-Content-Type-Options: nosniff`` (a browser never guesses HTML out of a JSON body, a
feed or an uploaded file) and ``Referrer-Policy: same-origin`` (photo page addresses,
OAuth tokens in a query string never leave for another site; our own requests keep a
``Referer``, which the CSRF check may read). HTML documents also may not be framed by
any site (``X-Frame-Options: DENY`` for old browsers, ``frame-ancestors 'none'`` in the
policy; the wall too: a projector opens it directly) and get a strict default
``Content-Security-Policy`` when the page set none (pages set their own, with a nonce:
``render.content_security_policy``).

A pure ASGI middleware: it only adds headers to ``http.response.start`` and passes every
body message through untouched, so SSE streams keep flowing and the CORS answers of
topic streams keep their own headers. A header a handler set is never overwritten.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

EVERY_RESPONSE: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)
DEFAULT_PAGE_POLICY = (
    b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HTML_DOCUMENTS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", DEFAULT_PAGE_POLICY),
)


def _with_defaults(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
    wanted = EVERY_RESPONSE
    if content_type.lower().startswith(b"text/html"):
        wanted += HTML_DOCUMENTS
    return headers + [(name, value) for name, value in wanted if name not in present]


class SecurityHeaders:
    """Adds the default security headers to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": _with_defaults(list(message.get("headers", [])))}
            await send(message)

        await self.app(scope, receive, send_with_headers)
