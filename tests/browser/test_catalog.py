"""The public catalog and an organization's page in the real app, at desktop and phone width: search
(Cyrillic too), a filter, pages, the filters kept in a shareable link, opening an event from its card."""
import sqlite3
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update
from sqlmodel import Session

from aqstream.db import make_engine
from aqstream.models import Organization
from aqstream.services.accounts import accounts
from aqstream.services.clock import utcnow
from aqstream.services.events import events
from aqstream.services.org import organizations
from aqstream.services.org.permissions import Principal
from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll, shot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def seeded(app_url, app_data):
    """23 catalog events of one organizer (two pages of 20), straight into the served app's database."""
    engine = make_engine(f"sqlite:///{app_data}/aqstream.db")
    with Session(engine) as session:
        owner = accounts.sign_up(session, name="Cat Owner", email="cat-owner@example.com",
                                 password="a-good-long-passphrase")
        me = Principal(owner.id)
        org = organizations.create_organization(session, me, name="Volga Events", slug="volga-events",
                                                time_zone="Europe/Moscow")
        session.exec(update(Organization).where(Organization.id == org.id)
                     .values(contact_email="hello@volga.example.org"))
        session.commit()
        start = (utcnow() + timedelta(days=30)).replace(hour=15, minute=0, second=0, microsecond=0)

        def add(title, day, city="Kazan", venue="Main hall", online_url="", tags="", listed=True):
            begins = start + timedelta(days=day)
            event = events.create_event(session, me, org.id, events.EventInput(
                title=title, venue=venue, city=city, online_url=online_url, tags=tags, listed=listed,
                starts_local=begins, ends_local=begins + timedelta(hours=2), time_zone="Europe/Moscow",
                ticket_types=[events.TicketTypeInput("Entry", 40)]))
            events.publish_event(session, me, org.id, event.id)

        add("Вечер джаза на Волге", 0, tags="jazz, music")
        add("Online pottery class", 1, city="", venue="", online_url="https://meet.example.org/pottery")
        add("Samara river walk", 2, city="Samara")
        add("Secret unlisted dinner", 3, listed=False)
        for i in range(20):
            add(f"Kazan lecture {i + 1:02d}", 4 + i, tags="lectures")
        for i in range(12):  # over by now: on the organization's page only, under "Past events"
            add(f"Past workshop {i + 1:02d}", -60 + i)
    engine.dispose()
    return app_url


def test_catalog_search_filter_pages_and_open_an_event(seeded, new_page):
    page = new_page(DESKTOP)
    page.goto(f"{seeded}/")
    page.get_by_role("link", name="Events", exact=True).click()  # the header leads to the catalog
    expect(page.get_by_role("heading", name="Upcoming events")).to_be_visible()
    expect(page.get_by_text("Events found:")).to_be_visible()  # loaded: the form shows what the link asked for
    # Other browser tests publish events too: the organizer's name (a searched column) narrows to this one's.
    page.get_by_label("Search events").fill("volga")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_text("Events found: 23")).to_be_visible()
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    expect(page.get_by_role("link", name="Secret unlisted dinner")).to_have_count(0)
    expect(page.locator(".event-card")).to_have_count(20)
    # Soonest first; time in the event's zone; place and price on the card.
    first = page.locator(".event-card").first
    expect(first.get_by_role("link", name="Вечер джаза на Волге")).to_be_visible()
    expect(first.get_by_text("Main hall, Kazan")).to_be_visible()
    expect(first.get_by_text("Free")).to_be_visible()
    shot(page, "catalog-desktop")

    page.get_by_role("button", name="Next page").click()
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    expect(page.locator(".event-card")).to_have_count(3)
    expect(page.get_by_role("button", name="Next page")).to_be_disabled()
    page.wait_for_url("**/events?q=volga&page=2")
    page.get_by_role("button", name="Previous page").click()
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()

    # Search in Cyrillic, ignoring case.
    page.get_by_label("Search events").fill("ДЖАЗА")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_text("Events found: 1")).to_be_visible()
    page.wait_for_url("**/events?q=%D0%94%D0%96%D0%90%D0%97%D0%90")

    # A filter; the link keeps it, and opening it again shows the same results.
    page.get_by_label("Search events").fill("")
    page.get_by_label("City").select_option("Samara")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("Events found: 1")).to_be_visible()
    expect(page.get_by_role("link", name="Samara river walk")).to_be_visible()
    page.wait_for_url("**/events?city=Samara")
    page.get_by_label("Format").select_option("online")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("heading", name="No events found")).to_be_visible()
    shot(page, "catalog-empty-desktop")
    page.get_by_role("button", name="Clear search and filters").click()
    expect(page.get_by_role("link", name="Samara river walk")).to_be_visible()
    expect(page.get_by_label("City")).to_have_value("")
    page.wait_for_url("**/events")

    shared = new_page(DESKTOP)
    shared.goto(f"{seeded}/events?q=volga&mode=online")
    expect(shared.get_by_text("Events found: 1")).to_be_visible()
    expect(shared.get_by_role("link", name="Online pottery class")).to_be_visible()
    expect(shared.locator(".event-card").get_by_text("Online", exact=True)).to_be_visible()
    expect(shared.get_by_label("Format")).to_have_value("online")
    # The cards follow the language switch: dates and prices are formatted again, in Russian.
    shared.get_by_role("button", name="Русский").click()
    expect(shared.get_by_text("Найдено событий: 1")).to_be_visible()
    expect(shared.locator(".event-card").get_by_text("Бесплатно")).to_be_visible()
    expect(shared.locator(".event-card").get_by_text("Онлайн")).to_be_visible()
    shot(shared, "catalog-online-ru-desktop")

    # A bad date in a link: the message is next to the field, not a crash.
    shared.goto(f"{seeded}/events?from=2031-02-30")
    expect(shared.locator("#f-from-error")).to_have_text("Введите дату в виде ГГГГ-ММ-ДД.")  # the language choice sticks

    # Open an event from its card.
    page.get_by_role("link", name="Samara river walk").click()
    expect(page.get_by_role("heading", name="Samara river walk")).to_be_visible()
    page.wait_for_url("**/e/volga-events/samara-river-walk")


def test_catalog_on_a_phone(seeded, new_page):
    phone = new_page(PHONE, is_mobile=True, has_touch=True)
    phone.goto(f"{seeded}/events?q=volga")
    expect(phone.get_by_text("Events found: 23")).to_be_visible()
    # The filters fold away behind a button; the search box stays.
    expect(phone.get_by_label("City")).to_be_hidden()
    expect(phone.get_by_label("Search events")).to_be_visible()
    assert no_horizontal_scroll(phone)
    shot(phone, "catalog-phone")
    phone.get_by_role("button", name="Filters", exact=True).click()
    expect(phone.get_by_label("City")).to_be_visible()
    expect(phone.get_by_role("button", name="Filters", exact=True)).to_have_attribute("aria-expanded", "true")
    shot(phone, "catalog-phone-filters")
    phone.get_by_label("City").select_option("Samara")
    phone.get_by_role("button", name="Apply filters").click()
    expect(phone.get_by_text("Events found: 1")).to_be_visible()
    assert no_horizontal_scroll(phone)
    for control in [phone.get_by_role("button", name="Filters", exact=True), phone.get_by_role("button", name="Apply filters"),
                    phone.get_by_role("link", name="Samara river walk")]:
        assert control.bounding_box()["height"] >= 44
    phone.goto(f"{seeded}/events?city=Kazan&page=2")
    expect(phone.get_by_text("Page 2 of 2")).to_be_visible()
    expect(phone.get_by_label("City")).to_be_visible()  # filters in use are shown open
    expect(phone.get_by_role("button", name="Previous page")).to_be_enabled()
    assert no_horizontal_scroll(phone)
    shot(phone, "catalog-phone-page2")
    phone.locator(".event-card").first.get_by_role("link").first.click()
    expect(phone.get_by_role("button", name="Register")).to_be_visible()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_organization_page(seeded, new_page, viewport):
    page = new_page(viewport)
    page.goto(f"{seeded}/org/volga-events")
    expect(page.get_by_role("heading", name="Volga Events")).to_be_visible()
    expect(page.get_by_role("link", name="hello@volga.example.org")).to_have_attribute(
        "href", "mailto:hello@volga.example.org")
    expect(page.get_by_role("heading", name="Upcoming events")).to_be_visible()
    expect(page.get_by_role("link", name="Kazan lecture 20")).to_be_visible()
    expect(page.get_by_role("link", name="Secret unlisted dinner")).to_have_count(0)
    expect(page.get_by_role("link", name="Past workshop 12")).to_be_visible()  # newest first
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    assert no_horizontal_scroll(page)
    name = "desktop" if viewport == DESKTOP else "phone"
    shot(page, f"org-page-{name}")
    page.get_by_role("button", name="Next page").click()
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    expect(page.get_by_role("link", name="Past workshop 01")).to_be_visible()
    expect(page.get_by_role("link", name="Past workshop 12")).to_have_count(0)
    page.wait_for_url("**/org/volga-events?past=2")
    page.get_by_role("link", name="Вечер джаза на Волге").click()
    expect(page.get_by_role("heading", name="Вечер джаза на Волге")).to_be_visible()
    missing = new_page(viewport)
    missing.goto(f"{seeded}/org/no-such-organizer")
    expect(missing.get_by_role("heading", name="Not found.")).to_be_visible()
    # The header leads to the catalog from every page.
    missing.get_by_role("link", name="Events", exact=True).click()
    expect(missing.get_by_role("heading", name="Upcoming events")).to_be_visible()


def test_organizer_sets_city_topics_and_listing_in_the_editor(seeded, app_data, new_page):
    with sqlite3.connect(f"{app_data}/aqstream.db") as db:
        (event_id,) = db.execute("SELECT id FROM event WHERE title = 'Kazan lecture 19'").fetchone()
    page = new_page(DESKTOP)
    page.goto(f"{seeded}/signin")
    page.get_by_label("Email").fill("cat-owner@example.com")
    page.get_by_label("Password").fill("a-good-long-passphrase")
    page.get_by_role("button", name="Sign in").last.click()
    expect(page.get_by_role("heading", name="Your organizations")).to_be_visible()
    editor = f"{seeded}/o/volga-events/events/{event_id}/edit"
    page.goto(editor)
    expect(page.get_by_label("City", exact=True)).to_have_value("Kazan")
    expect(page.get_by_label("Show in the public catalog")).to_be_checked()
    page.get_by_label("City", exact=True).fill("Tolyatti")
    page.get_by_label("Topics").fill("Walks, #Nature, walks")
    page.get_by_label("Show in the public catalog").uncheck()
    shot(page, "editor-catalog-fields-desktop")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Changes saved.")).to_be_visible()

    catalog = new_page(DESKTOP)
    catalog.goto(f"{seeded}/events?q=volga")
    expect(catalog.get_by_text("Events found: 22")).to_be_visible()  # unlisted now: reachable by link only
    expect(catalog.get_by_label("City").locator("option", has_text="Tolyatti")).to_have_count(0)

    page.goto(editor)
    expect(page.get_by_label("Topics")).to_have_value("walks, nature")  # normalized by the service
    expect(page.get_by_label("Show in the public catalog")).not_to_be_checked()
    page.get_by_label("Show in the public catalog").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Changes saved.")).to_be_visible()
    catalog.goto(f"{seeded}/events?city=Tolyatti&q=nature")
    expect(catalog.get_by_text("Events found: 1")).to_be_visible()
    expect(catalog.get_by_role("link", name="Kazan lecture 19")).to_be_visible()
