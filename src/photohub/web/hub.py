"""``POST /hub``, the W3C WebSub / PubSubHubbub 0.3 hub endpoint, over HTTP.

The body is a form, ``application/x-www-form-urlencoded`` (WebSub §5.1, 0.3 §6.1); any
other Content-Type is 415. Every answer is plain text (WebSub §5.1.2: "hubs SHOULD
return a description of the error in the response body as plain text"): the status and
reason come from push.hub, or from the SubscribeError it raised; 429 carries
Retry-After. The body is read up to :data:`MAX_FORM_BYTES` (413 beyond) and must be
UTF-8 once percent-decoded.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from photohub.domain.push_errors import SubscribeError
from photohub.push import hub
from photohub.push.limits import RateLimited
from photohub.web.render import site_of

FORM_TYPE = "application/x-www-form-urlencoded"
# A callback of 2,048 bytes and a topic URL, percent-encoded three bytes a character,
# with room to spare.
MAX_FORM_BYTES = 65_536
MAX_FIELDS = 64


class _TooLarge(Exception):
    pass


def _text(status: int, text: str) -> Response:
    return PlainTextResponse(text + "\n" if text else "", status_code=status)


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise _TooLarge
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise _TooLarge
    return body


async def endpoint(request: Request) -> Response:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != FORM_TYPE:
        return _text(
            415, f"the body must be a form, Content-Type {FORM_TYPE}; got {media_type or 'none'}"
        )
    try:
        body = await _body(request)
    except _TooLarge:
        return _text(413, f"the form is larger than {MAX_FORM_BYTES} bytes")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except UnicodeDecodeError:
        return _text(400, "the form is not valid UTF-8 (percent-encode other bytes)")
    except ValueError:
        return _text(400, f"the form has more than {MAX_FIELDS} fields")
    try:
        answer = await hub.handle(site_of(request), pairs)
    except RateLimited as exc:
        response = _text(exc.status, exc.reason)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except SubscribeError as exc:
        return _text(exc.status, exc.reason)
    if answer.status == 204:
        return Response(status_code=204)
    return _text(answer.status, answer.text)
