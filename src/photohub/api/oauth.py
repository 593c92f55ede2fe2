"""OAuth 1.0a (RFC 5849) signature checking, shared by the token endpoints and by signed
REST calls.

Flickr signs with HMAC-SHA1 only, and so does photohub: PLAINTEXT is refused (it sends
both secrets with every request, and photohub often runs on plain http at a party), as
are the RSA and SHA-256 variants no Flickr client uses. The signature base string comes
from oauthlib's RFC 5849 §3.4.1 functions, over the URL the client used: the scheme
uvicorn took from the proxy headers, the ``Host`` header, and the path as sent.

Protocol parameters may come in the ``Authorization: OAuth ...`` header, the query
string or a form body (§3.5), each name at most once. A request is accepted once: its
timestamp must be within ``TIMESTAMP_WINDOW`` seconds of the server's clock and its
(consumer key, nonce, timestamp) unused (§3.3), recorded in ``oauth_nonces``.

Every refusal is an ``OAuthProblem`` carrying both vocabularies: the OAuth Problem
Reporting extension's ``oauth_problem`` for the token endpoints, and Flickr's error code
(96 invalid signature, 97 missing signature, 98 invalid token, 100 unknown key) for API
calls.
"""

from __future__ import annotations

import hmac
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Literal, NamedTuple, cast

from oauthlib.oauth1.rfc5849 import signature
from sqlalchemy.engine import RowMapping
from starlette.datastructures import UploadFile
from starlette.requests import Request

from photohub.api.call import Caller
from photohub.api.errors import (
    INVALID_API_KEY,
    INVALID_SIGNATURE,
    INVALID_TOKEN,
    MISSING_SIGNATURE,
    ApiError,
)
from photohub.site import Site
from photohub.store import apps, users
from photohub.store import oauth as tokens
from photohub.store.db import utcnow

if TYPE_CHECKING:
    from oauthlib.common import _HTTPMethod

log = logging.getLogger("photohub.oauth")

SIGNATURE_METHOD = "HMAC-SHA1"
TIMESTAMP_WINDOW = 600
"""Seconds a request's ``oauth_timestamp`` may differ from the server's clock, either way."""
NONCE_MAX_LENGTH = 64  # the width of oauth_nonces.nonce
PRUNE_CHANCE = 0.01
"""Share of accepted requests that also delete nonces too old to matter (a nonce can be
replayed only while its timestamp is in the window, so after twice the window at most)."""

Purpose = Literal["request_token", "access_token", "call"]
_BAD_REQUEST_PROBLEMS = (
    "parameter_absent",
    "parameter_rejected",
    "signature_method_rejected",
    "version_rejected",
)


class OAuthProblem(Exception):
    """A refused signed request: ``problem`` as the OAuth Problem Reporting extension
    names it, ``code`` as Flickr's API reports it, ``details`` extra response fields."""

    def __init__(self, problem: str, code: int, message: str, **details: str) -> None:
        super().__init__(f"{problem}: {message}")
        self.problem = problem
        self.code = code
        self.message = message
        self.details = details

    @property
    def status(self) -> int:
        """400 for a malformed request, 401 for refused credentials (RFC 5849 §3.2)."""
        return 400 if self.problem in _BAD_REQUEST_PROBLEMS else 401


@dataclass(frozen=True)
class Signed:
    """A request whose signature checked out: the app, the token it was signed with (if
    any), and its protocol parameters."""

    app: RowMapping
    token: RowMapping | None
    oauth: dict[str, str] = field(default_factory=dict)


class _Secrets(NamedTuple):
    # What oauthlib's ``sign_*_with_client`` functions read from a client.
    client_secret: str
    resource_owner_secret: str


@dataclass(frozen=True)
class _Collected:
    oauth: dict[str, str]
    # Parameter sets a client may have signed (RFC 5849 §3.4.1.3), best guess first.
    candidates: list[list[tuple[str, str]]]


def request_uri(request: Request) -> str:
    """The URL the client asked for, without its query: scheme (from the proxy headers
    uvicorn honours), ``Host`` header, and the path exactly as sent."""
    raw_path = request.scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else request.url.path
    return f"{request.url.scheme}://{request.url.netloc}{path.split('?', 1)[0]}"


def base_string(method: str, uri: str, params: list[tuple[str, str]]) -> str:
    """RFC 5849 §3.4.1: the signature base string, through oauthlib."""
    # typeshed says dict, but the function sorts (name, value) pairs: names may repeat.
    normalized = signature.normalize_parameters(params)  # type: ignore[arg-type]
    verb = cast("_HTTPMethod", method.upper())  # any verb is fine: it is only escaped
    return signature.signature_base_string(verb, signature.base_string_uri(uri), normalized)


def hmac_sha1(base: str, consumer_secret: str, token_secret: str) -> str:
    """RFC 5849 §3.4.2: the HMAC-SHA1 signature of ``base``, base64-encoded."""
    return str(signature.sign_hmac_sha1_with_client(base, _Secrets(consumer_secret, token_secret)))


async def _form_pairs(request: Request) -> tuple[list[tuple[str, str]], bool]:
    """The text fields of a form body, and whether it was multipart. Starlette keeps the
    parsed form, so a body the REST endpoint already read is not read twice."""
    kind = request.headers.get("content-type", "")
    multipart = kind.startswith("multipart/form-data")
    if request.method != "POST" or not (
        multipart or kind.startswith("application/x-www-form-urlencoded")
    ):
        return [], False
    try:
        form = await request.form(max_files=0, max_fields=200, max_part_size=1024 * 1024)
    except Exception as exc:
        raise OAuthProblem(
            "parameter_rejected", INVALID_SIGNATURE, "Invalid signature (unreadable form body)"
        ) from exc
    pairs = [(k, v) for k, v in form.multi_items() if not isinstance(v, UploadFile)]
    return pairs, multipart


async def _collect(request: Request, form: list[tuple[str, str]] | None = None) -> _Collected:
    header = request.headers.get("authorization", "")
    body, multipart = (form, True) if form is not None else await _form_pairs(request)
    try:
        from_header = (
            signature.collect_parameters(
                headers={"Authorization": header}, exclude_oauth_signature=False
            )
            if header[:6].lower() == "oauth "
            else []
        )
        from_query = signature.collect_parameters(
            uri_query=request.url.query, exclude_oauth_signature=False
        )
        from_body = signature.collect_parameters(body=body, exclude_oauth_signature=False)
    except (ValueError, TypeError) as exc:
        raise OAuthProblem(
            "parameter_rejected",
            INVALID_SIGNATURE,
            "Invalid signature (the Authorization header or the query string is not "
            "properly encoded)",
        ) from exc
    everything = from_header + from_query + from_body
    oauth: dict[str, str] = {}
    for name, value in everything:
        if not name.startswith("oauth_"):
            continue
        if name in oauth and oauth[name] != value:
            # RFC 5849 §3.5 wants each protocol parameter once. Flickr clients send
            # oauth_token both as a method argument and in the header; that is the same
            # value, and it is signed twice, so only differing values are refused.
            raise OAuthProblem(
                "parameter_rejected",
                INVALID_SIGNATURE,
                f"Invalid signature ({name[:40]} was sent twice, with different values)",
                oauth_parameters_rejected=name[:40],
            )
        oauth[name] = value
    signed = [(k, v) for k, v in from_header + from_query if k != "oauth_signature"]
    body_signed = [(k, v) for k, v in from_body if k != "oauth_signature"]
    candidates = [signed + body_signed]
    if multipart and body_signed:
        # RFC 5849 signs no multipart fields; Flickr's upload signs every field but the
        # file. Accept either.
        candidates.append(signed + [(k, v) for k, v in body_signed if k.startswith("oauth_")])
    return _Collected(oauth, candidates)


def _absent(
    name: str, code: int = INVALID_SIGNATURE, what: str = "Invalid signature"
) -> OAuthProblem:
    return OAuthProblem(
        "parameter_absent", code, f"{what} ({name} is missing)", oauth_parameters_absent=name
    )


async def check(
    site: Site,
    request: Request,
    purpose: Purpose,
    *,
    form: list[tuple[str, str]] | None = None,
) -> Signed:
    """Verify a signed request: for ``request_token`` (consumer only, with a callback),
    ``access_token`` (a request token and its verifier) or an API ``call`` (an access
    token, or the consumer alone). Records its nonce. ``OAuthProblem`` says why not.

    ``form``: the text fields of a multipart body the caller has already read, file parts
    left out (the upload endpoints stream the body to disk under a size limit, and a body
    can be read once); without it the body is read here, refusing file parts."""
    collected = await _collect(request, form)
    oauth = collected.oauth
    if "oauth_signature" not in oauth:
        raise _absent("oauth_signature", MISSING_SIGNATURE, "Missing signature")
    if oauth.get("oauth_version", "1.0") != "1.0":
        raise OAuthProblem(
            "version_rejected", INVALID_SIGNATURE, "Invalid signature (oauth_version must be 1.0)"
        )
    key = oauth.get("oauth_consumer_key", "")
    if not key:
        raise _absent("oauth_consumer_key", INVALID_API_KEY, "Invalid API Key")
    async with site.db.read() as conn:
        app = await apps.by_api_key(conn, key)
        token = await tokens.get(conn, oauth.get("oauth_token", ""))
    if app is None:
        raise OAuthProblem(
            "consumer_key_unknown", INVALID_API_KEY, "Invalid API Key (Key not found)"
        )
    method = oauth.get("oauth_signature_method", "")
    if method != SIGNATURE_METHOD:
        raise OAuthProblem(
            "signature_method_rejected",
            INVALID_SIGNATURE,
            f"Invalid signature (oauth_signature_method must be {SIGNATURE_METHOD})",
            oauth_acceptable_signature_methods=SIGNATURE_METHOD,
        )
    timestamp = _check_timestamp(oauth)
    nonce = oauth.get("oauth_nonce", "")
    if not nonce:
        raise _absent("oauth_nonce")
    if len(nonce) > NONCE_MAX_LENGTH:
        raise OAuthProblem(
            "parameter_rejected",
            INVALID_SIGNATURE,
            f"Invalid signature (oauth_nonce is longer than {NONCE_MAX_LENGTH} characters)",
        )
    _check_token(purpose, oauth, app, token)
    _check_signature(request, collected, app, token)
    async with site.db.write() as conn:
        fresh = await tokens.remember_nonce(conn, key, nonce, timestamp)
        if fresh and random.random() < PRUNE_CHANCE:
            await tokens.prune_nonces(conn, utcnow() - timedelta(seconds=2 * TIMESTAMP_WINDOW))
    if not fresh:
        raise OAuthProblem(
            "nonce_used",
            INVALID_SIGNATURE,
            "Invalid signature (replay: this oauth_nonce was already used with this "
            "oauth_timestamp; make a new nonce for every request)",
        )
    return Signed(app=app, token=token, oauth=oauth)


def _check_timestamp(oauth: dict[str, str]) -> int:
    raw = oauth.get("oauth_timestamp", "")
    if not raw:
        raise _absent("oauth_timestamp")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise OAuthProblem(
            "parameter_rejected",
            INVALID_SIGNATURE,
            "Invalid signature (oauth_timestamp must be whole seconds since 1970)",
        )
    timestamp = int(raw)
    now = int(time.time())
    if abs(now - timestamp) > TIMESTAMP_WINDOW:
        raise OAuthProblem(
            "timestamp_refused",
            INVALID_SIGNATURE,
            f"Invalid signature (oauth_timestamp is {abs(now - timestamp)} seconds away from "
            f"the server's clock; at most {TIMESTAMP_WINDOW} are allowed: check the clock of "
            "the calling machine)",
            oauth_acceptable_timestamps=f"{now - TIMESTAMP_WINDOW}-{now + TIMESTAMP_WINDOW}",
        )
    return timestamp


def _check_token(
    purpose: Purpose, oauth: dict[str, str], app: RowMapping, token: RowMapping | None
) -> None:
    sent = oauth.get("oauth_token", "")
    if purpose == "request_token":
        if sent:
            raise OAuthProblem(
                "parameter_rejected",
                INVALID_SIGNATURE,
                "Invalid signature (a request token is asked for without an oauth_token)",
                oauth_parameters_rejected="oauth_token",
            )
        if not oauth.get("oauth_callback"):
            raise _absent("oauth_callback")
        return
    if not sent:
        if purpose == "access_token":
            raise _absent("oauth_token", INVALID_TOKEN, "Invalid auth token")
        return  # an API call signed by the app alone: it acts as the app, for no user
    if token is None or int(token["app_id"]) != int(app["id"]):
        raise OAuthProblem(
            "token_rejected", INVALID_TOKEN, "Invalid auth token (unknown oauth_token)"
        )
    if purpose == "call" and token["kind"] != tokens.ACCESS:
        raise OAuthProblem(
            "token_rejected",
            INVALID_TOKEN,
            "Invalid auth token (a request token cannot make API calls: trade it for an "
            "access token at /services/oauth/access_token)",
        )
    if purpose == "access_token" and token["kind"] != tokens.REQUEST:
        raise OAuthProblem(
            "token_rejected",
            INVALID_TOKEN,
            "Invalid auth token (this is already an access token)",
        )
    if tokens.is_expired(token):
        raise OAuthProblem(
            "token_expired",
            INVALID_TOKEN,
            "Invalid auth token (the request token expired: start the authorization again)",
        )
    if purpose == "access_token" and not oauth.get("oauth_verifier"):
        raise _absent("oauth_verifier", INVALID_TOKEN, "Invalid auth token")


def _check_signature(
    request: Request, collected: _Collected, app: RowMapping, token: RowMapping | None
) -> None:
    uri = request_uri(request)
    token_secret = str(token["secret"]) if token is not None else ""
    sent = collected.oauth["oauth_signature"]
    bases: list[str] = []
    for params in collected.candidates:
        try:
            base = base_string(request.method, uri, params)
        except ValueError as exc:
            raise OAuthProblem(
                "signature_invalid", INVALID_SIGNATURE, "Invalid signature (bad request URL)"
            ) from exc
        expected = hmac_sha1(base, str(app["secret"]), token_secret)
        if hmac.compare_digest(expected.encode(), sent.encode()):
            return
        bases.append(base)
    log.info("OAuth signature mismatch for %s; base string: %s", app["api_key"], bases[0])
    raise OAuthProblem(
        "signature_invalid",
        INVALID_SIGNATURE,
        "Invalid signature (check the consumer and token secrets and that the signed URL, "
        "method and parameters are those sent)",
        debug_sbs=bases[0],
    )


async def verify_call(
    site: Site,
    request: Request,
    params: dict[str, str],
    *,
    form: list[tuple[str, str]] | None = None,
) -> Caller:
    """The caller of a signed REST call, or ``ApiError`` 96, 97, 98 or 100 saying why not.
    (``params`` are the merged query and form fields; the signature is checked over the
    request itself, which keeps repeated names and where each parameter came from.
    ``form``: an already read multipart body's text fields, as for ``check``.)"""
    try:
        signed = await check(site, request, "call", form=form)
    except OAuthProblem as problem:
        raise ApiError(problem.code, problem.message) from None
    api_key = str(signed.app["api_key"])
    sent_key = params.get("api_key", "").strip()
    if sent_key and sent_key != api_key:
        raise ApiError(INVALID_API_KEY, "Invalid API Key (api_key differs from oauth_consumer_key)")
    if signed.token is None:
        return Caller(api_key=api_key, app_id=int(signed.app["id"]))
    async with site.db.read() as conn:
        user = await users.get(conn, int(signed.token["user_id"]))
    if user is None:
        raise ApiError(INVALID_TOKEN, "Invalid auth token (its account no longer exists)")
    return Caller(
        api_key=api_key,
        app_id=int(signed.app["id"]),
        user=user,
        perms=str(signed.token["perms"]),
        token=str(signed.token["token"]),
    )
