"""The organization's analytics page in the browser: reached from the dashboard, tiles and the weekly chart from
real registrations, a row per event linking to its Analytics tab, the period kept in the address, the events and
the weeks as CSV as served; a desktop table and phone cards; Russian text and Plotly's Russian months."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll, shot
from tests.browser.test_analytics_tab import register
from tests.browser.test_flows import create_org_and_event, sign_up

pytestmark = pytest.mark.browser


def tile(page, label):
    return page.locator("#org-analytics-tiles").get_by_text(label, exact=True).locator("xpath=..")


def test_the_organization_view(app_url, new_page):
    page = new_page(DESKTOP)
    sign_up(page, app_url, "Olive Overview", "olive-overview@example.com")
    create_org_and_event(page, app_url, "Weekly Numbers", quantity="20")
    page.get_by_role("button", name="Publish").click()
    public_url = page.locator("#public-link").inner_text()
    org_path = re.match(r".*(/o/[^/]+)/events/\d+", page.url).group(1)
    register(new_page, public_url, "Wendy Week", "wendy-week@example.com")

    page.goto(app_url + org_path)
    page.get_by_role("navigation", name="Organization pages").get_by_role("link", name="Analytics").click()
    expect(page).to_have_title("Analytics · AqStream")
    expect(tile(page, "Tickets holding a place")).to_contain_text("1")
    expect(tile(page, "Registered in these weeks")).to_contain_text("1")
    expect(tile(page, "Upcoming events")).to_contain_text("1")
    expect(page.get_by_text("1 ticket registered in the last 12 weeks across all events", exact=False)).to_be_visible()
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_attached()
    events = page.get_by_role("table").filter(has_text="Registered / capacity").last
    row = events.get_by_role("row").filter(has_text="Rust & Python evening")
    expect(row).to_contain_text("1 / 20")
    expect(row).to_contain_text("5%")
    shot(page, "org-analytics-desktop")

    # The period is kept in the address; the events as CSV, as served.
    page.get_by_label("Period").select_option("4")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/analytics\?weeks=4$"))
    page.get_by_text("Show as a table").click()
    expect(page.get_by_role("table").first.get_by_role("row")).to_have_count(5)  # header and 4 weeks
    with page.expect_download() as download:
        page.get_by_role("button", name="Download as CSV: the events").click()
    lines = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert lines[0].startswith("event,starts,status,registered,capacity,fill")
    assert lines[1].startswith("Rust & Python evening,") and ",published,1,20,0.05," in lines[1]
    with page.expect_download() as download:
        page.get_by_role("button", name="Download as CSV: Tickets registered per week, all events").click()
    weeks = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert weeks[0] == "week from,registered,cancelled" and len(weeks) == 5 and weeks[-1].endswith(",1,0")

    # The event's row opens its own Analytics tab.
    page.get_by_role("link", name="Rust & Python evening").last.click()
    expect(page).to_have_title("Rust & Python evening · Analytics · AqStream")

    # A phone: cards instead of the table, nothing wider than the screen.
    phone = new_page(PHONE, is_mobile=True, has_touch=True, storage_state=page.context.storage_state())
    phone.goto(f"{app_url}{org_path}/analytics")
    expect(tile(phone, "Tickets holding a place")).to_contain_text("1")
    card = phone.locator(".rt-Card").filter(has_text="Rust & Python evening").last
    expect(card).to_contain_text("1 / 20")
    assert no_horizontal_scroll(phone)
    shot(phone, "org-analytics-phone")

    # Russian: the texts and Plotly's months.
    phone.get_by_role("button", name="Русский").click()
    expect(phone.get_by_role("heading", name="Регистрации по неделям, все события")).to_be_visible()
    expect(tile(phone, "Билетов с местом")).to_contain_text("1")
    expect(phone.locator(".js-plotly-plot .xtick text").first).to_have_text(re.compile(r"^\d{1,2} [а-я]+\.?$"))
    assert no_horizontal_scroll(phone)
    shot(phone, "org-analytics-ru-phone")


def test_a_bad_period_in_the_address_is_said_next_to_the_field(app_url, new_page):
    page = new_page(DESKTOP)
    sign_up(page, app_url, "Bad Weeks", "bad-weeks@example.com")
    create_org_and_event(page, app_url, "Odd Periods")
    org_path = re.match(r".*(/o/[^/]+)/events/\d+", page.url).group(1)
    page.goto(f"{app_url}{org_path}/analytics?weeks=9999")
    expect(page.locator("#f-weeks-error")).to_have_text("Choose between 1 and 104 weeks.")
    expect(page.get_by_label("Period")).to_have_attribute("aria-invalid", "true")
