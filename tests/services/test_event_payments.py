"""What an organizer sets to sell paid tickets: the event's currency (its ticket types follow it, never once money
was taken in it), the methods and holds and refunds it declares, prices typed as "15.50" read exactly into minor
units, and the organization's payment settings, whose secrets are never given back."""
from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import select

from aqstream.models import Membership, Order, TicketType
from aqstream.services.clock import utcnow
from aqstream.services.errors import NotFound, ValidationError
from aqstream.services.events import event_lifecycle, events, fields, prices
from aqstream.services.org.permissions import Principal
from aqstream.services.payments import settings as payment_settings
from tests.conftest import unique

BASE = dict(title="Paid night", starts_local="2031-06-01T18:00", ends_local="2031-06-01T21:00",
            time_zone="Europe/Berlin", venue="Hall")


def _create(session, owner, org, types=None, **changes):
    types = types if types is not None else [events.TicketTypeInput("GA", 5)]
    return events.create_event(session, Principal(owner.id), org.id,
                               events.EventInput(**{**BASE, **changes, "ticket_types": types}))


def _errors(call) -> dict[str, str]:
    with pytest.raises(ValidationError) as err:
        call()
    return err.value.errors


# --- prices -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, currency, minor", [
    ("15.50", "EUR", 1550), ("15,5", "EUR", 1550), ("15", "EUR", 1500), ("", "EUR", 0), ("0", "EUR", 0),
    ("0.00", "EUR", 0), ("1 500", "RUB", 150000), ("1500", "JPY", 1500), ("1.234", "BHD", 1234), (" 7.10 ", "USD", 710),
    ("0.1", "EUR", 10), ("19.99", "EUR", 1999),  # 19.99 * 100 is 1998.9999... as a float
])
def test_a_typed_price_becomes_exact_minor_units(text, currency, minor):
    assert prices.parse_price(text, currency) == minor


@pytest.mark.parametrize("text, currency, key", [
    ("abc", "EUR", "price.invalid"), ("1.234", "EUR", "price.too_many_decimals"), ("15.5", "JPY", "price.too_many_decimals"),
    ("-5", "EUR", "price.invalid"), ("1e3", "EUR", "price.invalid"), ("1.2.3", "EUR", "price.invalid"),
    (".", "EUR", "price.invalid"), ("NaN", "EUR", "price.invalid"), ("Infinity", "EUR", "price.invalid"),
    ("１５", "EUR", "price.invalid"), ("10000000", "EUR", "price.too_high"),
])
def test_a_bad_price_is_refused_naming_the_field(text, currency, key):
    with pytest.raises(ValidationError) as err:
        prices.parse_price(text, currency, "tt.3.price")
    assert err.value.errors == {"tt.3.price": key}


def test_a_price_is_written_back_for_editing_in_its_currency_digits():
    assert prices.format_price(1550, "EUR") == "15.50"
    assert prices.format_price(1500, "JPY") == "1500"
    assert prices.format_price(1234, "BHD") == "1.234"
    assert prices.format_price(0, "EUR") == ""
    for minor, currency in ((1550, "EUR"), (5, "USD"), (99999, "JPY"), (1001, "BHD")):
        assert prices.parse_price(prices.format_price(minor, currency), currency) == minor


# --- the event's currency and payment fields ---------------------------------------------------------------------

def test_an_empty_currency_is_the_organizations_and_the_ticket_types_take_the_events(make, session):
    owner, org = make.org()
    assert org.currency == "EUR"
    plain = _create(session, owner, org)
    assert plain.currency == "EUR"
    dollars = _create(session, owner, org, currency=" usd ")
    assert dollars.currency == "USD"
    assert {tt.currency for tt in events.list_ticket_types(session, dollars.id)} == {"USD"}
    added = events.add_ticket_type(session, Principal(owner.id), org.id, dollars.id,
                                   events.TicketTypeInput("VIP", 3, price="12.5"))
    assert (added.currency, added.price_minor) == ("USD", 1250)


def test_an_unknown_currency_is_refused(make, session):
    owner, org = make.org()
    assert _errors(lambda: _create(session, owner, org, currency="ZZZ")) == {"currency": "event.currency_invalid"}
    assert _errors(lambda: _create(session, owner, org, currency="EURO"))["currency"] == "field.too_long"
    assert _errors(lambda: _create(session, owner, org, currency="E1"))["currency"] == "event.currency_invalid"


def test_the_payment_fields_are_kept_with_their_defaults_and_limits(make, session):
    owner, org = make.org()
    event = _create(session, owner, org, pay_stripe=True, pay_bank=True, hold_minutes="30", bank_transfer_days=7,
                    refund_until_local="2031-05-25T12:00", refund_percent="50")
    assert (event.pay_stripe, event.pay_yookassa, event.pay_bank) == (True, False, True)
    assert (event.hold_minutes, event.bank_transfer_days, event.refund_percent) == (30, 7, 50)
    assert event.refund_until.isoformat().startswith("2031-05-25T10:00")  # noon in Berlin, summer time
    # Left empty (a cleared form input): the declared defaults, never NULL in a NOT NULL column.
    empty = _create(session, owner, org, hold_minutes="", bank_transfer_days=None, refund_percent="")
    assert (empty.hold_minutes, empty.bank_transfer_days, empty.refund_percent, empty.refund_until) == (15, 3, 100, None)
    bad = _errors(lambda: _create(session, owner, org, hold_minutes=4, bank_transfer_days=31, refund_percent=101,
                                  refund_until_local="soon"))
    assert bad == {"hold_minutes": "field.number_range", "bank_transfer_days": "field.number_range",
                   "refund_percent": "field.number_range", "refund_until": "field.datetime_invalid"}
    shown = fields.form_strings(event)
    assert (shown["currency"], shown["pay_stripe"], shown["pay_yookassa"], shown["refund_until"]) == \
        ("EUR", "true", "", "2031-05-25T12:00")


def test_ticket_type_prices_typed_in_a_form_are_read_in_the_events_currency(make, session):
    owner, org = make.org()
    event = _create(session, owner, org, currency="EUR", types=[
        events.TicketTypeInput("GA", 5, price="15.50"), events.TicketTypeInput("Free", 5, price="")])
    assert [(tt.name, tt.price_minor, tt.currency) for tt in events.list_ticket_types(session, event.id)] == \
        [("GA", 1550, "EUR"), ("Free", 0, "EUR")]
    # Every bad row is named, with the other fields' errors, and nothing is written.
    bad = _errors(lambda: _create(session, owner, org, title="", types=[
        events.TicketTypeInput("A", 5, price="abc"), events.TicketTypeInput("B", 5, price="1.234")]))
    assert bad == {"title": "field.required", "ticket_types.0.price": "price.invalid",
                   "ticket_types.1.price": "price.too_many_decimals"}
    yen = _create(session, owner, org, currency="JPY", types=[events.TicketTypeInput("GA", 5, price="1500")])
    assert events.list_ticket_types(session, yen.id)[0].price_minor == 1500
    assert _errors(lambda: _create(session, owner, org, currency="JPY", types=[
        events.TicketTypeInput("GA", 5, price="15.5")])) == {"ticket_types.0.price": "price.too_many_decimals"}


def test_editing_a_ticket_type_changes_its_price_only_when_one_is_typed(make, session):
    owner, org = make.org()
    event = _create(session, owner, org, types=[events.TicketTypeInput("GA", 5, price="10")])
    tt = events.list_ticket_types(session, event.id)[0]
    p = Principal(owner.id)
    changed = events.update_ticket_type(session, p, org.id, event.id, tt.id, events.TicketTypeInput("GA", 6, price="12.25"))
    assert changed.price_minor == 1225
    kept = events.update_ticket_type(session, p, org.id, event.id, tt.id, events.TicketTypeInput("GA", 7))
    assert (kept.price_minor, kept.quantity) == (1225, 7)
    assert _errors(lambda: events.update_ticket_type(session, p, org.id, event.id, tt.id,
                                                     events.TicketTypeInput("GA", 7, price="1,2,3"))) == \
        {"price": "price.invalid"}


def _edit(session, owner, org, event, **changes):
    shown = fields.form_strings(event)
    return event_lifecycle.update_event(session, Principal(owner.id), org.id, event.id,
                                        events.input_from_form({**shown, **changes}))


def test_the_ticket_types_follow_the_events_currency_until_money_was_taken(make, session):
    owner, org = make.org()
    event = _create(session, owner, org, types=[events.TicketTypeInput("GA", 5, price="15.50"),
                                                events.TicketTypeInput("VIP", 5, price="40")])
    moved = _edit(session, owner, org, event, currency="gbp")
    assert moved.currency == "GBP"
    assert {tt.currency for tt in events.list_ticket_types(session, event.id)} == {"GBP"}
    other = _create(session, owner, org)  # another event's types are not touched
    assert {tt.currency for tt in events.list_ticket_types(session, other.id)} == {"EUR"}

    # A free order does not lock it; a paid one (whatever became of it) does.
    def order(total: int) -> None:
        session.add(Order(organization_id=org.id, event_id=event.id, buyer_name="B", buyer_email="b@example.com",
                          status="cancelled", total_minor=total, currency="GBP", access_token=unique("tok"),
                          created_at=utcnow()))
        session.commit()

    order(0)
    assert _edit(session, owner, org, event, currency="USD").currency == "USD"
    order(1550)
    event = events.get_event(session, Principal(owner.id), org.id, event.id)
    assert _errors(lambda: _edit(session, owner, org, event, currency="EUR")) == {"currency": "event.currency_locked"}
    assert {tt.currency for tt in events.list_ticket_types(session, event.id)} == {"USD"}
    # The rest of the event can still change, its currency kept.
    assert _edit(session, owner, org, event, title="Paid night again", pay_bank="on").pay_bank is True


def test_the_currency_lock_is_asked_again_once_the_events_row_is_locked(make, session, monkeypatch):
    """A paid order placed between the first check and the write is still seen."""
    owner, org = make.org()
    event = _create(session, owner, org)
    calls = []

    def paid_on_second_ask(session_, event_id):
        calls.append(event_id)
        return len(calls) > 1

    monkeypatch.setattr(event_lifecycle, "_has_paid_orders", paid_on_second_ask)
    assert _errors(lambda: _edit(session, owner, org, event, currency="USD")) == {"currency": "event.currency_locked"}
    assert len(calls) == 2
    assert events.get_event(session, Principal(owner.id), org.id, event.id).currency == "EUR"
    assert {tt.currency for tt in events.list_ticket_types(session, event.id)} == {"EUR"}


# --- the organization's payment settings --------------------------------------------------------------------------

STRIPE_KEY = "sk_test_51AbCdEfGhIjKlMnOpQrStUv4242"
STRIPE_HOOK = "whsec_0123456789abcdefSECRETzz99"
YK_KEY = "test_YkSecretKey_ABCDEFGH1234"


def test_saved_secrets_come_back_only_masked(make, session):
    owner, org = make.org()
    p = Principal(owner.id)
    view = payment_settings.update_settings(session, p, org.id, payment_settings.SettingsInput(
        stripe_secret_key=STRIPE_KEY, stripe_webhook_secret=STRIPE_HOOK, stripe_test_mode=True,
        yookassa_shop_id="123456", yookassa_secret_key=YK_KEY, bank_enabled=True,
        bank_instructions="IBAN DE00 1234, reference: your order number", receipts_enabled=True,
        receipt_vat_code="4"))
    again = payment_settings.get_settings(session, p, org.id)
    for seen in (view, again):
        shown = repr(dataclasses.asdict(seen))
        for secret in (STRIPE_KEY, STRIPE_HOOK, YK_KEY):
            assert secret not in shown and secret[:-4] not in shown
        assert (seen.stripe_secret_key_mask, seen.stripe_webhook_secret_mask) == ("••••4242", "••••zz99")
        assert seen.yookassa_secret_key_mask == "••••1234" and seen.yookassa_shop_id == "123456"
        assert seen.stripe_connected and seen.yookassa_connected and seen.bank_enabled and seen.receipts_enabled
        assert seen.receipt_vat_code == 4 and set(seen.methods) == {"stripe", "yookassa", "bank"}
    row = session.get(payment_settings.PaymentSettings, org.id)
    assert STRIPE_KEY not in row.stripe_secret_key  # stored encrypted

    # Saving again with the secrets left empty keeps them; a switch changes.
    kept = payment_settings.update_settings(session, p, org.id, payment_settings.SettingsInput(
        stripe_test_mode=False, yookassa_shop_id="123456", bank_enabled=False, bank_instructions=""))
    assert kept.stripe_connected and kept.stripe_secret_key_mask == "••••4242" and not kept.stripe_test_mode
    assert set(kept.methods) == {"stripe", "yookassa"}
    # Disconnecting removes them.
    gone = payment_settings.update_settings(session, p, org.id, payment_settings.SettingsInput(
        clear_stripe=True, yookassa_shop_id="123456"))
    assert not gone.stripe_connected and gone.stripe_secret_key_mask == "" and gone.methods == ("yookassa",)


def test_settings_errors_name_their_fields(make, session):
    owner, org = make.org()
    p = Principal(owner.id)
    bad = _errors(lambda: payment_settings.update_settings(session, p, org.id, payment_settings.SettingsInput(
        stripe_secret_key="pk_test_public", yookassa_shop_id="shop", bank_enabled=True, bank_instructions=" ")))
    assert bad["stripe_secret_key"] == "payments.secret_prefix"
    assert bad["yookassa_shop_id"] == "payments.shop_id_invalid"
    assert bad["bank_instructions"] == "payments.bank_instructions_required"
    assert payment_settings.get_settings(session, p, org.id).methods == ()


def test_event_editors_learn_which_methods_are_connected_but_not_the_settings(make, session):
    owner, org = make.org()
    staff = make.user()
    session.add(Membership(user_id=staff.id, organization_id=org.id, role="staff", created_at=utcnow()))
    session.commit()
    payment_settings.update_settings(session, Principal(owner.id), org.id, payment_settings.SettingsInput(
        bank_enabled=True, bank_instructions="Pay to account 42"))
    assert payment_settings.connected_methods(session, Principal(staff.id), org.id) == ("bank",)
    with pytest.raises(Exception) as err:
        payment_settings.get_settings(session, Principal(staff.id), org.id)
    assert type(err.value).__name__ == "Forbidden"
    outsider = make.user()
    with pytest.raises(NotFound):
        payment_settings.connected_methods(session, Principal(outsider.id), org.id)


def test_the_notification_addresses_are_the_apis_routes():
    urls = payment_settings.notification_urls("https://tickets.example/", "jazz-club")
    assert urls == {"stripe": "https://tickets.example/api/v1/payments/stripe/jazz-club/webhook",
                    "yookassa": "https://tickets.example/api/v1/payments/yookassa/jazz-club/notification"}
    from aqstream.api.payments import router  # the routes exist where the page says
    paths = {route.path for route in router.routes}
    assert "/api/v1/payments/stripe/{org_slug}/webhook" in paths
    assert "/api/v1/payments/yookassa/{org_slug}/notification" in paths


def test_nothing_of_another_organizations_event_changes(make, session):
    owner, org = make.org()
    event = _create(session, owner, org, currency="USD")
    _, other_org = make.org()
    assert session.exec(select(TicketType.currency).where(TicketType.event_id == event.id)).all() == ["USD"]
    with pytest.raises(NotFound):
        events.add_ticket_type(session, Principal(owner.id), other_org.id, event.id, events.TicketTypeInput("X", 1))
