"""Flickr's OAuth 1.0a flow (https://www.flickr.com/services/api/auth.oauth.html):

1. ``/services/oauth/request_token``: the app, signing with its key and secret, gets a
   request token for an ``oauth_callback`` (a URL, or ``oob``).
2. ``/services/oauth/authorize?oauth_token=...&perms=read|write|delete``: the logged-in
   user approves or denies on a page of ours; we redirect to the callback with
   ``oauth_token`` and ``oauth_verifier`` (or show the verifier, for ``oob``).
3. ``/services/oauth/access_token``: the app, signing with the request token, trades it
   and the verifier for an access token, and learns who the user is.

Token endpoints answer form-encoded (RFC 5849 §2); a refusal is a 400 or 401 with the
OAuth Problem Reporting extension's ``oauth_problem`` and advice.
"""

from __future__ import annotations

import hmac
import random
from urllib.parse import quote, urlencode

from sqlalchemy.engine import RowMapping
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from photohub.api import oauth
from photohub.api.errors import INVALID_SIGNATURE, INVALID_TOKEN, ApiError
from photohub.api.oauth import OAuthProblem
from photohub.api.rest import read_params
from photohub.domain import oauth as rules
from photohub.domain.errors import NotFound
from photohub.site import Site
from photohub.store import apps, users
from photohub.store import oauth as tokens
from photohub.web import identity
from photohub.web.render import page, site_of

FORM = "application/x-www-form-urlencoded"
PRUNE_CHANCE = 0.01  # share of request-token requests that also delete expired ones


def _form_response(values: dict[str, str], status: int = 200) -> Response:
    return Response(
        urlencode(values),
        status_code=status,
        media_type=FORM,
        headers={"Cache-Control": "no-store"},  # RFC 5849 §2.1 carries secrets
    )


def problem_response(problem: OAuthProblem) -> Response:
    """A refusal as the OAuth Problem Reporting extension words it (what Flickr sends)."""
    values = {"oauth_problem": problem.problem, "oauth_problem_advice": problem.message}
    values.update(problem.details)
    headers = {"WWW-Authenticate": 'OAuth realm="photohub"'} if problem.status == 401 else {}
    response = _form_response(values, problem.status)
    response.headers.update(headers)
    return response


async def _signed(site: Site, request: Request, purpose: oauth.Purpose) -> oauth.Signed:
    try:
        await read_params(request)  # reads a form body within the REST endpoint's limits
    except ApiError as error:
        raise OAuthProblem("parameter_rejected", error.code, error.message) from None
    return await oauth.check(site, request, purpose)


async def request_token(request: Request) -> Response:
    """Step 1: a request token (RFC 5849 §2.1: temporary credentials), valid one hour."""
    site = site_of(request)
    try:
        signed = await _signed(site, request, "request_token")
        try:
            callback = rules.check_callback(
                signed.oauth["oauth_callback"], registered=signed.app["callback_url"]
            )
        except ValueError as exc:
            raise OAuthProblem(
                "parameter_rejected",
                INVALID_SIGNATURE,
                str(exc),
                oauth_parameters_rejected="oauth_callback",
            ) from None
    except OAuthProblem as problem:
        return problem_response(problem)
    async with site.db.write() as conn:
        row = await tokens.create_request_token(conn, int(signed.app["id"]), callback)
        if random.random() < PRUNE_CHANCE:
            await tokens.prune_request_tokens(conn)
    return _form_response(
        {
            "oauth_callback_confirmed": "true",
            "oauth_token": str(row["token"]),
            "oauth_token_secret": str(row["secret"]),
        }
    )


async def access_token(request: Request) -> Response:
    """Step 3: trade an approved request token and its verifier for an access token."""
    site = site_of(request)
    try:
        signed = await _signed(site, request, "access_token")
    except OAuthProblem as problem:
        return problem_response(problem)
    pending = signed.token
    assert pending is not None  # check() insists on it for "access_token"
    expected = str(pending["verifier"] or "")
    sent = signed.oauth.get("oauth_verifier", "")
    if pending["user_id"] is None or not expected:
        return problem_response(
            OAuthProblem(
                "permission_unknown",
                INVALID_TOKEN,
                "The user has not approved this request token yet: send them to "
                "/services/oauth/authorize first.",
            )
        )
    if not _same(sent, expected):
        return problem_response(
            OAuthProblem(
                "verifier_invalid", INVALID_TOKEN, "oauth_verifier does not match this token."
            )
        )
    async with site.db.write() as conn:
        granted = await tokens.exchange(conn, pending)
        user = None
        if granted is not None:
            user = await users.get(conn, int(granted["user_id"]))
    if granted is None or user is None:
        return problem_response(
            OAuthProblem("token_used", INVALID_TOKEN, "This request token was already exchanged.")
        )
    return _form_response(
        {
            "fullname": str(user["realname"]),
            "oauth_token": str(granted["token"]),
            "oauth_token_secret": str(granted["secret"]),
            "user_nsid": str(user["nsid"]),
            "username": str(user["username"]),
        }
    )


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def login_redirect(request: Request) -> Response:
    """To the login page, coming back here afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?next=" + quote(here, safe=""), status_code=303)


async def _pending(site: Site, value: str) -> tuple[RowMapping, RowMapping]:
    """A request token still waiting for its user's answer, and its app."""
    async with site.db.read() as conn:
        row = await tokens.get(conn, value.strip())
        app = await apps.get(conn, int(row["app_id"])) if row is not None else None
    if (
        row is None
        or app is None
        or row["kind"] != tokens.REQUEST
        or row["user_id"] is not None
        or tokens.is_expired(row)
    ):
        raise NotFound(
            "This authorization link is not valid any more: it was used already, or it "
            "expired (links last one hour). Go back to the app and start again.",
            code="oauth_token_invalid",
        )
    return row, app


def _perms(raw: str | None) -> str:
    perms = (raw or "read").strip().lower()
    if perms not in rules.PERMS:
        raise NotFound(
            "This authorization link asks for unknown permissions "
            f"(perms must be one of {', '.join(rules.PERMS)}). Tell the app's developer.",
            code="oauth_perms_invalid",
        )
    return perms


async def _authorize_page(
    request: Request,
    row: RowMapping,
    app: RowMapping,
    perms: str,
    *,
    verifier: str | None = None,
) -> Response:
    async with site_of(request).db.read() as conn:
        owner = await users.get(conn, int(app["user_id"]))
    response = await page(
        request,
        "oauth_authorize",
        guest_cookie=False,
        app=app,
        owner=owner,
        token=str(row["token"]),
        perms=perms,
        perms_title=rules.PERM_TITLES[perms],
        perms_words=rules.PERM_WORDS[perms],
        verifier=verifier,
    )
    callback = str(row["callback"] or rules.OOB)
    if verifier is None and callback != rules.OOB:
        # Browsers apply form-action to the redirect that answers the form, too.
        policy = response.headers["Content-Security-Policy"]
        response.headers["Content-Security-Policy"] = policy.replace(
            "form-action 'self'", f"form-action 'self' {rules.csp_source(callback)}"
        )
    return response


async def authorize(request: Request) -> Response:
    """Step 2: GET shows the app and what it asks; POST records the user's answer."""
    site = site_of(request)
    if request.method == "GET":
        row, app = await _pending(site, request.query_params.get("oauth_token", ""))
        perms = _perms(request.query_params.get("perms"))
        if await identity.current_user(request, site) is None:
            return login_redirect(request)
        return await _authorize_page(request, row, app, perms)
    form = await request.form(max_files=0, max_fields=10, max_part_size=64 * 1024)
    who = await identity.current_viewer(request, site)
    identity.require_csrf(request, site, who, str(form.get("csrf_token") or ""))
    user = await identity.current_user(request, site)
    row, app = await _pending(site, str(form.get("oauth_token") or ""))
    perms = _perms(str(form.get("perms") or ""))
    if user is None:
        return login_redirect(request)
    callback = str(row["callback"] or rules.OOB)
    if form.get("decision") != "approve":
        async with site.db.write() as conn:
            await tokens.delete(conn, int(row["id"]))
        if callback == rules.OOB:
            return await page(
                request,
                "message",
                guest_cookie=False,
                title="Access denied",
                message=f"You did not let {app['name']} use your account. You can close this page.",
            )
        answer = {"oauth_token": str(row["token"]), "oauth_problem": "user_refused"}
        return RedirectResponse(rules.callback_url(callback, answer), status_code=303)
    async with site.db.write() as conn:
        verifier = await tokens.authorize(conn, int(row["id"]), int(user["id"]), perms)
    if verifier is None:  # answered in another tab meanwhile
        raise NotFound("This authorization link was used already.", code="oauth_token_invalid")
    if callback == rules.OOB:
        return await _authorize_page(request, row, app, perms, verifier=verifier)
    answer = {"oauth_token": str(row["token"]), "oauth_verifier": verifier}
    return RedirectResponse(rules.callback_url(callback, answer), status_code=303)
