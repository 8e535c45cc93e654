"""The attendee's first minute: a shared link previews well, the event page tells what, when (also in the
visitor's own zone), where and for how much, and registration works from a phone and from the keyboard alone."""
import io
import json
import re
import urllib.request

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import update

from aqstream.db import make_engine, session_scope
from aqstream.models import TicketType
from aqstream.services import accounts, event_lifecycle, events, organizations, questions
from aqstream.services.permissions import Principal
from tests.browser.conftest import DESKTOP, PHONE, axe_violations, no_horizontal_scroll, shot
from tests.browser.test_flows import sign_up

pytestmark = pytest.mark.browser


def cover_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 500), (40, 90, 200)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(app_url, app_data):
    """An organization with a published event (cover, Markdown, a paid and a not-yet-on-sale ticket type, a
    question) and a second event whose page is in Russian; written through the services into the app's database."""
    mp = pytest.MonkeyPatch()
    mp.setenv("AQSTREAM_DATA_DIR", str(app_data))
    engine = make_engine(f"sqlite:///{app_data / 'aqstream.db'}")
    try:
        with session_scope(engine) as session:
            owner = accounts.sign_up(session, name="Page Owner", email="page-owner@example.com",
                                     password="a-good-long-passphrase")
            me = Principal(owner.id)
            org = organizations.create_organization(session, me, name="Jazz Club Berlin", slug="jazz-berlin",
                                                    time_zone="Europe/Berlin")
            data = events.EventInput(
                title="Late night jazz", starts_local="2031-07-10T20:00", ends_local="2031-07-10T23:00",
                time_zone="Europe/Berlin", venue="Kantstraße 17", city="Berlin", tags="jazz, music",
                description="An evening of **modern jazz** with the house trio.\n\n"
                            "<img class='raw-html' src='/nothing' onerror='window.pwned = 1'>",
                ticket_types=[events.TicketTypeInput("Standard", 40),
                              events.TicketTypeInput("Balcony", 10, sales_start_local="2031-06-01T10:00")])
            event = events.create_event(session, me, org.id, data)
            event_lifecycle.set_cover(session, me, org.id, event.id, cover_png())
            questions.add_question(session, me, org.id, event.id,
                                   questions.QuestionInput(label="Dietary needs", kind="short_text"))
            events.publish_event(session, me, org.id, event.id)
            session.exec(update(TicketType).where(TicketType.event_id == event.id, TicketType.name == "Standard")
                         .values(price_minor=1500, currency="EUR"))
            session.commit()  # paid tickets arrive with payments; the price is set directly until then
            ru = events.create_event(session, me, org.id, events.EventInput(
                title="Джаз по-русски", starts_local="2031-08-01T19:00", ends_local="2031-08-01T21:00",
                time_zone="Europe/Berlin", online_url="https://stream.example.com/live", locale="ru",
                ticket_types=[events.TicketTypeInput("Вход", 100)]))
            events.publish_event(session, me, org.id, ru.id)
            session.commit()
            yield {"event": f"{app_url}/e/jazz-berlin/{event.slug}", "ru": f"{app_url}/e/jazz-berlin/{ru.slug}"}
    finally:
        engine.dispose()
        mp.undo()


def test_a_shared_link_previews_with_the_event(seeded):
    request = urllib.request.Request(seeded["event"], headers={"User-Agent": "TelegramBot (like TwitterBot)"})
    with urllib.request.urlopen(request) as response:
        html = response.read().decode()
    assert "<title>Late night jazz · Jazz Club Berlin</title>" in html
    assert '<meta property="og:title" content="Late night jazz">' in html
    image = re.search(r'<meta property="og:image" content="([^"]+)">', html).group(1)
    with urllib.request.urlopen(image) as response:
        assert response.headers["Content-Type"] == "image/png"
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert ld["@type"] == "Event" and ld["location"]["address"] == "Kantstraße 17, Berlin"
    assert ld["startDate"] == "2031-07-10T18:00:00+00:00"
    assert {o["price"] for o in ld["offers"]} == {"15.00", "0.00"}


@pytest.mark.parametrize("viewport,label", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_event_page_says_what_when_where_and_how_much(seeded, new_page, viewport, label):
    # A visitor in New York sees the Berlin time and their own.
    page = new_page(viewport, timezone_id="America/New_York", locale="en-US", is_mobile=label == "phone")
    page.goto(seeded["event"])
    expect(page.get_by_role("heading", name="Late night jazz", level=1)).to_be_visible()
    expect(page.get_by_text("Thu, Jul 10, 2031, 8:00\u202fPM – 11:00\u202fPM (Central European Time)")).to_be_visible()
    expect(page.locator(".viewer-time")).to_have_text(
        "Your time: Thu, Jul 10, 2031, 2:00\u202fPM – 5:00\u202fPM (Eastern Time)")
    expect(page.get_by_text("Kantstraße 17, Berlin")).to_be_visible()
    assert "openstreetmap.org/search?query=Kantstra" in page.get_by_role("link", name="Open in map").get_attribute("href")
    expect(page.locator("a.event-organizer")).to_have_attribute("href", "/org/jazz-berlin")
    expect(page.locator("strong", has_text="modern jazz")).to_be_visible()
    # An organizer's raw HTML is shown as text, never run.
    expect(page.locator(".raw-html")).to_have_count(0)
    assert page.evaluate("window.pwned") is None
    expect(page.get_by_text("€15 · 40 left")).to_be_visible()
    expect(page.get_by_text("Free · Sales open on Sun, Jun 1, 2031, 10:00\u202fAM")).to_be_visible()
    expect(page.get_by_label("Number of “Balcony” tickets")).to_be_disabled()
    cover = page.locator("img[src^='/media/']")
    expect(cover).to_be_visible()
    assert no_horizontal_scroll(page)
    register = page.get_by_role("button", name="Register")
    assert register.bounding_box()["height"] >= 44
    assert page.get_by_label("Number of “Standard” tickets").bounding_box()["height"] >= 44
    # "You may also like": the organizer's other event.
    also = page.get_by_role("region", name="You may also like")
    expect(also.get_by_role("link", name="Джаз по-русски")).to_be_visible()
    assert axe_violations(page) == []
    shot(page, f"event-page-{label}")


def test_registration_with_the_keyboard_alone(seeded, new_page):
    page = new_page(PHONE, is_mobile=True)
    page.goto(seeded["event"])
    expect(page.get_by_role("button", name="Register")).to_be_visible()

    def tab_to(selector: str, limit: int = 40) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to("#f-name")
    page.keyboard.type("Kira Keyboard")
    tab_to("#f-email")
    page.keyboard.type("kira@example")  # a mistake first: the error is announced next to the field
    tab_to("button[type=submit]")
    page.keyboard.press("Enter")
    error = page.locator("#f-email-error")
    expect(error).to_have_text("Enter a valid email address, like name@example.com.")
    expect(error).to_have_attribute("role", "alert")
    expect(page.locator("#f-email")).to_have_attribute("aria-invalid", "true")
    page.locator("#f-email").focus()
    page.keyboard.press("End")
    page.keyboard.type(".com")
    tab_to("input[id^='f-q-']")  # the question is reachable too
    page.keyboard.type("Vegetarian")
    tab_to("button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_text("You are registered")).to_be_visible()
    expect(page.get_by_text("A confirmation is on its way to kira@example.com")).to_be_visible()
    shot(page, "keyboard-registration-done-phone")


def test_signed_in_attendee_finds_their_details_filled_in(seeded, app_url, new_page):
    page = new_page(PHONE, is_mobile=True)
    sign_up(page, app_url, "Petra Prefilled", "petra@example.com")
    page.goto(seeded["event"])
    expect(page.get_by_label("Your name")).to_have_value("Petra Prefilled")
    expect(page.get_by_label("Email")).to_have_value("petra@example.com")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("You are registered")).to_be_visible()
    # The account suggests the organizer's other event, not the one already booked.
    page.goto(f"{app_url}/account/tickets")
    also = page.get_by_role("region", name="Events you may like")
    expect(also.get_by_role("link", name="Джаз по-русски")).to_be_visible()
    expect(also.get_by_role("link", name="Late night jazz")).to_have_count(0)
    assert no_horizontal_scroll(page)
    shot(page, "my-tickets-recommended-phone")


def test_the_event_language_is_used_until_the_visitor_chooses(seeded, new_page):
    page = new_page(PHONE, is_mobile=True, locale="en-US", timezone_id="UTC")
    page.goto(seeded["ru"])
    expect(page.get_by_role("heading", name="Регистрация")).to_be_visible()
    expect(page.get_by_text("Онлайн")).to_be_visible()
    expect(page.locator(".viewer-time")).to_contain_text("(UTC)")
    shot(page, "event-page-russian-phone")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Register")).to_be_visible()
