"""``photohub admin create-user`` on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from click.testing import CliRunner, Result

from photohub.actions import accounts
from photohub.cli import main
from photohub.config import Settings
from photohub.site import Site

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _site_exists(settings: Settings) -> None:
    """`photohub serve` has made the site (admin commands refuse a folder without one)."""

    async def make() -> None:
        site = Site(settings)
        await site.start(run_tasks=False, live=False)
        await site.close()

    asyncio.run(make())


def _create(settings: Settings, *args: str, stdin: str | None = None) -> Result:
    env = {"PHOTOHUB_DATABASE_URL": settings.database_url or None}
    return CliRunner().invoke(
        main,
        ["admin", "create-user", *args, "--data-dir", str(settings.data_dir)],
        env=env,
        input=stdin,
    )


def _login(settings: Settings, username: str, password: str) -> dict[str, object]:
    async def check() -> dict[str, object]:
        site = Site(settings)
        await site.start(run_tasks=False, live=False)
        try:
            return dict(await accounts.authenticate(site, username, password))
        finally:
            await site.close()

    return asyncio.run(check())


def test_create_user_with_a_password_and_real_name(settings: Settings) -> None:
    result = _create(settings, "Ana", "--password", PASSWORD, "--realname", "Ana Lima")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("created user Ana (10000001@N01)")
    user = _login(settings, "ana", PASSWORD)
    assert user["realname"] == "Ana Lima" and user["is_institution"] is False


def test_create_an_institution_with_the_password_prompted(settings: Settings) -> None:
    result = _create(settings, "City Museum", "--institution", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "created institution City Museum" in result.output
    assert PASSWORD not in result.output  # typed hidden
    assert _login(settings, "City Museum", PASSWORD)["is_institution"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Ana", "--password", "short"), "at least 8 characters"),
        (("a", "--password", PASSWORD), "A username has 3 to 40 characters"),
        (("Ana", "--password", PASSWORD, "--realname", "x" * 101), "too long"),
    ],
)
def test_bad_values_are_named(settings: Settings, args: tuple[str, ...], message: str) -> None:
    result = _create(settings, *args)
    assert result.exit_code != 0
    assert message in result.output


def test_a_taken_username_is_refused(settings: Settings) -> None:
    assert _create(settings, "Ana", "--password", PASSWORD).exit_code == 0
    result = _create(settings, "ANA", "--password", PASSWORD + "!")
    assert result.exit_code != 0
    assert "is taken" in result.output
    _login(settings, "Ana", PASSWORD)  # the first account is untouched
