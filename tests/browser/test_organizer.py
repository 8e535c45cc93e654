"""Running an event from the browser: add attendees by hand, search and filter them, download the list,
edit the event (an error shown next to the field, then a Markdown description), duplicate it, cancel it
with a message, and find everything in the dashboard's sections. Desktop, and the attendee list and the
editor at phone width."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll, shot
from tests.browser.test_flows import create_org_and_event, sign_up
from tests.browser.test_team import PNG

pytestmark = pytest.mark.browser


def add_attendee(page, name, email):
    """On the Attendees tab: the form opens on demand."""
    page.get_by_role("button", name="Add attendee").click()
    form = page.locator("form").filter(has=page.get_by_role("heading", name="Add an attendee by hand"))
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Email", exact=True).fill(email)
    form.get_by_role("button", name="Add attendee").click()
    expect(page.get_by_text("Attendee added.")).to_be_visible()
    expect(page.get_by_role("rowheader", name=name)).to_be_visible()


def test_organizer_runs_an_event_from_the_browser(app_url, new_page):
    page = new_page(DESKTOP)
    sign_up(page, app_url, "Irina Organizer", "irina@example.com")
    create_org_and_event(page, app_url, "Kazan Meetups", quantity="30")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#public-link")).to_be_visible()
    event_url = page.url

    page.goto(event_url + "/attendees")
    for name, email in [("Grace Hopper", "grace@example.com"), ("Ada Lovelace", "ada@example.com"),
                        ("Анна Каренина", "anna@example.com")]:
        add_attendee(page, name, email)
    expect(page.get_by_text("Page 1 of 1 · 3 tickets")).to_be_visible()

    # Search runs on the server: only the match comes back, in either alphabet.
    page.get_by_label("Search by name, email or ticket code").fill("анна")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("Page 1 of 1 · 1 ticket")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Анна Каренина")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Ada Lovelace")).to_have_count(0)
    page.get_by_label("Search by name, email or ticket code").fill("")
    page.get_by_label("Sort by").select_option("name")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("rowheader").first.get_by_role("link")).to_have_text("Ada Lovelace")
    shot(page, "attendees-search-desktop")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    data = open(download.value.path(), "rb").read()
    assert data.startswith("\ufeffName".encode()), data[:40]
    assert "Анна Каренина" in data.decode("utf-8-sig") and data.decode("utf-8-sig").count("\n") == 4

    # A ticket type edited in place (Tickets and questions tab): not below what is taken, then more places.
    page.goto(event_url + "/tickets")
    page.get_by_role("button", name="Edit ticket type: Entry").click()
    edit = page.locator("form").filter(has=page.get_by_role("button", name="Save ticket type"))
    edit.get_by_label("Quantity").fill("2")
    edit.get_by_role("button", name="Save ticket type").click()
    expect(edit.locator("#f-tt_quantity-error")).to_have_text(
        "More tickets of this type are already taken than this quantity.")
    edit.get_by_label("Quantity").fill("40")
    edit.get_by_role("button", name="Save ticket type").click()
    expect(page.get_by_text("Ticket type saved.")).to_be_visible()
    expect(page.get_by_text("3 / 40")).to_be_visible()

    # One attendee: details, answers and history; a confirmation sent again shows up in the history.
    page.goto(event_url + "/attendees")
    # Opened by its address: a click while the list is still settling could land on the row that moved there.
    grace = page.get_by_role("link", name="Grace Hopper")
    expect(grace).to_be_visible()
    page.goto(app_url + grace.get_attribute("href"))
    expect(page.get_by_role("heading", name="Grace Hopper")).to_be_visible()
    expect(page.get_by_text("Irina Organizer", exact=False).first).to_be_visible()
    page.get_by_role("button", name="Resend confirmation").click()
    expect(page.get_by_text("The confirmation will be sent again.")).to_be_visible()
    history = page.get_by_role("list")
    expect(history.get_by_role("listitem")).to_have_count(2)
    expect(history.get_by_role("listitem").nth(1)).to_contain_text("Confirmation sent again")
    shot(page, "attendee-detail-desktop")
    page.get_by_role("link", name="← Attendees").click()
    expect(page).to_have_url(re.compile(r"/attendees$"))
    page.goto(event_url)

    # The editor (the Settings tab): a refused field keeps what was typed and says why, right there.
    page.get_by_role("navigation", name="Event sections").get_by_role("link", name="Settings").click()
    expect(page).to_have_url(re.compile(r"/settings$"))
    # The editor opens with the saved values: what is typed next is not rebuilt away by a late read.
    expect(page.get_by_label("Title")).to_have_value("Rust & Python evening")
    page.get_by_label("Title").fill("")
    page.get_by_label("Description").fill("**Bring** a laptop.\n\n- Rust\n- Python")
    page.get_by_label("Description").blur()
    expect(page.get_by_label("Preview").locator("strong")).to_have_text("Bring")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#f-title-error")).to_have_text("This field is required.")
    expect(page.get_by_label("Description")).to_have_value("**Bring** a laptop.\n\n- Rust\n- Python")
    shot(page, "event-editor-error-desktop")
    page.get_by_label("Title").fill("Rust & Python night")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="Rust & Python night", level=1)).to_be_visible()

    page.goto(event_url)
    page.get_by_role("button", name="Duplicate").click()
    expect(page.get_by_role("heading", name="Rust & Python night (copy)")).to_be_visible()
    expect(page.get_by_text("Draft", exact=True)).to_be_visible()

    # The copy is a draft: its organizer previews it, with a cover image, before anyone else can see it.
    copy_url = page.url
    page.goto(copy_url + "/edit")
    page.locator("input[type=file]").set_input_files(files=[{"name": "cover.png", "mimeType": "image/png",
                                                               "buffer": PNG}])
    expect(page.get_by_role("img", name="Cover image")).to_be_visible()
    page.goto(copy_url)
    preview = page.get_by_role("link", name="Preview").get_attribute("href")
    page.goto(app_url + preview)
    expect(page.get_by_text("Preview: only organizers see this page until the event is published.")).to_be_visible()
    expect(page.get_by_role("heading", name="Rust & Python night (copy)")).to_be_visible()
    expect(page.locator("img[src^='/media/']")).to_be_visible()
    shot(page, "draft-preview-desktop")
    visitor = new_page(DESKTOP)
    visitor.goto(app_url + preview)
    expect(visitor.get_by_role("heading", name="Not found.")).to_be_visible()
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
    expect(page.locator("span.rt-Badge.rt-r-size-2", has_text="Cancelled")).to_be_visible()  # the event's own
    # Its tickets went with it: every attendee row says so (the door and the attendees' accounts read these).
    page.goto(event_url + "/attendees")
    for name in ("Ada Lovelace", "Grace Hopper", "Анна Каренина"):
        expect(page.get_by_role("row", name=re.compile(name)).get_by_text("Cancelled")).to_be_visible()
    shot(page, "event-cancelled-desktop")

    page.get_by_role("link", name="Back to events").click()
    archived = page.locator("div").filter(has=page.get_by_role("heading", name="Archived")).last
    expect(archived.get_by_role("link", name="Rust & Python night (copy)")).to_be_visible()
    past = page.locator("div").filter(has=page.get_by_role("heading", name="Past and cancelled")).last
    expect(past.get_by_role("link", name="Rust & Python night", exact=True)).to_be_visible()
    shot(page, "dashboard-sections-desktop")

    # The attendee list and the editor on a phone.
    phone = new_page(PHONE, is_mobile=True, has_touch=True, storage_state=page.context.storage_state())
    phone.goto(event_url + "/attendees")
    expect(phone.get_by_text("Page 1 of 1 · 3 tickets")).to_be_visible()
    assert no_horizontal_scroll(phone)
    shot(phone, "attendees-phone")
    phone.goto(event_url + "/edit")  # the Settings tab: a cancelled event is not edited any more
    expect(phone.get_by_role("heading", name="Rust & Python night", level=1)).to_be_visible()
    expect(phone.get_by_text('A cancelled or archived event cannot be changed.')).to_be_visible()
    expect(phone.get_by_label("Title")).to_have_count(0)
    assert no_horizontal_scroll(phone)
    shot(phone, "event-editor-phone")
