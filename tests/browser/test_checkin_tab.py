"""The Check-in tab in the served production build: an owner makes a second list (VIP only, re-entry on, a
question shown to stewards), sees its counts at 1280 px in English and Russian, finds a person, checks them in,
sees the counts change live and undoes it; the attendee list and the attendee's page name the device. A check-in
member sees only the events at the door and the Check-in tab, at 390 px."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from aqstream.db import make_engine, session_scope
from aqstream.models import Membership, Ticket
from aqstream.services.accounts import accounts
from aqstream.services.checkin import lists, scans
from aqstream.services.clock import utcnow
from aqstream.services.events import events, questions
from aqstream.services.org import organizations
from aqstream.services.org.permissions import Principal
from aqstream.services.sales import registration
from tests.browser.conftest import DESKTOP, PHONE, axe_violations, no_horizontal_scroll, shot

pytestmark = pytest.mark.browser

PASSWORD = "a-good-long-passphrase"


@pytest.fixture(scope="module")
def door(app_url, app_data):
    """Door Hall's published event with an Entry and a VIP ticket type, a question, four people; sessions for
    its owner and for a check-in member."""
    engine = make_engine(f"sqlite:///{app_data / 'aqstream.db'}")
    try:
        with session_scope(engine) as session:
            owner = accounts.sign_up(session, name="Door Owner", email="hall-owner@example.com", password=PASSWORD)
            steward = accounts.sign_up(session, name="Stas Steward", email="stas-hall@example.com", password=PASSWORD)
            me = Principal(owner.id)
            org = organizations.create_organization(session, me, name="Door Hall", slug="door-hall",
                                                    time_zone="Europe/Moscow")
            session.add(Membership(user_id=steward.id, organization_id=org.id, role="checkin", created_at=utcnow()))
            session.commit()
            event = events.create_event(session, me, org.id, events.EventInput(
                title="Winter gala", starts_local="2031-12-20T19:00", ends_local="2031-12-20T23:00",
                time_zone="Europe/Moscow", venue="Hall", ticket_types=[events.TicketTypeInput("Entry", 100),
                                                                       events.TicketTypeInput("VIP", 10)]))
            event = events.publish_event(session, me, org.id, event.id)
            entry, vip = events.list_ticket_types(session, event.id)
            shirt = questions.add_question(session, me, org.id, event.id,
                                           questions.QuestionInput(label="T-shirt size", kind="short_text"))
            for name, email, tt, size in (("Irina Ivanova", "irina@example.com", vip, "L"),
                                          ("Ivan Orlov", "ivan@example.com", vip, "M"),
                                          ("Pavel Petrov", "pavel@example.com", entry, "XL"),
                                          ("Olga Smirnova", "olga@example.com", entry, "S")):
                registration.register(session, org_slug=org.slug, event_slug=event.slug, ticket_type_id=tt.id,
                                      buyer_name=name, buyer_email=email, answers={str(shirt.id): size})
            yield {"base": app_url, "org": f"{app_url}/o/{org.slug}", "engine": engine, "org_id": org.id,
                   "event_id": event.id, "owner_id": owner.id,
                   "url": f"{app_url}/o/{org.slug}/events/{event.id}", "slug": org.slug,
                   "owner": accounts.create_session(session, owner.id, user_agent="check-in tab test"),
                   "steward": accounts.create_session(session, steward.id, user_agent="check-in tab test")}
    finally:
        engine.dispose()


def signed_in(new_page, door, who, viewport=DESKTOP, **kw):
    page = new_page(viewport, **kw)
    page.context.add_cookies([{"name": "aq_session", "value": door[who], "url": door["base"]}])
    return page


def tabs(page):
    return page.get_by_role("navigation", name="Event sections")


def tab_violations(page) -> list[str]:
    """axe's findings, less the workspace header's status badge (as tests/browser/test_attendees_tab.py says)."""
    header_badge = "color-contrast: ['.rt-r-ai-center.rt-r-gap-3.rt-r-fw-wrap > span"
    return [v for v in axe_violations(page) if not v.startswith(header_badge)]


def card(page, name):
    return page.locator("#checkin-lists > div").filter(has=page.get_by_role("heading", name=name, exact=True))


def test_an_owner_makes_a_vip_list_checks_someone_in_and_undoes_it(door, new_page):
    page = signed_in(new_page, door, "owner")
    page.goto(door["url"] + "/checkin")
    expect(page).to_have_title("Winter gala · Check-in · AqStream")
    expect(tabs(page).get_by_role("link", name="Check-in", exact=True)).to_have_attribute("aria-current", "page")
    expect(card(page, "All tickets")).to_contain_text("Inside: 0 / 4")

    # The form: errors next to their fields, nothing saved until all are right.
    page.get_by_role("button", name="Add a list").click()
    form = page.locator("#checkin-list-form")
    form.get_by_label("Opens at").fill("2031-12-20T20:00")
    form.get_by_label("Closes at").fill("2031-12-20T18:00")
    form.get_by_role("button", name="Save the list").click()
    expect(page.locator("#f-name-error")).to_have_text(re.compile(".+"))
    expect(page.locator("#f-closes_at-error")).to_have_text(re.compile(".+"))
    expect(page.locator("#checkin-lists > div")).to_have_count(1)
    form.screenshot(path=str(shot(page, "checkin-list-form-desktop")))
    form.get_by_label("Name").fill("VIP door")
    form.get_by_label("Opens at").fill("")
    form.get_by_label("Closes at").fill("")
    form.get_by_label("VIP", exact=True).check()
    form.get_by_label("Allow re-entry (with check-out)").check()
    form.get_by_label("T-shirt size").check()
    form.get_by_role("button", name="Save the list").click()
    expect(page.get_by_text("The list was saved.")).to_be_visible()
    vip = card(page, "VIP door")
    expect(vip).to_contain_text("Inside: 0 / 2")
    expect(vip).to_contain_text("Ticket types: VIP")
    expect(vip).to_contain_text("Re-entry allowed (with check-out)")
    expect(vip.get_by_text("Checking in here")).to_be_visible()
    scanner = vip.get_by_role("link", name="Open scanner: VIP door")
    expect(scanner).to_have_attribute("href", re.compile(r"^/scan/door-hall/\d+$"))
    # Edited: the form opens with what the list has.
    page.get_by_role("button", name="Edit: VIP door").click()
    expect(form.get_by_label("Name")).to_have_value("VIP door")
    expect(form.get_by_label("VIP", exact=True)).to_be_checked()
    expect(form.get_by_label("Entry", exact=True)).not_to_be_checked()
    expect(form.get_by_label("Allow re-entry (with check-out)")).to_be_checked()
    form.get_by_role("button", name="Cancel").click()
    expect(page.locator("#checkin-list-form")).to_have_count(0)

    # Found by name and checked in: the answer big, with the answer stewards should see; the counts follow.
    page.get_by_label("Name, email or ticket code").fill("Irina")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("button", name="Check in: Irina Ivanova").click()
    result = page.locator("#checkin-result")
    expect(result).to_contain_text("Welcome")
    expect(result).to_contain_text("Irina Ivanova · VIP")
    expect(result).to_contain_text("T-shirt size: L")
    expect(vip).to_contain_text("Inside: 1 / 2")
    expect(card(page, "All tickets")).to_contain_text("Inside: 0 / 4")
    expect(page.locator("#checkin-people")).to_contain_text("Inside since")
    expect(page.get_by_role("table").last).to_contain_text("Organizer page")
    # Once more: already in, in orange, saying when and where.
    page.get_by_role("button", name="Undo check-in: Irina Ivanova").click()
    expect(result).to_contain_text("Check-in undone")
    expect(vip).to_contain_text("Inside: 0 / 2")
    page.get_by_role("button", name="Check in: Irina Ivanova").click()
    expect(result).to_contain_text("Welcome")
    page.get_by_label("Name, email or ticket code").fill("Pavel")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("button", name="Check in: Pavel Petrov").click()
    expect(result).to_contain_text("Not on this list")
    expect(result).to_contain_text("This ticket type does not enter through this list.")

    # Another organizer's check-in shows here live, without a reload.
    other = signed_in(new_page, door, "owner")
    other.goto(door["url"] + "/checkin")
    other.get_by_label("List to check in on").select_option(label="VIP door")
    other.get_by_label("Name, email or ticket code").fill("Ivan")
    other.get_by_role("button", name="Find").click()
    other.get_by_role("button", name="Check in: Ivan Orlov").click()
    expect(other.locator("#checkin-result")).to_contain_text("Welcome")
    expect(vip).to_contain_text("Inside: 2 / 2", timeout=6000)
    other.close()

    # Two phones let Pavel in on "All tickets" while offline: the organizer sees the conflict.
    with session_scope(door["engine"]) as session:
        me = Principal(door["owner_id"])
        main = lists.event_lists(session, me, door["org_id"], door["event_id"])[0].id
        code = session.exec(select(Ticket.code).where(Ticket.attendee_name == "Pavel Petrov")).one()
        first = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=40)
        for device, at in (("Door 1", first), ("Door 2", first + timedelta(minutes=3))):
            scans.redeem(session, me, door["org_id"], main, code, client_scan_id=uuid.uuid4().hex, device=device,
                         scanned_at=at, offline_result="ok")
    expect(page.locator("#checkin-conflicts")).to_be_visible(timeout=6000)
    moscow = lambda at: at.astimezone(ZoneInfo("Europe/Moscow")).strftime("%H:%M")  # noqa: E731
    expect(page.get_by_text(f"All tickets: “Door 2” admitted Pavel Petrov at {moscow(first + timedelta(minutes=3))} "
                            f"while offline; already let in at {moscow(first)} on “Door 1”.")).to_be_visible()
    expect(card(page, "All tickets")).to_contain_text("Inside: 1 / 4")
    assert no_horizontal_scroll(page)
    assert tab_violations(page) == []
    shot(page, "checkin-lists-en-desktop")
    page.get_by_role("button", name="Русский").click()
    expect(card(page, "VIP door")).to_contain_text("Внутри: 2 / 2")
    expect(page.get_by_role("button", name="Добавить список")).to_be_visible()
    assert no_horizontal_scroll(page)
    shot(page, "checkin-lists-ru-desktop")
    page.get_by_role("button", name="English").click()

    # The attendee list and the attendee's page name the device; the owner may undo from there.
    page.goto(door["url"] + "/attendees?q=Irina")
    expect(page.get_by_text("Device: Organizer page").first).to_be_visible()
    page.get_by_role("link", name="Irina Ivanova").first.click()
    expect(page.get_by_text(re.compile(r"VIP door: checked in .* on “Organizer page”"))).to_be_visible()
    page.get_by_role("button", name="Undo check-in").click()
    expect(page.get_by_text("The check-in was undone.")).to_be_visible()
    expect(page.locator("#attendee-checkin")).to_have_count(0)


def test_a_check_in_member_sees_the_door_and_nothing_else(door, new_page):
    page = signed_in(new_page, door, "steward", PHONE, is_mobile=True, has_touch=True)
    page.goto(door["org"])
    expect(page.get_by_role("heading", name="Events at the door")).to_be_visible()
    expect(page.get_by_text("Winter gala")).to_be_visible()
    nav = page.get_by_role("navigation", name="Organization pages")
    expect(nav.get_by_role("link")).to_have_text(["Events"])
    expect(page.get_by_role("link", name="New event")).to_have_count(0)
    expect(page.get_by_text("registered", exact=False)).to_have_count(0)  # no numbers
    assert no_horizontal_scroll(page)
    shot(page, "checkin-dashboard-phone")
    page.get_by_role("link", name="Check-in").first.click()
    expect(page).to_have_url(door["url"] + "/checkin")
    expect(tabs(page).get_by_role("link")).to_have_text(["Check-in"])
    expect(page.get_by_role("button", name="Add a list")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Edit: "))).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Delete: "))).to_have_count(0)
    page.get_by_label("List to check in on").select_option(label="All tickets")
    page.get_by_label("Name, email or ticket code").fill("olga@example")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("button", name="Check in: Olga Smirnova").click()
    expect(page.locator("#checkin-result")).to_contain_text("Welcome")
    expect(card(page, "All tickets")).to_contain_text("Inside: 2 / 4")  # Pavel came in at Door 1 before
    assert no_horizontal_scroll(page)
    shot(page, "checkin-tab-phone")
    # Every other page of the event leads to its Check-in tab; the organization's other pages are not there.
    for path in ("", "/attendees", "/analytics", "/settings"):
        page.goto(door["url"] + path)
        expect(page).to_have_url(door["url"] + "/checkin")
    for path in ("/analytics", "/team", "/mail"):
        page.goto(door["org"] + path)
        expect(page.get_by_role("heading", name="Not found.")).to_be_visible()
    # The list's scanner opens as a page of its own (a full load of the backend's /scan/ app).
    page.goto(door["url"] + "/checkin")
    page.get_by_role("link", name="Open scanner: All tickets").click()
    expect(page).to_have_url(re.compile(r"/scan/door-hall/\d+$"))
    expect(page.get_by_role("button", name="Start camera")).to_be_visible()
