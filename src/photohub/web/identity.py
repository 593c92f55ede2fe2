"""Who is asking: the guest cookie, the host's admin cookie, and CSRF tokens.

A guest gets a random identity in a signed, HttpOnly cookie on the first page visit:
never an id in a URL or in localStorage, which anyone could copy. CSRF tokens are an
HMAC of the identity, so they need no storage and die with the cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from itsdangerous import BadSignature, Signer, TimestampSigner
from starlette.requests import Request
from starlette.responses import Response

from photohub.domain.errors import Forbidden
from photohub.domain.privacy import Viewer
from photohub.site import Site

GUEST_COOKIE = "photohub_guest"
ADMIN_COOKIE = "photohub_admin"
GUEST_MAX_AGE = 400 * 24 * 3600  # browsers cap cookie lifetimes at 400 days
ADMIN_MAX_AGE = 7 * 24 * 3600


def _signer(site: Site, purpose: str) -> Signer:
    return Signer(site.secret_key, salt=f"photohub.{purpose}")


def guest_id(request: Request, site: Site) -> str | None:
    """The guest id from a valid cookie; None when missing or forged."""
    raw = request.cookies.get(GUEST_COOKIE)
    if not raw:
        return None
    try:
        value = _signer(site, "guest").unsign(raw).decode()
    except BadSignature:
        return None
    return value if len(value) == 32 and value.isalnum() else None


def is_admin(request: Request, site: Site) -> bool:
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


def viewer(request: Request, site: Site) -> Viewer:
    return Viewer(guest_id=guest_id(request, site), is_admin=is_admin(request, site))


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


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


def check_admin_token(site: Site, token: str) -> bool:
    return bool(token) and hmac.compare_digest(token.encode(), site.admin_token.encode())


def csrf_token(site: Site, who: Viewer) -> str:
    subject = f"{who.guest_id or '-'}|{int(who.is_admin)}"
    mac = hmac.new(site.secret_key.encode(), b"csrf|" + subject.encode(), hashlib.sha256)
    return mac.hexdigest()[:40]


def require_csrf(request: Request, site: Site, who: Viewer, form_token: str | None = None) -> None:
    """Refuse a state-changing request that did not come from one of our pages."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        expected = f"{request.url.scheme}://{request.headers.get('host', '')}"
        if origin != expected:
            raise Forbidden("This request came from another site and was refused.", code="csrf")
    sent = request.headers.get("x-csrf-token") or form_token or ""
    if not hmac.compare_digest(sent.encode(), csrf_token(site, who).encode()):
        raise Forbidden("Your page has expired. Reload it and try again.", code="csrf")
