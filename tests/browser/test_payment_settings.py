"""Selling paid tickets, from the organizer's side, in the browser: the organization's payment settings (Stripe's
test keys saved and shown back only as masks, the webhook address to paste into Stripe, bank transfer with its
instructions), then an event with a paid ticket type ("15.50" EUR stored as 1550 minor units) offering Stripe,
a bad price refused next to its field, the event's Payments card and the ticket type's price edited later.
Desktop (1280) in English, phone (390) in Russian; screenshots of each page at both."""
import re
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, axe_violations, no_horizontal_scroll, shot
from tests.browser.test_flows import sign_up

pytestmark = pytest.mark.browser

STRIPE_KEY = "sk_test_51PaidTicketsKeyAbCdEf4242"
STRIPE_HOOK = "whsec_PaidTicketsHookSecret9876"


def db_rows(app_data, query, *args):
    with sqlite3.connect(f"{app_data}/aqstream.db") as db:
        return db.execute(query, args).fetchall()


def create_org(page, org_name) -> str:
    page.get_by_role("link", name=re.compile("Create an organization|Создать организацию")).click()
    page.locator("#f-name").fill(org_name)
    page.get_by_role("button", name=re.compile("^(Create organization|Создать организацию)$")).click()
    page.wait_for_url(re.compile(r"/o/[^/?]+$"))
    return page.url.rsplit("/o/", 1)[1]


def fill_event(page, title):
    page.locator("#f-title").fill(title)
    page.locator("#f-venue").fill("Berlin, Torstraße 1")
    page.locator("#f-starts_at").fill("2031-06-01T19:00")
    page.locator("#f-ends_at").fill("2031-06-01T22:00")


def test_owner_connects_stripe_and_sells_a_paid_ticket(app_url, app_data, new_page):
    page = new_page(DESKTOP)
    sign_up(page, app_url, "Paula Payments", "paula@example.com")
    slug = create_org(page, "Paid Club")

    # The organization's pages lead to the payment settings.
    page.get_by_role("navigation", name="Organization pages").get_by_role("link", name="Payments", exact=True).click()
    expect(page.get_by_role("heading", name="Payments", level=1)).to_be_visible()
    expect(page).to_have_title(re.compile("Payments"))
    stripe = page.locator("section").filter(has=page.get_by_role("heading", name="Stripe"))
    expect(stripe.get_by_text("Not connected")).to_be_visible()
    expect(page.locator("#stripe-webhook-url")).to_have_text(
        re.compile(rf"/api/v1/payments/stripe/{slug}/webhook$"))
    expect(page.locator("#yookassa-notification-url")).to_have_text(
        re.compile(rf"/api/v1/payments/yookassa/{slug}/notification$"))
    assert page.get_by_label("Secret key").first.get_attribute("type") == "password"

    # A key of the wrong kind is refused next to its field; nothing is saved.
    page.locator("#f-stripe_secret_key").fill("pk_test_public_key")
    page.locator("#f-stripe_webhook_secret").fill(STRIPE_HOOK)
    page.get_by_role("button", name="Save payment settings").click()
    expect(page.locator("#f-stripe_secret_key-error")).to_have_text(
        "This is not the right kind of key: check its beginning.")
    shot(page, "payment-settings-error-desktop")

    # Stripe's test keys: saved, then shown only as masks, never the keys.
    page.locator("#f-stripe_secret_key").fill(STRIPE_KEY)
    page.locator("#f-stripe_webhook_secret").fill(STRIPE_HOOK)
    page.get_by_role("button", name="Save payment settings").click()
    expect(page.get_by_role("status").filter(has_text="Payment settings saved.")).to_be_visible()
    expect(stripe.get_by_text("Connected", exact=True)).to_be_visible()
    expect(page.locator("#f-stripe_secret_key")).to_have_value("")
    expect(page.locator("#f-stripe_secret_key")).to_have_attribute("placeholder", "••••4242")
    expect(page.locator("#f-stripe_webhook_secret")).to_have_attribute("placeholder", "••••9876")
    html = page.content()
    assert STRIPE_KEY not in html and STRIPE_HOOK not in html and STRIPE_KEY[:-4] not in html
    page.reload()
    expect(page.locator("#f-stripe_secret_key")).to_have_attribute("placeholder", "••••4242")
    assert STRIPE_KEY not in page.content()

    # Bank transfer needs its instructions.
    page.get_by_label("Accept bank transfers").check()
    page.get_by_role("button", name="Save payment settings").click()
    expect(page.locator("#f-bank_instructions-error")).to_have_text(
        "Write the instructions buyers need to pay by transfer.")
    page.get_by_label("Instructions for the buyer").fill("IBAN DE02 1203 0000 0000 2020 51, reference: your order")
    page.get_by_role("button", name="Save payment settings").click()
    expect(page.get_by_role("status").filter(has_text="Payment settings saved.")).to_be_visible()
    expect(page.get_by_label("Accept bank transfers")).to_be_checked()
    expect(page.get_by_label("Instructions for the buyer")).to_have_value(re.compile("IBAN DE02"))
    assert no_horizontal_scroll(page)
    assert (found := axe_violations(page)) == [], "\n".join(found)
    shot(page, "payment-settings-desktop")
    (stored,) = db_rows(app_data, "SELECT s.stripe_secret_key, s.bank_enabled FROM payment_settings s JOIN organization o "
                                  "ON o.id = s.organization_id WHERE o.slug = ?", slug)
    assert STRIPE_KEY not in stored[0] and stored[1] == 1  # encrypted at rest

    # A new event with a paid ticket type, offering Stripe.
    page.goto(f"{app_url}/o/{slug}/events/new")
    fill_event(page, "Paid jazz night")
    expect(page.get_by_label("Currency")).to_have_attribute("placeholder", "EUR")
    # Stripe and bank are connected; YooKassa says where to connect it.
    expect(page.locator("#f-pay_stripe-hint")).to_have_count(0)
    expect(page.locator("#f-pay_bank-hint")).to_have_count(0)
    expect(page.locator("#f-pay_yookassa-hint").get_by_role("link")).to_have_attribute(
        "href", f"/o/{slug}/settings/payments")
    page.get_by_label("Currency").fill("eur")
    page.get_by_label("Card payment (Stripe)").check()
    page.get_by_label("Ticket name").fill("Entry")
    page.get_by_label("Quantity").fill("10")
    page.get_by_label("Price").fill("abc")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#f-tt-0-price-error")).to_have_text("Enter an amount such as 15.50.")
    page.get_by_label("Price").fill("1.234")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#f-tt-0-price-error")).to_have_text("Too many digits after the point for this currency.")
    assert no_horizontal_scroll(page)
    shot(page, "event-new-price-error-desktop")
    assert db_rows(app_data, "SELECT count(*) FROM event e JOIN organization o ON o.id = e.organization_id "
                             "WHERE o.slug = ?", slug) == [(0,)]  # nothing half-saved
    page.get_by_label("Price").fill("15.50")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("button", name="Publish")).to_be_visible()
    event_id = int(re.search(r"/events/(\d+)", page.url).group(1))
    assert db_rows(app_data, "SELECT currency, pay_stripe, pay_yookassa, pay_bank, hold_minutes FROM event WHERE id = ?",
                   event_id) == [("EUR", 1, 0, 0, 15)]
    assert db_rows(app_data, "SELECT name, price_minor, currency FROM ticket_type WHERE event_id = ?", event_id) == \
        [("Entry", 1550, "EUR")]

    # The event's settings: the Payments card shows what was chosen; bank transfer added, refunds set.
    page.goto(f"{app_url}/o/{slug}/events/{event_id}/settings")
    expect(page.get_by_label("Currency")).to_have_value("EUR")
    expect(page.get_by_label("Card payment (Stripe)")).to_be_checked()
    expect(page.get_by_label("Bank transfer", exact=True)).not_to_be_checked()
    page.get_by_label("Bank transfer", exact=True).check()
    page.get_by_label("Refund, %").fill("80")
    page.get_by_label("Refunds on cancellation until").fill("2031-05-25T12:00")
    page.get_by_label("Minutes to pay online").fill("2")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#f-hold_minutes-error")).to_have_text(re.compile("."))
    page.get_by_label("Minutes to pay online").fill("30")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Changes saved.")).to_be_visible()
    expect(page.get_by_label("Bank transfer", exact=True)).to_be_checked()
    assert db_rows(app_data, "SELECT pay_stripe, pay_bank, hold_minutes, refund_percent, refund_until FROM event "
                   "WHERE id = ?", event_id)[0][:4] == (1, 1, 30, 80)
    page.locator("#payments").scroll_into_view_if_needed()
    assert no_horizontal_scroll(page)
    shot(page, "event-settings-payments-desktop")

    # The ticket type's price, edited on the Tickets tab: shown as typed, refused next to the field, saved.
    page.goto(f"{app_url}/o/{slug}/events/{event_id}/tickets")
    expect(page.get_by_text("€15.50")).to_be_visible()
    page.get_by_role("button", name="Edit ticket type: Entry").click()
    expect(page.locator("#f-tt_price")).to_have_value("15.50")
    page.locator("#f-tt_price").fill("20.555")
    page.get_by_role("button", name="Save ticket type").click()
    expect(page.locator("#f-tt_price-error")).to_have_text("Too many digits after the point for this currency.")
    page.locator("#f-tt_price").fill("20")
    page.get_by_role("button", name="Save ticket type").click()
    expect(page.get_by_text("€20", exact=True)).to_be_visible()
    assert db_rows(app_data, "SELECT price_minor FROM ticket_type WHERE event_id = ?", event_id) == [(2000,)]
    shot(page, "event-tickets-price-desktop")


def test_phone_in_russian(app_url, app_data, new_page):
    page = new_page(PHONE)
    sign_up(page, app_url, "Пётр Платежов", "petr@example.com")
    page.get_by_role("button", name="Русский").click()
    expect(page.get_by_role("button", name="Русский")).to_have_attribute("aria-pressed", "true")
    slug = create_org(page, "Платный клуб")

    page.goto(f"{app_url}/o/{slug}/settings/payments")
    expect(page.get_by_role("heading", name="Оплата", level=1)).to_be_visible()
    page.locator("#f-stripe_secret_key").fill(STRIPE_KEY)
    page.get_by_role("button", name="Сохранить настройки оплаты").click()
    expect(page.locator("#f-stripe_webhook_secret-error")).to_have_text(
        "Для Stripe нужны и секретный ключ, и секрет вебхука.")
    page.locator("#f-stripe_secret_key").fill(STRIPE_KEY)
    page.locator("#f-stripe_webhook_secret").fill(STRIPE_HOOK)
    page.get_by_role("button", name="Сохранить настройки оплаты").click()
    expect(page.get_by_role("status").filter(has_text="Настройки оплаты сохранены.")).to_be_visible()
    expect(page.locator("#f-stripe_secret_key")).to_have_attribute("placeholder", "••••4242")
    assert STRIPE_KEY not in page.content()
    assert no_horizontal_scroll(page)
    assert (found := axe_violations(page)) == [], "\n".join(found)
    shot(page, "payment-settings-phone-ru")

    page.goto(f"{app_url}/o/{slug}/events/new")
    fill_event(page, "Платный вечер")
    page.get_by_label("Оплата картой (Stripe)").check()
    expect(page.locator("#f-pay_bank-hint")).to_contain_text("Для вашей организации ещё не подключено")
    page.get_by_label("Название билета").fill("Вход")
    page.get_by_label("Количество").fill("5")
    page.get_by_label("Цена", exact=True).fill("abc")
    page.get_by_role("button", name="Сохранить черновик").click()
    expect(page.locator("#f-tt-0-price-error")).to_have_text("Укажите сумму, например 15,50.")
    assert no_horizontal_scroll(page)
    shot(page, "event-new-price-error-phone-ru")
    page.get_by_label("Цена", exact=True).fill("15,50")
    page.get_by_role("button", name="Сохранить черновик").click()
    expect(page.get_by_role("button", name="Опубликовать")).to_be_visible()
    event_id = int(re.search(r"/events/(\d+)", page.url).group(1))
    assert db_rows(app_data, "SELECT price_minor, currency FROM ticket_type WHERE event_id = ?", event_id) == \
        [(1550, "EUR")]
    assert db_rows(app_data, "SELECT pay_stripe FROM event WHERE id = ?", event_id) == [(1,)]

    page.goto(f"{app_url}/o/{slug}/events/{event_id}/settings")
    expect(page.get_by_label("Оплата картой (Stripe)")).to_be_checked()
    page.locator("#payments").scroll_into_view_if_needed()
    assert no_horizontal_scroll(page)
    shot(page, "event-settings-payments-phone-ru")
