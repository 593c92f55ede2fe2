"""``photohub admin create-token``: credentials a script signs working calls with."""

from __future__ import annotations

import asyncio

import httpx
from click.testing import CliRunner, Result
from oauthlib.oauth1 import Client

from photohub.cli import main
from photohub.config import Settings
from photohub.site import Site
from tests import factories

REST = (
    "http://testserver/services/rest/"
    "?method=flickr.auth.oauth.checkToken&format=json&nojsoncallback=1"
)


def _cli(settings: Settings, *args: str) -> Result:
    env = {"PHOTOHUB_DATABASE_URL": settings.database_url}
    return CliRunner().invoke(
        main,
        ["admin", "create-token", *args, "--data-dir", str(settings.data_dir)],
        env=env,
    )


def _values(result: Result) -> dict[str, str]:
    assert result.exit_code == 0, result.output
    return dict(line.split("=", 1) for line in result.stdout.splitlines())


async def _make_user(settings: Settings) -> None:
    site = Site(settings)
    await site.start(run_tasks=False, live=False)
    try:
        async with site.db.write() as conn:
            await factories.user(conn, "Ana", realname="Ana Lima")
    finally:
        await site.close()


async def _check_token(settings: Settings, values: dict[str, str]) -> dict[str, object]:
    from photohub.app import create_app

    site = Site(settings)
    await site.start(run_tasks=False, live=False)
    try:
        transport = httpx.ASGITransport(app=create_app(site=site, manage_site=False))
        async with httpx.AsyncClient(transport=transport) as http:
            signer = Client(
                values["api_key"],
                client_secret=values["api_secret"],
                resource_owner_key=values["oauth_token"],
                resource_owner_secret=values["oauth_token_secret"],
            )
            uri, headers, _ = signer.sign(REST)
            body: dict[str, object] = (await http.get(uri, headers=headers)).json()
            return body
    finally:
        await site.close()


def test_create_token_prints_credentials_that_sign_a_call(settings: Settings) -> None:
    asyncio.run(_make_user(settings))
    first = _cli(settings, "ana", "--perms", "write")
    values = _values(first)
    assert sorted(values) == sorted(
        ["api_key", "api_secret", "oauth_token", "oauth_token_secret", "perms", "user_nsid"]
    )
    assert values["perms"] == "write"
    assert "created the app 'photohub CLI' for Ana" in first.stderr

    body = asyncio.run(_check_token(settings, values))
    assert body["stat"] == "ok", body
    assert body["oauth"] == {
        "token": {"_content": values["oauth_token"]},
        "perms": {"_content": "write"},
        "user": {"nsid": values["user_nsid"], "username": "Ana", "fullname": "Ana Lima"},
    }

    # A second token for the same app; another app by name.
    again = _values(_cli(settings, "ANA"))
    assert again["api_key"] == values["api_key"]
    assert again["oauth_token"] != values["oauth_token"]
    assert again["perms"] == "read"
    other = _values(_cli(settings, "ana", "--app", "Backup script"))
    assert other["api_key"] != values["api_key"]


def test_create_token_names_an_unknown_user(settings: Settings) -> None:
    asyncio.run(_make_user(settings))
    result = _cli(settings, "nobody")
    assert result.exit_code == 1
    assert "There is no account called 'nobody'" in result.output
    bad = _cli(settings, "ana", "--perms", "admin")
    assert bad.exit_code == 2
