"""Which OAuth callbacks an app may name, and how the answer is added to one."""

from __future__ import annotations

import pytest

from photohub.domain.oauth import OOB, callback_url, check_callback, csp_source


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("oob", OOB),
        (" OOB ", OOB),
        ("https://app.example/cb", "https://app.example/cb"),
        ("http://127.0.0.1:8765/done?x=1", "http://127.0.0.1:8765/done?x=1"),
        ("http://[::1]:9000/cb", "http://[::1]:9000/cb"),
        ("http://localhost/", "http://localhost/"),
        ("myapp:/oauth/done", "myapp:/oauth/done"),
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
