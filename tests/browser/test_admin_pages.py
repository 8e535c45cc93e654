"""The platform admins' read-only pages in the real app and Chromium: the overview's numbers and weekly chart, the
organizations list (search by a member's email, status filter, sort, the state in the address), one
organization's page; an organizer (the owner of an organization) gets "not found" on each; 1280 and 390 px
wide; Russian once."""
import re
import sqlite3
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, axe_violations, no_horizontal_scroll, shot
from tests.browser.test_flows import create_org_and_event, sign_up
from tests.browser.test_mail_log import sign_in

pytestmark = pytest.mark.browser

OWNER, ADMIN, STAFF = "otto.tenant@example.com", "ada.platform@example.com", "sam.staffer@example.com"


def db(app_data):
    return sqlite3.connect(app_data / "aqstream.db")


@pytest.fixture(scope="module")
def world(app_url, app_data, browser):
    """An owner's organization with a published event and a registration, a second member found by email, and
    a platform admin (made one in the database, as `aqstream admin grant` does)."""
    ctx = browser.new_context(viewport=DESKTOP)
    ctx.set_default_timeout(20_000)
    page = ctx.new_page()
    sign_up(page, app_url, "Otto Tenant", OWNER)
    create_org_and_event(page, app_url, "Tenant Works", quantity="10")
    page.get_by_role("button", name="Publish").click()
    public_url = page.locator("#public-link").inner_text()
    ctx.close()
    for label, email in (("staff", STAFF), ("admin", ADMIN)):
        ctx = browser.new_context(viewport=DESKTOP)
        ctx.set_default_timeout(20_000)
        sign_up(ctx.new_page(), app_url, "Sam Staffer" if label == "staff" else "Ada Platform", email)
        ctx.close()
    with db(app_data) as conn:
        (org_id, slug) = conn.execute("select id, slug from organization where name = 'Tenant Works'").fetchone()
        (staff_id,) = conn.execute("select id from user_account where email = ?", (STAFF,)).fetchone()
        conn.execute("insert into membership (user_id, organization_id, role, created_at) "
                     "values (?, ?, 'staff', datetime('now'))", (staff_id, org_id))
        conn.execute("update user_account set is_platform_admin = 1 where email = ?", (ADMIN,))
    visitor = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    vpage = visitor.new_page()
    vpage.set_default_timeout(20_000)
    vpage.goto(public_url)
    vpage.get_by_label("Your name").fill("Vera Visitor")
    vpage.get_by_label("Email", exact=True).fill("vera.visitor@example.com")
    vpage.get_by_role("button", name="Register").click()
    expect(vpage.get_by_text("You are registered")).to_be_visible()
    visitor.close()
    return {"slug": slug}


def test_an_organizer_gets_not_found(app_url, world, new_page):
    page = new_page(DESKTOP)
    sign_in(page, app_url, OWNER)
    expect(page.get_by_role("banner").get_by_role("link", name="Admin", exact=True)).to_have_count(0)
    import aqstream.aqstream as app_module

    # Every admin page the app registers, found in the app itself (a page added later is walked too).
    routes = sorted("/" + route.replace("[slug]", world["slug"]) for route in app_module.app._unevaluated_pages
                    if route == "admin" or route.startswith("admin/"))
    assert {"/admin", "/admin/organizations", "/admin/admins", "/admin/mail"} <= set(routes), routes
    for path in routes:
        page.goto(app_url + path)
        expect(page.get_by_role("heading", name="Not found.")).to_be_visible()
        expect(page.get_by_text("Tenant Works")).to_have_count(0)
        expect(page.locator("#admin-org-actions")).to_have_count(0)


def test_the_admin_finds_an_organization_by_a_members_email(app_url, world, new_page):
    page = new_page(DESKTOP)
    sign_in(page, app_url, ADMIN)
    page.get_by_role("banner").get_by_role("link", name="Admin", exact=True).click()
    expect(page.get_by_role("heading", name="Platform overview")).to_be_visible()
    tiles = page.locator("#admin-tiles")
    expect(tiles).to_contain_text("Active organizations")
    expect(tiles).to_contain_text("Emails waiting")
    expect(page.locator("#admin-weeks-summary")).to_contain_text(re.compile(r"\d+ tickets? registered"))
    expect(page.locator("#admin-weeks-chart .main-svg").first).to_be_visible()
    expect(page.locator("#admin-system")).to_contain_text("Application version")
    page.get_by_text("Show as a table").click()
    expect(page.get_by_role("columnheader", name="Week from")).to_be_visible()
    shot(page, "admin-overview-desktop")
    assert axe_violations(page) == []

    page.get_by_role("navigation", name="Platform administration").get_by_role("link", name="Organizations").click()
    expect(page.get_by_role("heading", name="Organizations", exact=True)).to_be_visible()
    page.get_by_label("Search").fill(STAFF.upper())
    page.get_by_role("button", name="Show organizations").click()
    expect(page.locator("#admin-orgs-total")).to_have_text("1 organization")
    expect(page).to_have_url(re.compile(r"/admin/organizations\?q=" + re.escape(quote(STAFF.upper(), safe=""))))
    row = page.locator("#admin-orgs table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Tenant Works")
    expect(row).to_contain_text(OWNER)
    expect(row).to_contain_text("Active")
    shot(page, "admin-organizations-desktop")
    assert axe_violations(page) == []

    page.get_by_label("Status").select_option("suspended")
    page.get_by_role("button", name="Show organizations").click()
    expect(page.get_by_text("No organizations match.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"status=suspended"))
    page.get_by_label("Status").select_option("active")
    page.get_by_label("Sort by").select_option("-tickets")
    page.get_by_role("button", name="Show organizations").click()
    expect(page).to_have_url(re.compile(r"status=active.*sort=-tickets"))
    page.reload()  # the address keeps the search, the filter and the sort
    expect(page.get_by_label("Sort by")).to_have_value("-tickets")
    expect(page.get_by_label("Search")).to_have_value(STAFF.upper())
    page.get_by_role("link", name="Tenant Works").click()

    expect(page.get_by_role("heading", name="Tenant Works")).to_be_visible()
    expect(page.locator("#admin-org-actions")).to_have_count(1)
    members = page.locator("#admin-org-members")
    expect(members).to_contain_text(OWNER)
    expect(members).to_contain_text(STAFF)
    expect(members).to_contain_text("Staff")
    events = page.locator("#admin-org-events")
    expect(events).to_contain_text("Rust & Python evening")
    expect(events).to_contain_text("1 / 10")
    expect(page.locator("#admin-org-audit")).to_contain_text("event.publish")
    expect(page.locator("#admin-org-failed")).to_contain_text("No failed emails.")
    shot(page, "admin-organization-desktop")
    assert axe_violations(page) == []


def test_the_admin_pages_fit_a_phone_and_speak_russian(app_url, world, new_page):
    phone = new_page(PHONE, is_mobile=True, has_touch=True)
    sign_in(phone, app_url, ADMIN)
    phone.goto(app_url + "/admin")
    expect(phone.locator("#admin-weeks-chart .main-svg").first).to_be_visible()
    assert no_horizontal_scroll(phone)
    shot(phone, "admin-overview-phone")
    phone.goto(app_url + "/admin/organizations?q=tenant+works")
    card = phone.locator("#admin-orgs .rt-Card", has_text="Tenant Works")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Tickets sold")
    assert no_horizontal_scroll(phone)
    shot(phone, "admin-organizations-phone")
    phone.goto(app_url + f"/admin/organizations/{world['slug']}")
    expect(phone.get_by_role("heading", name="Tenant Works")).to_be_visible()
    expect(phone.locator("#admin-org-members")).to_contain_text(STAFF)
    assert no_horizontal_scroll(phone)
    shot(phone, "admin-organization-phone")

    phone.get_by_role("button", name="Русский").click()
    expect(phone.get_by_role("heading", name="Участники и роли")).to_be_visible()
    expect(phone).to_have_title("Организация · AqStream")
    phone.goto(app_url + "/admin")
    expect(phone.get_by_role("heading", name="Обзор платформы")).to_be_visible()
    expect(phone.locator("#admin-tiles")).to_contain_text("Активные организации")
    expect(phone.locator("#admin-weeks-summary")).to_contain_text("зарегистрирован")
    expect(phone.locator("#admin-weeks-chart .main-svg").first).to_be_visible()
    assert no_horizontal_scroll(phone)
    shot(phone, "admin-overview-phone-ru")
    phone.get_by_role("button", name="English").click()  # the account's language back for the other tests
    expect(phone.get_by_role("heading", name="Platform overview")).to_be_visible()
