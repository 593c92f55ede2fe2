"""Accounts through the pages: sign up, log in, log out, the account page."""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa
from PIL import Image

from photohub.actions import accounts
from photohub.site import Site
from photohub.store import users
from photohub.store.db import utcnow
from photohub.store.schema import photos, user_sessions
from photohub.web.accounts import safe_next
from tests import images
from tests.waiting import bounded
from tests.web.helpers import ok, upload, visit

pytestmark = pytest.mark.anyio

PASSWORD = "correct horse battery"


def _form(csrf: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf, **fields}


async def signup(
    client: httpx.AsyncClient,
    username: str = "Ana",
    password: str = PASSWORD,
    *,
    again: str | None = None,
    realname: str = "",
    next_path: str | None = None,
) -> httpx.Response:
    csrf = await visit(client, "/signup")
    fields = _form(
        csrf,
        username=username,
        realname=realname,
        password=password,
        password2=password if again is None else again,
    )
    if next_path is not None:
        fields["next"] = next_path
    return await client.post("/signup", data=fields)


async def login(
    client: httpx.AsyncClient, username: str = "Ana", password: str = PASSWORD, **extra: str
) -> httpx.Response:
    csrf = await visit(client, "/login")
    return await client.post(
        "/login", data=_form(csrf, username=username, password=password, **extra)
    )


def _browser(site: Site, base_url: str = "http://testserver") -> httpx.AsyncClient:
    from photohub.app import create_app

    app = create_app(site=site, manage_site=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


@pytest.fixture
async def other(site: Site) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser on the same site."""
    async with _browser(site) as browser:
        yield browser


async def _session_rows(site: Site) -> list[sa.RowMapping]:
    async with site.db.read() as conn:
        return list((await conn.execute(sa.select(user_sessions))).mappings())


async def _user(site: Site, username: str) -> sa.RowMapping:
    async with site.db.read() as conn:
        row = await users.by_username(conn, username)
    assert row is not None
    return row


# Signing up


async def test_signup_logs_in_with_an_httponly_lax_session_cookie(
    client: httpx.AsyncClient, site: Site
) -> None:
    response = await signup(client, "Ana", realname="Ana Lima")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/account?welcome=0"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("photohub_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Max-Age=2592000" in cookie  # 30 days
    assert "Secure" not in cookie  # plain http here
    token = cookie.split(";")[0].split("=", 1)[1]

    # The database holds the token's SHA-256 only, expiring in 30 days.
    [row] = await _session_rows(site)
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(dict(row))
    assert timedelta(days=29, hours=23) < row["expires_at"] - utcnow() <= timedelta(days=30)

    page = await client.get("/account?welcome=0", headers={"accept": "text/html"})
    assert page.status_code == 200
    user = await _user(site, "ana")
    assert user["nsid"] in page.text and "Ana Lima" in page.text
    assert "Welcome to photohub" in page.text
    assert user["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in page.text


async def test_the_session_cookie_is_secure_over_https(site: Site) -> None:
    async with _browser(site, "https://testserver") as browser:
        response = await signup(browser)
    assert response.status_code == 303
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("photohub_session=")
    )
    assert "Secure" in cookie and "HttpOnly" in cookie


async def test_a_username_is_taken_whatever_its_case(
    client: httpx.AsyncClient, other: httpx.AsyncClient, site: Site
) -> None:
    assert (await signup(client, "Ana")).status_code == 303
    response = await signup(other, "aNA", realname="Someone Else")
    assert response.status_code == 409
    assert "is taken" in response.text
    # What was typed is kept; the password is not echoed back.
    assert 'value="aNA"' in response.text and 'value="Someone Else"' in response.text
    assert PASSWORD not in response.text
    async with site.db.read() as conn:
        count = await conn.scalar(sa.text("SELECT count(*) FROM users"))
    assert count == 1


@pytest.mark.parametrize(
    ("password", "again", "message"),
    [
        ("short7!", None, "at least 8 characters"),
        ("x" * 1025, None, "at most 1024 characters"),
        ("", None, "Choose a password"),
        (PASSWORD, PASSWORD + "!", "two passwords are not the same"),
    ],
)
async def test_bad_passwords_are_explained_and_create_nothing(
    client: httpx.AsyncClient, site: Site, password: str, again: str | None, message: str
) -> None:
    response = await signup(client, "Ana", password, again=again, realname="Ana Lima")
    assert response.status_code == 400
    assert message in response.text
    assert 'value="Ana"' in response.text and 'value="Ana Lima"' in response.text
    assert "photohub_session" not in response.headers.get("set-cookie", "")
    async with site.db.read() as conn:
        assert await users.by_username(conn, "Ana") is None


async def test_the_longest_password_is_taken(client: httpx.AsyncClient, site: Site) -> None:
    assert (await signup(client, "Ana", "p" * 1024)).status_code == 303
    await client.post("/logout", data={"csrf_token": await visit(client, "/account")})
    assert (await login(client, "Ana", "p" * 1024)).status_code == 303


async def test_every_mistake_is_shown_at_once(client: httpx.AsyncClient, site: Site) -> None:
    response = await signup(client, "a", "short", realname="x" * 101)
    assert response.status_code == 400
    assert "A username has 3 to 40 characters" in response.text
    assert "at least 8 characters" in response.text
    assert "real name is too long" in response.text
    assert response.text.count('aria-invalid="true"') == 3


# Logging in and out


async def test_login_by_username_in_any_case_or_by_nsid(
    client: httpx.AsyncClient, other: httpx.AsyncClient, site: Site
) -> None:
    await signup(client, "Ana")
    nsid = str((await _user(site, "Ana"))["nsid"])
    response = await login(other, "ANA")
    assert response.status_code == 303 and response.headers["location"] == "/account"
    page = await other.get("/account", headers={"accept": "text/html"})
    assert nsid in page.text
    async with _browser(site) as third:
        assert (await login(third, nsid)).status_code == 303
    assert len(await _session_rows(site)) == 3


async def test_wrong_password_and_unknown_user_get_the_same_words(
    client: httpx.AsyncClient, other: httpx.AsyncClient, site: Site
) -> None:
    await signup(client, "Ana")
    wrong = await login(other, "Ana", "not the password")
    unknown = await login(other, "Nobody", PASSWORD)
    for response in (wrong, unknown):
        assert response.status_code == 403
        assert "Wrong username or password." in response.text
        assert "photohub_session" not in response.headers.get("set-cookie", "")
    assert 'value="Nobody"' in unknown.text
    assert (await other.get("/account")).headers["location"] == "/login"


async def test_guessing_is_throttled_per_username(
    client: httpx.AsyncClient, other: httpx.AsyncClient, site: Site
) -> None:
    await signup(client, "Ana")
    for attempt in range(accounts.USER_FAILURES):
        assert (await login(other, "ana", f"guess {attempt}")).status_code == 403
    # Now even the right password is refused for a while, before it is checked.
    response = await login(other, "Ana", PASSWORD)
    assert response.status_code == 429
    assert "Too many wrong passwords" in response.text
    assert int(response.headers["retry-after"]) > 60
    # Other accounts are not affected.
    async with _browser(site) as third:
        await signup(third, "Bea")
    assert (await login(other, "Bea")).status_code == 303


async def test_logout_ends_the_session_on_the_server(client: httpx.AsyncClient, site: Site) -> None:
    await signup(client, "Ana")
    stolen = client.cookies["photohub_session"]
    csrf = await visit(client, "/account")
    response = await client.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert 'photohub_session=""' in response.headers["set-cookie"]
    assert await _session_rows(site) == []
    # A copy of the cookie made before logging out is worth nothing now.
    async with _browser(site) as thief:
        thief.cookies.set("photohub_session", stolen)
        assert (await thief.get("/account")).status_code == 303
        page = await thief.get("/", headers={"accept": "text/html"})
        assert "Log in" in page.text


async def test_an_expired_session_is_logged_out(client: httpx.AsyncClient, site: Site) -> None:
    await signup(client, "Ana")
    async with site.db.write() as conn:
        await conn.execute(
            user_sessions.update().values(expires_at=utcnow() - timedelta(seconds=1))
        )
    response = await client.get("/account")
    assert response.status_code == 303 and response.headers["location"] == "/login"


async def test_a_new_login_replaces_the_browser_s_old_session(
    client: httpx.AsyncClient, site: Site
) -> None:
    await signup(client, "Ana")
    async with _browser(site) as other:
        await signup(other, "Bea")
    # Logging in as someone else from a logged-in page.
    csrf = await visit(client, "/account")
    response = await client.post("/login", data=_form(csrf, username="Bea", password=PASSWORD))
    assert response.status_code == 303
    bea = (await _user(site, "Bea"))["id"]
    assert [row["user_id"] for row in await _session_rows(site)] == [bea, bea]


# CSRF


async def test_forms_without_the_page_token_are_refused(
    client: httpx.AsyncClient, other: httpx.AsyncClient, site: Site
) -> None:
    await visit(client, "/signup")
    fields = {"username": "Ana", "password": PASSWORD, "password2": PASSWORD}
    response = await client.post("/signup", data=fields, headers={"accept": "text/html"})
    assert response.status_code == 403 and "expired" in response.text
    # A token from another browser is no good either.
    foreign = await visit(other, "/signup")
    response = await client.post("/signup", data={**fields, "csrf_token": foreign})
    assert response.status_code == 403
    async with site.db.read() as conn:
        assert await users.by_username(conn, "Ana") is None
    # Nor is a post from another site, even with the right token.
    csrf = await visit(client, "/signup")
    response = await client.post(
        "/signup", data={**fields, "csrf_token": csrf}, headers={"origin": "https://evil.test"}
    )
    assert response.status_code == 403


async def test_logout_and_account_changes_need_the_token(
    client: httpx.AsyncClient, site: Site
) -> None:
    before_login = await visit(client, "/login")
    await signup(client, "Ana")
    # The token of the page seen before logging in died with the login.
    assert (await client.post("/logout", data={"csrf_token": before_login})).status_code == 403
    response = await client.post("/account", data={"realname": "Mallory"})
    assert response.status_code == 403
    assert len(await _session_rows(site)) == 1
    assert (await _user(site, "Ana"))["realname"] == ""


async def test_login_form_needs_the_token(client: httpx.AsyncClient, site: Site) -> None:
    await signup(client, "Ana")
    async with _browser(site) as fresh:
        response = await fresh.post("/login", data={"username": "Ana", "password": PASSWORD})
        assert response.status_code == 403
        assert "photohub_session" not in fresh.cookies


# Guests who sign up keep their photos


async def test_signing_up_claims_this_browser_s_guest_photos(
    client: httpx.AsyncClient, other: httpx.AsyncClient, site: Site
) -> None:
    csrf = await visit(client, "/upload")
    mine = [ok(await upload(client, csrf, images.jpeg()), 201)["photo"]["id"] for _ in range(2)]
    others = ok(await upload(other, await visit(other, "/upload"), images.jpeg()), 201)
    response = await signup(client, "Ana")
    assert response.headers["location"] == "/account?welcome=2"
    page = await client.get(response.headers["location"], headers={"accept": "text/html"})
    assert "The 2 photos you uploaded from this browser are now yours" in page.text

    ana = await _user(site, "Ana")
    async with site.db.read() as conn:
        owners = dict((await conn.execute(sa.select(photos.c.id, photos.c.user_id))).all())
    assert owners == {mine[0]: ana["id"], mine[1]: ana["id"], others["photo"]["id"]: None}
    guest_cookie = client.cookies["photohub_guest"]
    assert ana["guest_id"] is not None and ana["guest_id"] in guest_cookie

    # A photo uploaded later through the party page belongs to the account at once.
    csrf = await visit(client, "/upload")
    later = ok(await upload(client, csrf, images.jpeg()), 201)["photo"]["id"]
    async with site.db.read() as conn:
        owner = await conn.scalar(sa.select(photos.c.user_id).where(photos.c.id == later))
    assert owner == ana["id"]


async def test_a_guest_identity_is_claimed_by_one_account_only(
    client: httpx.AsyncClient, site: Site
) -> None:
    csrf = await visit(client, "/upload")
    ok(await upload(client, csrf, images.jpeg()), 201)
    await signup(client, "Ana")
    csrf = await visit(client, "/account")
    await client.post("/logout", data={"csrf_token": csrf})
    # The same browser (same guest cookie) makes a second account: nothing to claim.
    response = await signup(client, "Bea")
    assert response.headers["location"] == "/account?welcome=0"
    assert (await _user(site, "Bea"))["guest_id"] is None


# Where to go after logging in


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/services/oauth/authorize?oauth_token=abc", "/services/oauth/authorize?oauth_token=abc"),
        ("/mine", "/mine"),
        ("//evil.test/x", "/account"),
        ("/\\evil.test", "/account"),
        ("https://evil.test/", "/account"),
        ("javascript:alert(1)", "/account"),
        ("/ok\r\nSet-Cookie: x=1", "/account"),
        ("", "/account"),
        (None, "/account"),
    ],
)
def test_next_is_only_ever_a_path_on_this_site(given: str | None, expected: str) -> None:
    assert safe_next(given) == expected


async def test_login_and_signup_go_on_to_next(
    client: httpx.AsyncClient, other: httpx.AsyncClient, site: Site
) -> None:
    target = "/services/oauth/authorize?oauth_token=abc&perms=write"
    response = await signup(client, "Ana", next_path=target)
    assert response.headers["location"] == target
    page = await other.get(f"/login?next={quote(target, safe='')}", headers={"accept": "text/html"})
    assert 'name="next" value="/services/oauth/authorize?oauth_token=abc&amp;perms=write"' in (
        page.text
    )
    response = await login(other, "Ana", next=target)
    assert response.headers["location"] == target
    async with _browser(site) as third:
        response = await login(third, "Ana", next="//evil.test/")
        assert response.headers["location"] == "/account"
        # Already logged in: the login page sends the browser straight on.
        response = await third.get("/login?next=/mine")
        assert response.status_code == 303 and response.headers["location"] == "/mine"


# The account page


async def test_the_account_page_needs_a_login(client: httpx.AsyncClient, site: Site) -> None:
    response = await client.get("/account")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    page = await client.get("/login", headers={"accept": "text/html"})
    assert 'href="/signup"' in page.text


async def test_changing_the_real_name(client: httpx.AsyncClient, site: Site) -> None:
    await signup(client, "Ana")
    csrf = await visit(client, "/account")
    response = await client.post("/account", data={"csrf_token": csrf, "realname": " Ana Lima "})
    assert response.status_code == 303
    page = await client.get(response.headers["location"], headers={"accept": "text/html"})
    assert "Your real name is saved." in page.text
    assert (await _user(site, "Ana"))["realname"] == "Ana Lima"
    response = await client.post("/account", data={"csrf_token": csrf, "realname": "x" * 101})
    assert response.status_code == 400 and "too long" in response.text
    assert (await _user(site, "Ana"))["realname"] == "Ana Lima"


async def test_the_nav_shows_who_is_logged_in(client: httpx.AsyncClient, site: Site) -> None:
    page = await client.get("/upload", headers={"accept": "text/html"})
    assert 'href="/login"' in page.text
    await signup(client, "Ana_B")
    page = await client.get("/upload", headers={"accept": "text/html"})
    assert '<a href="/account">Ana_B</a>' in page.text


async def test_a_buddy_icon_becomes_a_48px_jpeg_without_metadata(
    client: httpx.AsyncClient, site: Site
) -> None:
    await signup(client, "Ana")
    page = await client.get("/account", headers={"accept": "text/html"})
    assert 'src="/static/buddyicon.jpg"' in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    photo = images.jpeg(640, 480, gps=(48.85, 2.35))
    response = await client.post(
        "/account/buddyicon",
        data={"csrf_token": csrf[1]},
        files={"photo": ("me.jpg", photo, "image/jpeg")},
    )
    assert response.status_code == 303, response.text
    name = (await _user(site, "Ana"))["buddyicon"]
    assert name is not None
    page = await client.get("/account", headers={"accept": "text/html"})
    assert f'src="/buddyicons/{name}"' in page.text
    icon = await client.get(f"/buddyicons/{name}")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/jpeg"
    assert "immutable" in icon.headers["cache-control"]
    with Image.open(io.BytesIO(icon.content)) as image:
        assert image.format == "JPEG" and image.size == (48, 48)
        assert not image.getexif() and "icc_profile" not in image.info

    # A new icon replaces the old file.
    response = await client.post(
        "/account/buddyicon",
        data={"csrf_token": csrf[1]},
        files={"photo": ("me.png", images.png(100, 300), "image/png")},
    )
    assert response.status_code == 303
    assert (await client.get(f"/buddyicons/{name}")).status_code == 404
    assert len(list((site.media.root / "icons").iterdir())) == 1


async def test_a_buddy_icon_that_is_not_an_image_is_refused(
    client: httpx.AsyncClient, site: Site
) -> None:
    await signup(client, "Ana")
    csrf = await visit(client, "/account")
    response = await client.post(
        "/account/buddyicon",
        data={"csrf_token": csrf},
        files={"photo": ("me.jpg", images.zip_bytes(), "image/jpeg")},
    )
    assert response.status_code == 415
    assert "This file is not a photo" in response.text
    assert (await _user(site, "Ana"))["buddyicon"] is None
    assert not (site.media.root / "icons").exists() or not any(
        (site.media.root / "icons").iterdir()
    )
    assert list(site.media.incoming.iterdir()) == []
    response = await client.post(
        "/account/buddyicon",
        files={"photo": ("me.jpg", images.jpeg(), "image/jpeg")},
    )
    assert response.status_code == 403  # no CSRF token


async def test_unknown_buddy_icons_are_404(client: httpx.AsyncClient, site: Site) -> None:
    for name in ("1_0123456789abcdef.jpg", "../data.db", "x.jpg"):
        assert (await client.get(f"/buddyicons/{name}")).status_code == 404


# The API Explorer calls as the logged-in account


async def test_the_explorer_calls_as_the_logged_in_account(
    client: httpx.AsyncClient, site: Site
) -> None:
    await signup(client, "Ana")
    csrf = await visit(client, "/account")
    response = await client.get(
        "/services/rest/",
        params={"method": "flickr.test.login", "format": "json", "nojsoncallback": "1"},
        headers={"x-csrf-token": csrf},
    )
    body = response.json()
    assert body["stat"] == "ok", body
    assert body["user"]["username"]["_content"] == "Ana"


async def test_two_sign_ups_racing_for_one_name_make_one_account(site: Site) -> None:
    racing = asyncio.gather(
        *(accounts.signup(site, username=name, password=PASSWORD) for name in ("Ana", "ANA")),
        return_exceptions=True,
    )
    results = await bounded(racing, 30, "two racing sign-ups to end (a lock held?)")
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1
    assert isinstance(errors[0], accounts.AccountError) and "is taken" in errors[0].message
    async with site.db.read() as conn:
        assert await conn.scalar(sa.text("SELECT count(*) FROM users")) == 1
