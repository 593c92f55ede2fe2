"""The API Explorer pages: every registered method is listed and has a working page;
an unknown name gets a human 404."""

from __future__ import annotations

import re

import httpx
import pytest
from markupsafe import escape

from photohub.api.methods import registry
from photohub.api.openapi import namespace
from photohub.site import Site
from tests.web.helpers import META

pytestmark = pytest.mark.anyio

HTML = {"accept": "text/html"}


def esc(text: str) -> str:
    """As the templates escape it."""
    return str(escape(text))


async def test_the_index_lists_every_method_under_its_namespace(
    client: httpx.AsyncClient, site: Site
) -> None:
    response = await client.get("/services/api/explorer", headers=HTML)
    assert response.status_code == 200
    page = response.text
    # Each namespace once, in order.
    spaces = re.findall(r'<section class="explorer-namespace" id="ns-([^"]+)"', page)
    assert spaces == sorted({namespace(name) for name in registry.names()})
    for method in registry:
        assert f'href="/services/api/explorer/{method.name}"' in page, method.name
        assert esc(method.summary) in page, method.name
        # Listed inside its namespace's section.
        section = page.split(f'id="ns-{namespace(method.name)}"', 1)[1].split("</section>", 1)[0]
        assert f"<code>{method.name}</code>" in section
    assert 'href="/services/api/openapi.json"' in page


async def test_every_method_page_shows_its_arguments_and_a_form(
    client: httpx.AsyncClient, site: Site
) -> None:
    # One test for all methods (not one per method): each test of this module starts a
    # site, and on PostgreSQL a database, so per-method tests would take minutes.
    for method in registry:
        name = method.name
        response = await client.get(f"/services/api/explorer/{name}", headers=HTML)
        assert response.status_code == 200, (name, response.text)
        page = response.text
        assert f"<h1><code>{name}</code></h1>" in page
        assert esc(method.summary) in page, name
        assert f'data-method="{name}"' in page
        assert META.search(page), "the page needs its CSRF token for the calls"
        assert 'id="call"' in page and 'name="explorer-format" value="rest"' in page
        assert 'id="request-url"' in page
        for arg in method.args:
            assert f'name="{arg.name}"' in page, (name, arg.name)
            assert esc(arg.type.doc) in page, (name, arg.name)
            if arg.doc:
                assert esc(arg.doc.rstrip(".")) in page, (name, arg.name)
        required = page.count('<span class="badge badge-error">required</span>')
        assert required == sum(1 for arg in method.args if arg.required), name
        for code, _ in method.errors:
            assert f"<td>{code}</td>" in page, (name, code)


async def test_pages_are_under_the_content_security_policy(
    client: httpx.AsyncClient, site: Site
) -> None:
    response = await client.get("/services/api/explorer/flickr.test.echo", headers=HTML)
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy and "style-src 'self'" in policy
    # No inline styles or handlers (CSP would block them), no scripts from elsewhere.
    assert " style=" not in response.text
    assert not re.search(r"\son[a-z]+=", response.text)
    assert re.search(
        r'<script type="module" src="/static/explorer\.js\?v=\w+"></script>', response.text
    )
    assert "http://" not in response.text.split("<body>", 1)[1].split("</main>", 1)[0]


async def test_the_static_files_are_served(client: httpx.AsyncClient, site: Site) -> None:
    for name in ("explorer.js", "highlight.js", "explorer.css"):
        response = await client.get(f"/static/{name}")
        assert response.status_code == 200, name


async def test_an_unknown_method_is_a_human_404_with_the_list(
    client: httpx.AsyncClient, site: Site
) -> None:
    response = await client.get("/services/api/explorer/flickr.photos.nope", headers=HTML)
    assert response.status_code == 404
    assert "There is no API method called <code>flickr.photos.nope</code>" in response.text
    assert 'href="/services/api/explorer/flickr.test.echo"' in response.text


async def test_a_hostile_unknown_name_is_escaped_and_shortened(
    client: httpx.AsyncClient, site: Site
) -> None:
    name = "<img src=x onerror=alert(1)>" + "x" * 300
    response = await client.get(f"/services/api/explorer/{name}", headers=HTML)
    assert response.status_code == 404
    assert "<img" not in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in response.text
    assert "x" * 200 not in response.text
