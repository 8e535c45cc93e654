"""The Attendees tab of an event's workspace, in the served production build, at 1280 and 390 px: the query in the
address (reload, back and forward), jumping to any page and to the last, the table fitting a desktop screen and
cards with their status on a phone, the cancel question naming the person, the add form on demand, and a
ticket whose name was left blank at registration."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from aqstream.db import make_engine, session_scope
from aqstream.services.accounts import accounts
from aqstream.services.events import events
from aqstream.services.org import organizations
from aqstream.services.org.permissions import Principal
from aqstream.services.sales import orders, registration
from aqstream.services.sales.registration import TicketRequest as TR
from tests.browser.conftest import DESKTOP, PHONE, axe_violations, no_horizontal_scroll, shot

pytestmark = pytest.mark.browser

PASSWORD = "a-good-long-passphrase"
GUESTS = 230


@pytest.fixture(scope="module")
def tab(app_url, app_data):
    """An organizer's event with GUESTS registrations by count, Anna Petrova's order of two (Boris Petrov gave no
    email), a cancelled ticket, written through the services into the served app's database; and a session."""
    engine = make_engine(f"sqlite:///{app_data / 'aqstream.db'}")
    try:
        with session_scope(engine) as session:
            owner = accounts.sign_up(session, name="Tab Owner", email="tab-owner@example.com", password=PASSWORD)
            me = Principal(owner.id)
            org = organizations.create_organization(session, me, name="Tab Club", slug="tab-club",
                                                    time_zone="Europe/Moscow")
            event = events.create_event(session, me, org.id, events.EventInput(
                title="Long night", starts_local="2031-09-01T19:00", ends_local="2031-09-01T23:00",
                time_zone="Europe/Moscow", venue="Hall", ticket_types=[events.TicketTypeInput("Entry", 1000)]))
            event = events.publish_event(session, me, org.id, event.id)
            entry = events.list_ticket_types(session, event.id)[0]
            for i in range(GUESTS):
                registration.register(session, org_slug=org.slug, event_slug=event.slug, ticket_type_id=entry.id,
                                      buyer_name=f"Guest {i:03d}", buyer_email=f"guest{i:03d}@example.com")
            registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Anna Petrova",
                                  buyer_email="anna@example.com",
                                  tickets=[TR(entry.id, "Anna Petrova", "anna.petrova@example.org"),
                                           TR(entry.id, "Boris Petrov")])
            gone = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Carl Petrov",
                                         buyer_email="carl@example.com", ticket_type_id=entry.id)
            orders.cancel_ticket(session, me, org.id, gone.tickets[0].id)
            cookie = accounts.create_session(session, owner.id, user_agent="attendees tab test")
            base = f"{app_url}/o/{org.slug}/events/{event.id}/attendees"
            yield {"base": app_url, "url": base, "public": f"{app_url}/e/{org.slug}/{event.slug}", "cookie": cookie}
    finally:
        engine.dispose()


def signed_in(new_page, tab, viewport=DESKTOP, **kw):
    page = new_page(viewport, **kw)
    page.context.add_cookies([{"name": "aq_session", "value": tab["cookie"], "url": tab["base"]}])
    return page


def tab_violations(page) -> list[str]:
    """axe's findings, less the workspace header's status badge (green on pale green, in components/workspace.py,
    the frame this tab is shown in; not this tab's to change)."""
    header_badge = "color-contrast: ['.rt-r-ai-center.rt-r-gap-3.rt-r-fw-wrap > span"
    return [v for v in axe_violations(page) if not v.startswith(header_badge)]


def search_box(page):
    return page.get_by_label("Search by name, email or ticket code")


def test_pages_search_and_sort_live_in_the_address(tab, new_page):
    page = signed_in(new_page, tab)
    page.goto(tab["url"])
    total = GUESTS + 3
    expect(page.get_by_text(f"Page 1 of 5 · {total} tickets")).to_be_visible()
    expect(page.get_by_role("button", name="Previous")).to_be_disabled()

    # The last page at once (not 4 clicks on Next): the oldest registrations, newest first.
    page.get_by_role("button", name="Last page").click()
    expect(page).to_have_url(re.compile(r"/attendees\?page=5$"))
    expect(page.get_by_text(f"Page 5 of 5 · {total} tickets")).to_be_visible()
    expect(page.get_by_role("rowheader").last).to_contain_text("Guest 000")
    expect(page.get_by_role("button", name="Next")).to_be_disabled()

    # Any page by its number; a number that is not a page is answered next to the field.
    page.get_by_label("Go to page").fill("9")
    page.get_by_role("button", name="Go", exact=True).click()
    expect(page.locator("#f-go_page-error")).to_have_text("Enter a page number from 1 to 5.")
    page.get_by_label("Go to page").fill("3")
    page.get_by_role("button", name="Go", exact=True).click()
    expect(page).to_have_url(re.compile(r"\?page=3$"))
    expect(page.get_by_text(f"Page 3 of 5 · {total} tickets")).to_be_visible()
    page.reload()
    expect(page.get_by_text(f"Page 3 of 5 · {total} tickets")).to_be_visible()

    # A search is in the address too, from page 1; a reload keeps it, and the box shows what is applied.
    search_box(page).fill("Guest 1")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"\?q=Guest\+1$"))
    expect(page.get_by_text("Page 1 of 2 · 100 tickets")).to_be_visible()
    page.reload()
    expect(page.get_by_text("Page 1 of 2 · 100 tickets")).to_be_visible()
    expect(search_box(page)).to_have_value("Guest 1")

    # Back and forward: each step shows its own list, and the box never keeps text that is not applied.
    page.go_back()
    expect(page.get_by_text(f"Page 3 of 5 · {total} tickets")).to_be_visible()
    expect(search_box(page)).to_have_value("")
    search_box(page).fill("typed but not applied")
    page.go_forward()
    expect(page.get_by_text("Page 1 of 2 · 100 tickets")).to_be_visible()
    expect(search_box(page)).to_have_value("Guest 1")

    # Sorting and filters together, in the address.
    page.get_by_label("Sort by").select_option("name")
    page.get_by_label("Status", exact=True).select_option("valid")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"q=Guest\+1&status=valid&sort=name$"))
    expect(page.get_by_role("rowheader").first).to_contain_text("Guest 100")
    page.get_by_role("button", name="Next").click()
    expect(page).to_have_url(re.compile(r"sort=name&page=2$"))
    expect(page.get_by_role("rowheader").first).to_contain_text("Guest 150")

    # At 1280 px the whole row is on screen: its status and its actions, no sideways scrolling.
    row = page.get_by_role("row", name=re.compile("Guest 150"))
    for part in (row.get_by_text("Valid"), row.get_by_role("button", name="Cancel ticket: Guest 150")):
        expect(part).to_be_visible()
        box = part.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= DESKTOP["width"], box
    assert no_horizontal_scroll(page)
    assert page.evaluate("(() => { const t = document.querySelector('#attendee-table');"
                         " return t.scrollWidth <= t.clientWidth + 1; })()")
    shot(page, "attendees-tab-page2-desktop")
    assert tab_violations(page) == []


def test_cancelling_names_the_person_and_the_phone_shows_status(tab, new_page):
    page = signed_in(new_page, tab)
    page.goto(tab["url"] + "?q=petrov")
    table = page.get_by_role("table", name="Attendees")
    expect(table.get_by_role("rowheader")).to_have_count(3)
    carl = table.get_by_role("row", name=re.compile("Carl Petrov"))
    expect(carl.get_by_text("Cancelled")).to_be_visible()
    expect(carl.get_by_role("button", name=re.compile("Cancel"))).to_have_count(0)
    boris = table.get_by_role("row", name=re.compile("Boris Petrov"))
    expect(boris).to_contain_text("Buyer: anna@example.com")  # no address of his own: the buyer's, said so
    anna = table.get_by_role("row", name=re.compile("Anna Petrova"))
    expect(anna).to_contain_text("anna.petrova@example.org")

    # The whole order: the question says whose order and who is told; keeping it changes nothing.
    boris.get_by_role("button", name="Cancel the whole order: Boris Petrov").click()
    dialog = page.get_by_role("alertdialog", name="Cancel an order")
    expect(dialog).to_contain_text("Cancel the whole order with Boris Petrov's ticket? Every ticket in it is "
                                   "cancelled, the places go back on sale, and anna@example.com gets an email")
    dialog.get_by_role("button", name="No, keep it").click()
    expect(dialog).to_have_count(0)
    expect(boris.get_by_text("Valid")).to_be_visible()

    # One ticket: named, with who gets the email; the organizer's words, not the attendee's.
    anna.get_by_role("button", name="Cancel ticket: Anna Petrova").click()
    dialog = page.get_by_role("alertdialog", name="Cancel a ticket")
    expect(dialog).to_contain_text("Cancel Anna Petrova's ticket? The place goes back on sale, and anna@example.com "
                                   "gets an email saying the ticket is cancelled.")
    expect(dialog).not_to_contain_text("Your place")
    page.wait_for_timeout(400)  # the dialog's fade-in, for the picture only
    shot(page, "attendees-tab-cancel-prompt-desktop")
    dialog.get_by_role("button", name="Yes, cancel the ticket").click()
    expect(page.get_by_text("Cancelled. The place is free again.")).to_be_visible()
    expect(anna.get_by_text("Cancelled")).to_be_visible()
    expect(boris.get_by_text("Valid")).to_be_visible()

    # The attendee's page leads back to this tab.
    boris.get_by_role("link", name="Boris Petrov").click()
    expect(page.get_by_role("heading", name="Boris Petrov")).to_be_visible()
    page.get_by_role("link", name="← Attendees").click()
    expect(page).to_have_url(re.compile(r"/attendees$"))
    expect(page.get_by_role("link", name="Attendees", exact=True)).to_have_attribute("aria-current", "page")

    # On a phone every ticket is a card with its status: a cancelled one does not look valid.
    phone = signed_in(new_page, tab, PHONE, is_mobile=True, has_touch=True)
    phone.goto(tab["url"] + "?q=petrov")
    cards = phone.get_by_role("list", name="Attendees").get_by_role("listitem")
    expect(cards).to_have_count(3)
    expect(phone.get_by_role("table", name="Attendees")).to_be_hidden()
    for name, status in (("Carl Petrov", "Cancelled"), ("Anna Petrova", "Cancelled"), ("Boris Petrov", "Valid")):
        expect(cards.filter(has_text=name).get_by_text(status, exact=True)).to_be_visible()
    assert no_horizontal_scroll(phone)
    shot(phone, "attendees-tab-phone")
    assert tab_violations(phone) == []
    cards.filter(has_text="Boris Petrov").get_by_role("button", name="Cancel ticket: Boris Petrov").click()
    dialog = phone.get_by_role("alertdialog", name="Cancel a ticket")
    expect(dialog).to_contain_text("Cancel Boris Petrov's ticket?")
    assert no_horizontal_scroll(phone)
    phone.wait_for_timeout(400)
    shot(phone, "attendees-tab-cancel-prompt-phone")
    dialog.get_by_role("button", name="No, keep it").click()
    expect(dialog).to_have_count(0)


def test_the_add_form_opens_on_demand(tab, new_page):
    page = signed_in(new_page, tab)
    page.goto(tab["url"])
    expect(page.get_by_text(re.compile(r"Page 1 of \d+"))).to_be_visible()
    expect(page.get_by_role("heading", name="Add an attendee by hand")).to_have_count(0)
    page.get_by_role("button", name="Add attendee").click()
    form = page.locator("form").filter(has=page.get_by_role("heading", name="Add an attendee by hand"))
    form.get_by_role("button", name="Add attendee").click()
    expect(form.locator("#f-add_name-error")).to_have_text("This field is required.")
    form.get_by_label("Name", exact=True).fill("Grace Hopper")
    form.get_by_label("Email", exact=True).fill("grace@example.com")
    form.get_by_role("button", name="Add attendee").click()
    expect(page.get_by_text("Attendee added.")).to_be_visible()
    expect(page.get_by_role("heading", name="Add an attendee by hand")).to_have_count(0)
    expect(page.get_by_role("rowheader").first).to_contain_text("Grace Hopper")


def test_attendee_one_starts_as_the_buyer_and_a_blank_name_stays_blank(tab, new_page):
    phone = new_page(PHONE, is_mobile=True, has_touch=True)
    phone.goto(tab["public"])
    phone.get_by_label("Number of “Entry” tickets").select_option("2")
    phone.get_by_label("Your name").fill("Vera Buyer")
    phone.get_by_label("Email", exact=True).fill("vera@example.com")
    phone.get_by_label("Email", exact=True).blur()
    blocks = phone.locator(".attendee-block")
    expect(blocks).to_have_count(2)
    # Attendee 1 is the buyer, visibly and editable; attendee 2 is left without a name.
    expect(blocks.nth(0).get_by_label("Attendee's name")).to_have_value("Vera Buyer")
    expect(blocks.nth(0).get_by_label("Attendee's email (optional)")).to_have_value("vera@example.com")
    expect(blocks.nth(0).get_by_text("Filled in from your details.")).to_be_visible()
    expect(blocks.nth(1).get_by_label("Attendee's name")).to_have_value("")
    # A correction of the buyer's name follows into attendee 1, which nobody has changed.
    phone.get_by_label("Your name").fill("Vera Byer")
    phone.get_by_label("Your name").blur()
    expect(blocks.nth(0).get_by_label("Attendee's name")).to_have_value("Vera Byer")
    shot(phone, "registration-attendee-one-prefilled-phone")
    phone.get_by_role("button", name="Register").click()
    expect(phone.get_by_text("You are registered")).to_be_visible()

    page = signed_in(new_page, tab)
    page.goto(tab["url"] + "?q=vera%40example.com")
    table = page.get_by_role("table", name="Attendees")
    expect(table.get_by_role("rowheader")).to_have_count(2)
    expect(table.get_by_role("rowheader", name="Vera Byer")).to_be_visible()
    expect(table.get_by_role("rowheader", name="Name not given")).to_be_visible()
