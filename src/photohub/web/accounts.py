"""Account pages: sign up, log in, log out, and the account page (real name, buddy icon).

Forms post back to their own page with the CSRF token in a field (as the host login
does). A form with a mistake comes back with the message beside the field and what was
typed kept, except passwords. After logging in or signing up the browser goes to
``next`` when that is a path on this site (the OAuth authorisation page sends people to
``/login?next=/services/oauth/authorize?...``), else to ``/account``.
"""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy.engine import RowMapping
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from photohub.actions import accounts
from photohub.domain.errors import NotFound, PhotohubError
from photohub.domain.people import buddyicon_url
from photohub.media.buddyicons import icon_path
from photohub.web import identity
from photohub.web.files import IMMUTABLE
from photohub.web.receive import read_form, save_file
from photohub.web.render import page, site_of

DEFAULT_NEXT = "/account"
_NEXT_MAX = 2048
# Largest buddy icon upload: any phone photo fits; it is shrunk to 48x48 anyway.
ICON_MAX_BYTES = 20 * 1024 * 1024


def safe_next(value: object) -> str:
    """``value`` when it is a path on this site, else ``/account``. Refuses what a
    browser would take to another site: ``//host``, ``/\\host``, ``https://...``, and
    anything with control characters or backslashes."""
    if not isinstance(value, str) or not value or len(value) > _NEXT_MAX:
        return DEFAULT_NEXT
    if not value.startswith("/") or value.startswith(("//", "/\\")):
        return DEFAULT_NEXT
    if "\\" in value or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return DEFAULT_NEXT
    return value


def _login_url(next_path: str) -> str:
    return "/login" if next_path == DEFAULT_NEXT else "/login?next=" + quote(next_path, safe="")


async def _form(request: Request) -> FormData:
    return await request.form(max_files=0, max_fields=10, max_part_size=16 * 1024)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def _check_csrf(request: Request, form: FormData) -> None:
    site = site_of(request)
    who = await identity.current_viewer(request, site)
    identity.require_csrf(request, site, who, _text(form, "csrf_token"))


def _logged_in(request: Request, token: str, next_path: str) -> Response:
    response = RedirectResponse(next_path, status_code=303)
    identity.set_session_cookie(request, response, token)
    identity.renew_browser_cookie(request, response)
    return response


async def signup(request: Request) -> Response:
    """GET shows the form; POST creates the account, logs it in and goes on."""
    site = site_of(request)
    if request.method == "GET":
        next_path = safe_next(request.query_params.get("next"))
        if await identity.current_user(request, site) is not None:
            return RedirectResponse(next_path, status_code=303)
        return await _signup_page(request, next_path)
    form = await _form(request)
    await _check_csrf(request, form)
    next_path = safe_next(form.get("next"))
    values = {"username": _text(form, "username"), "realname": _text(form, "realname")}
    password = _text(form, "password")
    errors = _signup_errors(values, password, _text(form, "password2"))
    if errors:
        return await _signup_page(request, next_path, values, errors)
    try:
        done = await accounts.signup(
            site,
            username=values["username"],
            password=password,
            realname=values["realname"],
            guest_id=identity.guest_id(request, site),
        )
    except accounts.AccountError as error:
        return await _signup_page(request, next_path, values, {error.field: error})
    token = await accounts.open_session(
        site, int(done.user["id"]), replacing=identity.session_token(request)
    )
    if next_path == DEFAULT_NEXT:
        next_path += f"?welcome={done.claimed_photos}"
    return _logged_in(request, token, next_path)


def _signup_errors(
    values: dict[str, str], password: str, again: str
) -> dict[str, accounts.AccountError]:
    """Every mistake in the form at once, so nobody fixes them one round trip each."""
    errors: dict[str, accounts.AccountError] = {}
    checks = (
        (accounts.check_username, values["username"]),
        (accounts.check_realname, values["realname"]),
        (accounts.check_new_password, password),
    )
    for check, value in checks:
        try:
            check(value)
        except accounts.AccountError as error:
            errors[error.field] = error
    if "password" not in errors and password != again:
        errors["password2"] = accounts.AccountError(
            "password2", "The two passwords are not the same. Please type them again."
        )
    return errors


async def _signup_page(
    request: Request,
    next_path: str,
    values: dict[str, str] | None = None,
    errors: dict[str, accounts.AccountError] | None = None,
) -> Response:
    status = max((error.status for error in (errors or {}).values()), default=200)
    return await page(
        request,
        "signup",
        status=status,
        values=values or {"username": "", "realname": ""},
        errors={field: error.message for field, error in (errors or {}).items()},
        next=next_path,
        login_url=_login_url(next_path),
    )


async def login(request: Request) -> Response:
    """GET shows the form; POST checks the password and opens a session."""
    site = site_of(request)
    if request.method == "GET":
        next_path = safe_next(request.query_params.get("next"))
        if await identity.current_user(request, site) is not None:
            return RedirectResponse(next_path, status_code=303)
        return await _login_page(request, next_path, "")
    form = await _form(request)
    await _check_csrf(request, form)
    next_path = safe_next(form.get("next"))
    identifier = _text(form, "username")
    address = request.client.host if request.client else ""
    try:
        user = await accounts.authenticate(
            site, identifier, _text(form, "password"), address=address
        )
    except accounts.TooManyAttempts as error:
        response = await _login_page(request, next_path, identifier, error)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    except accounts.LoginFailed as error:
        return await _login_page(request, next_path, identifier, error)
    token = await accounts.open_session(
        site, int(user["id"]), replacing=identity.session_token(request)
    )
    return _logged_in(request, token, next_path)


async def _login_page(
    request: Request, next_path: str, identifier: str, error: PhotohubError | None = None
) -> Response:
    signup_url = "/signup" if next_path == DEFAULT_NEXT else "/signup?next=" + quote(next_path)
    return await page(
        request,
        "login",
        status=200 if error is None else error.status,
        username=identifier,
        error=None if error is None else error.message,
        next=next_path,
        signup_url=signup_url,
    )


async def logout(request: Request) -> Response:
    """End the session on the server (a copied cookie dies too) and in the browser."""
    site = site_of(request)
    form = await _form(request)
    await _check_csrf(request, form)
    token = identity.session_token(request)
    if token is not None:
        await accounts.close_session(site, token)
    identity.forget_account(request)
    response = RedirectResponse("/", status_code=303)
    identity.clear_session_cookie(request, response)
    identity.renew_browser_cookie(request, response)
    return response


async def account(request: Request) -> Response:
    """GET shows the account; POST changes the real name."""
    site = site_of(request)
    user = await identity.current_user(request, site)
    if user is None:
        return RedirectResponse(_login_url(DEFAULT_NEXT), status_code=303)
    if request.method == "GET":
        return await _account_page(
            request,
            user,
            saved=request.query_params.get("saved"),
            welcome=request.query_params.get("welcome"),
        )
    form = await _form(request)
    await _check_csrf(request, form)
    try:
        await accounts.set_realname(site, int(user["id"]), form.get("realname"))
    except accounts.AccountError as error:
        return await _account_page(request, user, error=error, realname=_text(form, "realname"))
    return RedirectResponse("/account?saved=realname", status_code=303)


async def buddyicon_upload(request: Request) -> Response:
    """POST a new buddy icon (multipart, field ``photo``)."""
    site = site_of(request)
    user = await identity.current_user(request, site)
    if user is None:
        return RedirectResponse(_login_url(DEFAULT_NEXT), status_code=303)
    try:
        form = await read_form(request, ICON_MAX_BYTES)
    except PhotohubError as exc:
        return await _account_page(request, user, error=_icon_error(exc))
    try:
        await _check_csrf(request, form)
        try:
            upload = await save_file(site, form)
        except PhotohubError as exc:
            return await _account_page(request, user, error=_icon_error(exc))
    finally:
        await form.close()
    try:
        await accounts.set_buddyicon(site, int(user["id"]), upload)
    except accounts.AccountError as error:
        return await _account_page(request, user, error=error)
    return RedirectResponse("/account?saved=buddyicon", status_code=303)


def _icon_error(exc: PhotohubError) -> accounts.AccountError:
    return accounts.AccountError("buddyicon", exc.message, status=exc.status)


async def _account_page(
    request: Request,
    user: RowMapping,
    *,
    error: accounts.AccountError | None = None,
    realname: str | None = None,
    saved: str | None = None,
    welcome: str | None = None,
) -> Response:
    messages = {"realname": "Your real name is saved.", "buddyicon": "Your buddy icon is saved."}
    notice = messages.get(saved or "")
    if welcome is not None and welcome.isdigit() and len(welcome) < 10:
        count = int(welcome)
        notice = "Welcome to photohub! Your account is ready."
        if count == 1:
            notice += " The photo you uploaded from this browser is now yours."
        elif count:
            notice += f" The {count} photos you uploaded from this browser are now yours."
    return await page(
        request,
        "account",
        status=200 if error is None else error.status,
        user=user,
        realname=user["realname"] if realname is None else realname,
        icon_url=buddyicon_url(user["buddyicon"]),
        errors={} if error is None else {error.field: error.message},
        notice=notice,
    )


async def buddyicon(request: Request) -> Response:
    """``/buddyicons/NAME``: a buddy icon file. Names change with every new icon, so the
    file can be cached for good."""
    site = site_of(request)
    path = icon_path(site.media.root, str(request.path_params["name"]))
    if path is None or not path.is_file():
        raise NotFound("No such buddy icon.")
    return FileResponse(
        path,
        media_type="image/jpeg",
        headers={"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"},
    )
