"""The mail log in the real app and Chromium, with no SMTP server set up (the default): an owner sees the
banner and the confirmation a visitor's registration queued, reads it as it would be sent, sends a failed
one again (the dashboard warns while it is failed); staff have no mail log; a platform admin sees every
organization's mail and the platform's own."""
import re
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, SHOTS, axe_violations, no_horizontal_scroll, shot
from tests.browser.test_flows import PASSWORD, create_org_and_event, sign_up

pytestmark = pytest.mark.browser

SUBJECT = "You are registered: Rust & Python evening"


def db(app_data):
    return sqlite3.connect(app_data / "aqstream.db")


def sign_in(page, app_url, email):
    page.goto(f"{app_url}/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Signed in: on the home page, or on the events of the organization this person used last.
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


def ticket_code(app_data, email) -> str:
    with db(app_data) as conn:
        (code,) = conn.execute("select t.code from ticket t join ticket_order o on o.id = t.order_id "
                               "where o.buyer_email = ?", (email,)).fetchone()
    return code


def fail_mail(app_data, email, error):
    with db(app_data) as conn:
        conn.execute("update outbox_message set status = 'failed', attempts = 10, last_error = ? where recipient = ?",
                     (error, email))


@pytest.fixture(scope="module")
def world(app_url, app_data, browser):
    """An owner with a published event, and a visitor's registration (its confirmation waits in the outbox)."""
    ctx = browser.new_context(viewport=DESKTOP)
    ctx.set_default_timeout(20_000)
    page = ctx.new_page()
    sign_up(page, app_url, "Mara Mail", "mara.mail@example.com")
    create_org_and_event(page, app_url, "Mail Org", quantity="10")
    page.get_by_role("button", name="Publish").click()
    public_url = page.locator("#public-link").inner_text()
    dashboard = re.sub(r"/events/\d+$", "", page.url)
    ctx.close()
    visitor = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    vpage = visitor.new_page()
    vpage.set_default_timeout(20_000)
    vpage.goto(public_url)
    vpage.get_by_label("Your name").fill("Ivo Visitor")
    vpage.get_by_label("Email", exact=True).fill("ivo.visitor@example.com")
    vpage.get_by_role("button", name="Register").click()
    expect(vpage.get_by_text("You are registered")).to_be_visible()
    visitor.close()
    return {"dashboard": dashboard, "code": ticket_code(app_data, "ivo.visitor@example.com")}



def row_of(page, recipient):
    return page.locator("#mail-list li", has_text=recipient)


def test_owner_reads_the_confirmation_and_sends_a_failed_one_again(app_url, app_data, world, new_page):
    page = new_page(DESKTOP)
    sign_in(page, app_url, "mara.mail@example.com")
    page.goto(world["dashboard"])
    expect(page.locator("#failed-mail")).to_have_count(0)
    page.get_by_role("navigation", name="Organization pages").get_by_role("link", name="Mail", exact=True).click()
    expect(page.get_by_role("heading", name="Mail", exact=True)).to_be_visible()
    banner = page.locator("#smtp-banner")
    expect(banner).to_contain_text("Email sending is not set up.")
    expect(banner).to_contain_text("Messages are kept here so you can see what would be sent.")
    expect(banner).to_contain_text("AQSTREAM_SMTP_HOST")

    row = row_of(page, "ivo.visitor@example.com")
    expect(row).to_contain_text(SUBJECT)
    expect(row).to_contain_text("Registration confirmation")
    expect(row).to_contain_text("Waiting")
    expect(row).not_to_contain_text("next try")  # nothing is tried without SMTP
    expect(row.get_by_role("button", name="Send again to ivo.visitor@example.com")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile(r"^Waiting"))).to_have_attribute("aria-pressed", "false")
    shot(page, "mail-log-desktop")
    assert axe_violations(page) == []

    # View: the email as it would be sent.
    row.get_by_role("button", name=f"View the email “{SUBJECT}” to ivo.visitor@example.com").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name=SUBJECT)).to_be_visible()
    expect(dialog).to_contain_text("To: ivo.visitor@example.com")
    expect(dialog.locator("#mail-text")).to_contain_text(world["code"])
    expect(dialog.locator("#mail-text")).to_contain_text("Hello, Ivo Visitor!")
    expect(dialog.locator("#mail-attachments")).to_contain_text("rust-python-evening.ics (text/calendar")
    frame = dialog.locator("#mail-html")
    expect(frame).to_have_attribute("sandbox", "")
    html = page.frame_locator("#mail-html")
    expect(html.get_by_role("heading", name="Your registration is confirmed")).to_be_visible()
    expect(html.get_by_text(world["code"])).to_be_visible()
    qr = html.get_by_role("img", name=re.compile("Ticket code"))
    expect(qr).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    assert qr.evaluate("img => img.naturalWidth") > 0  # the QR code shows, not a broken image
    assert frame.evaluate("f => { try { return f.contentWindow.document.scripts.length } catch (e) { return -1 } }") \
        == -1  # a unique origin: the app cannot reach into it, nor it into the app
    shot(page, "mail-view-desktop")
    assert axe_violations(page) == []
    dialog.get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    # It fails: the dashboard warns and leads to the failed ones.
    fail_mail(app_data, "ivo.visitor@example.com", "SMTP 550: 'mailbox unavailable'")
    page.goto(world["dashboard"])
    warning = page.locator("#failed-mail")
    expect(warning).to_contain_text("1 email could not be sent.")
    shot(page, "mail-dashboard-warning-desktop")
    warning.get_by_role("link", name="Open the mail log").click()
    expect(page).to_have_url(re.compile(r"/mail\?status=failed$"))
    expect(page.get_by_role("button", name=re.compile(r"^Failed"))).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name=re.compile(r"^Failed"))).to_contain_text("1")
    row = row_of(page, "ivo.visitor@example.com")
    expect(row).to_contain_text("Failed")
    expect(row).to_contain_text("Last error: SMTP 550: 'mailbox unavailable'")
    expect(row).to_contain_text("10 attempts")
    shot(page, "mail-failed-desktop")
    row.get_by_role("button", name="Send again to ivo.visitor@example.com").click()
    expect(page.get_by_role("status").filter(has_text="waiting to be sent again")).to_have_text(
        "The email to ivo.visitor@example.com is waiting to be sent again.")
    expect(page.get_by_text("No emails with this status.")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^All")).click()
    expect(page).to_have_url(re.compile(r"/mail$"))
    expect(row_of(page, "ivo.visitor@example.com")).to_contain_text("Waiting")
    with db(app_data) as conn:
        assert conn.execute("select status, attempts from outbox_message where recipient = ?",
                            ("ivo.visitor@example.com",)).fetchone() == ("pending", 0)
    page.goto(world["dashboard"])
    expect(page.get_by_role("heading", name="Events")).to_be_visible()
    expect(page.locator("#failed-mail")).to_have_count(0)
    # The audit log tells who sent it again.
    page.goto(world["dashboard"] + "/audit")
    expect(page.get_by_role("table", name="Audit log").get_by_role("cell", name="Sent an email again")).to_be_visible()


def test_staff_have_no_mail_log(app_url, app_data, world, new_page):
    page = new_page(DESKTOP)
    sign_up(page, app_url, "Stan Staff", "stan.staff@example.com")
    slug = world["dashboard"].rsplit("/", 1)[1]
    with db(app_data) as conn:
        conn.execute("insert into membership (user_id, organization_id, role, created_at) select u.id, o.id, 'staff', "
                     "datetime('now') from user_account u, organization o where u.email = ? and o.slug = ?",
                     ("stan.staff@example.com", slug))
    page.goto(world["dashboard"])
    expect(page.get_by_role("heading", name="Events")).to_be_visible()
    expect(page.get_by_role("link", name="Mail", exact=True)).to_have_count(0)
    expect(page.locator("#failed-mail")).to_have_count(0)
    page.goto(world["dashboard"] + "/mail")
    expect(page.get_by_role("heading", name="Not found.")).to_be_visible()
    expect(page.get_by_text("ivo.visitor@example.com")).to_have_count(0)
    page.goto(app_url + "/admin/mail")
    expect(page.get_by_role("heading", name="Not found.")).to_be_visible()
    expect(page.get_by_role("link", name="Platform mail")).to_have_count(0)


def test_a_platform_admin_sees_every_organization_and_platform_mail(app_url, app_data, world, new_page):
    page = new_page(DESKTOP)
    sign_up(page, app_url, "Pia Platform", "pia.platform@example.com")
    expect(page.get_by_role("link", name="Platform mail")).to_have_count(0)
    with db(app_data) as conn:
        conn.execute("update user_account set is_platform_admin = 1 where email = ?", ("pia.platform@example.com",))
    page.reload()
    page.get_by_role("banner").get_by_role("link", name="Platform mail").click()
    expect(page.get_by_role("heading", name="Platform mail")).to_be_visible()
    expect(page.locator("#smtp-banner")).to_be_visible()
    own = row_of(page, "pia.platform@example.com")
    expect(own).to_contain_text("Email address confirmation")
    expect(own).to_contain_text("Confirm your email address for AqStream")
    expect(own).to_contain_text("Platform")
    org_mail = row_of(page, "ivo.visitor@example.com")
    expect(org_mail).to_contain_text(SUBJECT)
    expect(org_mail).to_contain_text("Mail Org")
    shot(page, "admin-mail-desktop")
    own.get_by_role("button", name=re.compile("^View the email")).click()
    expect(page.get_by_role("dialog").locator("#mail-text")).to_contain_text("/verify/")
    page.get_by_role("dialog").get_by_role("button", name="Close").click()
    assert axe_violations(page) == []


def test_mail_pages_fit_a_phone(app_url, app_data, world, new_page):
    phone = new_page(PHONE, is_mobile=True, has_touch=True)
    sign_in(phone, app_url, "mara.mail@example.com")
    fail_mail(app_data, "ivo.visitor@example.com", "SMTP 451: 'try again later, the server is very busy today'")
    phone.goto(world["dashboard"])
    expect(phone.locator("#failed-mail")).to_be_visible()
    assert no_horizontal_scroll(phone)
    shot(phone, "mail-dashboard-warning-phone")
    phone.goto(world["dashboard"] + "/mail")
    row = row_of(phone, "ivo.visitor@example.com")
    expect(row).to_contain_text("Last error: SMTP 451")
    expect(row.get_by_role("button", name="Send again to ivo.visitor@example.com")).to_be_visible()
    assert no_horizontal_scroll(phone)
    shot(phone, "mail-log-phone")
    assert axe_violations(phone) == []
    row.get_by_role("button", name=re.compile("^View the email")).click()
    dialog = phone.get_by_role("dialog")
    expect(dialog.locator("#mail-text")).to_contain_text(world["code"])
    assert no_horizontal_scroll(phone)
    shot(phone, "mail-view-phone")
    frame = dialog.locator("#mail-html")
    frame.scroll_into_view_if_needed()
    expect(phone.frame_locator("#mail-html").get_by_text(world["code"])).to_be_visible()
    frame.screenshot(path=str(SHOTS / "mail-view-html-phone.png"))
    dialog.get_by_role("button", name="Close").click()
    row.get_by_role("button", name="Send again to ivo.visitor@example.com").click()
    expect(row).to_contain_text("Waiting")


def test_pages_of_25(app_url, app_data, world, new_page):
    """31 emails: two pages, the page kept in the address so a reload stays on it."""
    with db(app_data) as conn:
        for n in range(30):
            conn.execute(
                "insert into outbox_message (organization_id, kind, recipient, payload, status, attempts, "
                "next_attempt_at, last_error, created_at, sent_at, claimed_by) select organization_id, kind, ?, "
                "payload, 'sent', 1, next_attempt_at, '', created_at, created_at, '' from outbox_message "
                "where recipient = 'ivo.visitor@example.com'", (f"page{n:02d}@example.com",))
    try:
        page = new_page(DESKTOP)
        sign_in(page, app_url, "mara.mail@example.com")
        page.goto(world["dashboard"] + "/mail")
        expect(page.get_by_text("Page 1 of 2 · 31 emails")).to_be_visible()
        items = page.locator("#mail-list > li")
        expect(items).to_have_count(25)
        expect(items.first).to_contain_text("page29@example.com")
        page.get_by_role("button", name="Next page").click()
        expect(page.get_by_text("Page 2 of 2 · 31 emails")).to_be_visible()
        expect(items).to_have_count(6)
        expect(items.last).to_contain_text("ivo.visitor@example.com")
        expect(page).to_have_url(re.compile(r"/mail\?page=2$"))
        expect(page.get_by_role("button", name="Next page")).to_be_disabled()
        page.reload()
        expect(page.get_by_text("Page 2 of 2 · 31 emails")).to_be_visible()
        page.get_by_role("button", name=re.compile(r"^Sent")).click()  # a filter starts at its first page
        expect(page.get_by_text("Page 1 of 2 · 30 emails")).to_be_visible()
        expect(page).to_have_url(re.compile(r"/mail\?status=sent$"))
        expect(items.first).to_contain_text(re.compile(r"sent \w{3}, \w{3} \d+, \d{4}"))
    finally:
        with db(app_data) as conn:
            conn.execute("delete from outbox_message where recipient like 'page__@example.com'")
