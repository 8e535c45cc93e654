"""Visitor counting on the real event page: a visitor arriving by a tagged link is counted once however often
the page loads, then at the form, the submission and the confirmation, all credited to that link; a headless
browser (a bot) is not counted (services/reports/traffic.py)."""
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from aqstream.db import make_engine, session_scope
from aqstream.services.accounts import accounts
from aqstream.services.events import events
from aqstream.services.org import organizations
from aqstream.services.org.permissions import Principal
from tests.browser.conftest import DESKTOP, PHONE, shot

pytestmark = pytest.mark.browser

BROWSER_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0.0.0 Safari/537.36")


@pytest.fixture(scope="module")
def traffic_event(app_url, app_data):
    mp = pytest.MonkeyPatch()
    mp.setenv("AQSTREAM_DATA_DIR", str(app_data))
    engine = make_engine(f"sqlite:///{app_data / 'aqstream.db'}")
    try:
        with session_scope(engine) as session:
            owner = accounts.sign_up(session, name="Traffic Owner", email="traffic-owner@example.com",
                                     password="a-good-long-passphrase")
            me = Principal(owner.id)
            org = organizations.create_organization(session, me, name="Counting Club", slug="counting-club")
            event = events.create_event(session, me, org.id, events.EventInput(
                title="Counted evening", starts_local="2031-07-10T20:00", ends_local="2031-07-10T23:00",
                time_zone="Europe/Berlin", venue="Hall", ticket_types=[events.TicketTypeInput("Entry", 50)]))
            events.publish_event(session, me, org.id, event.id)
            yield {"url": f"{app_url}/e/counting-club/{event.slug}", "id": event.id}
    finally:
        engine.dispose()
        mp.undo()


def counts(app_data, event_id):
    engine = create_engine(f"sqlite:///{app_data / 'aqstream.db'}")
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(
                "SELECT source, utm_source, utm_medium, visitors, form_started, submitted, confirmed "
                "FROM event_traffic WHERE event_id = :e ORDER BY source, utm_source"), {"e": event_id})]
    finally:
        engine.dispose()


def wait_for(condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.2)
    return condition()


def test_a_visitor_is_counted_through_the_funnel_and_a_bot_is_not(traffic_event, app_url, app_data, new_page):
    url, event_id = traffic_event["url"], traffic_event["id"]
    bot = new_page(DESKTOP, locale="en-US")  # Chromium headless says "HeadlessChrome": a bot
    bot.goto(url + "?utm_source=bot-link")
    expect(bot.get_by_role("heading", name="Counted evening", level=1)).to_be_visible()

    page = new_page(PHONE, locale="en-US", is_mobile=True, user_agent=BROWSER_UA)
    page.goto(url + "?utm_source=Newsletter&utm_medium=email", referer="https://www.news.example/post/1")
    expect(page.get_by_role("heading", name="Counted evening", level=1)).to_be_visible()
    assert wait_for(lambda: counts(app_data, event_id) == [("news.example", "newsletter", "email", 1, 0, 0, 0)]), \
        counts(app_data, event_id)
    page.reload()  # the same visitor again today: not a second visitor
    expect(page.get_by_role("heading", name="Counted evening", level=1)).to_be_visible()
    page.get_by_label("Your name").click()
    assert wait_for(lambda: counts(app_data, event_id)[0][4] == 1), counts(app_data, event_id)
    page.get_by_label("Your name").fill("Vera Visitor")
    page.get_by_label("Email").fill("vera@example.com")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("You are registered")).to_be_visible()
    shot(page, "traffic-registered-phone")
    assert wait_for(lambda: counts(app_data, event_id) == [("news.example", "newsletter", "email", 1, 1, 1, 1)]), \
        counts(app_data, event_id)

    # The organizer's Analytics tab: the funnel as a chart with its summary, the source with its conversion.
    owner = new_page(DESKTOP, locale="en-US")
    owner.goto(f"{app_url}/signin?next=/o/counting-club/events/{event_id}/analytics")
    owner.get_by_label("Email").fill("traffic-owner@example.com")
    owner.get_by_label("Password").fill("a-good-long-passphrase")
    owner.get_by_role("button", name="Sign in").click()
    expect(owner.get_by_text("1 visitor in the period, 1 of them registered (100%).")).to_be_visible()
    funnel = owner.get_by_role("heading", name="From visit to registration").locator("xpath=..")
    expect(funnel.locator(".js-plotly-plot .main-svg").first).to_be_attached()
    expect(funnel.get_by_role("row").filter(has_text="Sent the form")).to_contain_text("100%")
    sources = owner.get_by_role("heading", name="Where visitors came from").locator("xpath=..")
    expect(sources.get_by_role("row").filter(has_text="newsletter / email")).to_contain_text("100%")
    shot(owner, "analytics-funnel-desktop")
