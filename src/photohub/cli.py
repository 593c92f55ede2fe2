"""The ``photohub`` command: a thin layer over the library."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from photohub import serving
from photohub.config import Settings, check_public_url, from_env
from photohub.site import Site

if TYPE_CHECKING:
    pass

T = TypeVar("T")


def _settings(data_dir: Path | None = None, **overrides: Any) -> Settings:
    try:
        settings = from_env()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    return settings.with_overrides(data_dir=data_dir, **overrides)


def _logging(settings: Settings) -> None:
    """Logs to stderr at ``settings.log_level`` (warning unless asked: a start prints no
    migration or server chatter above the banner)."""
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s %(message)s"
    )


def _public_url(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return check_public_url(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the SQLite database and media [env PHOTOHUB_DATA_DIR; ./photohub-data].",
)


@click.group(invoke_without_command=True)
@click.version_option(package_name="photohub")
@click.pass_context
def main(ctx: click.Context) -> None:
    """photohub: a real-time photo hub. With no command, runs `serve`."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(serve)


@main.command()
@data_dir_option
@click.option("--host", default=None, help="Address to bind [env PHOTOHUB_HOST; 0.0.0.0].")
@click.option("--port", type=int, default=None, help="Port to bind [env PHOTOHUB_PORT; 8000].")
@click.option(
    "--public-url",
    callback=_public_url,
    default=None,
    metavar="URL",
    help="Base URL guests use, printed and put in the QR code, e.g. behind a reverse proxy "
    "[env PHOTOHUB_PUBLIC_URL; the LAN address].",
)
@click.option(
    "--access-log/--no-access-log",
    default=None,
    help="Log one line per request [env PHOTOHUB_ACCESS_LOG; off].",
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Log at INFO level: migrations, server, requests."
)
def serve(
    data_dir: Path | None = None,
    host: str | None = None,
    port: int | None = None,
    public_url: str | None = None,
    access_log: bool | None = None,
    verbose: bool = False,
) -> None:
    """Run the web server (and, unless PHOTOHUB_RUN_TASKS=0, the task runner)."""
    settings = _settings(data_dir, host=host, port=port, public_url=public_url)
    if verbose:
        settings = settings.with_overrides(log_level="info", access_log=True)
    settings = settings.with_overrides(access_log=access_log)
    _logging(settings)
    # uvicorn picks uvloop only in ``Server.run``; we drive ``Server.serve`` ourselves.
    with asyncio.Runner(loop_factory=serving.loop_factory()) as runner:
        runner.run(serving.serve(settings))


@main.command()
@data_dir_option
def worker(data_dir: Path | None = None) -> None:
    """Run tasks in this process (beside `serve` processes with PHOTOHUB_RUN_TASKS=0)."""
    settings = _settings(data_dir)
    _logging(settings)
    asyncio.run(serving.work(settings))


def _with_site(settings: Settings, action: Callable[[Site], Awaitable[T]]) -> T:
    """Run ``action`` on the site; refuse a folder that has none rather than make a new
    one (a host in the wrong folder would get a useless answer)."""
    if not serving.has_site(settings):
        raise click.ClickException(
            f"no photohub site in {settings.data_dir.absolute()} (no photohub.db there).\n"
            "Run this from the folder where you ran `photohub serve`, or name the data "
            "folder it printed: --data-dir PATH (or PHOTOHUB_DATA_DIR=PATH)."
        )

    async def run() -> T:
        site = await serving.start_site(Site(settings), run_tasks=False, live=False)
        try:
            return await action(site)
        finally:
            await site.close()

    return asyncio.run(run())


@main.group()
def admin() -> None:
    """Host operations on a site (the same database `serve` uses)."""


@admin.command("uploads")
@click.argument("what", type=click.Choice(["pause", "resume", "status"]))
@data_dir_option
def admin_uploads(what: str, data_dir: Path | None = None) -> None:
    """Pause or resume guest uploads; open upload pages switch at once."""
    from photohub.actions.host import set_uploads_paused

    async def act(site: Site) -> bool:
        if what == "status":
            return (await site.host_state()).uploads_paused
        return (await set_uploads_paused(site, what == "pause")).uploads_paused

    paused = _with_site(_settings(data_dir), act)
    click.echo("uploads are paused" if paused else "uploads are open")


@admin.command("moderation")
@click.argument("what", type=click.Choice(["on", "off"]))
@data_dir_option
def admin_moderation(what: str, data_dir: Path | None = None) -> None:
    """Turn moderation on (new photos wait for approval) or off."""
    from photohub.actions.host import configure

    async def act(site: Site) -> bool:
        return (await configure(site, moderation=what == "on")).moderation

    on = _with_site(_settings(data_dir), act)
    click.echo("moderation is on" if on else "moderation is off")


@admin.command("token")
@click.option("--reset", is_flag=True, help="Make a new host password (logs hosts out).")
@data_dir_option
def admin_token(reset: bool, data_dir: Path | None = None) -> None:
    """Show the host password for the admin page."""

    async def act(site: Site) -> str:
        return await site.reset_admin_token() if reset else site.admin_token

    click.echo(_with_site(_settings(data_dir), act))


@admin.command("create-user")
@click.argument("username")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="The account's password (asked for when not given; a password given here is "
    "visible to other users of this machine in the process list).",
)
@click.option("--realname", default="", help="The person's or institution's real name.")
@click.option(
    "--institution",
    is_flag=True,
    help="A Flickr Commons institution (a museum, library or archive sharing its collection).",
)
@data_dir_option
def admin_create_user(
    username: str,
    password: str,
    realname: str,
    institution: bool,
    data_dir: Path | None = None,
) -> None:
    """Create an account (people can also sign up at /signup)."""
    from photohub.actions import accounts

    async def act(site: Site) -> accounts.SignedUp:
        return await accounts.signup(
            site,
            username=username,
            password=password,
            realname=realname,
            is_institution=institution,
        )

    try:
        accounts.check_username(username)
        accounts.check_realname(realname)
        accounts.check_new_password(password)
        done = _with_site(_settings(data_dir), act)
    except accounts.AccountError as exc:
        raise click.ClickException(exc.message) from exc
    kind = "institution" if institution else "user"
    click.echo(f"created {kind} {done.user['username']} ({done.user['nsid']})")


@admin.command("create-token")
@click.argument("username")
@click.option(
    "--perms",
    type=click.Choice(["read", "write", "delete"]),
    default="read",
    show_default=True,
    help="What the token may do.",
)
@click.option(
    "--app",
    "app_name",
    default="photohub CLI",
    show_default=True,
    help="The user's app to issue it for (created if they have none of that name).",
)
@data_dir_option
def admin_create_token(
    username: str, perms: str, app_name: str, data_dir: Path | None = None
) -> None:
    """Make an OAuth access token for a user, to sign API calls from scripts.

    Prints api_key, api_secret, oauth_token, oauth_token_secret, perms and user_nsid as
    NAME=value lines (docs/oauth.md shows how to sign with them)."""
    from photohub.actions.oauth import Credentials, create_token
    from photohub.domain.errors import PhotohubError

    async def act(site: Site) -> Credentials:
        return await create_token(site, username, perms=perms, app_name=app_name)

    try:
        made = _with_site(_settings(data_dir), act)
    except PhotohubError as exc:
        raise click.ClickException(exc.message) from exc
    for name, value in (
        ("api_key", made.api_key),
        ("api_secret", made.api_secret),
        ("oauth_token", made.oauth_token),
        ("oauth_token_secret", made.oauth_token_secret),
        ("perms", made.perms),
        ("user_nsid", made.user_nsid),
    ):
        click.echo(f"{name}={value}")
    if made.app_created:
        click.echo(f"(created the app {made.app_name!r} for {made.username})", err=True)


@main.group()
def push() -> None:
    """The push hub: subscriptions and their deliveries."""


@push.command("backfill")
@click.argument("subscription", type=int)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="Only photos uploaded on or after this date (UTC), e.g. 2026-11-01.",
)
@data_dir_option
def push_backfill(subscription: int, since: Any, data_dir: Path | None = None) -> None:
    """Send SUBSCRIPTION (its id, as the admin page shows) every photo its topic
    already holds, through its queue; delivers them from this process too."""
    from photohub.push.backfill import BackfillError, Progress, backfill, drained

    def report(progress: Progress) -> None:
        click.echo(f"queued {progress.queued} entries", err=True)

    async def act(site: Site) -> tuple[int, str | None]:
        delivering = asyncio.create_task(site.deliverer.loop.run_forever())
        try:
            done = await backfill(site, subscription, since=since, progress=report)
            return done.queued, await drained(site, subscription)
        finally:
            delivering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await delivering

    try:
        queued, failing = _with_site(_settings(data_dir), act)
    except BackfillError as exc:
        raise click.ClickException(str(exc)) from exc
    if failing:
        raise click.ClickException(
            f"queued {queued} photos, but deliveries to subscription {subscription} fail "
            f"({failing}); the hub's workers keep retrying"
        )
    click.echo(f"backfilled {queued} photos to subscription {subscription}")
