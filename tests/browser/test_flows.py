"""The foundation's user journey in the real app and Chromium: sign up, create an organization, create
and publish an event; a visitor on a 390 px phone registers; the organizer sees the attendee; the last
place sells out with a clear message; the language choice sticks; sign-out ends the session."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll, shot

pytestmark = pytest.mark.browser

PASSWORD = "tickets-never-oversold-42"


def sign_up(page, app_url, name, email):
    """Sign up through the form; lands on the home page signed in."""
    page.goto(f"{app_url}/signup")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Your organizations")).to_be_visible()


def create_org_and_event(page, app_url, org_name, quantity="2"):
    page.get_by_role("link", name="Create an organization").click()
    page.get_by_label("Organization name").fill(org_name)
    page.get_by_label("Default time zone").select_option("Europe/Moscow")
    page.get_by_role("button", name="Create organization").click()
    expect(page.get_by_text("No events yet")).to_be_visible()
    page.get_by_role("link", name="New event").click()
    page.get_by_label("Title").fill("Rust & Python evening")
    page.get_by_label("Venue (address)").fill("Moscow, Pokrovka 3")
    page.get_by_label("Starts").fill("2031-05-20T19:00")
    page.get_by_label("Ends").fill("2031-05-20T22:00")
    page.get_by_label("Time zone").select_option("Europe/Moscow")
    page.get_by_label("Ticket name").fill("Entry")
    page.get_by_label("Quantity").fill(quantity)
    # A screen reader names the row's remove button with its number, not a "{n}" placeholder.
    expect(page.get_by_role("button", name="Remove ticket type 1", exact=True)).to_be_visible()
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("button", name="Publish")).to_be_visible()


def test_organizer_publishes_and_a_phone_visitor_registers(app_url, new_page):
    org_page = new_page(DESKTOP)
    shot_page = org_page
    sign_up(org_page, app_url, "Olga Organizer", "olga@example.com")
    shot(org_page, "home-signed-in-desktop")

    # Form errors are shown next to the field, and nothing is created.
    org_page.get_by_role("link", name="Create an organization").click()
    org_page.get_by_role("button", name="Create organization").click()
    expect(org_page.locator("#f-name-error")).to_have_text("This field is required.")
    org_page.goto(f"{app_url}/")

    create_org_and_event(org_page, app_url, "Moscow Devs")
    expect(org_page.get_by_text("Draft", exact=True)).to_be_visible()
    expect(org_page.get_by_text("Tue, May 20, 2031, 7:00\u202fPM – 10:00\u202fPM (Moscow Time)")).to_be_visible()
    shot(org_page, "event-draft-desktop")
    org_page.get_by_role("button", name="Publish").click()
    link = org_page.locator("#public-link")
    expect(link).to_be_visible()
    public_url = link.inner_text()
    assert re.fullmatch(rf"{app_url}/e/moscow-devs/rust-python-evening", public_url), public_url
    shot(org_page, "event-published-desktop")

    # A visitor with no account, on a phone.
    phone = new_page(PHONE, is_mobile=True, has_touch=True)
    phone.goto(public_url)
    expect(phone.get_by_role("heading", name="Rust & Python evening", level=1)).to_be_visible()
    expect(phone.get_by_text("Free · 2 left")).to_be_visible()
    assert no_horizontal_scroll(phone)
    shot(phone, "public-event-phone")
    phone.get_by_label("Your name").fill("Pavel Phone")
    phone.get_by_label("Email").fill("not-an-email")
    phone.get_by_role("button", name="Register").click()
    expect(phone.locator("#f-email-error")).to_have_text("Enter a valid email address, like name@example.com.")
    shot(phone, "public-event-error-phone")
    phone.get_by_label("Email").fill("pavel@example.com")
    phone.get_by_role("button", name="Register").click()
    expect(phone.get_by_text("You are registered")).to_be_visible()
    code = phone.locator(".ticket-code").first.inner_text()
    assert len(code) >= 22
    expect(phone.get_by_text("A confirmation is on its way to pavel@example.com")).to_be_visible()
    assert no_horizontal_scroll(phone)
    shot(phone, "confirmation-phone")

    # The organizer sees the attendee.
    org_page.reload()
    expect(org_page.get_by_text("1 / 2")).to_be_visible()
    event_url = org_page.url
    org_page.goto(event_url + "/attendees")
    table = org_page.get_by_role("table", name="Attendees")
    expect(table.get_by_role("rowheader", name="Pavel Phone")).to_be_visible()
    expect(table.get_by_text(code)).to_be_visible()
    shot(org_page, "attendees-desktop")

    # The last place goes to a second visitor; a third is told it is sold out, and no ticket is made.
    second = new_page(PHONE, is_mobile=True, has_touch=True)
    third = new_page(PHONE, is_mobile=True, has_touch=True)
    second.goto(public_url)
    third.goto(public_url)
    for page, name in ((second, "Second"), (third, "Third")):
        page.get_by_label("Your name").fill(name)
        page.get_by_label("Email").fill(f"{name.lower()}@example.com")
    second.get_by_role("button", name="Register").click()
    expect(second.get_by_text("You are registered")).to_be_visible()
    third.get_by_role("button", name="Register").click()
    expect(third.locator("#f-tickets-error")).to_have_text("Sorry, there are not enough tickets left.")
    expect(third.get_by_text("Free · Sold out")).to_be_visible()
    expect(third.get_by_label('Number of “Entry” tickets')).to_be_disabled()
    shot(third, "sold-out-phone")
    org_page.goto(event_url)
    expect(org_page.get_by_text("2 / 2")).to_be_visible()
    org_page.goto(event_url + "/attendees")
    expect(org_page.get_by_role("table", name="Attendees").get_by_role("rowheader")).to_have_count(2)
    del shot_page


def test_language_choice_is_remembered_and_formats_dates(app_url, new_page):
    page = new_page(DESKTOP)
    sign_up(page, app_url, "Ruslan", "ruslan@example.com")
    create_org_and_event(page, app_url, "Piter Meetups", quantity="5")
    page.get_by_role("button", name="Publish").click()
    public_url = page.locator("#public-link").inner_text()
    visitor = new_page(PHONE, is_mobile=True)
    visitor.goto(public_url)
    visitor.get_by_role("button", name="Русский").click()
    expect(visitor.get_by_role("heading", name="Регистрация")).to_be_visible()
    # The header's sign-up link is not the same word as the event's registration heading.
    expect(visitor.get_by_role("link", name="Создать аккаунт")).to_be_visible()
    expect(visitor.get_by_role("link", name="Регистрация")).to_have_count(0)
    expect(visitor.get_by_text("вт, 20 мая 2031\u202fг., 19:00 – 22:00 (Москва)")).to_be_visible()
    visitor.reload()
    expect(visitor.get_by_role("button", name="Зарегистрироваться")).to_be_visible()
    expect(visitor.get_by_text("Бесплатно · Осталось: 5")).to_be_visible()
    shot(visitor, "public-event-ru-phone")
    visitor.get_by_label("Ваше имя").fill("Вера")
    visitor.get_by_label("Электронная почта").fill("vera@example.com")
    visitor.get_by_role("button", name="Зарегистрироваться").click()
    expect(visitor.get_by_text("Вы зарегистрированы")).to_be_visible()
    shot(visitor, "confirmation-ru-phone")


def test_sign_out_ends_the_session_and_sign_in_is_checked(app_url, new_page):
    page = new_page(DESKTOP)
    sign_up(page, app_url, "Sam Session", "sam@example.com")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["aq_session"]["httpOnly"] and cookies["aq_session"]["sameSite"] == "Lax"
    assert page.evaluate("document.cookie").find("aq_session") == -1  # page scripts cannot read it
    stolen = cookies["aq_session"]["value"]
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert "aq_session" not in {c["name"] for c in page.context.cookies()}

    # The old token is dead on the server, not only forgotten by this browser.
    thief = new_page(DESKTOP)
    thief.context.add_cookies([{"name": "aq_session", "value": stolen, "url": app_url}])
    thief.goto(f"{app_url}/orgs/new")
    expect(thief).to_have_url(re.compile(r"/signin\?next=/orgs/new"))

    page.goto(f"{app_url}/signin")
    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_label("Password").fill("wrong-password-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#f-password-error")).to_have_text("The email or password is wrong.")
    shot(page, "signin-error-desktop")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your organizations")).to_be_visible()


@pytest.mark.parametrize("viewport, label", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_every_page_fits_the_screen(app_url, new_page, viewport, label):
    """Each page at desktop and phone width: no horizontal scrolling, screenshots for a person to check."""
    page = new_page(viewport)
    for path, name in [("/", "home"), ("/signup", "signup"), ("/signin", "signin"), ("/e/none/none", "not-found")]:
        page.goto(app_url + path)
        page.wait_for_load_state("networkidle")
        assert no_horizontal_scroll(page), path
        shot(page, f"{name}-{label}")
    sign_up(page, app_url, f"Wide {label}", f"wide-{label}@example.com")
    create_org_and_event(page, app_url, f"Width {label}", quantity="3")
    assert no_horizontal_scroll(page)
    shot(page, f"event-manage-{label}")
    page.get_by_role("link", name="Back to events").click()
    expect(page.get_by_text("Rust & Python evening")).to_be_visible()
    assert no_horizontal_scroll(page)
    shot(page, f"dashboard-{label}")
    page.get_by_role("link", name="New event").click()
    page.get_by_role("button", name="Add ticket type").click()
    expect(page.get_by_label("Ticket name")).to_have_count(2)
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#f-title-error")).to_have_text("This field is required.")
    assert no_horizontal_scroll(page)
    shot(page, f"event-form-errors-{label}")


def test_sign_out_everywhere_ends_the_other_browsers_sessions(app_url, new_page):
    laptop = new_page(DESKTOP)
    sign_up(laptop, app_url, "Eve Everywhere", "eve@example.com")
    phone = new_page(PHONE)
    phone.goto(f"{app_url}/signin")
    phone.get_by_label("Email").fill("eve@example.com")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("heading", name="Your organizations")).to_be_visible()
    laptop.get_by_role("button", name="Sign out everywhere").click()
    expect(laptop.get_by_role("link", name="Sign up")).to_be_visible()
    phone.goto(f"{app_url}/orgs/new")
    expect(phone).to_have_url(re.compile(r"/signin\?next=/orgs/new"))
