"""The time-zone picker in the real app: the current zones named in the visitor's language with their UTC
offsets, narrowed by typing a city; the chosen zone is saved as its IANA name. An organization's default
zone on a 1280 px desktop in English, an event's zone on a 390 px phone in Russian."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll, shot
from tests.browser.test_flows import sign_up

pytestmark = pytest.mark.browser


def test_organization_zone_found_by_typing_new_york_desktop(app_url, new_page):
    page = new_page(DESKTOP)
    sign_up(page, app_url, "Nora Newyork", "nora-tz@example.com")
    page.get_by_role("link", name="Create an organization").click()
    page.get_by_label("Organization name").fill("Hudson Meetups")
    zone = page.get_by_label("Default time zone")
    # The list holds current zones with their offsets and cities, not raw names or aliases.
    expect(zone.locator("option", has_text="Kolkata (India)")).to_have_count(1)
    expect(zone.locator("option[value='US/Eastern']")).to_have_count(0)
    expect(zone.locator("option[value='Asia/Calcutta']")).to_have_count(0)

    page.get_by_label("Find by city, country or UTC offset").fill("New York")
    expect(zone.locator("option")).to_have_count(1)
    expect(zone.locator("option")).to_have_text(re.compile(r"^UTC−0[45]:00 · New York \(United States\)$"))
    zone.select_option("America/New_York")
    shot(page, "tz-org-new-york-desktop")
    page.get_by_role("button", name="Create organization").click()
    expect(page.get_by_text("No events yet")).to_be_visible()

    page.goto(f"{app_url}/o/hudson-meetups/settings")
    saved = page.get_by_label("Default time zone")
    expect(saved).to_have_value("America/New_York")
    expect(saved.locator("option:checked")).to_have_text(re.compile("New York"))
    # Typing what matches nothing says so and keeps the whole list (and the choice).
    page.get_by_label("Find by city, country or UTC offset").fill("Atlantis")
    expect(page.get_by_role("status").filter(has_text="Nothing matches")).to_be_visible()
    expect(saved).to_have_value("America/New_York")
    shot(page, "tz-org-settings-desktop")


def test_event_zone_found_by_typing_moscow_in_russian_phone(app_url, new_page):
    page = new_page(PHONE, is_mobile=True, has_touch=True)
    sign_up(page, app_url, "Marina Moskva", "marina-tz@example.com")
    page.get_by_role("link", name="Create an organization").click()
    page.get_by_label("Organization name").fill("Phone Zones")
    page.get_by_role("button", name="Create organization").click()
    expect(page.get_by_text("No events yet")).to_be_visible()
    page.get_by_role("button", name="Русский").click()
    page.get_by_role("link", name="Новое событие").click()

    page.get_by_label("Название", exact=True).fill("Вечер в Москве")
    page.get_by_label("Место проведения (адрес)").fill("Москва, Покровка 3")
    page.get_by_label("Начало").fill("2031-05-20T19:00")
    page.get_by_label("Окончание").fill("2031-05-20T22:00")
    zone = page.get_by_label("Часовой пояс", exact=True)
    search = page.get_by_label("Поиск по городу, стране или смещению от UTC")
    search.fill("Москва")
    expect(zone.locator("option")).to_have_count(1)
    expect(zone.locator("option")).to_have_text("UTC+03:00 · Москва (Россия)")
    expect(zone).to_have_value("Europe/Moscow")
    assert no_horizontal_scroll(page)
    shot(page, "tz-event-moscow-phone")
    # Enter in the search field does not send the form.
    search.press("Enter")
    expect(page.get_by_role("button", name="Сохранить черновик")).to_be_visible()
    zone.select_option("Europe/Moscow")
    page.get_by_label("Название билета").fill("Вход")
    page.get_by_label("Количество").fill("5")
    page.get_by_role("button", name="Сохранить черновик").click()
    expect(page.get_by_text("вт, 20 мая 2031 г., 19:00 – 22:00 (Москва)")).to_be_visible()

    page.get_by_role("navigation", name="Разделы события").get_by_role("link", name="Настройки").click()
    saved = page.get_by_label("Часовой пояс", exact=True)
    expect(saved).to_have_value("Europe/Moscow")
    expect(saved.locator("option:checked")).to_have_text("UTC+03:00 · Москва (Россия)")
    assert no_horizontal_scroll(page)
    shot(page, "tz-event-edit-phone")
