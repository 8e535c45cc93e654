"""A forgotten password in the real app: from the sign-in page to the emailed link (read from the app's
outbox), a mismatch shown next to the field, the new password signs the person in and ends the session
on their other device, the old password stops working, and the link works only once. Desktop and phone."""
import json
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, axe_violations, no_horizontal_scroll, shot
from tests.browser.test_flows import PASSWORD, sign_up

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a-fresh-start-for-rosa-9"
SENT = "If an account with this address exists, we have sent it a link to choose a new password. The link works for 1 hour."



def reset_path(app_data, email) -> str:
    with sqlite3.connect(app_data / "aqstream.db") as db:
        rows = db.execute("select payload from outbox_message where kind='email.password_reset' and recipient=?",
                          (email,)).fetchall()
    assert len(rows) == 1, rows
    return json.loads(rows[0][0])["reset_path"]


@pytest.mark.parametrize("viewport, label", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_forgotten_password_is_replaced_by_the_emailed_link(app_url, app_data, new_page, viewport, label):
    email = f"rosa-{label}@example.com"
    other_device = new_page(DESKTOP)
    sign_up(other_device, app_url, "Rosa Reset", email)

    phone_like = viewport == PHONE
    page = new_page(viewport, is_mobile=phone_like, has_touch=phone_like)
    page.goto(f"{app_url}/signin")
    expect(page.get_by_role("link", name="Forgot your password?")).to_be_visible()
    shot(page, f"signin-forgot-link-{label}")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    assert axe_violations(page) == []

    # A malformed address is refused next to the field; an unknown one gets the same answer as a real one.
    page.get_by_label("Email").fill("rosa-at-example")
    page.get_by_role("button", name="Send the link").click()
    expect(page.locator("#f-email-error")).to_have_text("Enter a valid email address, like name@example.com.")
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Email").fill(f"nobody-{label}@example.com")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("status")).to_have_text(SENT)
    page.get_by_role("button", name="Ask again").click()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("status")).to_have_text(SENT)
    assert no_horizontal_scroll(page)
    shot(page, f"forgot-sent-{label}")

    link = app_url + reset_path(app_data, email)
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    expect(page.get_by_text(f"For the account {email}.")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD + "x")
    page.get_by_role("button", name="Save the new password").click()
    repeat_error = page.locator("#f-password_repeat-error")
    expect(repeat_error).to_have_text("The two passwords are not the same.")
    expect(page.get_by_label("Repeat the new password")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("New password", exact=True)).to_have_attribute("aria-invalid", "false")
    assert no_horizontal_scroll(page)
    shot(page, f"reset-mismatch-{label}")
    page.get_by_label("New password", exact=True).fill("qwerty123")
    page.get_by_label("Repeat the new password").fill("qwerty123")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.locator("#f-password-error")).to_contain_text("among the most common")
    expect(repeat_error).to_have_text("")

    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("heading", name="Your organizations")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Your password has been changed.")
    assert no_horizontal_scroll(page)
    shot(page, f"reset-signed-in-{label}")

    # The other device was signed out by the change.
    other_device.reload()
    expect(other_device.get_by_role("link", name="I already have an account")).to_be_visible()

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("link", name="I already have an account")).to_be_visible()
    page.goto(f"{app_url}/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#f-password-error")).to_have_text("The email or password is wrong.")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your organizations")).to_be_visible()
    expect(page.get_by_text("Your password has been changed.")).to_have_count(0)

    page.goto(link)
    # The tab's state still holds the first visit's answer; the page waits for this visit's own link check.
    expect(page.get_by_role("alert").filter(has_text="This password reset link has already been used")).to_be_visible(
        timeout=20_000)
    expect(page.get_by_label("New password", exact=True)).to_have_count(0)
    assert no_horizontal_scroll(page)
    assert axe_violations(page) == []
    shot(page, f"reset-used-{label}")
    page.get_by_role("link", name="Ask for a new link").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    expect(page.get_by_label("Email")).to_be_visible()

    # In Russian, the same answer with the hour in its grammatical form.
    page.get_by_role("button", name="Русский").click()
    expect(page.get_by_role("heading", name="Восстановление пароля")).to_be_visible()
    page.get_by_label("Электронная почта").fill(f"nobody-{label}@example.com")
    page.get_by_role("button", name="Прислать ссылку").click()
    expect(page.get_by_role("status")).to_contain_text("Ссылка действует 1 час.")
    assert no_horizontal_scroll(page)
    shot(page, f"forgot-sent-ru-{label}")
