"""Login CSRF and its kin in Chromium (issue 11, finding 1).

An attacker's page on another site (``localhost`` against photohub's ``127.0.0.1``:
another host name, so another site) holds a sandboxed iframe that posts a form to
photohub on its own, navigating the victim's tab (``target=_top``): the request carries
``Origin: null``, as in the report. It did log a fresh browser into the attacker's
account, with a token the attacker read from any error page. A second variant posts
from the attacker's page itself (``Origin: http://localhost:…``). For every form, the
victim's browser must show the refusal and nothing may have changed.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from .support import PHONE, LiveServer, OpenPage

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
REFUSED = "This request came from another site and was refused."


class Attacker:
    """The attacker's site: ``/?target=URL&fields=JSON&enctype=…&how=sandbox|plain``
    answers a page whose form posts ``fields`` to ``target`` by itself."""

    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _AttackPage)
        self.url = f"http://localhost:{self.server.server_address[1]}/"

    def page_for(self, target: str, fields: dict[str, str], how: str, enctype: str) -> str:
        query = httpx.QueryParams(
            target=target, fields=json.dumps(fields), how=how, enctype=enctype
        )
        return f"{self.url}?{query}"


def _form(target: str, fields: dict[str, str], enctype: str) -> str:
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in fields.items()
    )
    return (
        f'<form id="f" method="post" action="{html.escape(target)}" target="_top" '
        f'enctype="{html.escape(enctype)}">{inputs}</form>'
        "<script>document.getElementById('f').submit()</script>"
    )


class _AttackPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        target = query.get("target", [""])[0]
        fields = json.loads(query.get("fields", ["{}"])[0])
        form = _form(target, fields, query.get("enctype", [""])[0])
        if query.get("how", ["sandbox"])[0] == "sandbox":
            frame = html.escape(form)
            body = (
                '<h1>Win a prize!</h1><iframe sandbox="allow-forms allow-scripts '
                f'allow-top-navigation" srcdoc="{frame}"></iframe>'
            )
        else:
            body = "<h1>Win a prize!</h1>" + form
        data = f"<!doctype html><title>prize</title>{body}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def attacker() -> Iterator[Attacker]:
    site = Attacker()
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.server.shutdown()
        site.server.server_close()
        thread.join(timeout=10)


def _stolen_token(server: LiveServer) -> str:
    """A token as the attacker gets one: from an error page, with no cookies."""
    page = httpx.get(server.url + "/no/such/page", headers={"accept": "text/html"})
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert found
    return found[1]


def _make_account(page: Page, username: str, realname: str) -> None:
    page.goto("/signup")
    page.fill("#username", username)
    page.fill("#realname", realname)
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/account"))


def _attack(page: Page, attacker: Attacker, url: str, path: str, **kwargs: str) -> None:
    """Open the attacker's page; its form lands the tab on photohub's answer."""
    fields = json.loads(kwargs.pop("fields"))
    page.goto(attacker.page_for(url + path, fields, kwargs["how"], kwargs["enctype"]))
    expect(page).to_have_url(re.compile("^" + re.escape(url + path)))
    expect(page.get_by_text(REFUSED)).to_be_visible()


def _account_name(context: BrowserContext, url: str) -> str | None:
    response = context.request.get(url + "/account", max_redirects=0)
    if response.status != 200:
        return None
    found = re.search(r'id="realname"[^>]*value="([^"]*)"', response.text())
    return found[1] if found else "?"


@pytest.mark.parametrize("how", ["sandbox", "plain"])
def test_an_attacker_page_cannot_log_a_guest_in_or_sign_them_up(
    live_server: LiveServer,
    open_page: OpenPage,
    attacker: Attacker,
    how: str,
    tmp_path: Path,
) -> None:
    setup = open_page(live_server)
    _make_account(setup, "Mallory", "Mallory")
    token = _stolen_token(live_server)
    victim = open_page(live_server, PHONE)
    url = live_server.url
    form = "application/x-www-form-urlencoded"
    login = {"csrf_token": token, "username": "Mallory", "password": PASSWORD}
    _attack(victim, attacker, url, "/login", fields=json.dumps(login), how=how, enctype=form)
    victim.screenshot(path=str(tmp_path / f"victim-login-{how}.png"), full_page=True)
    assert _account_name(victim.context, url) is None
    signup = {**login, "username": "Trap", "password2": PASSWORD}
    _attack(victim, attacker, url, "/signup", fields=json.dumps(signup), how=how, enctype=form)
    assert _account_name(victim.context, url) is None
    host = {"csrf_token": token, "token": "guess"}
    _attack(victim, attacker, url, "/admin/login", fields=json.dumps(host), how=how, enctype=form)
    # The guest's own upload page still works afterwards: its identity is its own.
    victim.goto("/upload")
    expect(victim.locator("#upload-form")).to_be_visible()
    assert victim.evaluate("document.documentElement.dataset.admin") == "false"


def test_an_attacker_page_changes_nothing_for_a_logged_in_user(
    live_server: LiveServer, open_page: OpenPage, attacker: Attacker, tmp_path: Path
) -> None:
    victim = open_page(live_server, PHONE)
    _make_account(victim, "Vera", "Vera Victim")
    url = live_server.url
    # The attacker even has the victim's own token (the strongest case): the origin check
    # alone must refuse.
    victim.goto("/account")
    token = victim.evaluate("document.querySelector('meta[name=csrf-token]').content")
    form = "application/x-www-form-urlencoded"
    multipart = "multipart/form-data"
    attacks = [
        ("/account", {"csrf_token": token, "realname": "Pwned"}, form),
        ("/account/buddyicon", {"csrf_token": token, "photo": "x"}, multipart),
        ("/logout", {"csrf_token": token}, form),
        ("/services/apps", {"csrf_token": token, "name": "Evil app"}, form),
        ("/api/photos", {"csrf_token": token, "photo": "x", "title": "evil"}, multipart),
        ("/api/me", {'{"name": "Pwned", "x": "': '"}'}, "text/plain"),
    ]
    for how in ("sandbox", "plain"):
        for path, fields, enctype in attacks:
            _attack(
                victim, attacker, url, path, fields=json.dumps(fields), how=how, enctype=enctype
            )
            if path == "/account":
                victim.screenshot(path=str(tmp_path / f"victim-account-{how}.png"))
    assert _account_name(victim.context, url) == "Vera Victim"
    apps = victim.context.request.get(url + "/services/apps").text()
    assert "Evil app" not in apps
    mine = victim.context.request.get(url + "/api/mine").json()
    assert mine["photos"] == [] and mine["name"] != "Pwned"
