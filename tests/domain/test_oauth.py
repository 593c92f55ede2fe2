"""Which OAuth callbacks an app may name, and how the answer is added to one."""

from __future__ import annotations

import pytest

from photohub.domain.oauth import (
    OOB,
    callback_url,
    check_callback,
    check_registered_callback,
    csp_source,
)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("oob", OOB),
        (" OOB ", OOB),
        ("https://app.example/cb", "https://app.example/cb"),
        ("http://127.0.0.1:8765/done?x=1", "http://127.0.0.1:8765/done?x=1"),
        ("http://[::1]:9000/cb", "http://[::1]:9000/cb"),
        ("http://localhost/", "http://localhost/"),
    ],
)
def test_callbacks_an_app_may_name(raw: str, stored: str) -> None:
    assert check_callback(raw) == stored


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("", "empty"),
        ("javascript:alert(1)", "javascript"),
        ("JavaScript:alert(1)", "javascript"),
        ("data:text/html,hi", "data"),
        ("file:///etc/passwd", "file"),
        ("/relative/path", "absolute"),
        ("http:///no-host", "host"),
        ("http://bad_host!/x", "host"),
        ("http://user:pw@app.example/", "user name"),
        ("https://app.example/cb#frag", "fragment"),
        ("https://app.example/a b", "spaces"),
        ("https://app.example:99999/", "valid URL"),
        ("https://app.example/" + "x" * 2000, "longer"),
    ],
)
def test_callbacks_refused_with_a_reason(raw: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        check_callback(raw)


def test_a_long_bad_host_is_refused_quickly() -> None:
    with pytest.raises(ValueError, match="host"):
        check_callback("http://" + "a" * 63 + "." * 900 + "!/")


def test_the_answer_keeps_the_apps_query() -> None:
    assert (
        callback_url("https://app.example/cb?state=1", {"oauth_token": "t", "oauth_verifier": "v"})
        == "https://app.example/cb?state=1&oauth_token=t&oauth_verifier=v"
    )
    assert callback_url("myapp:/done", {"oauth_problem": "user_refused"}) == (
        "myapp:/done?oauth_problem=user_refused"
    )


def test_csp_sources_name_the_origin_only() -> None:
    assert csp_source("https://App.example:8443/cb?x=1") == "https://app.example:8443"
    assert csp_source("http://[::1]:9000/cb") == "http://[::1]:9000"
    assert csp_source("myapp:/done") == "myapp:"


# The scheme allow-list: http, https, oob, and an app's own scheme once registered.

DANGEROUS = [
    "javascript:alert(1)",
    "jAvAsCrIpT:alert(1)",
    "  javascript:alert(1)",
    "\tjavascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "java\rscript:alert(1)",
    "\x00javascript:alert(1)",
    "javascript\x01:alert(1)",
    "\u200bjavascript:alert(1)",
    "\u00a0javascript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "view-source:https://app.example/",
    "VIEW-SOURCE:https://app.example/",
    "jar:https://app.example/x.jar!/a.html",
    "ms-settings:privacy",
    "MS-Settings:privacy",
    "ms-officecmd:x",
    "search-ms:query=x",
    "about:blank",
    "blob:https://app.example/0b0c",
    "filesystem:https://app.example/temporary/x",
    "chrome://settings",
    "chrome-extension://abc/x",
    "intent://scan/#Intent;scheme=zxing;end",
    "mhtml:file://c:/x.mht",
    "res://ieframe.dll/x",
]


@pytest.mark.parametrize("raw", DANGEROUS)
def test_dangerous_schemes_are_always_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="oauth_callback"):
        check_callback(raw)
    # Not even an app that registered the very same URL gets it back.
    with pytest.raises(ValueError, match="oauth_callback"):
        check_callback(raw, registered=raw.strip())
    with pytest.raises(ValueError):
        check_registered_callback(raw)


def test_an_apps_own_scheme_needs_registering() -> None:
    with pytest.raises(ValueError, match="register"):
        check_callback("myapp:/oauth/done")
    registered = check_registered_callback("com.example.frame:/oauth/done")
    assert registered == "com.example.frame:/oauth/done"
    assert check_callback("com.example.frame:/oauth/done", registered=registered) == (
        "com.example.frame:/oauth/done"
    )
    assert check_callback("COM.Example.Frame:/oauth/done?s=1", registered=registered) == (
        "COM.Example.Frame:/oauth/done?s=1"
    )
    for other in ("com.example.other:/oauth/done", "com.example.frame:/elsewhere"):
        with pytest.raises(ValueError, match="registered"):
            check_callback(other, registered=registered)
    assert check_callback("oob", registered=registered) == OOB


def test_a_registered_callback_pins_where_tokens_go() -> None:
    # As Twitter and Flickr did: the callback named at request_token must be the app's
    # registered one (its query may differ: apps carry their state there), or oob.
    registered = "https://app.example/oauth/cb"
    assert check_callback("https://app.example/oauth/cb?state=9", registered=registered)
    assert check_callback("HTTPS://APP.example/oauth/cb", registered=registered)
    for other in (
        "https://evil.example/oauth/cb",
        "https://app.example.evil.example/oauth/cb",
        "https://app.example/oauth/cb2",
        "https://app.example:8443/oauth/cb",
        "http://app.example/oauth/cb",
    ):
        with pytest.raises(ValueError, match="registered"):
            check_callback(other, registered=registered)


def test_a_registered_loopback_callback_takes_any_port() -> None:
    # RFC 8252 §7.3: a desktop app listens on whatever port it got.
    registered = "http://127.0.0.1/oauth/done"
    assert check_callback("http://127.0.0.1:49152/oauth/done", registered=registered)
    with pytest.raises(ValueError, match="registered"):
        check_callback("http://127.0.0.2:49152/oauth/done", registered=registered)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("", None), ("  ", None), (" https://a.example/cb ", "https://a.example/cb")],
)
def test_registering_no_callback_or_one(raw: str, stored: str | None) -> None:
    assert check_registered_callback(raw) == stored


@pytest.mark.parametrize("raw", ["oob", "/relative", "https://a.example/cb#x", "myapp:"])
def test_registered_callbacks_are_full_urls(raw: str) -> None:
    with pytest.raises(ValueError):
        check_registered_callback(raw)
