"""The attendee's first minute: a shared link previews well, the event page tells what, when (also in the
visitor's own zone), where and for how much, and registration works from a phone and from the keyboard alone. Names an attacker
chose (organization, event, venue, ticket type) stay exact text in the served HTML and on the page."""
import io
import json
import re
import urllib.parse
import urllib.request
from html import escape as html_escape

import pytest
from PIL import Image
from playwright.sync_api import expect

from aqstream.db import make_engine, session_scope
from aqstream.services.accounts import accounts
from aqstream.services.events import event_lifecycle, events, questions, sharing
from aqstream.services.org import organizations
from aqstream.services.org.permissions import Principal
from aqstream.services.payments import settings
from tests.browser.conftest import DESKTOP, PHONE, axe_violations, no_horizontal_scroll, shot
from tests.browser.test_flows import sign_up
from tests.served_html import (
    HOSTILE_CITY,
    HOSTILE_DESCRIPTION,
    HOSTILE_ORG,
    HOSTILE_TICKET,
    HOSTILE_TITLE,
    HOSTILE_VENUE,
    Document,
)

pytestmark = pytest.mark.browser


def cover_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 500), (40, 90, 200)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(app_url, app_data):
    """An organization with a published event (cover, Markdown, a free ticket type and a paid one (bank transfer) not
    yet on sale, a question) and a second event whose page is in Russian; written through the services into the app's database."""
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
                pay_bank=True,
                ticket_types=[events.TicketTypeInput("Standard", 40),
                              events.TicketTypeInput("Balcony", 10, price_minor=1500,
                                                     sales_start_local="2031-06-01T10:00")])
            settings.update_settings(session, me, org.id, settings.SettingsInput(
                bank_enabled=True, bank_instructions="IBAN DE89 3704 0044 0532 0130 00"))
            event = events.create_event(session, me, org.id, data)
            event_lifecycle.set_cover(session, me, org.id, event.id, cover_png())
            questions.add_question(session, me, org.id, event.id,
                                   questions.QuestionInput(label="Dietary needs", kind="short_text"))
            events.publish_event(session, me, org.id, event.id)
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
    expect(page.get_by_text("Free · 40 left")).to_be_visible()
    expect(page.get_by_text("€15 · Sales open on Sun, Jun 1, 2031, 10:00\u202fAM")).to_be_visible()
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


def served_html(url: str) -> str:
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept-Language": "en-US"})) as response:
        assert response.status == 200
        return response.read().decode()


@pytest.fixture(scope="module")
def hostile(app_url, app_data):
    """An organization, a published event and its ticket type whose names an attacker chose."""
    mp = pytest.MonkeyPatch()
    mp.setenv("AQSTREAM_DATA_DIR", str(app_data))
    mp.setenv("AQSTREAM_BASE_URL", app_url)  # the share card this process computes names the served app
    engine = make_engine(f"sqlite:///{app_data / 'aqstream.db'}")
    try:
        with session_scope(engine) as session:
            owner = accounts.sign_up(session, name="Hostile Owner", email="hostile-owner@example.com",
                                     password="a-good-long-passphrase")
            me = Principal(owner.id)
            org = organizations.create_organization(session, me, name=HOSTILE_ORG, slug="hostile-org",
                                                    time_zone="Europe/Moscow")
            event = events.create_event(session, me, org.id, events.EventInput(
                title=HOSTILE_TITLE, starts_local="2031-09-01T19:00", ends_local="2031-09-01T21:00",
                time_zone="Europe/Moscow", venue=HOSTILE_VENUE, city=HOSTILE_CITY, description=HOSTILE_DESCRIPTION,
                ticket_types=[events.TicketTypeInput(HOSTILE_TICKET, 50)]))
            events.publish_event(session, me, org.id, event.id)
            session.commit()
            yield {"engine": engine, "org": org.slug, "event": event.slug,
                   "url": f"{app_url}/e/{org.slug}/{event.slug}"}
    finally:
        engine.dispose()
        mp.undo()


def test_hostile_names_stay_text_in_the_served_html(hostile):
    html = served_html(hostile["url"])
    with session_scope(hostile["engine"]) as session:
        card = sharing.event_share(session, hostile["org"], hostile["event"], "en")
    doc = Document(html)
    # The head tags hold exactly the organizer's text, once each.
    assert doc.titles == [f"{HOSTILE_TITLE} · {HOSTILE_ORG}"]
    head = doc.head_values()
    assert head["og:title"] == head["twitter:title"] == [HOSTILE_TITLE]
    assert head["og:site_name"] == [HOSTILE_ORG]
    assert head["og:description"] == head["twitter:description"] == head["description"] == [card.description]
    assert f"{HOSTILE_VENUE}. " in card.description
    assert head["og:url"] == head["canonical"] == [card.url] == [hostile["url"]]
    assert head["og:type"] == ["event"] and head["twitter:card"] == ["summary"] and head["og:locale"] == ["en_US"]
    assert "img" not in {tag for tag, _attrs in doc.tags}  # no element came out of anyone's text
    # The JSON-LD carries no "<", ">" or "&" at all, so no "</script>", "<!--" or "<script" can end or swallow
    # its element (the browser's parser does not stop where html.parser does), and parses to the exact strings.
    [ld_text] = [text for attrs, text in doc.scripts if attrs.get("type") == "application/ld+json"]
    assert not set("<>&") & set(ld_text), ld_text
    ld = json.loads(ld_text)
    assert ld == card.json_ld
    assert ld["name"] == HOSTILE_TITLE and ld["organizer"]["name"] == HOSTILE_ORG
    assert ld["location"] == {"@type": "Place", "name": HOSTILE_VENUE, "address": f"{HOSTILE_VENUE}, {HOSTILE_CITY}"}
    assert [offer["name"] for offer in ld["offers"]] == [HOSTILE_TICKET]
    # Every script element, the app's own included, is whole by the HTML spec's rules for script content.
    assert doc.broken_scripts() == []


@pytest.mark.parametrize("viewport,label", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_hostile_names_show_as_text_and_registration_works(hostile, new_page, viewport, label):
    page = new_page(viewport, locale="en-US", is_mobile=label == "phone")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(hostile["url"])
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_be_visible()
    assert heading.text_content() == HOSTILE_TITLE
    assert page.locator("a.event-organizer").text_content() == HOSTILE_ORG
    assert page.get_by_text(HOSTILE_VENUE).text_content() == f"{HOSTILE_VENUE}, {HOSTILE_CITY}"
    assert page.locator("label[for^='qty-']").text_content() == HOSTILE_TICKET
    expect(page.get_by_label(f"Number of “{HOSTILE_TICKET}” tickets", exact=True)).to_have_value("1")
    ld = page.evaluate("JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)")
    assert ld["name"] == HOSTILE_TITLE and ld["offers"][0]["name"] == HOSTILE_TICKET
    expect(page.locator("img[src='x']")).to_have_count(0)
    assert no_horizontal_scroll(page)
    shot(page, f"hostile-event-page-{label}")
    page.get_by_label("Your name").fill(f"Ада {label}")
    page.get_by_label("Email").fill(f"hostile-{label}@example.com")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("You are registered")).to_be_visible()
    expect(page.get_by_text(HOSTILE_TICKET).first).to_be_visible()
    shot(page, f"hostile-event-registered-{label}")
    assert dialogs == [] and errors == []


def test_hostile_names_on_the_organization_page_and_in_the_catalog(hostile, app_url, new_page):
    org_url = f"{app_url}/org/{hostile['org']}"
    catalog_url = f"{app_url}/events?" + urllib.parse.urlencode({"q": "Hostile Ёлка"})
    # Neither page writes an organizer's text into its served HTML: the app fills it in, as text.
    for url in (org_url, catalog_url):
        served = served_html(url)
        for text in (HOSTILE_ORG, HOSTILE_TITLE, HOSTILE_VENUE, HOSTILE_TICKET):
            assert text not in served and html_escape(text) not in served
    page = new_page(PHONE, locale="en-US", is_mobile=True)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(org_url)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_be_visible()
    assert heading.text_content() == HOSTILE_ORG
    expect(page.get_by_role("link", name=HOSTILE_TITLE, exact=True)).to_be_visible()
    assert no_horizontal_scroll(page)
    shot(page, "hostile-org-page-phone")
    page.goto(catalog_url)
    card = page.locator(".event-card")
    expect(card).to_have_count(1)
    expect(card.get_by_role("link", name=HOSTILE_TITLE, exact=True)).to_be_visible()
    expect(card.get_by_text(f"{HOSTILE_VENUE}, {HOSTILE_CITY}", exact=True)).to_be_visible()
    expect(page.locator("img[src='x']")).to_have_count(0)
    assert no_horizontal_scroll(page)
    shot(page, "hostile-catalog-phone")
    assert dialogs == []
