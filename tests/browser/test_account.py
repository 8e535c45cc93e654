"""The attendee's own pages in the real app: a signed-in registration shows under Upcoming in My tickets;
the order page corrects a name in place and offers the event for a calendar; the profile switches the
language; the account is deleted, after which it cannot sign in. At desktop and phone width."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll, shot
from tests.browser.test_flows import PASSWORD, create_org_and_event, sign_up

pytestmark = pytest.mark.browser


def tap_targets_ok(page, selector: str) -> bool:
    heights = page.locator(selector).evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
    return bool(heights) and min(heights) >= 44


@pytest.mark.parametrize("viewport, label", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_attendee_manages_orders_profile_and_deletes_the_account(app_url, new_page, viewport, label):
    organizer = new_page(DESKTOP)
    sign_up(organizer, app_url, "Oscar Organizer", f"oscar-{label}@example.com")
    create_org_and_event(organizer, app_url, f"Account Club {label}", quantity="5")
    organizer.get_by_role("button", name="Publish").click()
    public_url = organizer.locator("#public-link").inner_text()

    phone_like = viewport == PHONE
    page = new_page(viewport, is_mobile=phone_like, has_touch=phone_like)
    email = f"anna-{label}@example.com"
    sign_up(page, app_url, "Anna Attendee", email)
    page.goto(public_url)
    page.get_by_label("Your name").fill("Anna Attendee")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("You are registered")).to_be_visible()
    order_url = page.url
    expect(page.get_by_text("manage your registration at any time, no account needed")).to_be_visible()

    # Correct the name on the ticket, in place; an empty name is refused next to the field.
    page.get_by_role("button", name="Edit name").click()
    name_field = page.get_by_label("Name on the ticket")
    expect(name_field).to_have_value("Anna Attendee")
    name_field.fill("   ")
    page.get_by_role("button", name="Save name").click()
    expect(page.locator("#f-attendee_name-error")).to_have_text("This field is required.")
    assert name_field.get_attribute("aria-describedby") == "f-attendee_name-error"
    shot(page, f"order-edit-name-error-{label}")
    name_field.fill("Anna Karenina")
    page.get_by_role("button", name="Save name").click()
    expect(page.locator(".ticket-name")).to_have_text("Anna Karenina")
    expect(page.get_by_label("Name on the ticket")).to_have_count(0)
    page.reload()
    expect(page.locator(".ticket-name")).to_have_text("Anna Karenina")
    page.get_by_role("button", name="Edit name").click()
    page.get_by_role("button", name="Cancel editing").click()
    expect(page.get_by_label("Name on the ticket")).to_have_count(0)

    # Add to calendar: the .ics in the event's zone, and a Google Calendar link.
    calendar = page.get_by_role("group", name="Add to calendar")
    with page.expect_download() as download:
        calendar.get_by_role("link", name="Download .ics file").click()
    ics = open(download.value.path(), encoding="utf-8").read()
    assert "SUMMARY:Rust & Python evening" in ics
    assert "DTSTART;TZID=Europe/Moscow:20310520T190000" in ics and "DTEND;TZID=Europe/Moscow:20310520T220000" in ics
    assert "LOCATION:Moscow\\, Pokrovka 3" in ics and public_url in ics.replace("\r\n ", "")
    google = calendar.get_by_role("link", name="Add to Google Calendar").get_attribute("href")
    assert google.startswith("https://calendar.google.com/calendar/render?action=TEMPLATE&text=Rust%20%26%20Python")
    assert "dates=20310520T160000Z%2F20310520T190000Z" in google
    assert no_horizontal_scroll(page)
    assert tap_targets_ok(page, "main button, main a[download], main a[target=_blank]")
    shot(page, f"order-page-{label}")

    # My tickets: the registration is under Upcoming and leads to the order page.
    page.get_by_role("link", name="My tickets").first.click()
    upcoming = page.get_by_role("region", name="Upcoming")
    row = upcoming.locator(".rt-Card", has_text="Rust & Python evening")
    expect(row).to_contain_text("Confirmed")
    expect(row.get_by_role("button", name="Cancel registration")).to_be_visible()
    expect(page.get_by_role("region", name="Past")).to_have_count(0)
    assert no_horizontal_scroll(page)
    shot(page, f"my-tickets-{label}")
    row.get_by_role("link", name="Rust & Python evening").click()
    expect(page).to_have_url(order_url)
    expect(page.locator(".ticket-name")).to_have_text("Anna Karenina")

    # Profile: Russian from the profile changes the page at once, and stays.
    page.get_by_role("link", name="My tickets").first.click()
    page.get_by_role("link", name="Profile").click()
    expect(page.get_by_role("heading", name="Profile", exact=True)).to_be_visible()
    page.get_by_label("Your name").fill("")
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator("#f-name-error")).to_have_text("This field is required.")
    page.get_by_label("Your name").fill("Анна Каренина")
    page.get_by_label("Language", exact=True).select_option("ru")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("heading", name="Профиль", exact=True)).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Сохранено.")
    assert no_horizontal_scroll(page)
    shot(page, f"profile-ru-{label}")
    page.reload()
    expect(page.get_by_role("heading", name="Профиль", exact=True)).to_be_visible()
    expect(page.get_by_label("Язык", exact=True)).to_have_value("ru")
    expect(page.get_by_label("Ваше имя")).to_have_value("Анна Каренина")
    page.get_by_label("Язык", exact=True).select_option("en")
    page.get_by_role("button", name="Сохранить профиль").click()
    expect(page.get_by_role("heading", name="Profile", exact=True)).to_be_visible()

    # Delete the account: the box must be ticked and the password right.
    page.get_by_label("Your current password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator("#f-confirm-error")).to_have_text("Tick the box to confirm.")
    page.get_by_label("I understand that this cannot be undone").check()
    page.get_by_label("Your current password").fill("not-my-password-9")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator("#f-password-error")).to_have_text("The password is wrong.")
    assert no_horizontal_scroll(page)
    assert tap_targets_ok(page, "main button, main label:has(input[type=checkbox])")
    shot(page, f"profile-delete-error-{label}")
    page.get_by_label("Your current password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    # The sign-out ends in a full load of the home page: wait for that document, not the profile page
    # whose header already says "Sign in" (a screenshot taken mid-navigation can hang).
    expect(page).to_have_url(f"{app_url}/")
    page.wait_for_load_state("load")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    shot(page, f"after-delete-{label}")
    page.goto(f"{app_url}/account/tickets")  # whatever this browser still holds signs nobody in
    expect(page).to_have_url(re.compile(r"/signin\?next=/account/tickets"))

    # The place went back on sale, and the account cannot sign in any more.
    organizer.reload()
    expect(organizer.get_by_text("0 / 5")).to_be_visible()
    # Her name and address are gone from the organizer's list; the row says why instead of being blank.
    organizer.get_by_role("navigation", name="Event sections").get_by_role("link", name="Attendees").click()
    organizer.get_by_role("rowheader", name="Deleted account").get_by_role("link").click()
    expect(organizer.get_by_role("heading", name="Deleted account", level=1)).to_be_visible()
    expect(organizer.get_by_text("Anna Attendee")).to_have_count(0)
    expect(organizer.get_by_text(email)).to_have_count(0)
    shot(organizer, f"deleted-attendee-{label}")
    page.goto(f"{app_url}/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#f-password-error")).to_have_text("The email or password is wrong.")
    page.goto(order_url)
    expect(page.get_by_text("This registration is cancelled.")).to_be_visible()
