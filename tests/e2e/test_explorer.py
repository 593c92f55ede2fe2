"""The API Explorer in a real browser: fill an argument, call, read the highlighted
response, switch to XML, and see a failed call explained."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .support import LiveServer, OpenPage

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}


def open_method(open_page: OpenPage, server: LiveServer, name: str) -> Page:
    page = open_page(server, DESKTOP)
    page.goto(f"/services/api/explorer/{name}")
    expect(page.locator("h1")).to_have_text(name)
    return page


def test_echo_call_shows_highlighted_json_then_xml(
    open_page: OpenPage, live_server: LiveServer
) -> None:
    page = open_page(live_server, DESKTOP)
    page.goto("/services/api/explorer")
    page.get_by_role("link", name="flickr.test.echo").click()
    expect(page.locator("h1")).to_have_text("flickr.test.echo")

    # Echo takes any parameter: the page starts with one empty extra row for it.
    row = page.locator(".extra-param").first
    row.locator(".extra-name").fill("greeting")
    row.locator(".extra-value").fill("héllo <wörld> & ☃")
    url = page.locator("#request-url")
    expect(url).to_have_value(re.compile(r"/services/rest/\?method=flickr\.test\.echo&greeting="))
    expect(url).to_have_value(re.compile(r"format=json&nojsoncallback=1&api_key=explorer$"))

    page.click("#call")
    outcome = page.locator("#result-outcome")
    expect(outcome).to_have_attribute("data-stat", "ok")
    expect(outcome).to_contain_text("stat: ok")
    body = page.locator("#response-body")
    expect(body.locator(".tok-key", has_text='"greeting"')).to_be_visible()
    expect(body.locator(".tok-string", has_text='"héllo <wörld> & ☃"')).to_be_visible()
    expect(body.locator(".tok-string", has_text='"flickr.test.echo"')).to_be_visible()
    # Pretty-printed, not one long line.
    assert (body.text_content() or "").count("\n") > 3

    page.get_by_label("XML").check()
    expect(url).to_have_value(re.compile(r"format=rest&api_key=explorer$"))
    page.click("#call")
    expect(body).to_have_attribute("data-format", "rest")
    expect(body.locator(".tok-tag", has_text="rsp").first).to_be_visible()
    expect(body.locator(".tok-attr", has_text="stat")).to_be_visible()
    expect(body.locator(".tok-tag", has_text="greeting").first).to_be_visible()
    # The markup the user typed is shown escaped, as XML carries it, never as elements.
    expect(body.locator(".tok-text", has_text="héllo &lt;wörld&gt; &amp; ☃")).to_be_visible()
    assert body.locator("wörld").count() == 0
    expect(outcome).to_contain_text("stat: ok")


def test_a_failed_call_is_explained(open_page: OpenPage, live_server: LiveServer) -> None:
    page = open_method(open_page, live_server, "flickr.reflection.getMethodInfo")
    page.click("#call")  # the required method_name is left empty
    outcome = page.locator("#result-outcome")
    expect(outcome).to_have_attribute("data-stat", "fail")
    expect(outcome).to_contain_text("Error 90: Missing required argument: method_name")
    expect(outcome).to_have_class(re.compile(r"\bis-error\b"))
    expect(page.locator("#response-body .tok-number", has_text="90")).to_be_visible()

    page.get_by_label("method_name").fill("flickr.test.login")
    page.click("#call")
    expect(outcome).to_have_attribute("data-stat", "ok")
    expect(
        page.locator("#response-body .tok-string", has_text='"flickr.test.login"')
    ).to_be_visible()


def test_an_anonymous_visitor_calling_a_login_method_is_told_why_not(
    open_page: OpenPage, live_server: LiveServer
) -> None:
    page = open_method(open_page, live_server, "flickr.test.login")
    page.get_by_label("XML").check()
    page.click("#call")
    outcome = page.locator("#result-outcome")
    expect(outcome).to_have_attribute("data-stat", "fail")
    expect(outcome).to_contain_text("Error 99: Insufficient permissions")
    expect(page.locator("#response-body .tok-attr", has_text="code")).to_be_visible()


def test_an_unknown_method_page_says_so(open_page: OpenPage, live_server: LiveServer) -> None:
    page = open_page(live_server, DESKTOP)
    response = page.goto("/services/api/explorer/flickr.test.nothing")
    assert response is not None and response.status == 404
    expect(page.get_by_role("alert")).to_contain_text(
        "There is no API method called flickr.test.nothing"
    )
    expect(page.get_by_role("link", name="flickr.test.echo")).to_be_visible()


def test_a_logged_in_user_calls_as_themselves(open_page: OpenPage, live_server: LiveServer) -> None:
    page = open_page(live_server, DESKTOP)
    page.goto("/signup?next=/services/api/explorer/flickr.test.login")
    page.fill("#username", "ana")
    page.fill("#password", "a long enough password")
    page.fill("#password2", "a long enough password")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/services/api/explorer/flickr\.test\.login$"))
    expect(page.locator(".explorer-one")).to_contain_text("Calls from this page run as ana")
    page.click("#call")
    expect(page.locator("#result-outcome")).to_have_attribute("data-stat", "ok")
    expect(page.locator("#response-body .tok-string", has_text='"ana"')).to_be_visible()

    # A method that changes things is sent as a POST, with the same login.
    page.goto("/services/api/explorer/flickr.photos.setMeta")
    expect(page.locator("#request-verb")).to_have_text("POST")
    page.get_by_label("photo_id").fill("999999")
    page.get_by_label("title").fill("new title")
    page.click("#call")
    outcome = page.locator("#result-outcome")
    expect(outcome).to_have_attribute("data-stat", "fail")
    expect(outcome).to_contain_text("Error 1: Photo not found")
