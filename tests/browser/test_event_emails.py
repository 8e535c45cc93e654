"""An organizer sets the event's emails on the event's Emails tab: when the reminder goes, their own words in the
confirmation, and an address told of each registration. A bad address is refused next to the field; the
settings stay; a visitor's registration then queues the confirmation with those words and the notice.
Desktop, and the tab at phone width."""
import sqlite3

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from tests.browser.conftest import DESKTOP, PHONE, axe_violations, no_horizontal_scroll, shot
from tests.browser.test_flows import create_org_and_event, sign_up

pytestmark = pytest.mark.browser


def test_organizer_sets_the_event_emails_and_a_registration_uses_them(app_url, app_data, new_page):
    page = new_page(DESKTOP)
    sign_up(page, app_url, "Erik Emails", "erik@example.com")
    create_org_and_event(page, app_url, "Email Evenings", quantity="20")
    event_url = page.url

    page.get_by_role("navigation", name="Event sections").get_by_role("link", name="Emails").click()
    expect(page.get_by_role("heading", name="Emails")).to_be_visible()
    expect(page.get_by_label("Reminder email")).to_have_value("24")  # a day before, unless changed
    page.get_by_label("Reminder email").select_option(label="3 hours before the start")
    page.get_by_label("Your words in the confirmation email").fill("Enter from the courtyard.\nBring a laptop.")
    page.get_by_label("Your words in the reminder").fill("Doors open at 18:30.")
    page.get_by_label("Email each new registration to").fill("boss@example.com, desk@")
    page.get_by_role("button", name="Save email settings").click()
    expect(page.locator("#f-notify_email-error")).to_have_text(
        "Enter valid email addresses separated by commas, like name@example.com, desk@example.com.")
    expect(page.get_by_label("Email each new registration to")).to_have_attribute("aria-invalid", "true")
    # What was typed is still there.
    expect(page.get_by_label("Your words in the confirmation email")).to_have_value(
        "Enter from the courtyard.\nBring a laptop.")
    shot(page, "event-emails-error-desktop")
    page.get_by_label("Email each new registration to").fill("desk@example.com, Boss@Example.com")
    page.get_by_role("button", name="Save email settings").click()
    expect(page.get_by_text("Email settings saved.")).to_be_visible()
    with sqlite3.connect(f"{app_data}/aqstream.db") as db:
        saved = db.execute("select reminder_hours, confirmation_text, reminder_text, notify_email from event "
                           "where title = 'Rust & Python evening' and organization_id = "
                           "(select id from organization where name = 'Email Evenings')").fetchone()
    assert saved == (3, "Enter from the courtyard.\nBring a laptop.", "Doors open at 18:30.",
                     "desk@example.com, boss@example.com")

    # Opened again, the tab shows what was saved.
    page.goto(event_url + "/emails")
    expect(page.get_by_label("Reminder email")).to_have_value("3")
    expect(page.get_by_label("Your words in the reminder")).to_have_value("Doors open at 18:30.")
    # (a browser shows a list of addresses in an email field without the spaces)
    expect(page.get_by_label("Email each new registration to")).to_have_value("desk@example.com,boss@example.com")
    assert axe_violations(page) == []
    shot(page, "event-emails-desktop")

    # A visitor registers: the organizer's notice and the confirmation with the organizer's words are queued.
    page.goto(event_url)
    page.get_by_role("button", name="Publish").click()
    public_url = page.locator("#public-link").inner_text()
    visitor = new_page(PHONE, is_mobile=True, has_touch=True)
    visitor.goto(public_url)
    visitor.get_by_label("Your name").fill("Vera Visitor")
    visitor.get_by_label("Email").fill("vera.emails@example.com")
    visitor.get_by_role("button", name="Register").click()
    expect(visitor.get_by_text("You are registered")).to_be_visible()

    from aqstream.db import make_engine
    from aqstream.models import OutboxMessage
    from aqstream.services.notify import email_render

    engine = make_engine(f"sqlite:///{app_data}/aqstream.db")
    try:
        with Session(engine) as session:
            rows = session.exec(select(OutboxMessage).where(OutboxMessage.recipient.in_(
                ["vera.emails@example.com", "desk@example.com", "boss@example.com"])).order_by(OutboxMessage.id)).all()
            # The confirmation, and a notice to each of the organizer's two addresses.
            assert sorted((m.kind, m.recipient) for m in rows) == [
                ("email.registration_confirmation", "vera.emails@example.com"),
                ("email.registration_notice", "boss@example.com"), ("email.registration_notice", "desk@example.com")]
            queued = {m.kind: m for m in rows}
            confirmation = email_render.render(session, queued["email.registration_confirmation"])
            notice = email_render.render(session, queued["email.registration_notice"])
    finally:
        engine.dispose()
    text = confirmation.get_body(("plain",)).get_content()
    assert "A message from Email Evenings\nEnter from the courtyard.\nBring a laptop." in text
    assert "Vera Visitor <vera.emails@example.com>" in notice.get_body(("plain",)).get_content()

    # The Emails tab on a phone.
    phone = new_page(PHONE, is_mobile=True, has_touch=True, storage_state=page.context.storage_state())
    phone.goto(event_url + "/emails")
    expect(phone.get_by_label("Reminder email")).to_have_value("3")
    phone.get_by_label("Reminder email").scroll_into_view_if_needed()
    assert no_horizontal_scroll(phone)
    shot(phone, "event-emails-phone")
