"""The organizer's event workspace in the browser: each tab its own page (Overview, Tickets and questions,
Emails, Settings), every form closed until asked for, the share link copied, a registration question edited
(and its answer type kept once answered), one "Choose an image" control, the editor's old /edit address,
the new-event form's preview and cover step, the tabs a check-in member sees, and sign-in landing on the
organization used last. Desktop (1280) and phone (390); a screenshot of every tab at both widths."""
import re
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, axe_violations, no_horizontal_scroll, shot
from tests.browser.test_flows import PASSWORD, create_org_and_event, sign_up
from tests.browser.test_team import PNG

pytestmark = pytest.mark.browser

TITLE = "Rust & Python evening"


def tabs(page):
    return page.get_by_role("navigation", name="Event sections")


def open_tab(page, name):
    tabs(page).get_by_role("link", name=name, exact=True).click()
    expect(tabs(page).get_by_role("link", name=name, exact=True)).to_have_attribute("aria-current", "page")


def add_question(page, label, kind=None, options=None, required=False):
    page.get_by_role("button", name="Add a question").click()
    form = page.locator("form").filter(has=page.get_by_role("button", name="Add question"))
    form.get_by_label("Question", exact=True).fill(label)
    if kind:
        form.get_by_label("Answer type").select_option(label=kind)
    if options:
        form.get_by_label("Choices, one per line").fill("\n".join(options))
    if required:
        form.get_by_label("Required", exact=True).check()
    form.get_by_role("button", name="Add question").click()
    expect(page.get_by_text("Question added.")).to_be_visible()


def test_overview_tickets_emails_and_settings_tabs(app_url, app_data, new_page):
    page = new_page(DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    sign_up(page, app_url, "Wanda Workspace", "wanda@example.com")
    create_org_and_event(page, app_url, "Workspace Club", quantity="30")
    event_url = page.url

    # Overview: the event's title and the tab in the browser's title; the tabs; today's numbers.
    expect(page).to_have_title(f"{TITLE} · Overview · AqStream")
    expect(tabs(page).get_by_role("link")).to_have_text(
        ["Overview", "Attendees", "Tickets and questions", "Analytics", "Check-in", "Emails", "Settings"])
    expect(tabs(page).get_by_role("link", name="Overview")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("table", name="By ticket type").get_by_role("row", name=re.compile("Entry"))).to_contain_text(
        "0 / 30")
    # The cancellation's message form opens only when asked for.
    expect(page.get_by_label("Message to attendees")).to_have_count(0)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published: registration is open.")).to_be_visible()
    public_url = page.locator("#public-link").inner_text()
    page.get_by_role("button", name="Copy the event's link").click()
    expect(page.get_by_role("status").filter(has_text="The link is copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == public_url
    assert no_horizontal_scroll(page)
    assert (found := axe_violations(page)) == [], "\n".join(found)
    shot(page, "workspace-overview-desktop")

    # Tickets and questions: nothing open until asked for.
    open_tab(page, "Tickets and questions")
    expect(page).to_have_title(f"{TITLE} · Tickets and questions · AqStream")
    expect(page.get_by_label("Ticket name")).to_have_count(0)
    expect(page.get_by_label("Question", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Add a ticket type").click()
    page.get_by_role("button", name="Add ticket type").click()
    expect(page.locator("#f-tt_name-error")).to_have_text("This field is required.")
    page.get_by_label("Ticket name").fill("Backstage")
    page.get_by_label("Quantity").fill("2")
    page.get_by_label("Hidden: only people with the direct link can get it").check()
    page.get_by_role("button", name="Add ticket type").click()
    expect(page.get_by_text("Ticket type added.")).to_be_visible()
    expect(page.get_by_label("Ticket name")).to_have_count(0)  # closed again
    expect(page.locator("code", has_text="?code=")).to_be_visible()
    page.get_by_role("button", name="Edit ticket type: Entry").click()
    edit = page.locator("form").filter(has=page.get_by_role("button", name="Save ticket type"))
    expect(edit.get_by_label("Quantity")).to_have_value("30")
    edit.get_by_label("Quantity").fill("40")
    edit.get_by_role("button", name="Save ticket type").click()
    expect(page.get_by_text("Ticket type saved.")).to_be_visible()
    expect(page.get_by_text("0 / 40")).to_be_visible()
    add_question(page, "Meal", kind="One choice", options=["Meat", "Vegan"], required=True)

    # A visitor answers it.
    visitor = new_page(PHONE, is_mobile=True, has_touch=True)
    visitor.goto(public_url)
    visitor.get_by_label("Your name").fill("Vera Visitor")
    visitor.get_by_label("Email").fill("vera-ws@example.com")
    visitor.get_by_label("Vegan").check()
    visitor.get_by_role("button", name="Register").click()
    expect(visitor.get_by_text("You are registered")).to_be_visible()

    # Edited: a new label and a new choice; its answer type stays now that someone answered.
    page.reload()
    page.get_by_role("button", name="Edit question: Meal").click()
    form = page.locator("form").filter(has=page.get_by_role("button", name="Save question"))
    expect(form.get_by_label("Question", exact=True)).to_have_value("Meal")
    expect(form.get_by_label("Choices, one per line")).to_have_value("Meat\nVegan")
    expect(form.get_by_label("Required", exact=True)).to_be_checked()
    form.get_by_label("Question", exact=True).fill("Lunch")
    form.get_by_label("Answer type").select_option(label="Short text")
    form.get_by_role("button", name="Save question").click()
    expect(page.locator("#f-q_kind-error")).to_have_text(
        "People have already answered this question, so its answer type cannot change. "
        "Remove it and add a new question instead.")
    expect(form.get_by_label("Question", exact=True)).to_have_value("Lunch")  # what was typed stays
    form.get_by_label("Answer type").select_option(label="One choice")
    form.get_by_label("Choices, one per line").fill("Meat\nVegan\nFish")
    form.get_by_role("button", name="Save question").click()
    expect(page.get_by_text("Question saved.")).to_be_visible()
    expect(page.get_by_role("button", name="Save question")).to_have_count(0)
    expect(page.get_by_text("Lunch", exact=True)).to_be_visible()
    expect(page.get_by_text("Meal", exact=True)).to_have_count(0)
    assert no_horizontal_scroll(page)
    shot(page, "workspace-tickets-desktop")
    visitor.goto(public_url)
    expect(visitor.get_by_label("Fish")).to_be_visible()

    # Emails: saved on their own; a bad address is refused next to the field.
    open_tab(page, "Emails")
    expect(page).to_have_title(f"{TITLE} · Emails · AqStream")
    expect(page.get_by_label("Reminder email")).to_have_value("24")
    page.get_by_label("Reminder email").select_option(label="3 hours before the start")
    page.get_by_label("Your words in the confirmation email").fill("Enter from the courtyard.")
    page.get_by_label("Email each new registration to").fill("desk@")
    page.get_by_role("button", name="Save email settings").click()
    expect(page.locator("#f-notify_email-error")).to_have_text(
        "Enter valid email addresses separated by commas, like name@example.com, desk@example.com.")
    expect(page.get_by_label("Your words in the confirmation email")).to_have_value("Enter from the courtyard.")
    page.get_by_label("Email each new registration to").fill("office.workspace@example.com")
    page.get_by_role("button", name="Save email settings").click()
    expect(page.get_by_text("Email settings saved.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Reminder email")).to_have_value("3")
    assert (found := axe_violations(page)) == [], "\n".join(found)
    shot(page, "workspace-emails-desktop")

    # Settings: the editor, with one "Choose an image" control.
    open_tab(page, "Settings")
    expect(page).to_have_title(f"{TITLE} · Settings · AqStream")
    expect(page.get_by_role("button", name="Choose an image")).to_have_count(1)
    page.locator("input[type=file]").set_input_files(files=[{"name": "cover.png", "mimeType": "image/png",
                                                               "buffer": PNG}])
    expect(page.get_by_role("img", name="Cover image")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value(TITLE)
    page.get_by_label("Title").fill("")
    page.get_by_label("Description").fill("**Bring** a laptop.\n\n- Rust\n- Python")
    page.get_by_label("Description").blur()
    expect(page.get_by_label("Preview").locator("strong")).to_have_text("Bring")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#f-title-error")).to_have_text("This field is required.")
    page.get_by_label("Title").fill("Rust & Python night")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Changes saved.")).to_be_visible()
    expect(page.get_by_role("heading", name="Rust & Python night", level=1)).to_be_visible()
    expect(page).to_have_title("Rust & Python night · Settings · AqStream")
    assert (found := axe_violations(page)) == [], "\n".join(found)
    shot(page, "workspace-settings-desktop")
    with sqlite3.connect(f"{app_data}/aqstream.db") as db:
        kept = db.execute("select reminder_hours, notify_email from event where title = 'Rust & Python night' "
                          "and organization_id = (select id from organization where name = 'Workspace Club')").fetchone()
    assert kept == (3, "office.workspace@example.com")  # the editor keeps the Emails tab's settings

    # The editor's old address still opens it.
    page.goto(event_url + "/edit")
    expect(tabs(page).get_by_role("link", name="Settings")).to_have_attribute("aria-current", "page")
    expect(page.get_by_label("Title")).to_have_value("Rust & Python night")

    # Duplicate, archive the copy; cancel the original with a message.
    open_tab(page, "Overview")
    page.get_by_role("button", name="Duplicate").click()
    expect(page.get_by_role("heading", name="Rust & Python night (copy)")).to_be_visible()
    expect(page.get_by_text("Draft", exact=True)).to_be_visible()
    copy_url = page.url
    preview = page.get_by_role("link", name="Preview").get_attribute("href")
    page.goto(app_url + preview)
    expect(page.get_by_text("Preview: only organizers see this page until the event is published.")).to_be_visible()
    # Back to the copy by its address: a page restored from the back/forward cache reconnects and loads again,
    # which may clear the message of a click made before that (the archive itself is done either way).
    page.goto(copy_url)
    page.get_by_role("button", name="Archive").click()
    expect(page.get_by_text("The event is archived.")).to_be_visible()
    page.goto(event_url)
    page.get_by_role("button", name="Cancel event").click()
    page.get_by_role("button", name="Cancel the event and notify attendees").click()
    expect(page.locator("#f-cancel_message-error")).to_have_text("This field is required.")
    page.get_by_label("Message to attendees").fill("The venue flooded. Sorry!")
    page.get_by_role("button", name="Cancel the event and notify attendees").click()
    expect(page.get_by_text("The event is cancelled; attendees will be emailed.")).to_be_visible()
    expect(page.get_by_role("table", name="By ticket type").get_by_role("row", name=re.compile("Entry"))).to_contain_text(
        "0 / 40")
    shot(page, "workspace-overview-cancelled-desktop")


def test_every_tab_on_a_phone(app_url, new_page):
    page = new_page(PHONE, is_mobile=True, has_touch=True)
    sign_up(page, app_url, "Pia Phone", "pia-ws@example.com")
    create_org_and_event(page, app_url, "Phone Workspace", quantity="5")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("button", name="Copy the event's link")).to_be_visible()
    expect(page.get_by_label("Message to attendees")).to_have_count(0)
    assert no_horizontal_scroll(page)
    shot(page, "workspace-overview-phone")

    open_tab(page, "Tickets and questions")
    expect(page.get_by_label("Ticket name")).to_have_count(0)
    add_question(page, "Company")
    page.get_by_role("button", name="Edit question: Company").click()
    form = page.locator("form").filter(has=page.get_by_role("button", name="Save question"))
    form.get_by_label("Question", exact=True).fill("Company or school")
    form.get_by_label("Required", exact=True).check()
    form.get_by_role("button", name="Save question").click()
    expect(page.get_by_text("Question saved.")).to_be_visible()
    expect(page.get_by_text("Company or school", exact=True)).to_be_visible()
    assert no_horizontal_scroll(page)
    shot(page, "workspace-tickets-phone")

    open_tab(page, "Emails")
    expect(page.get_by_label("Reminder email")).to_have_value("24")
    assert no_horizontal_scroll(page)
    shot(page, "workspace-emails-phone")

    open_tab(page, "Settings")
    expect(page.get_by_role("button", name="Choose an image")).to_have_count(1)
    expect(page.get_by_label("Title")).to_have_value(TITLE)
    assert no_horizontal_scroll(page)
    shot(page, "workspace-settings-phone")


@pytest.mark.parametrize("viewport, label", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_new_event_previews_markdown_and_goes_on_to_the_cover(app_url, new_page, viewport, label):
    page = new_page(viewport)
    sign_up(page, app_url, f"Nina New {label}", f"nina-{label}@example.com")
    page.get_by_role("link", name="Create an organization").click()
    page.get_by_label("Organization name").fill(f"New Events {label}")
    page.get_by_role("button", name="Create organization").click()
    page.get_by_role("link", name="New event").click()
    page.get_by_label("Title").fill("Cover evening")
    page.get_by_label("Description").fill("## Programme\n\n*Talks* and tea")
    page.get_by_label("Description").blur()
    expect(page.get_by_label("Preview").get_by_role("heading", name="Programme")).to_be_visible()
    page.get_by_label("Venue (address)").fill("Kazan, Bauman 1")
    page.get_by_label("Starts").fill("2031-05-20T19:00")
    page.get_by_label("Ends").fill("2031-05-20T22:00")
    page.get_by_label("Ticket name").fill("Entry")
    page.get_by_label("Quantity").fill("10")
    assert no_horizontal_scroll(page)
    shot(page, f"new-event-preview-{label}")
    page.get_by_role("button", name="Save and add a cover image").click()
    expect(page.get_by_text("The draft is saved. Choose its cover image below.")).to_be_visible()
    expect(tabs(page).get_by_role("link", name="Settings")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("button", name="Choose an image")).to_have_count(1)
    page.locator("input[type=file]").set_input_files(files=[{"name": "cover.png", "mimeType": "image/png",
                                                               "buffer": PNG}])
    expect(page.get_by_role("img", name="Cover image")).to_be_visible()
    expect(page.get_by_label("Description")).to_have_value("## Programme\n\n*Talks* and tea")


def test_check_in_member_sees_only_the_check_in_tab(app_url, app_data, new_page):
    owner = new_page(DESKTOP)
    sign_up(owner, app_url, "Olga Owner", "olga-ws@example.com")
    create_org_and_event(owner, app_url, "Door Workshop", quantity="5")
    event_url = owner.url
    door = new_page(DESKTOP)
    sign_up(door, app_url, "Dmitri Door", "dmitri-ws@example.com")
    with sqlite3.connect(f"{app_data}/aqstream.db") as db:
        db.execute("insert into membership (user_id, organization_id, role, created_at) select u.id, o.id, "
                   "'checkin', current_timestamp from user_account u, organization o "
                   "where u.email = 'dmitri-ws@example.com' and o.name = 'Door Workshop'")
    door.goto(event_url)  # the overview leads check-in staff to the event's Check-in tab
    expect(door).to_have_url(event_url + "/checkin")
    expect(tabs(door).get_by_role("link")).to_have_text(["Check-in"])
    expect(door.get_by_role("button", name="Publish")).to_have_count(0)
    expect(door.get_by_role("button", name="Duplicate")).to_have_count(0)
    shot(door, "workspace-overview-checkin-desktop")
    for path in ("/attendees", "/tickets", "/analytics", "/emails", "/settings", "/edit"):
        door.goto(event_url + path)
        expect(door).to_have_url(event_url + "/checkin")
        expect(door.get_by_label("Title")).to_have_count(0)
        expect(door.get_by_role("button", name="Add a ticket type")).to_have_count(0)


def test_sign_in_lands_on_the_organization_used_last(app_url, new_page):
    page = new_page(DESKTOP)
    sign_up(page, app_url, "Lena Last", "lena-ws@example.com")
    for name in ("Alpha Hall", "Beta Hall"):
        page.goto(f"{app_url}/orgs/new")
        page.get_by_label("Organization name").fill(name)
        page.get_by_role("button", name="Create organization").click()
        expect(page.get_by_text("No events yet")).to_be_visible()
    alpha = re.sub(r"/o/beta-hall.*", "/o/alpha-hall", page.url)
    page.goto(alpha)
    expect(page.get_by_text("No events yet")).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    page.goto(f"{app_url}/signin")
    page.get_by_label("Email").fill("lena-ws@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").last.click()
    expect(page).to_have_url(re.compile(r"/o/alpha-hall$"))
    expect(page.get_by_role("heading", name="Events")).to_be_visible()
    # A page asked for is still where sign-in goes.
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    page.goto(f"{app_url}/signin?next=/account/profile")
    page.get_by_label("Email").fill("lena-ws@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").last.click()
    expect(page).to_have_url(re.compile(r"/account/profile$"))
