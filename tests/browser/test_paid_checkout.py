"""The attendee's paid path, on the production build at 1280 px and on a 390 px phone, in English and Russian:
the event page shows each ticket's price and the total as tickets are chosen, asks how to pay (a labelled radio
group of the event's methods), and lands on the order page; a bank transfer's order page shows the amount, the
hold, the organization's details and the reference, and turns to "Paid" with the tickets' QR codes by itself
when the organizer marks the transfer paid; a reservation whose hold ran out says so, with the way to start
again. A card through Stripe (a local fake of its API and its checkout page) comes back to the order paid."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update
from sqlmodel import select

from aqstream.db import make_engine, session_scope
from aqstream.models import Event, Order, Payment
from aqstream.services.accounts import accounts
from aqstream.services.clock import utcnow
from aqstream.services.events import events
from aqstream.services.org import organizations
from aqstream.services.org.permissions import Principal
from aqstream.services.payments import payments, settings
from aqstream.services.sales import pending_orders
from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll, shot
from tests.conftest import unique
from tests.fakes.stripe_server import DEFAULT_KEY, DEFAULT_WEBHOOK_SECRET, StripeFake

pytestmark = pytest.mark.browser

# The app reads Stripe's address from its environment when it starts: the fake is up before any app is served
# (modules are collected before the first test starts the app).
FAKE = StripeFake().start()
pytest.MonkeyPatch().setenv("AQSTREAM_STRIPE_API_BASE", FAKE.base_url)

INSTRUCTIONS = "IBAN DE89 3704 0044 0532 0130 00\nJazz Club Berlin e.V."
TEXT = {
    "en": {"total": r"Total: €25", "group": "Payment method", "bank": "Bank transfer", "card": "Card (Stripe)",
           "pay": "Continue to payment", "awaiting": "Awaiting payment", "paid": "Paid", "qr": "QR code of the ticket",
           "expired": "Your reservation expired", "again": "Start again", "amount": r"€25"},
    "ru": {"total": r"Итого: 25\s€", "group": "Способ оплаты", "bank": "Банковский перевод",
           "card": "Банковская карта (Stripe)", "pay": "Перейти к оплате", "awaiting": "Ожидает оплаты",
           "paid": "Оплачено", "qr": "QR-код билета", "expired": "Бронь истекла", "again": "Начать заново",
           "amount": r"25\s€"},
}
CASES = [(DESKTOP, "desktop", "en"), (PHONE, "phone", "en"), (DESKTOP, "desktop", "ru"), (PHONE, "phone", "ru")]


@pytest.fixture(scope="module")
def shop(app_url, app_data):
    """An organization taking bank transfers and cards (Stripe, the fake) and an event with a paid and a free
    ticket type, written through the services into the served app's database."""
    mp = pytest.MonkeyPatch()
    mp.setenv("AQSTREAM_DATA_DIR", str(app_data))
    engine = make_engine(f"sqlite:///{app_data / 'aqstream.db'}")
    try:
        with session_scope(engine) as session:
            owner = accounts.sign_up(session, name="Pay Owner", email=f"{unique('pay')}@example.com",
                                     password="a-good-long-passphrase")
            me = Principal(owner.id)
            org = organizations.create_organization(session, me, name="Jazz Club Berlin", slug=unique("paid-club-"),
                                                    time_zone="Europe/Berlin")
            settings.update_settings(session, me, org.id, settings.SettingsInput(
                bank_enabled=True, bank_instructions=INSTRUCTIONS, stripe_secret_key=DEFAULT_KEY,
                stripe_webhook_secret=DEFAULT_WEBHOOK_SECRET))
            event = events.create_event(session, me, org.id, events.EventInput(
                title="Paid jazz night", starts_local="2031-07-10T20:00", ends_local="2031-07-10T23:00",
                time_zone="Europe/Berlin", venue="Kantstraße 17", city="Berlin",
                ticket_types=[events.TicketTypeInput("Standard", 100, price_minor=2500),
                              events.TicketTypeInput("Guest list", 100)]))
            events.publish_event(session, me, org.id, event.id)
            session.exec(update(Event).where(Event.id == event.id).values(pay_bank=True, pay_stripe=True))
            session.commit()
            types = {tt.name: tt.id for tt in events.list_ticket_types(session, event.id)}
            FAKE.add_account(DEFAULT_KEY, DEFAULT_WEBHOOK_SECRET, f"{app_url}/api/v1/payments/stripe/{org.slug}/webhook")
            yield {"url": f"{app_url}/e/{org.slug}/{event.slug}", "path": f"/e/{org.slug}/{event.slug}",
                   "standard": types["Standard"], "owner": owner.id, "org": org.id, "engine": engine, "app": app_url}
    finally:
        engine.dispose()
        mp.undo()


def order_of(shop, token: str) -> int:
    with session_scope(shop["engine"]) as session:
        return session.exec(select(Order.id).where(Order.access_token == token)).one()


def choose_and_pay(page, shop, lang: str, method: str) -> None:
    """On the event page: one paid ticket, the total, the buyer's details, the payment method, submit."""
    text = TEXT[lang]
    page.goto(shop["url"])
    expect(page.get_by_text("€25" if lang == "en" else re.compile(r"25\s€")).first).to_be_visible()
    expect(page.locator("#order-total")).to_have_count(0)  # nothing chosen yet: no total, no payment asked
    page.locator(f"#qty-{shop['standard']}").select_option("2")
    expect(page.locator("#order-total")).to_have_text(re.compile(text["total"].replace("25", "50")))
    page.locator(f"#qty-{shop['standard']}").select_option("1")
    expect(page.locator("#order-total")).to_have_text(re.compile(text["total"]))
    page.locator("#f-name").fill("Anna Petrova")
    page.locator("#f-email").fill(f"{unique('anna')}@example.com")
    group = page.get_by_role("group", name=text["group"])
    expect(group.get_by_role("radio")).to_have_count(2)
    choice = group.get_by_role("radio", name=text[method])
    choice.check()
    expect(choice).to_be_checked()
    assert group.locator("label").first.bounding_box()["height"] >= 44


@pytest.mark.parametrize("viewport,label,lang", CASES)
def test_bank_transfer_from_choosing_to_paid(shop, new_page, viewport, label, lang):
    text = TEXT[lang]
    page = new_page(viewport, locale="ru-RU" if lang == "ru" else "en-US", is_mobile=label == "phone")
    choose_and_pay(page, shop, lang, "bank")
    assert no_horizontal_scroll(page)
    shot(page, f"paid-checkout-form-{label}-{lang}")
    page.get_by_role("button", name=text["pay"]).click()
    page.wait_for_url(re.compile(r"/order/[A-Za-z0-9_-]+$"))
    expect(page.get_by_role("status").filter(has_text=text["awaiting"])).to_be_visible()
    expect(page.locator("#order-amount")).to_have_text(re.compile(text["amount"]))
    expect(page.locator("#bank-reference")).to_have_text(re.compile(r"^AQ-\d+-[0-9A-F]{4}$"))
    expect(page.locator("#bank-instructions")).to_contain_text("IBAN DE89 3704 0044 0532 0130 00")
    expect(page.locator("#order-hold")).to_contain_text(re.compile(r"\d"))
    expect(page.locator("#pay-now")).to_have_count(0)  # the transfer's details are shown: nothing to click
    assert no_horizontal_scroll(page)
    shot(page, f"paid-checkout-bank-awaiting-{label}-{lang}")
    token = page.url.rsplit("/", 1)[1]
    with session_scope(shop["engine"]) as session:
        reference = session.exec(select(Payment.reference).join(Order, Order.id == Payment.order_id)
                                 .where(Order.access_token == token)).one()
        expect(page.locator("#bank-reference")).to_have_text(reference)
        assert payments.mark_paid(session, Principal(shop["owner"]), shop["org"], order_of(shop, token)) == "confirmed"
    # The page asks by itself every few seconds: no reload.
    expect(page.locator("#order-paid")).to_be_visible(timeout=20_000)
    expect(page.locator("#order-paid")).to_have_text(text["paid"])
    expect(page.get_by_role("img", name=text["qr"])).to_be_visible()
    expect(page.locator("#order-money")).to_contain_text(re.compile(text["amount"]))
    assert no_horizontal_scroll(page)
    shot(page, f"paid-checkout-bank-paid-{label}-{lang}")


@pytest.mark.parametrize("viewport,label,lang", [(PHONE, "phone", "en"), (DESKTOP, "desktop", "ru")])
def test_an_expired_reservation_says_so_and_leads_back(shop, new_page, viewport, label, lang):
    text = TEXT[lang]
    page = new_page(viewport, locale="ru-RU" if lang == "ru" else "en-US", is_mobile=label == "phone")
    choose_and_pay(page, shop, lang, "bank")
    page.get_by_role("button", name=text["pay"]).click()
    page.wait_for_url(re.compile(r"/order/[A-Za-z0-9_-]+$"))
    expect(page.locator("#bank-reference")).to_be_visible()
    order_id = order_of(shop, page.url.rsplit("/", 1)[1])
    with session_scope(shop["engine"]) as session:
        session.exec(update(Order).where(Order.id == order_id).values(expires_at=utcnow() - timedelta(minutes=1)))
        session.commit()
        assert pending_orders.expire_due(session) >= 1
    expect(page.get_by_role("status").filter(has_text=text["expired"])).to_be_visible(timeout=20_000)
    again = page.get_by_role("link", name=text["again"])
    expect(again).to_have_attribute("href", shop["path"])
    assert no_horizontal_scroll(page)
    shot(page, f"paid-checkout-expired-{label}-{lang}")
    again.click()
    page.wait_for_url(shop["url"])
    expect(page.locator(f"#qty-{shop['standard']}")).to_be_visible()


@pytest.mark.parametrize("viewport,label,lang", [(DESKTOP, "desktop", "en"), (PHONE, "phone", "ru")])
def test_a_card_through_stripe_comes_back_paid(shop, new_page, viewport, label, lang):
    text = TEXT[lang]
    page = new_page(viewport, locale="ru-RU" if lang == "ru" else "en-US", is_mobile=label == "phone")
    choose_and_pay(page, shop, lang, "card")
    page.get_by_role("button", name=text["pay"]).click()
    # The browser is sent to the provider's page (the fake's): the order is pending, holding its place.
    page.wait_for_url(re.compile(re.escape(FAKE.base_url) + r"/c/pay/"))
    session_id = page.url.rsplit("/", 1)[1]
    shot(page, f"paid-checkout-stripe-page-{label}-{lang}")
    if label == "desktop":
        page.locator("#pay").click()  # the fake pays, sends the signed webhook and returns to ?paid=1
    else:  # the buyer paid, the webhook came, and the buyer's return asks the provider at once (?paid=1)
        FAKE.pay(session_id)
        with session_scope(shop["engine"]) as session:
            token = session.exec(select(Order.access_token).join(Payment, Payment.order_id == Order.id)
                                 .where(Payment.provider_payment_id == session_id)).one()
        assert FAKE.send_webhook(f"{shop['app']}/api/v1/payments/stripe/{shop['url'].split('/')[-2]}/webhook",
                                 "checkout.session.completed", session_id).status_code == 200
        page.goto(f"{shop['app']}/order/{token}?paid=1")
    page.wait_for_url(re.compile(r"/order/[A-Za-z0-9_-]+\?paid=1$"))
    expect(page.locator("#order-paid")).to_be_visible(timeout=20_000)
    expect(page.get_by_role("img", name=text["qr"])).to_be_visible()
    expect(page.locator("#order-money")).to_contain_text(re.compile(text["amount"]))
    assert no_horizontal_scroll(page)
    shot(page, f"paid-checkout-stripe-paid-{label}-{lang}")
