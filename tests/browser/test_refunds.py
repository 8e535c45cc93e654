"""Payments on the organizer's attendee page, in the served production build: an owner opens a paid attendee
(a bank-transfer order made and marked paid through the services), refunds part of it after two refused amounts
(answered next to the field), sees the refund listed and the order partly refunded, in English and Russian at
1280 px; on a phone (390 px) marks a pending bank order paid and cancels and refunds one ticket. The attendee
list shows each order's total and payment status, and the Analytics tab the money per currency."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from aqstream.db import make_engine, session_scope
from aqstream.services.accounts import accounts
from aqstream.services.events import events
from aqstream.services.org import organizations
from aqstream.services.org.permissions import Principal
from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll, shot
from tests.services.paid_orders import bank_event, bank_order, paid_order

pytestmark = pytest.mark.browser

PASSWORD = "a-good-long-passphrase"


class _Make:
    """The service tests' factory's `event`, enough for bank_event."""

    def __init__(self, session):
        self.session = session

    def event(self, owner, org, *, quantities=(10,)):
        me = Principal(owner.id)
        event = events.create_event(self.session, me, org.id, events.EventInput(
            title="Jazz night", starts_local="2031-11-14T20:00", ends_local="2031-11-14T23:00",
            time_zone="Europe/Berlin", venue="Club", ticket_types=[events.TicketTypeInput("Seat", q) for q in quantities]))
        event = events.publish_event(self.session, me, org.id, event.id)
        return event, events.list_ticket_types(self.session, event.id)


@pytest.fixture(scope="module")
def club(app_url, app_data):
    engine = make_engine(f"sqlite:///{app_data / 'aqstream.db'}")
    try:
        with session_scope(engine) as session:
            owner = accounts.sign_up(session, name="Club Owner", email="club-owner@example.com", password=PASSWORD)
            org = organizations.create_organization(session, Principal(owner.id), name="Jazz Club", slug="jazz-club",
                                                    time_zone="Europe/Berlin")
            event, (seat,) = bank_event(_Make(session), session, owner, org, price_minor=5000, quantities=(40,))
            petra = paid_order(session, owner, org, event, seat.id, name="Petra Paid", quantity=2,
                               email="petra@example.com")
            wanda = bank_order(session, org, event, seat.id, name="Wanda Waiting", email="wanda@example.com")
            tom = paid_order(session, owner, org, event, seat.id, name="Tom Two", quantity=2, email="tom@example.com")
            yield {"base": app_url, "org": f"{app_url}/o/{org.slug}", "event_url": f"{app_url}/o/{org.slug}/events/"
                   f"{event.id}", "petra": [t.id for t in petra.tickets], "wanda": wanda.tickets[0].id,
                   "tom": [t.id for t in tom.tickets],
                   "owner": accounts.create_session(session, owner.id, user_agent="refunds test")}
    finally:
        engine.dispose()


def signed_in(new_page, club, viewport=DESKTOP, **kw):
    page = new_page(viewport, **kw)
    page.context.add_cookies([{"name": "aq_session", "value": club["owner"], "url": club["base"]}])
    return page


def section(page):
    return page.locator("#attendee-payment")


def test_an_organizer_refunds_part_of_a_paid_order(club, new_page):
    page = signed_in(new_page, club)
    page.goto(f"{club['org']}/tickets/{club['petra'][0]}")
    pay = section(page)
    expect(pay).to_contain_text("Bank transfer")
    expect(pay).to_contain_text("€100")
    expect(pay.get_by_text("Paid", exact=True).first).to_be_visible()
    expect(pay.locator("#payment-attempts")).to_contain_text("Attempt 1 · Bank transfer · €100")
    expect(pay.get_by_role("button", name="Mark as paid")).to_have_count(0)

    pay.get_by_role("button", name="Refund", exact=True).click()
    form = page.locator("#refund-form")
    amount = form.get_by_label("Amount to refund")
    expect(amount).to_have_value("100.00")
    expect(form).to_contain_text("Left to refund: €100.")
    expect(form.get_by_label("Also cancel the tickets")).to_be_checked()
    amount.fill("ten euros")
    form.get_by_role("button", name="Refund", exact=True).click()
    expect(form.get_by_text("Enter an amount, e.g. 12.50.")).to_be_visible()
    expect(amount).to_have_attribute("aria-invalid", "true")
    amount.fill("150")
    form.get_by_role("button", name="Refund", exact=True).click()
    expect(form.get_by_text("At most €100 can be refunded.")).to_be_visible()
    amount.fill("25.50")
    form.get_by_label("Also cancel the tickets").uncheck()
    form.get_by_label("Note (optional)").fill("The sound was late")
    assert no_horizontal_scroll(page)
    shot(page, "refunds-form-en-desktop")
    form.get_by_role("button", name="Refund", exact=True).click()

    expect(page.get_by_text("€25.50 refunded.")).to_be_visible()
    expect(page.locator("#refund-form")).to_have_count(0)
    refunds = pay.locator("#payment-refunds")
    expect(refunds).to_contain_text("€25.50")
    expect(refunds).to_contain_text("Done")
    expect(refunds).to_contain_text("Refunded by the organizer")
    expect(pay.get_by_text("Partly refunded", exact=True)).to_be_visible()
    expect(pay).to_contain_text("€25.50")
    expect(page.get_by_text("Valid", exact=True).first).to_be_visible()  # not cancelled: only money went back
    assert no_horizontal_scroll(page)
    shot(page, "refunds-partial-en-desktop")

    page.get_by_role("button", name="Русский").click()
    expect(pay.get_by_text("Частично возвращён", exact=True)).to_be_visible()
    expect(pay.locator("#payment-refunds")).to_contain_text("25,50\xa0€")
    expect(pay.locator("#payment-refunds")).to_contain_text("Возврат организатора")
    expect(pay).to_contain_text("Банковский перевод")
    pay.get_by_role("button", name="Вернуть деньги", exact=True).click()
    expect(page.locator("#refund-form").get_by_label("Сумма возврата")).to_have_value("74.50")
    assert no_horizontal_scroll(page)
    shot(page, "refunds-partial-ru-desktop")
    page.get_by_role("button", name="Закрыть").click()

    # The list: each order's total and payment status; the Analytics tab: money per currency
    page.goto(f"{club['event_url']}/attendees")
    table = page.locator("#attendee-table")
    expect(table.locator("tr", has_text="Petra Paid").first).to_contain_text("Частично возвращён")
    expect(table.locator("tr", has_text="Wanda Waiting")).to_contain_text("Ожидает оплаты")
    expect(table.locator("tr", has_text="Tom Two").first).to_contain_text("Оплачен")
    shot(page, "refunds-list-ru-desktop")
    page.goto(f"{club['event_url']}/analytics")
    money = page.locator("#analytics-money")
    expect(money).to_contain_text("EUR")
    expect(money).to_contain_text("200\xa0€")  # paid: Petra's and Tom's orders
    expect(money).to_contain_text("50\xa0€")  # awaiting: Wanda's
    expect(money).to_contain_text("25,50\xa0€")
    shot(page, "refunds-analytics-ru-desktop")
    page.get_by_role("button", name="English").click()
    expect(money).to_contain_text("€174.50")  # net


def test_on_a_phone_an_organizer_marks_a_transfer_paid_and_refunds_one_ticket(club, new_page):
    page = signed_in(new_page, club, PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{club['org']}/tickets/{club['wanda']}")
    pay = section(page)
    expect(pay.get_by_text("Awaiting payment", exact=True)).to_be_visible()
    expect(pay.get_by_role("button", name="Refund", exact=True)).to_have_count(0)
    assert no_horizontal_scroll(page)
    shot(page, "refunds-awaiting-en-phone")
    pay.get_by_role("button", name="Mark as paid").click()
    expect(page.get_by_text("The transfer is marked as paid; the order is confirmed and the buyer gets the tickets.")
           ).to_be_visible()
    expect(pay.get_by_text("Paid", exact=True).first).to_be_visible()
    expect(pay.get_by_role("button", name="Mark as paid")).to_have_count(0)
    expect(pay.locator("#payment-attempts")).to_contain_text("Paid")
    shot(page, "refunds-marked-paid-en-phone")

    # Tom's second ticket, from his first ticket's page: cancel and refund that one ticket, in Russian
    page.goto(f"{club['org']}/tickets/{club['tom'][0]}")
    page.get_by_role("button", name="Русский").click()
    expect(section(page).get_by_text("Оплачен", exact=True).first).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Отменить и вернуть деньги: #\d+$")).click()
    form = page.locator("#refund-form")
    expect(form).to_contain_text("Полный возврат за этот билет: 50\xa0€.")
    expect(form.get_by_label("Сумма возврата")).to_have_value("50.00")
    expect(form.get_by_text("Билет будет отменён, а место освобождено.")).to_be_visible()
    assert no_horizontal_scroll(page)
    shot(page, "refunds-ticket-form-ru-phone")
    form.get_by_role("button", name="Вернуть", exact=True).click()
    expect(page.get_by_text("Возвращено 50\xa0€.")).to_be_visible()
    expect(section(page).get_by_text("Частично возвращён", exact=True)).to_be_visible()
    expect(section(page).locator("#payment-refunds")).to_contain_text("Выполнен")
    assert no_horizontal_scroll(page)
    shot(page, "refunds-ticket-done-ru-phone")
    page.goto(f"{club['org']}/tickets/{club['tom'][1]}")
    expect(page.get_by_text("Отменён", exact=True).first).to_be_visible()
    page.get_by_role("button", name="English").click()
