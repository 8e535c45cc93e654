"""The organizer's team pages in the real app and Chromium: an owner invites a colleague, who signs up from
the link and joins; the owner changes the colleague's role and removes them; settings show an error next
to the field and save a logo; the audit log filters by action, person and dates."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll, shot

pytestmark = pytest.mark.browser

PASSWORD = "tickets-never-oversold-42"
# An 8x8 red PNG, as a person would upload it.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000080000000808020000004b6d29dc0000001449444154789c633c2127c780"
    "0d3061151db41200d0ca01143e63a8990000000049454e44ae426082"
)


def sign_up(page, app_url, name, email, path="/signup"):
    page.goto(f"{app_url}{path}")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()


def owner_with_org(page, app_url, name, email, org_name) -> str:
    """Sign up, create an organization; returns its dashboard URL."""
    sign_up(page, app_url, name, email)
    expect(page.get_by_role("heading", name="Your organizations")).to_be_visible()
    page.get_by_role("link", name="Create an organization").click()
    page.get_by_label("Organization name").fill(org_name)
    page.get_by_role("button", name="Create organization").click()
    expect(page.get_by_text("No events yet")).to_be_visible()
    return page.url


def org_nav(page):
    return page.get_by_role("navigation", name="Organization pages")


def test_invite_accept_change_role_and_remove(app_url, new_page):
    owner = new_page(DESKTOP)
    dashboard = owner_with_org(owner, app_url, "Olga Owner", "olga.team@example.com", "Team Org")
    org_nav(owner).get_by_role("link", name="Team", exact=True).click()
    expect(owner.get_by_role("heading", name="Team", exact=True)).to_be_visible()

    # A bad address is refused next to the field; nothing is sent.
    owner.get_by_label("Email address").fill("ivan@")
    owner.get_by_role("button", name="Send invitation").click()
    expect(owner.locator("#f-invite_email-error")).to_have_text("Enter a valid email address, like name@example.com.")
    expect(owner.get_by_text("No pending invitations.")).to_be_visible()

    owner.get_by_label("Email address").fill("ivan.team@example.com")
    owner.get_by_role("combobox", name="Role", exact=True).select_option("admin")
    owner.get_by_role("button", name="Send invitation").click()
    expect(owner.get_by_text("Invitation sent to ivan.team@example.com.")).to_be_visible()
    expect(owner.locator("#invitations").get_by_text("ivan.team@example.com")).to_be_visible()
    link = owner.locator("#invite-link").inner_text()
    assert re.fullmatch(rf"{app_url}/invite/[A-Za-z0-9_-]{{43}}", link), link
    shot(owner, "team-invited-desktop")

    # Signed in with another address, the link explains instead of joining.
    owner.goto(link)
    expect(owner.get_by_role("heading", name="Join Team Org")).to_be_visible()
    expect(owner.get_by_text("You are signed in as olga.team@example.com, but this invitation is for "
                             "ivan.team@example.com.", exact=False)).to_be_visible()
    expect(owner.get_by_role("button", name="Accept invitation")).to_have_count(0)

    # The colleague opens the link signed out, signs up from it, comes back and accepts.
    ivan = new_page(DESKTOP)
    ivan.goto(link)
    expect(ivan.get_by_text("You are invited to join Team Org as Admin. The invitation is for "
                            "ivan.team@example.com.")).to_be_visible()
    shot(ivan, "invite-signed-out-desktop")
    ivan.get_by_role("link", name="Create an account").click()
    expect(ivan).to_have_url(re.compile(r"/signup\?next=/invite/"))
    ivan.get_by_label("Your name").fill("Ivan Invitee")
    ivan.get_by_label("Email").fill("ivan.team@example.com")
    ivan.get_by_label("Password").fill(PASSWORD)
    ivan.get_by_role("button", name="Create account").click()
    ivan.get_by_role("button", name="Accept invitation").click()
    expect(ivan.get_by_role("heading", name="Events")).to_be_visible()
    ivan_dashboard = ivan.url
    assert ivan_dashboard == dashboard
    ivan.goto(link)
    expect(ivan.get_by_text("This invitation has already been used.")).to_be_visible()

    # The owner sees the new admin, makes them staff, then removes them after confirming.
    owner.goto(dashboard.rstrip("/") + "/team")
    cards = owner.locator("#members")
    expect(cards.get_by_text("Ivan Invitee")).to_be_visible()
    role = owner.get_by_role("combobox", name="Role: Ivan Invitee")
    expect(role).to_have_value("admin")
    expect(owner.get_by_text("No pending invitations.")).to_be_visible()
    role.select_option("staff")
    expect(owner.get_by_text("Role changed.")).to_be_visible()
    owner.reload()
    expect(owner.get_by_role("combobox", name="Role: Ivan Invitee")).to_have_value("staff")

    # The last owner cannot step down; the page says why and still shows them as owner.
    owner.get_by_role("combobox", name="Role: Olga Owner").select_option("admin")
    expect(owner.get_by_text("The organization needs at least one owner.", exact=False)).to_be_visible()
    expect(owner.get_by_role("combobox", name="Role: Olga Owner")).to_have_value("owner")

    owner.get_by_role("button", name="Remove: Ivan Invitee").click()
    dialog = owner.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Remove Ivan Invitee from the organization?")
    shot(owner, "team-remove-confirm-desktop")
    dialog.get_by_role("button", name="Yes, remove").click()
    expect(owner.get_by_text("Removed from the team.")).to_be_visible()
    expect(cards.get_by_text("Ivan Invitee")).to_have_count(0)
    ivan.goto(ivan_dashboard)
    expect(ivan.get_by_role("heading", name="Not found.")).to_be_visible()


def test_settings_show_errors_next_to_fields_and_save_a_logo(app_url, new_page):
    page = new_page(DESKTOP)
    dashboard = owner_with_org(page, app_url, "Sergei Settings", "sergei.settings@example.com", "Settings Org")
    org_nav(page).get_by_role("link", name="Settings", exact=True).click()
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    expect(page.get_by_label("Organization name")).to_have_value("Settings Org")

    page.get_by_label("Currency").fill("E1")
    page.get_by_label("Contact email (optional)").fill("not-an-address")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#f-currency-error")).to_have_text("Enter a three-letter currency code, like EUR.")
    expect(page.locator("#f-contact_email-error")).to_have_text("Enter a valid email address, like name@example.com.")
    shot(page, "settings-errors-desktop")
    page.reload()
    expect(page.get_by_label("Currency")).to_have_value("EUR")  # nothing was saved

    page.get_by_label("Currency").fill("rub")
    page.get_by_label("Contact email (optional)").fill("hello@example.com")
    page.get_by_label("Default language").select_option("ru")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Currency")).to_have_value("RUB")
    expect(page.get_by_label("Contact email (optional)")).to_have_value("hello@example.com")

    expect(page.get_by_text("No logo yet.")).to_be_visible()
    page.locator("input[type=file]").set_input_files(files=[{"name": "logo.png", "mimeType": "image/png",
                                                               "buffer": PNG}])
    expect(page.get_by_text("logo.png")).to_be_visible()
    page.get_by_role("button", name="Upload logo").click()
    expect(page.get_by_text("Logo saved.")).to_be_visible()
    logo = page.get_by_role("img", name="Current logo")
    expect(logo).to_have_attribute("src", re.compile(r"^/media/[A-Za-z0-9_-]+\.png$"))
    assert page.request.get(app_url + logo.get_attribute("src")).headers["content-type"] == "image/png"
    shot(page, "settings-logo-desktop")
    page.locator("input[type=file]").set_input_files(files=[{"name": "notes.png", "mimeType": "image/png",
                                                               "buffer": b"not an image at all"}])
    page.get_by_role("button", name="Upload logo").click()
    expect(page.locator("#logo-error")).to_have_text("This is not a PNG, JPEG, WebP or GIF image.")
    page.get_by_role("button", name="Remove logo").click()
    expect(page.get_by_text("No logo yet.")).to_be_visible()

    # A new address moves the pages; a reserved one is refused next to the field.
    page.get_by_label("Address in links").fill("api")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#f-slug-error")).to_have_text("This address is taken. Choose another.")
    page.get_by_label("Address in links").fill("settings-org-renamed")
    page.get_by_role("button", name="Save settings").click()
    expect(page).to_have_url(f"{app_url}/o/settings-org-renamed/settings")
    assert dashboard != f"{app_url}/o/settings-org-renamed"


def test_audit_log_filters(app_url, new_page):
    page = new_page(DESKTOP)
    dashboard = owner_with_org(page, app_url, "Anna Audit", "anna.audit@example.com", "Audit Org")
    page.goto(dashboard + "/team")
    page.get_by_label("Email address").fill("someone.audit@example.com")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to someone.audit@example.com.")).to_be_visible()
    org_nav(page).get_by_role("link", name="Audit log", exact=True).click()
    table = page.get_by_role("table", name="Audit log")
    expect(table.get_by_role("cell", name="Invited someone")).to_be_visible()
    expect(table.get_by_role("cell", name="Created the organization")).to_be_visible()
    expect(table.get_by_role("cell", name="Anna Audit").first).to_be_visible()
    shot(page, "audit-desktop")

    page.get_by_label("Action").select_option("team.")
    page.get_by_role("button", name="Apply filters").click()
    expect(table.get_by_role("cell", name="Created the organization")).to_have_count(0)
    expect(table.get_by_role("cell", name="Invited someone")).to_be_visible()

    page.get_by_label("Action").select_option("")
    page.get_by_label("Person").fill("nobody-of-that-name")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("No entries match these filters.")).to_be_visible()

    page.get_by_label("Person").fill("")
    page.get_by_label("From", exact=True).fill("2031-01-02")
    page.get_by_label("To", exact=True).fill("2031-01-01")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#f-date_to-error")).to_have_text("The end date must not be before the start date.")
    page.get_by_role("button", name="Clear filters").click()
    expect(page.get_by_role("table", name="Audit log").get_by_role("cell", name="Invited someone")).to_be_visible()
    expect(page.locator("#f-date_to-error")).to_have_text("")


def test_team_pages_fit_a_phone(app_url, new_page):
    desk = new_page(DESKTOP)
    dashboard = owner_with_org(desk, app_url, "Petr Phone", "petr.phone@example.com", "Phone Org")
    phone = new_page(PHONE, is_mobile=True, has_touch=True)
    phone.goto(f"{app_url}/signin")
    phone.get_by_label("Email").fill("petr.phone@example.com")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    # Sign-in lands on the events of the organization used last.
    expect(phone.get_by_role("heading", name="Events")).to_be_visible()
    assert phone.url == dashboard
    for path, heading in (("/team", "Team"), ("/settings", "Settings"), ("/audit", "Audit log")):
        phone.goto(dashboard + path)
        expect(phone.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        assert no_horizontal_scroll(phone), path
        shot(phone, f"{path.strip('/')}-phone")
