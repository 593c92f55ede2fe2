"""Password guessing (issue 11, finding 8): an account's tries are counted by the
account, however its name is spelt, and the host password is throttled too."""

from __future__ import annotations

import httpx
import pytest

from photohub.actions import accounts, host
from photohub.domain.people import id_from_nsid, nsid_for
from photohub.site import Site
from tests.web.helpers import visit

pytestmark = pytest.mark.anyio

PASSWORD = "correct horse battery"
ARABIC_INDIC = str.maketrans("0123456789", "".join(chr(0x0660 + i) for i in range(10)))
FULLWIDTH = str.maketrans("0123456789", "".join(chr(0xFF10 + i) for i in range(10)))


def spellings(nsid: str) -> list[str]:
    number, at, suffix = nsid.partition("@")
    return [
        "0" + nsid,
        "00" + nsid,
        "000" + nsid,
        number.translate(ARABIC_INDIC) + at + suffix,
        number.translate(FULLWIDTH) + at + suffix,
        " " + nsid + " ",
        nsid,
        "Mallory",
        "MALLORY",
        "mallory",
    ]


def test_an_nsid_has_one_spelling() -> None:
    nsid = nsid_for(1)
    assert id_from_nsid(nsid) == 1
    for other in spellings(nsid)[:5]:
        assert id_from_nsid(other) is None, other


async def test_every_spelling_of_an_account_shares_its_tries(site: Site) -> None:
    done = await accounts.signup(site, username="Mallory", password=PASSWORD)
    nsid = nsid_for(int(done.user["id"]))
    naming = [nsid, " " + nsid + " ", "Mallory", "MALLORY", "mallory"]
    for attempt in range(accounts.USER_FAILURES):
        name = naming[attempt % len(naming)]
        with pytest.raises(accounts.LoginFailed):
            await accounts.authenticate(site, name, "wrong", address=f"10.0.0.{attempt}")
    # Held now, whatever the spelling, even with the right password.
    for name in naming:
        with pytest.raises(accounts.TooManyAttempts):
            await accounts.authenticate(site, name, PASSWORD, address="10.9.9.9")
    # Other spellings of the NSID name no account: no way around the hold either.
    for name in spellings(nsid)[:5]:
        with pytest.raises(accounts.LoginFailed):
            await accounts.authenticate(site, name, PASSWORD, address="10.9.9.9")


async def test_unicode_digits_never_name_an_account(site: Site) -> None:
    done = await accounts.signup(site, username="Mallory", password=PASSWORD)
    number, at, suffix = nsid_for(int(done.user["id"])).partition("@")
    for name in (number.translate(ARABIC_INDIC) + at + suffix, "0" + number + at + suffix):
        with pytest.raises(accounts.LoginFailed):
            await accounts.authenticate(site, name, PASSWORD)


async def test_the_host_password_is_throttled_per_address(
    site: Site, client: httpx.AsyncClient
) -> None:
    """Ten wrong host passwords from one browser: the next try, the right one too, is
    answered 429 with Retry-After and words a person understands."""
    for attempt in range(host.HOST_ADDRESS_FAILURES):
        token = await visit(client, "/admin/login")
        response = await client.post(
            "/admin/login", data={"csrf_token": token, "token": f"guess-{attempt}"}
        )
        assert response.status_code == 403
    token = await visit(client, "/admin/login")
    response = await client.post(
        "/admin/login",
        data={"csrf_token": token, "token": "test-admin-token"},
        headers={"accept": "text/html"},
    )
    assert response.status_code == 429, response.text
    assert int(response.headers["retry-after"]) > 60
    assert "Too many wrong passwords. Please wait 15 minutes" in response.text
    # The printed link (GET ?token=) is held the same way.
    response = await client.get("/admin/login", params={"token": "test-admin-token"})
    assert response.status_code == 429
    assert "photohub_admin" not in response.headers.get("set-cookie", "")


async def test_the_host_password_has_a_global_backoff_but_not_for_the_laptop(
    site: Site,
) -> None:
    """Guesses from many addresses add up; the host at the laptop itself can still log
    in, so a flood from the network cannot lock the host out."""
    for n in range(host.HOST_GLOBAL_FAILURES):
        assert not host.check_host_password(
            site, f"guess-{n}", address=f"10.1.{n // 250}.{n % 250}"
        )
    with pytest.raises(accounts.TooManyAttempts) as held:
        host.check_host_password(site, "test-admin-token", address="10.2.0.1")
    assert held.value.retry_after > 60
    assert host.check_host_password(site, "test-admin-token", address="127.0.0.1")
    assert host.check_host_password(site, "test-admin-token", address="::1")


async def test_a_right_host_password_clears_its_address(site: Site) -> None:
    for n in range(host.HOST_ADDRESS_FAILURES - 1):
        assert not host.check_host_password(site, f"guess-{n}", address="10.3.0.1")
    assert host.check_host_password(site, "test-admin-token", address="10.3.0.1")
    for n in range(host.HOST_ADDRESS_FAILURES - 1):
        assert not host.check_host_password(site, f"guess-{n}", address="10.3.0.1")
    assert host.check_host_password(site, "test-admin-token", address="10.3.0.1")
