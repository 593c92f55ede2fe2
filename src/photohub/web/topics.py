"""``GET /push/topics/<name>?<arguments>``: a topic URL answers with the topic's feed.

WebSub §4 (discovery): a GET of the topic URL returns its content with ``Link:
<hub>; rel="hub"`` and ``Link: <topic>; rel="self"``; subscribers then subscribe to the
``self`` URL at the hub. The content is the topic's newest photos (``push.feeds``), as
Atom 1.0 (``application/atom+xml``) or, asked for by ``?format=json`` or an ``Accept``
header that prefers ``application/feed+json`` (or plain ``application/json``), as
JSON Feed 1.1.

The topic is read with ``domain.topics.parse_topic_url``, so any spelling of a topic's
URL (another order, repeats, percent-encoding) serves the same feed, whose ``self`` is
the canonical URL. An unknown topic name answers 404, any other bad topic URL 400; both
with the reason as ``text/plain`` (WebSub §5.1.2's convention for the hub's errors).

Caching (RFC 9110 §8.8, §13): ``Cache-Control: no-cache`` (store, but revalidate every
time); a strong ``ETag``, the hash of the document, and ``Last-Modified``, the latest
edit or fave among the feed's photos (left out for an empty feed). ``If-None-Match``
answers 304 when a tag matches (weak comparison, §13.1.2) and, only when that header is
absent, ``If-Modified-Since`` answers 304 when nothing is newer (§13.2.2's order). The
ETag is exact; Last-Modified cannot see a photo that *left* the feed, so prefer the ETag.
HEAD answers the same headers without the body.

Cross-origin (CORS, :data:`CORS`): topic URLs are public, and a stream's credentials are
in its URL or its ``Authorization`` header, never in cookies, so every origin may read
them: ``Access-Control-Allow-Origin: *`` without credentials, ``Link``, ``ETag`` and
``Last-Modified`` exposed to scripts (hub discovery from a page), and preflights for
``Authorization``, ``Last-Event-ID`` and the conditional headers answered for a day.
A page's ``EventSource`` on another origin can so follow a signed stream URL.

Topic streams: a GET whose ``Accept`` names ``text/event-stream`` (what EventSource
sends) with a q no lower than the feeds' is answered by the topic's SSE stream
(``live.topic_stream``) instead. It must be authorised, by a signed URL
(``expires`` and ``signature``, ``domain.stream_urls``, from flickr.push.getStreamUrl)
or by an OAuth 1.0a signature (RFC 5849, in the ``Authorization`` header or the query)
with a token of ``read`` permission or more, whose user must be a personal topic's own.
No credentials answer 401 with ``WWW-Authenticate: OAuth`` (RFC 9110 §11.6.1); bad or
expired ones 403; both with the reason as ``text/plain``. ``expires``, ``signature``,
``last_event_id`` and the ``oauth_*`` parameters are the stream's, not the topic's.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Literal
from urllib.parse import parse_qsl, quote, urlencode

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from photohub.api import oauth
from photohub.api.auth import is_signed
from photohub.api.errors import ApiError
from photohub.api.registry import perm_level
from photohub.domain import atom, jsonfeed, stream_urls
from photohub.domain.push_errors import SubscribeError
from photohub.domain.topics import (
    DISPLAY_NAMES,
    PERSONAL_TOPICS,
    TOPIC_NAMES,
    TOPICS_PATH,
    Topic,
    parse_topic_url,
    topic_url,
)
from photohub.live.stream import resume_point
from photohub.live.topic_stream import TopicStream
from photohub.push import feeds
from photohub.site import Site
from photohub.web.render import site_of

Format = Literal["atom", "json"]
ATOM_TYPE = f"{atom.MEDIA_TYPE}; charset=utf-8"
JSON_TYPES = (jsonfeed.MEDIA_TYPE, "application/json")
EVENT_STREAM = "text/event-stream"
STREAM_PARAMETERS = stream_urls.PARAMETERS | {"last_event_id"}
CACHE_CONTROL = "no-cache"
# An empty feed still needs an Atom <updated>; a fixed one keeps its ETag stable.
EMPTY_FEED_UPDATED = datetime(1970, 1, 1)


CORS = Middleware(
    CORSMiddleware,
    allow_origins=["*"],
    allow_methods=["GET", "HEAD"],
    allow_headers=["Authorization", "Last-Event-ID", "If-None-Match", "If-Modified-Since"],
    expose_headers=["Link", "ETag", "Last-Modified"],
    max_age=86400,
)
METHODS = ["GET", "HEAD", "OPTIONS"]  # OPTIONS: CORS preflights (answered by CORS)


class BadTopicURL(Exception):
    """A request that names no topic (404) or a bad one (400), and why, in plain words."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    """``Accept`` as (media range, q) pairs, lower-cased; a bad q counts as 0."""
    ranges: list[tuple[str, float]] = []
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if not media:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(1.0, max(0.0, float(value.strip())))
                except ValueError:
                    q = 0.0
        ranges.append((media.lower(), q))
    return ranges


def _quality(ranges: list[tuple[str, float]], media_type: str) -> float:
    """The q the most specific matching range gives ``media_type`` (RFC 9110 §12.5.1)."""
    kind = media_type.split("/")[0]
    best: tuple[int, float] = (-1, 0.0)
    for media, q in ranges:
        specificity = {media_type: 2, f"{kind}/*": 1, "*/*": 0}.get(media, -1)
        if specificity > best[0]:
            best = (specificity, q)
    return best[1]


def choose_format(requested: str | None, accept: str) -> Format:
    """``?format=`` wins; else JSON Feed when Accept prefers it to Atom, else Atom."""
    if requested is not None:
        if requested not in ("atom", "json"):
            raise BadTopicURL(400, "format must be atom or json")
        return "json" if requested == "json" else "atom"
    ranges = _media_ranges(accept)
    json_q = max(_quality(ranges, media) for media in JSON_TYPES)
    return "json" if json_q > _quality(ranges, atom.MEDIA_TYPE) else "atom"


def _base(site: Site) -> str | None:
    return site.settings.public_url.rstrip("/") or None


def read_topic(site: Site, name: str, query: str) -> tuple[Topic, str | None]:
    """The topic a request names, and its ``format`` parameter (not a topic argument)."""
    if name not in TOPIC_NAMES:
        raise BadTopicURL(
            404, f"no topic is called {name[:40]!r}; the topics are " + ", ".join(TOPIC_NAMES)
        )
    pairs = parse_qsl(query, keep_blank_values=True)
    formats = {value for key, value in pairs if key == "format"}
    if len(formats) > 1:
        raise BadTopicURL(400, "format is given twice with different values")
    rest = urlencode([(k, v) for k, v in pairs if k != "format"], quote_via=quote)
    # Read as the absolute URL under the public one: a public URL with a path prefix
    # (behind a proxy that strips it) still names the same topic.
    base = _base(site)
    url = (base or "") + TOPICS_PATH + name + (f"?{rest}" if rest else "")
    try:
        topic = parse_topic_url(url, base_url=base, argument="the topic URL")
    except SubscribeError as exc:
        raise BadTopicURL(400, exc.reason) from None
    return topic, next(iter(formats), None)


def etag_of(document: bytes) -> str:
    return '"' + hashlib.sha256(document).hexdigest()[:32] + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match's weak comparison: ``*``, or any listed tag, W/ or not."""
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)


def _http_date(moment: datetime) -> str:
    return format_datetime(moment.replace(tzinfo=UTC, microsecond=0), usegmt=True)


def _not_modified_since(header: str, changed: datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        return False  # not an HTTP-date (those are GMT)
    return changed.replace(tzinfo=UTC, microsecond=0) <= since


def not_modified(request: Request, etag: str, changed: datetime | None) -> bool:
    """RFC 9110 §13.2.2: If-None-Match first; If-Modified-Since only without it."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return _matches(if_none_match, etag)
    since = request.headers.get("if-modified-since")
    return since is not None and changed is not None and _not_modified_since(since, changed)


def render(
    entries: list[atom.PhotoEntry], topic: Topic, base: str, kind: Format, changed: datetime | None
) -> tuple[bytes, str]:
    """The document and its Content-Type."""
    self_url = topic_url(topic, base)
    title = DISPLAY_NAMES[topic.name]
    if kind == "json":
        document = jsonfeed.json_feed(
            entries, title=title, feed_url=self_url, hub_url=base + "/hub"
        )
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return body, jsonfeed.MEDIA_TYPE
    body = atom.feed(
        entries,
        feed_id=self_url,
        title=title,
        self_url=self_url,
        hub_url=base + "/hub",
        updated=changed or EMPTY_FEED_UPDATED,
    )
    return body, ATOM_TYPE


async def feed(request: Request) -> Response:
    """GET or HEAD of a topic URL (an OPTIONS that is no CORS preflight: what it allows)."""
    if request.method == "OPTIONS":
        return Response(status_code=204, headers={"Allow": "GET, HEAD, OPTIONS"})
    if wants_stream(request.headers.get("accept", "")):
        return await stream(request)
    site = site_of(request)
    try:
        topic, requested = read_topic(site, str(request.path_params["name"]), request.url.query)
        kind = choose_format(requested, request.headers.get("accept", ""))
    except BadTopicURL as exc:
        return PlainTextResponse(exc.reason, status_code=exc.status)
    base = site.base_url
    async with site.db.read() as conn:
        photos = await feeds.topic_photos(conn, topic)
    changed = feeds.last_change(photos)
    body, content_type = render(feeds.entries(base, photos), topic, base, kind, changed)
    etag = etag_of(body)
    headers = {
        "Link": f'<{base}/hub>; rel="hub", <{topic_url(topic, base)}>; rel="self"',
        "Cache-Control": CACHE_CONTROL,
        "Vary": "Accept",
        "ETag": etag,
    }
    if changed is not None:
        headers["Last-Modified"] = _http_date(changed)
    if not_modified(request, etag, changed):
        return Response(status_code=304, headers=headers)
    headers["Content-Type"] = content_type
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(b"", headers=headers)
    return Response(body, headers=headers)


def wants_stream(accept: str) -> bool:
    """Whether ``Accept`` names ``text/event-stream`` itself (``*/*`` is not enough) with
    a q above 0 and no lower than Atom's or JSON Feed's."""
    ranges = _media_ranges(accept)
    named = [q for media, q in ranges if media == EVENT_STREAM]
    if not named or max(named) <= 0:
        return False
    feeds_q = max(_quality(ranges, media) for media in (atom.MEDIA_TYPE, *JSON_TYPES))
    return max(named) >= feeds_q


def _stream_parameter(name: str) -> bool:
    return name in STREAM_PARAMETERS or name.startswith("oauth_")


@dataclass(frozen=True)
class Denied:
    status: int
    reason: str


@dataclass(frozen=True)
class Allowed:
    until: float | None  # a signed URL's expiry (Unix time); None for an OAuth signature


NO_CREDENTIALS = Denied(
    401, "a topic stream needs a signed URL (flickr.push.getStreamUrl) or an OAuth 1.0a signature"
)


async def authorise(
    site: Site, request: Request, topic: Topic, params: dict[str, str]
) -> Allowed | Denied:
    """Whether the request may follow ``topic``'s stream (``params``: the query)."""
    if stream_urls.has_proof(params):
        refusal = stream_urls.check(topic.path, params, site.secret_key, now=time.time())
        if refusal is not None:
            return Denied(403, refusal.reason)
        return Allowed(float(params[stream_urls.EXPIRES].strip()))
    if not is_signed(request, params):
        return NO_CREDENTIALS
    try:
        caller = await oauth.verify_call(site, request, params)
    except ApiError as exc:
        return Denied(403, exc.message)
    if caller.user is None or perm_level(caller.perms) < perm_level("read"):
        return Denied(403, "the OAuth token needs read permission")
    if topic.name in PERSONAL_TOPICS and topic.user != str(caller.user["nsid"]):
        return Denied(403, "a personal topic can be followed only by its own user")
    return Allowed(None)


async def stream(request: Request) -> Response:
    """A topic URL asked for ``text/event-stream``: the topic's SSE stream."""
    site = site_of(request)
    pairs = parse_qsl(request.url.query, keep_blank_values=True)
    params: dict[str, str] = {}
    for key, value in pairs:
        if _stream_parameter(key) and params.setdefault(key, value) != value:
            return PlainTextResponse(f"{key[:40]} is given twice with different values", 400)
    rest = urlencode([(k, v) for k, v in pairs if not _stream_parameter(k)], quote_via=quote)
    try:
        topic, _ = read_topic(site, str(request.path_params["name"]), rest)
    except BadTopicURL as exc:
        return PlainTextResponse(exc.reason, status_code=exc.status)
    verdict = await authorise(site, request, topic, dict(pairs) | params)
    if isinstance(verdict, Denied):
        headers = {"WWW-Authenticate": 'OAuth realm="photohub"'} if verdict.status == 401 else {}
        return PlainTextResponse(verdict.reason, status_code=verdict.status, headers=headers)
    return TopicStream(site.topic_streams, topic, resume_point(request), verdict.until)
