"""The Analytics tab in the browser: tiles and charts from real registrations, updated live while the tab is
open (a registration made in another browser shows within 5 seconds), a refused range said next to its field,
each chart with its summary and table, the days as CSV; desktop (1280) and phone (390), English and Russian."""
import re
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll, shot
from tests.browser.test_flows import create_org_and_event, sign_up

pytestmark = pytest.mark.browser


def tile(page, label):
    return page.locator("#analytics-tiles").get_by_text(label, exact=True).locator("xpath=..")


def register(new_page, public_url, name, email):
    visitor = new_page(PHONE, is_mobile=True, has_touch=True)
    visitor.goto(public_url)
    visitor.get_by_label("Your name").fill(name)
    visitor.get_by_label("Email").fill(email)
    visitor.get_by_role("button", name="Register").click()
    expect(visitor.get_by_text("You are registered")).to_be_visible()
    visitor.close()


@pytest.mark.parametrize("viewport, label", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_the_tab_follows_registrations_live(app_url, app_data, new_page, viewport, label):
    page = new_page(DESKTOP)
    sign_up(page, app_url, "Ana Lytics", f"ana-{label}@example.com")
    create_org_and_event(page, app_url, f"Numbers Club {label}", quantity="20")
    page.get_by_role("button", name="Publish").click()
    public_url = page.locator("#public-link").inner_text()
    event_url = page.url
    register(new_page, public_url, "First Visitor", f"first-{label}@example.com")

    watcher = new_page(viewport, is_mobile=viewport == PHONE, has_touch=viewport == PHONE,
                       storage_state=page.context.storage_state())
    watcher.goto(event_url + "/analytics")
    expect(watcher).to_have_title("Rust & Python evening · Analytics · AqStream")
    expect(tile(watcher, "Tickets registered")).to_contain_text("1")
    expect(tile(watcher, "Places left")).to_contain_text("19")
    expect(watcher.get_by_text("1 ticket registered from", exact=False)).to_be_visible()
    expect(watcher.get_by_text("No one has checked in yet.")).to_be_visible()

    # Live: a registration made elsewhere shows in the tiles and in the chart's table without a reload.
    register(new_page, public_url, "Second Visitor", f"second-{label}@example.com")
    expect(tile(watcher, "Tickets registered")).to_contain_text("2", timeout=5000)
    expect(tile(watcher, "Places left")).to_contain_text("18", timeout=5000)
    # Someone arrives at the door (the check-in issue will do this from the scanner): the door's chart follows.
    with sqlite3.connect(f"{app_data}/aqstream.db") as db:
        db.execute("update ticket set checked_in_at = datetime('now') where attendee_name = 'First Visitor' and "
                   "order_id in (select id from ticket_order where buyer_email = ?)", (f"first-{label}@example.com",))
    expect(watcher.get_by_text("1 of 2 tickets checked in.")).to_be_visible(timeout=5000)
    expect(tile(watcher, "Checked in")).to_contain_text("50")
    watcher.get_by_text("Show as a table").first.click()
    expect(watcher.get_by_role("table").first.get_by_role("row").last).to_contain_text("2")
    assert no_horizontal_scroll(watcher)
    shot(watcher, f"analytics-{label}")

    # A reversed range is refused next to its field; nothing else changes.
    watcher.get_by_label("Period").select_option("custom")
    watcher.get_by_label("From (chosen dates)").fill("2031-05-10")
    watcher.get_by_label("To (chosen dates)").fill("2031-05-01")
    watcher.get_by_role("button", name="Show").click()
    expect(watcher.locator("#f-range_end-error")).not_to_be_empty()
    expect(tile(watcher, "Tickets registered")).to_contain_text("2")

    # Each chart's data as CSV, as served; the buttons are named by their chart.
    with watcher.expect_download() as download:
        watcher.get_by_role("button", name="Download as CSV: Registrations per day, by ticket type").click()
    text = open(download.value.path(), encoding="utf-8").read()
    assert text.startswith("day,orders,tickets,tickets: Entry") and text.strip().endswith(",2,2,2")
    with watcher.expect_download() as download:
        watcher.get_by_role("button", name="Download as CSV: Cancellations and net registrations per day").click()
    assert open(download.value.path(), encoding="utf-8").read().startswith("day,cancelled,net")
    with watcher.expect_download() as download:
        watcher.get_by_role("button", name="Download as CSV: Arrivals at the door, per 15 minutes").click()
    arrivals = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert arrivals[0] == "quarter hour from,arrived" and arrivals[1].endswith(",1")


def test_the_tab_in_russian(app_url, new_page):
    page = new_page(DESKTOP)
    sign_up(page, app_url, "Ru Lytics", "ru-lytics@example.com")
    create_org_and_event(page, app_url, "Numbers Club ru", quantity="20")
    page.get_by_role("button", name="Publish").click()
    event_url = page.url
    page.get_by_role("button", name="Русский").click()
    page.goto(event_url + "/analytics")
    expect(page).to_have_title("Rust & Python evening · Аналитика · AqStream")
    expect(page.get_by_role("heading", name="Регистрации по дням и типам билетов")).to_be_visible()
    expect(tile(page, "Зарегистрировано билетов")).to_contain_text("0")
    # Plotly speaks Russian: the months on the date axis are Russian words.
    ticks = page.locator(".js-plotly-plot .xtick text").first
    expect(ticks).to_have_text(re.compile(r"^\d{1,2} [а-я]+\.?$"))
    shot(page, "analytics-ru-desktop")
    phone = new_page(PHONE, is_mobile=True, has_touch=True, storage_state=page.context.storage_state())
    phone.goto(event_url + "/analytics")
    expect(phone.get_by_role("heading", name="Отмены и прирост по дням")).to_be_visible()
    assert no_horizontal_scroll(phone)
    shot(phone, "analytics-ru-phone")
