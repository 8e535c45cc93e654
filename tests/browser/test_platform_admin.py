"""Platform administration in the browser, on the served production build: a platform admin made on the command
line (`aqstream admin grant`), the admins page (grant, revoke), the organizer's banner and refused changes while
the organization is suspended, the public page saying the event is unavailable, everything back after
reactivation, and the read-only support view with its banner and audit entry; desktop and phone, both
languages."""
import os
import re
import sqlite3
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll, shot
from tests.browser.test_flows import create_org_and_event, sign_up
from tests.browser.test_mail_log import sign_in

pytestmark = pytest.mark.browser


def cli(app_data, *args) -> subprocess.CompletedProcess:
    """`aqstream ...` against the served app's database, as an operator runs it on the server."""
    env = {**os.environ, "AQSTREAM_DATA_DIR": str(app_data)}
    env.pop("DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "aqstream.cli", *args], env=env, capture_output=True, text=True,
                          timeout=60)


def rows(app_data, sql, *params):
    with sqlite3.connect(app_data / "aqstream.db") as conn:
        return conn.execute(sql, params).fetchall()


def test_grant_on_the_command_line_then_the_admins_page(app_url, app_data, new_page):
    page = new_page(DESKTOP)
    sign_up(page, app_url, "Ada Admin", "ada.admin@example.com")
    page.goto(f"{app_url}/admin/admins")
    expect(page.get_by_role("heading", name="Not found.")).to_be_visible()  # not yet an admin
    done = cli(app_data, "admin", "grant", "ADA.admin@example.com")
    assert done.returncode == 0 and "ada.admin@example.com is a platform admin" in done.stdout, done.stderr
    other = new_page(DESKTOP)
    sign_up(other, app_url, "Ben Second", "ben.second@example.com")

    page.goto(f"{app_url}/admin/admins")
    expect(page.get_by_role("heading", name="Platform admins")).to_be_visible()
    page.get_by_label("Email of the account to make a platform admin").fill("nobody-here@example.com")
    page.get_by_role("button", name="Make platform admin").click()
    expect(page.locator("#f-email-error")).to_have_text("No account has this email address.")
    page.get_by_label("Email of the account to make a platform admin").fill("ben.second@example.com")
    page.get_by_role("button", name="Make platform admin").click()
    expect(page.get_by_role("status")).to_have_text("ben.second@example.com is now a platform admin.")
    shot(page, "admin-admins-desktop")
    page.get_by_role("button", name="Revoke: ben.second@example.com").click()
    expect(page.get_by_role("status")).to_have_text("ben.second@example.com is no longer a platform admin.")
    expect(page.get_by_role("button", name="Revoke: ben.second@example.com")).to_have_count(0)
    assert rows(app_data, "select action from audit_entry where action like 'platform.admin%' order by id")[-3:] == [
        ("platform.admin_grant",), ("platform.admin_grant",), ("platform.admin_revoke",)]
    phone = new_page(PHONE, is_mobile=True, has_touch=True, storage_state=page.context.storage_state())
    phone.goto(f"{app_url}/admin/admins")
    expect(phone.get_by_role("heading", name="Platform admins")).to_be_visible()
    assert no_horizontal_scroll(phone)
    shot(phone, "admin-admins-phone")


def suspend(app_data, slug, reason):
    done = cli(app_data, "admin", "grant", "ada.admin@example.com")
    assert done.returncode == 0, done.stderr
    script = ("import sys\nfrom aqstream.db import session_scope\nfrom aqstream.models import User\n"
              "from sqlmodel import select\nfrom aqstream.services.org.permissions import Principal\n"
              "from aqstream.services.platform import tenants\n"
              "with session_scope() as s:\n"
              "    root = s.exec(select(User).where(User.email == 'ada.admin@example.com')).one()\n"
              "    org = tenants.by_slug(s, Principal(root.id), sys.argv[2])\n"
              "    if sys.argv[1] == 'suspend':\n"
              "        tenants.suspend(s, Principal(root.id), org.id, sys.argv[3])\n"
              "    else:\n"
              "        tenants.reactivate(s, Principal(root.id), org.id)\n")
    env = {**os.environ, "AQSTREAM_DATA_DIR": str(app_data)}
    env.pop("DATABASE_URL", None)
    args = ["suspend", slug, reason] if reason else ["reactivate", slug]
    done = subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_the_organizer_and_the_public_while_suspended_and_after(app_url, app_data, new_page):
    organizer = new_page(DESKTOP)
    sign_up(organizer, app_url, "Sue Spended", "sue.spended@example.com")
    create_org_and_event(organizer, app_url, "Paused Club", quantity="10")
    organizer.get_by_role("button", name="Publish").click()
    public_url = organizer.locator("#public-link").inner_text()
    event_url = organizer.url
    slug = re.match(r".*/o/([^/]+)/events/\d+", event_url).group(1)
    if not rows(app_data, "select id from user_account where email = 'ada.admin@example.com'"):
        sign_up(new_page(DESKTOP), app_url, "Ada Admin", "ada.admin@example.com")
    suspend(app_data, slug, "Reports of fake events")

    organizer.goto(f"{app_url}/o/{slug}")
    banner = organizer.locator("#suspended-banner")
    expect(banner).to_contain_text("This organization is suspended.")
    expect(banner).to_contain_text("Reason: Reports of fake events")
    expect(organizer.get_by_role("link", name="New event")).to_have_count(0)  # nothing to create while suspended
    shot(organizer, "suspended-dashboard-desktop")
    # A change is refused with the reason in words; nothing is saved.
    organizer.goto(event_url + "/tickets")
    expect(organizer.locator("#suspended-banner")).to_be_visible()
    organizer.goto(event_url + "/settings")
    organizer.get_by_label("Title").fill("Renamed while suspended")
    organizer.get_by_role("button", name="Save changes").click()
    expect(organizer.get_by_text("This organization is suspended by the platform's administrators",
                                 exact=False).first).to_be_visible()
    assert rows(app_data, "select title from event where title = 'Renamed while suspended'") == []

    visitor = new_page(PHONE, is_mobile=True, has_touch=True)
    visitor.goto(public_url)
    expect(visitor.get_by_text("This event is unavailable: registration is closed.")).to_be_visible()
    expect(visitor.get_by_role("button", name="Register")).to_have_count(0)
    assert no_horizontal_scroll(visitor)
    shot(visitor, "suspended-public-phone")
    visitor.get_by_role("button", name="Русский").click()
    expect(visitor.get_by_text("Событие недоступно: регистрация закрыта.")).to_be_visible()

    phone = new_page(PHONE, is_mobile=True, has_touch=True, storage_state=organizer.context.storage_state())
    phone.goto(f"{app_url}/o/{slug}")
    phone.get_by_role("button", name="Русский").click()
    expect(phone.locator("#suspended-banner")).to_contain_text("Организация приостановлена.")
    assert no_horizontal_scroll(phone)
    shot(phone, "suspended-dashboard-ru-phone")

    suspend(app_data, slug, None)  # reactivated
    organizer.goto(f"{app_url}/o/{slug}")
    # (the account's language is Russian now: it was switched on the phone)
    expect(organizer.get_by_role("heading", name=re.compile("^(Events|События)$"), level=1)).to_be_visible()
    expect(organizer.locator("#suspended-banner")).to_have_count(0)
    visitor.goto(public_url)
    expect(visitor.get_by_role("button", name="Зарегистрироваться")).to_be_visible()


def test_the_support_view_is_read_only_and_audited(app_url, app_data, new_page):
    owner = new_page(DESKTOP)
    sign_up(owner, app_url, "Otto Owner", "otto.owner@example.com")
    create_org_and_event(owner, app_url, "Looked At", quantity="5")
    event_url = owner.url
    slug = re.match(r".*/o/([^/]+)/events/\d+", event_url).group(1)
    if not rows(app_data, "select id from user_account where email = 'ada.admin@example.com'"):
        sign_up(new_page(DESKTOP), app_url, "Ada Admin", "ada.admin@example.com")
    assert cli(app_data, "admin", "grant", "ada.admin@example.com").returncode == 0

    admin = new_page(DESKTOP)
    sign_in(admin, app_url, "ada.admin@example.com")
    admin.goto(event_url + "/attendees")
    expect(admin.locator("#support-banner")).to_contain_text("Viewing as platform admin.")
    tabs = admin.get_by_role("navigation", name="Event sections")
    expect(tabs.get_by_role("link", name="Attendees")).to_be_visible()
    expect(tabs.get_by_role("link", name="Settings")).to_have_count(0)  # nothing that changes the event
    shot(admin, "support-view-desktop")
    admin.goto(event_url + "/settings")
    expect(admin.get_by_role("heading", name="Not found.")).to_be_visible()
    org_id = rows(app_data, "select id from organization where slug = ?", slug)[0][0]
    pages = [r[0] for r in rows(app_data, "select data from audit_entry where action = 'platform.support_view' "
                                          "and organization_id = ?", org_id)]
    assert any("/attendees" in p for p in pages), pages


@pytest.mark.parametrize("viewport, label", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_find_suspend_with_a_reason_and_reactivate_from_the_admin_pages(app_url, app_data, new_page, viewport,
                                                                         label):
    organizer = new_page(DESKTOP)
    sign_up(organizer, app_url, f"Flo {label}", f"flo.{label}@example.com")
    create_org_and_event(organizer, app_url, f"Flagged Club {label}", quantity="10")
    organizer.get_by_role("button", name="Publish").click()
    public_url = organizer.locator("#public-link").inner_text()
    slug = re.match(r".*/o/([^/]+)/events/\d+", organizer.url).group(1)
    if not rows(app_data, "select id from user_account where email = 'ada.admin@example.com'"):
        sign_up(new_page(DESKTOP), app_url, "Ada Admin", "ada.admin@example.com")
    assert cli(app_data, "admin", "grant", "ada.admin@example.com").returncode == 0

    phone = viewport == PHONE
    admin = new_page(viewport, is_mobile=phone, has_touch=phone)
    sign_in(admin, app_url, "ada.admin@example.com")
    admin.goto(f"{app_url}/admin/organizations")
    admin.get_by_label("Search").fill(f"flo.{label}@example")  # found by its member's email
    admin.get_by_role("button", name="Show organizations").click()
    admin.get_by_role("link", name=f"Flagged Club {label}").first.click()
    expect(admin.get_by_role("heading", name=f"Flagged Club {label}")).to_be_visible()
    actions = admin.locator("#admin-org-actions")
    actions.get_by_role("button", name="Suspend organization").click()
    expect(actions.locator("#f-reason-error")).to_have_text("This field is required.")
    actions.get_by_label("Reason for suspending").fill("Tickets sold for an event that does not exist")
    actions.get_by_role("button", name="Suspend organization").click()
    expect(actions.get_by_role("status")).to_have_text(
        "The organization is suspended; its owners have been told by email.")
    expect(actions).to_contain_text("Tickets sold for an event that does not exist")
    assert no_horizontal_scroll(admin)
    shot(admin, f"admin-suspended-{label}")

    organizer.goto(f"{app_url}/o/{slug}")
    expect(organizer.locator("#suspended-banner")).to_contain_text("Tickets sold for an event that does not exist")
    visitor = new_page(PHONE, is_mobile=True, has_touch=True)
    visitor.goto(public_url)
    expect(visitor.get_by_text("This event is unavailable: registration is closed.")).to_be_visible()
    assert rows(app_data, "select count(*) from outbox_message where kind = 'email.organization_suspended' and "
                          "recipient = ?", f"flo.{label}@example.com") == [(1,)]

    actions.get_by_role("button", name="Reactivate organization").click()
    expect(actions.get_by_role("status")).to_have_text(
        "The organization is active again; its owners have been told by email.")
    expect(actions.get_by_role("button", name="Suspend organization")).to_be_visible()
    organizer.reload()
    expect(organizer.get_by_role("link", name="New event")).to_be_visible()
    expect(organizer.locator("#suspended-banner")).to_have_count(0)
    visitor.reload()
    expect(visitor.get_by_role("button", name="Register")).to_be_visible()

    # Limits: a wrong number is said next to its field; a saved limit shows again on the page.
    actions.get_by_label("Published events at once, at most").fill("0")
    actions.get_by_role("button", name="Save limits").click()
    expect(actions.locator("#f-max_published_events-error")).to_contain_text("whole number from 1")
    actions.get_by_label("Published events at once, at most").fill("3")
    actions.get_by_role("button", name="Save limits").click()
    expect(actions.get_by_role("status")).to_have_text("Limits saved.")
    admin.reload()
    expect(admin.locator("#admin-org-actions").get_by_label("Published events at once, at most")).to_have_value("3")


def test_export_as_served_then_delete_after_typing_the_slug(app_url, app_data, new_page):
    import zipfile

    organizer = new_page(DESKTOP)
    sign_up(organizer, app_url, "Gone Soon", "gone.soon@example.com")
    create_org_and_event(organizer, app_url, "Closing Club", quantity="10")
    organizer.get_by_role("button", name="Publish").click()
    public_url = organizer.locator("#public-link").inner_text()
    slug = re.match(r".*/o/([^/]+)/events/\d+", organizer.url).group(1)
    if not rows(app_data, "select id from user_account where email = 'ada.admin@example.com'"):
        sign_up(new_page(DESKTOP), app_url, "Ada Admin", "ada.admin@example.com")
    admin = new_page(DESKTOP)
    sign_in(admin, app_url, "ada.admin@example.com")
    admin.goto(f"{app_url}/admin/organizations/{slug}")
    actions = admin.locator("#admin-org-actions")
    expect(actions).to_contain_text("An organization can be deleted only once it is suspended.")
    with admin.expect_download() as download:
        actions.get_by_role("link", name="Download everything it holds (ZIP of CSV files)").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        names = set(archive.namelist())
        assert {"events.csv", "tickets.csv", "members.csv"} <= names
        assert "Rust & Python evening" in archive.read("events.csv").decode("utf-8-sig")
        assert "gone.soon@example.com" in archive.read("members.csv").decode("utf-8-sig")

    suspend(app_data, slug, "Closing down at the owner's request")
    admin.reload()
    actions.get_by_label("Type its address in links (slug) to confirm").fill(slug + "x")
    actions.get_by_role("button", name="Delete organization").click()
    expect(actions.locator("#f-confirm_slug-error")).to_contain_text("exactly as it is written")
    assert rows(app_data, "select status from organization where slug = ?", slug) == [("suspended",)]
    shot(admin, "admin-delete-desktop")
    actions.get_by_label("Type its address in links (slug) to confirm").fill(slug)
    actions.get_by_role("button", name="Delete organization").click()
    expect(admin).to_have_url(re.compile(r"/admin/organizations$"))
    assert rows(app_data, "select status from organization where slug = ?", slug) == [("deleted",)]
    assert rows(app_data, "select count(*) from membership m join organization o on o.id = m.organization_id "
                          "where o.slug = ?", slug) == [(0,)]
    visitor = new_page(PHONE, is_mobile=True, has_touch=True)
    visitor.goto(public_url)
    expect(visitor.get_by_role("heading", name="Not found.")).to_be_visible()
