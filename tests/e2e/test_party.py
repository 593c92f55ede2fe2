"""The party portal in a real browser: upload page, wall, "My photos" and host controls.

Each test starts its own `photohub serve`; each browser context is a different guest.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from photohub.banner import lan_address

from .support import PHONE, PROJECTOR, LiveServer, OpenPage, make_jpeg, make_noisy_jpeg

pytestmark = pytest.mark.browser

WAIT = 10_000  # ms: photos are processed and pushed well within this


def file_item(page: Page, name: str) -> Locator:
    return page.locator(".file-item").filter(has=page.locator(".file-name", has_text=name))


def upload(page: Page, path: Path, title: str) -> int:
    """Pick one photo on an open upload page, title it, send it; return its photo id."""
    page.set_input_files("#pick-files", str(path))
    item = file_item(page, path.name)
    item.locator(".file-title").fill(title)
    page.click("#send")
    expect(item).to_have_attribute("data-photo-id", re.compile(r"^\d+$"), timeout=WAIT)
    return int(item.get_attribute("data-photo-id") or "0")


def open_wall(open_page: OpenPage, server: LiveServer) -> Page:
    wall = open_page(server, PROJECTOR)
    wall.goto("/wall")
    return wall


def login_admin(open_page: OpenPage, server: LiveServer) -> Page:
    admin = open_page(server, {"width": 1280, "height": 900})
    admin.goto("/admin/login")
    admin.fill("#token", server.admin_token)
    admin.click("button[type=submit]")
    expect(admin).to_have_url(re.compile(r"/admin$"))
    expect(admin.locator("#uploads-state")).to_be_visible()
    return admin


def fetch_json(page: Page, method: str, url: str) -> dict[str, Any]:
    """Call the API from inside a page, as its own guest, with its own CSRF token (the
    fetch has a timeout: page.evaluate has none)."""
    result: dict[str, Any] = page.evaluate(
        """async ([method, url]) => {
            const token = document.querySelector('meta[name="csrf-token"]').content;
            const response = await fetch(url, {
                method, credentials: 'same-origin', headers: {'X-CSRF-Token': token},
                signal: AbortSignal.timeout(10000),
            });
            return {status: response.status, body: await response.json()};
        }""",
        [method, url],
    )
    return result


def test_upload_appears_on_the_wall(
    open_page: OpenPage, live_server: LiveServer, tmp_path: Path
) -> None:
    wall = open_wall(open_page, live_server)
    expect(wall.locator("#wall-empty")).to_be_visible()
    # Opened on the laptop itself, the wall still gives phones the party-network address.
    port = live_server.url.rsplit(":", 1)[1]
    address = lan_address() or "127.0.0.1"
    expect(wall.locator("#wall-url")).to_have_text(f"http://{address}:{port}/upload")

    guest = open_page(live_server, PHONE)
    guest.goto("/upload")
    guest.fill("#guest-name", "Rosa")
    photo_id = upload(guest, make_jpeg(tmp_path / "red.jpg", (210, 30, 40)), "Red balloon")

    # The wall shows that photo's rendition, title and author, with the "New" highlight.
    expect(wall.locator("#wall-title")).to_have_text("Red balloon", timeout=WAIT)
    expect(wall.locator("#wall-author")).to_have_text("by Rosa")
    current = wall.locator(".wall-img.is-current")
    expect(current).to_have_count(1)
    expect(current).to_have_attribute("src", re.compile(rf"^/media/{photo_id}_\w+_\d+\.webp$"))
    expect(wall.locator("#wall-badge")).to_be_visible()
    expect(wall.locator("#wall-empty")).to_be_hidden()
    # The rendition fits a 1280 px screen: the largest size <= 1.2 x 1280.
    snapshot = fetch_json(wall, "GET", "/api/wall")["body"]
    sizes = [s for s in snapshot["photos"][0]["sizes"] if s["size"] <= 1.2 * 1280]
    best = max(sizes, key=lambda s: s["size"])
    expect(current).to_have_attribute("src", best["url"])
    # The guest's own page confirms.
    expect(file_item(guest, "red.jpg").locator(".file-status")).to_have_text(
        "On the wall ✓", timeout=WAIT
    )


def test_edit_and_delete_from_my_photos(
    open_page: OpenPage, live_server: LiveServer, tmp_path: Path
) -> None:
    wall = open_wall(open_page, live_server)
    guest = open_page(live_server, PHONE)
    guest.goto("/upload")
    photo_id = upload(guest, make_jpeg(tmp_path / "green.jpg", (30, 170, 60)), "Green hat")
    expect(wall.locator("#wall-title")).to_have_text("Green hat", timeout=WAIT)

    guest.goto("/mine")
    card = guest.locator(f'.photo-item[data-photo-id="{photo_id}"]')
    expect(card.locator(".badge")).to_have_text("On the wall")
    expect(card.locator(".photo-thumb img")).to_be_visible()
    card.locator(".photo-title").fill("Green hat, renamed")
    card.locator(".photo-save").click()
    expect(card.locator(".photo-message")).to_have_text("Saved.")
    expect(wall.locator("#wall-title")).to_have_text("Green hat, renamed", timeout=WAIT)

    card.locator(".photo-delete").click()
    dialog = guest.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Green hat, renamed")
    guest.click("#confirm-dialog-ok")
    expect(card).to_have_count(0)
    expect(guest.locator("#mine-empty")).to_be_visible()
    expect(wall.locator("#wall-empty")).to_be_visible(timeout=WAIT)
    expect(wall.locator(".wall-img.is-current")).to_have_count(0)


def delete_from_mine(page: Page, photo_id: int) -> None:
    page.goto("/mine")
    page.locator(f'.photo-item[data-photo-id="{photo_id}"] .photo-delete').click()
    page.click("#confirm-dialog-ok")
    expect(page.locator(f'.photo-item[data-photo-id="{photo_id}"]')).to_have_count(0)


def test_a_wall_that_resumes_shows_new_photos_and_drops_withdrawn_ones(
    open_page: OpenPage, live_server: LiveServer, tmp_path: Path
) -> None:
    """A wall offline for a while (Wi-Fi drop, server restart) resumes from its last event:
    the photo uploaded meanwhile appears, the one deleted meanwhile is gone."""
    guest = open_page(live_server, PHONE)
    guest.goto("/upload")
    first = upload(guest, make_jpeg(tmp_path / "yellow.jpg", (230, 200, 30)), "Yellow kite")
    expect(file_item(guest, "yellow.jpg").locator(".file-status")).to_have_text(
        "On the wall ✓", timeout=WAIT
    )
    wall = open_page(live_server, PROJECTOR)
    wall.route("**/live?*", lambda route: route.abort())  # the stream cannot connect
    wall.goto("/wall")
    expect(wall.locator("#wall-title")).to_have_text("Yellow kite", timeout=WAIT)

    guest.goto("/upload")
    second = upload(guest, make_jpeg(tmp_path / "purple.jpg", (120, 40, 160)), "Purple drum")
    expect(file_item(guest, "purple.jpg").locator(".file-status")).to_have_text(
        "On the wall ✓", timeout=WAIT
    )
    delete_from_mine(guest, first)
    expect(wall.locator("#wall-title")).to_have_text("Yellow kite")  # it heard nothing

    wall.unroute("**/live?*")
    wall.evaluate("window.dispatchEvent(new Event('online'))")  # reconnect now
    expect(wall.locator("#wall-title")).to_have_text("Purple drum", timeout=WAIT)
    wall.screenshot(path=str(tmp_path / "wall-resumed.png"))
    # Only the new photo is left: deleting it (live) empties the wall.
    delete_from_mine(guest, second)
    expect(wall.locator("#wall-empty")).to_be_visible(timeout=WAIT)


def test_only_the_uploader_can_change_a_photo(
    open_page: OpenPage, live_server: LiveServer, tmp_path: Path
) -> None:
    owner = open_page(live_server, PHONE)
    owner.goto("/upload")
    photo_id = upload(owner, make_jpeg(tmp_path / "blue.jpg", (30, 60, 200)), "Mine only")

    stranger = open_page(live_server, PHONE)
    stranger.goto("/mine")
    expect(stranger.locator("#mine-empty")).to_be_visible()
    expect(stranger.locator(".photo-item")).to_have_count(0)

    for method in ("DELETE", "PATCH"):
        answer = fetch_json(stranger, method, f"/api/photos/{photo_id}")
        assert answer["status"] == 403, answer
        assert answer["body"]["stat"] == "fail"
        assert answer["body"]["code"] == "forbidden"
        assert "Only the person who uploaded this photo" in answer["body"]["message"]

    # Still there for its owner.
    owner.goto("/mine")
    expect(owner.locator(f'.photo-item[data-photo-id="{photo_id}"]')).to_be_visible()


def test_pausing_switches_an_open_upload_page(open_page: OpenPage, live_server: LiveServer) -> None:
    guest = open_page(live_server, PHONE)
    guest.goto("/upload")
    expect(guest.locator("#paused-panel")).to_be_hidden()
    expect(guest.locator("#pick-files")).to_be_enabled()

    admin = login_admin(open_page, live_server)
    expect(admin.locator("#uploads-state")).to_have_text("Uploads are open")
    admin.click("#toggle-uploads")
    expect(admin.locator("#uploads-state")).to_have_text("Uploads are paused")

    expect(guest.locator("#paused-panel")).to_be_visible(timeout=WAIT)
    expect(guest.locator("#paused-panel")).to_contain_text("Uploads are paused")
    expect(guest.locator("#pick-files")).to_be_disabled()

    admin.click("#toggle-uploads")
    expect(admin.locator("#uploads-state")).to_have_text("Uploads are open")
    expect(guest.locator("#paused-panel")).to_be_hidden(timeout=WAIT)
    expect(guest.locator("#pick-files")).to_be_enabled()


def test_per_file_errors_and_retry_after_resume(
    open_page: OpenPage, small_server: LiveServer, tmp_path: Path
) -> None:
    big = make_noisy_jpeg(tmp_path / "huge.jpg")
    assert big.stat().st_size > 200_000
    text = tmp_path / "notes.jpg"
    text.write_bytes(b"This is a shopping list, not a photo.\n" * 40)

    guest = open_page(small_server, PHONE)
    # Hold back the live stream at first, so this page does not hear about the pause below
    # and really sends a photo into paused uploads.
    guest.route("**/live?*", lambda route: route.abort())
    guest.goto("/upload")
    guest.set_input_files("#pick-files", [str(big), str(text)])

    too_large = file_item(guest, "huge.jpg")
    expect(too_large).to_have_attribute("data-status", "error")  # refused before sending
    expect(too_large.locator(".file-status")).to_contain_text("too large")
    expect(too_large.locator(".file-retry")).to_be_hidden()

    guest.click("#send")
    not_image = file_item(guest, "notes.jpg")
    expect(not_image).to_have_attribute("data-status", "error", timeout=WAIT)
    message = not_image.locator(".file-status")
    expect(message).not_to_be_empty()
    expect(message).not_to_contain_text("{")
    expect(not_image.locator(".file-retry")).to_be_hidden()

    admin = login_admin(open_page, small_server)
    admin.click("#toggle-uploads")
    expect(admin.locator("#uploads-state")).to_have_text("Uploads are paused")

    small = make_jpeg(tmp_path / "small.jpg", (250, 200, 20), size=(640, 480))
    guest.set_input_files("#pick-files", str(small))
    item = file_item(guest, "small.jpg")
    guest.click("#send")
    expect(item).to_have_attribute("data-status", "error", timeout=WAIT)
    expect(item.locator(".file-status")).to_contain_text("paused")
    expect(guest.locator("#paused-panel")).to_be_visible()  # learnt from the answer
    expect(item.locator(".file-retry")).to_be_disabled()

    guest.unroute("**/live?*")
    admin.click("#toggle-uploads")
    expect(admin.locator("#uploads-state")).to_have_text("Uploads are open")
    expect(guest.locator("#paused-panel")).to_be_hidden(timeout=15_000)
    item.locator(".file-retry").click()
    expect(item).to_have_attribute("data-status", "done", timeout=WAIT)
    expect(item).to_have_attribute("data-photo-id", re.compile(r"^\d+$"))


def test_moderation_holds_photos_until_approved(
    open_page: OpenPage, live_server: LiveServer, tmp_path: Path
) -> None:
    admin = login_admin(open_page, live_server)
    admin.click("#toggle-moderation")
    expect(admin.locator("#moderation-state")).to_have_text("Moderation is on")

    wall = open_wall(open_page, live_server)
    expect(wall.locator("#wall-empty")).to_be_visible()
    guest = open_page(live_server, PHONE)
    guest.goto("/upload")
    # The uploader's own wall tab also receives the owner-only copies of each event.
    own_wall = guest.context.new_page()
    own_wall.goto("/wall")
    expect(own_wall.locator("#wall-empty")).to_be_visible()
    photo_id = upload(guest, make_jpeg(tmp_path / "violet.jpg", (140, 40, 190)), "Needs a yes")
    expect(file_item(guest, "violet.jpg").locator(".file-status")).to_contain_text(
        "approval", timeout=WAIT
    )

    card = admin.locator(f'.admin-item[data-photo-id="{photo_id}"]')
    # Processed and waiting: had it been allowed on the wall, it would be there now.
    expect(card.locator(".badge")).to_have_text("Waiting for your approval", timeout=WAIT)
    assert fetch_json(wall, "GET", "/api/wall")["body"]["photos"] == []
    expect(wall.locator("#wall-empty")).to_be_visible()
    expect(wall.locator(".wall-img.is-current")).to_have_count(0)
    expect(own_wall.locator("#wall-empty")).to_be_visible()
    expect(own_wall.locator(".wall-img.is-current")).to_have_count(0)

    card.locator(".admin-approve").click()
    expect(card.locator(".badge")).to_have_text("On the wall")
    expect(wall.locator("#wall-title")).to_have_text("Needs a yes", timeout=WAIT)
    expect(wall.locator(".wall-img.is-current")).to_have_attribute(
        "src", re.compile(rf"^/media/{photo_id}_")
    )
    expect(own_wall.locator("#wall-title")).to_have_text("Needs a yes", timeout=WAIT)

    # The host removes it (after confirming): gone from every wall at once.
    card.locator(".admin-remove").click()
    admin.click("#confirm-dialog-ok")
    expect(card).to_have_count(0)
    expect(wall.locator("#wall-empty")).to_be_visible(timeout=WAIT)
    expect(own_wall.locator("#wall-empty")).to_be_visible(timeout=WAIT)


def test_pages_speak_human(open_page: OpenPage, live_server: LiveServer) -> None:
    page = open_page(live_server, PHONE)
    page.goto("/")
    expect(page.get_by_role("link", name="Upload photos")).to_be_visible()
    # A missing page: words and a way home, no JSON.
    response = page.goto("/no-such-page")
    assert response is not None and response.status == 404
    expect(page.locator("main")).to_contain_text("There is nothing here")
    expect(page.locator("main")).not_to_contain_text('"stat"')
    expect(page.get_by_role("link", name="Go to the start page")).to_be_visible()
    # A wrong host password.
    page.goto("/admin/login")
    page.fill("#token", "not-the-password")
    page.click("button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("not the host password")
    # The admin page itself is for the host only.
    page.goto("/admin")
    expect(page).to_have_url(re.compile(r"/admin/login$"))


def test_layout_fits_phone_and_projector(open_page: OpenPage, live_server: LiveServer) -> None:
    phone = open_page(live_server, PHONE)
    for path in ("/upload", "/mine", "/"):
        phone.goto(path)
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways on a phone"
    wall = open_page(live_server, {"width": 1920, "height": 1080})
    wall.goto("/wall")
    expect(wall.locator("#wall-empty")).to_be_visible()
    extra = wall.evaluate(
        "[document.documentElement.scrollWidth - innerWidth,"
        " document.documentElement.scrollHeight - innerHeight]"
    )
    assert extra == [0, 0], "the wall must fill the screen without scrollbars"


def test_wall_cycles_with_the_host_settings(
    open_page: OpenPage, live_server: LiveServer, tmp_path: Path
) -> None:
    guest = open_page(live_server, PHONE)
    guest.goto("/upload")
    upload(guest, make_jpeg(tmp_path / "one.jpg", (200, 200, 40)), "First")
    upload(guest, make_jpeg(tmp_path / "two.jpg", (40, 200, 200)), "Second")
    admin = login_admin(open_page, live_server)
    admin.fill("#wall-interval", "2")
    admin.select_option("#wall-transition", "slide")
    admin.click("#wall-form button[type=submit]")
    expect(admin.locator("#admin-status")).to_contain_text("Saved")

    wall = open_wall(open_page, live_server)
    expect(wall.locator("#wall")).to_have_class(re.compile(r"\btransition-slide\b"))
    title = wall.locator("#wall-title")
    expect(title).to_have_text("Second", timeout=WAIT)  # newest first
    expect(title).to_have_text("First", timeout=WAIT)
    expect(title).to_have_text("Second", timeout=WAIT)
    # Two <img> elements, reused for every slide.
    expect(wall.locator("img")).to_have_count(2)
    # A live change of transition reaches an open wall.
    admin.select_option("#wall-transition", "none")
    admin.click("#wall-form button[type=submit]")
    expect(wall.locator("#wall")).to_have_class(re.compile(r"\btransition-none\b"))


def test_the_hosts_unsaved_wall_settings_survive_a_late_page_load(
    open_page: OpenPage, live_server: LiveServer
) -> None:
    """The admin page's first load (or another host tab's change) arriving while the host
    edits the wall form must not put the old values back before they press Save."""
    admin = open_page(live_server, {"width": 1280, "height": 900})
    held: list[Route] = []
    admin.route("**/api/admin/photos", lambda route: held.append(route))  # held back
    admin.goto("/admin/login")
    admin.fill("#token", live_server.admin_token)
    admin.click("button[type=submit]")
    expect(admin).to_have_url(re.compile(r"/admin$"))
    admin.fill("#wall-interval", "7")
    admin.select_option("#wall-transition", "slide")
    admin.locator("#wall-form button[type=submit]").focus()  # the host moves on to Save
    for _ in range(100):  # at most ~5 s for the page to ask
        if held:
            break
        admin.wait_for_timeout(50)
    assert held, "the admin page never asked for its state"
    held[0].continue_()
    expect(admin.locator("#admin-empty")).to_be_visible()  # the late state has landed
    admin.click("#wall-form button[type=submit]")
    expect(admin.locator("#admin-status")).to_contain_text("Saved. Each photo stays 7 seconds")
    expect(admin.locator("#admin-status")).to_contain_text("(slide)")
