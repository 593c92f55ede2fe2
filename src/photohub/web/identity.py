"""Who is asking: the guest cookie, the host's admin cookie, the account's session
cookie, and CSRF tokens.

A guest gets a random identity in a signed, HttpOnly cookie on the first page visit:
never an id in a URL or in localStorage, which anyone could copy.

CSRF (docs/pages.md): every browser gets its own random ``photohub_csrf`` cookie on its
first page view. A token is an HMAC of that cookie, the host flag, the account and its
session, so it needs no storage, no two browsers share one (a token read by one browser
is refused for another; a browser without the cookie has no valid token at all), and it
changes at every log in and log out (the cookie is renewed then too). On top of the
token, :func:`origin_problem` refuses a request whose ``Origin``/``Sec-Fetch-Site`` says
it came from another site, ``Origin: null`` included (sandboxed frames send it).

An account's session is a random token in the ``photohub_session`` cookie; only its hash
is in the database (``store/sessions.py``). Finding the account takes a database read,
so it is resolved once per request, asynchronously, by :func:`current_viewer` (or up
front by :class:`SessionMiddleware` for every request carrying the cookie) and kept in
the request's scope; the synchronous :func:`viewer` then returns the same answer.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from itsdangerous import BadSignature, Signer, TimestampSigner
from sqlalchemy.engine import RowMapping
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from photohub.domain.errors import Forbidden
from photohub.domain.privacy import Viewer
from photohub.site import Site
from photohub.store import sessions

GUEST_COOKIE = "photohub_guest"
ADMIN_COOKIE = "photohub_admin"
SESSION_COOKIE = "photohub_session"
CSRF_COOKIE = "photohub_csrf"
GUEST_MAX_AGE = 400 * 24 * 3600  # browsers cap cookie lifetimes at 400 days
ADMIN_MAX_AGE = 7 * 24 * 3600
SESSION_MAX_AGE = sessions.SESSION_DAYS * 24 * 3600
CSRF_MAX_AGE = GUEST_MAX_AGE  # an open upload page on a phone must still post tomorrow
# Where the resolved account is kept for the rest of the request (in its ASGI scope).
_SCOPE_KEY = "photohub.account"


def _signer(site: Site, purpose: str) -> Signer:
    return Signer(site.secret_key, salt=f"photohub.{purpose}")


def guest_id(request: HTTPConnection, site: Site) -> str | None:
    """The guest id from a valid cookie; None when missing or forged."""
    raw = request.cookies.get(GUEST_COOKIE)
    if not raw:
        return None
    try:
        value = _signer(site, "guest").unsign(raw).decode()
    except BadSignature:
        return None
    return value if len(value) == 32 and value.isalnum() else None


def is_admin(request: HTTPConnection, site: Site) -> bool:
    raw = request.cookies.get(ADMIN_COOKIE)
    if not raw:
        return False
    signer = TimestampSigner(site.secret_key, salt="photohub.admin")
    try:
        # The token is part of what is signed: a new token logs every host out.
        value = signer.unsign(raw, max_age=ADMIN_MAX_AGE).decode()
    except BadSignature:
        return False
    return hmac.compare_digest(value, _token_digest(site))


def _token_digest(site: Site) -> str:
    return hashlib.sha256(site.admin_token.encode()).hexdigest()[:32]


def session_token(request: HTTPConnection) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


def _resolved(request: HTTPConnection) -> tuple[RowMapping | None] | None:
    found: tuple[RowMapping | None] | None = request.scope.get(_SCOPE_KEY)
    return found


async def current_user(request: HTTPConnection, site: Site) -> RowMapping | None:
    """The logged-in account (its ``users`` row), or None; one read per request."""
    found = _resolved(request)
    if found is None:
        user: RowMapping | None = None
        token = session_token(request)
        if token is not None:
            async with site.db.read() as conn:
                user = await sessions.user_for(conn, token)
        found = (user,)
        request.scope[_SCOPE_KEY] = found
    return found[0]


async def current_viewer(request: HTTPConnection, site: Site) -> Viewer:
    """Who is asking, with the logged-in account: the one to use for CSRF and privacy."""
    await current_user(request, site)
    return viewer(request, site)


def viewer(request: HTTPConnection, site: Site) -> Viewer:
    """Who is asking, without a database read. The account is included once it was
    resolved for this request (always, behind :class:`SessionMiddleware`)."""
    found = _resolved(request)
    user = None if found is None else found[0]
    return Viewer(
        guest_id=guest_id(request, site),
        is_admin=is_admin(request, site),
        user_id=None if user is None else int(user["id"]),
    )


def forget_account(request: HTTPConnection) -> None:
    """Drop what this request resolved (after logging in or out within it)."""
    request.scope.pop(_SCOPE_KEY, None)


class SessionMiddleware:
    """Resolves the session of every request that carries the cookie, before routing, so
    that code asking the synchronous :func:`viewer` sees the account too. Requests
    without the cookie (guests, the wall) cost nothing; static files are skipped."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and not scope["path"].startswith(
            ("/static/", "/healthz")
        ):
            connection = HTTPConnection(scope)
            if session_token(connection) is not None:
                await current_user(connection, scope["app"].state.site)
        await self.app(scope, receive, send)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """The raw random token: it needs no signature, and the database holds only its hash.
    SameSite=Lax, not Strict, so that following a link here (an app sending its user to
    the OAuth authorisation page) arrives logged in."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=_secure(request))


def new_guest_id() -> str:
    """128 random bits."""
    return secrets.token_hex(16)


def set_guest_cookie(request: Request, response: Response, site: Site, new_id: str) -> None:
    """Give this browser its guest identity."""
    response.set_cookie(
        GUEST_COOKIE,
        _signer(site, "guest").sign(new_id).decode(),
        max_age=GUEST_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )


def issue_admin(request: Request, response: Response, site: Site) -> None:
    signer = TimestampSigner(site.secret_key, salt="photohub.admin")
    response.set_cookie(
        ADMIN_COOKIE,
        signer.sign(_token_digest(site)).decode(),
        max_age=ADMIN_MAX_AGE,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


def clear_admin_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(ADMIN_COOKIE, httponly=True, samesite="strict", secure=_secure(request))


def browser_key(request: HTTPConnection) -> str | None:
    """This browser's CSRF key (the ``photohub_csrf`` cookie); None when missing or not
    one of ours."""
    raw = request.cookies.get(CSRF_COOKIE, "")
    if len(raw) == 32 and all(ch in "0123456789abcdef" for ch in raw):
        return raw
    return None


def new_browser_key() -> str:
    """128 random bits."""
    return secrets.token_hex(16)


def set_browser_cookie(request: Request, response: Response, key: str) -> None:
    """Give this browser its CSRF key (first page view, and anew at log in and log out).
    HttpOnly: pages read their token from the page, never from the cookie."""
    response.set_cookie(
        CSRF_COOKIE,
        key,
        max_age=CSRF_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )


def renew_browser_cookie(request: Request, response: Response) -> None:
    """A new CSRF key for this browser: tokens of the pages open before are refused."""
    set_browser_cookie(request, response, new_browser_key())


def csrf_token(
    request: HTTPConnection, site: Site, who: Viewer, *, browser: str | None = None
) -> str:
    """This browser's token: an HMAC of its CSRF key (``browser``, else its cookie), the
    host flag, the account and the session. Empty when the browser has no key, and no
    empty token is ever accepted."""
    key = browser or browser_key(request)
    if key is None:
        return ""
    session = "-"
    token = session_token(request)
    if who.user_id is not None and token is not None:
        session = hashlib.sha256(token.encode()).hexdigest()[:32]
    subject = f"{key}|{int(who.is_admin)}|{who.user_id or '-'}|{session}"
    mac = hmac.new(site.secret_key.encode(), b"csrf2|" + subject.encode(), hashlib.sha256)
    return mac.hexdigest()[:40]


CROSS_SITE = "This request came from another site and was refused. Nothing was changed."
EXPIRED = (
    "Your page has expired, or this browser does not keep photohub's cookies. "
    "Reload the page and try again."
)


def own_origins(request: HTTPConnection, site: Site) -> set[str]:
    """The origins our own pages are served from: this request's, and the public URL."""
    found = {f"{request.url.scheme}://{request.headers.get('host', '')}".lower()}
    if site.settings.public_url:
        public = urlsplit(site.settings.public_url)
        found.add(f"{public.scheme}://{public.netloc}".lower())
    return found


def origin_problem(request: HTTPConnection, site: Site) -> str | None:
    """Why a state-changing request did not come from one of our pages, or None.

    - ``Sec-Fetch-Site`` other than ``same-origin`` or ``none``: refused.
    - ``Origin`` present: must be ours exactly (``null``, sent by sandboxed frames,
      ``data:`` pages and cross-site redirects, is refused).
    - ``Origin`` missing: browsers send it on every POST, PATCH and DELETE, so when
      ``Sec-Fetch-*`` headers show a browser, only ``Sec-Fetch-Site: same-origin`` (a
      same-origin GET) passes. Without any of them (a script, or a browser from before
      2019) a ``Referer``, when sent, must be ours; the per-browser token still applies.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return CROSS_SITE
    ours = own_origins(request, site)
    origin = request.headers.get("origin")
    if origin is not None:
        return None if origin.lower() in ours else CROSS_SITE
    if fetch_site == "same-origin":
        return None
    if any(name.startswith("sec-fetch-") for name in request.headers):
        return CROSS_SITE
    referer = request.headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        if f"{parts.scheme}://{parts.netloc}".lower() not in ours:
            return CROSS_SITE
    return None


def require_csrf(request: Request, site: Site, who: Viewer, form_token: str | None = None) -> None:
    """Refuse a state-changing request that did not come from one of our pages in this
    browser: where it came from, then the token (header ``X-CSRF-Token`` or the form's
    ``csrf_token`` field)."""
    problem = origin_problem(request, site)
    if problem is not None:
        raise Forbidden(problem, code="csrf")
    expected = csrf_token(request, site, who)
    sent = request.headers.get("x-csrf-token") or form_token or ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden(EXPIRED, code="csrf")
