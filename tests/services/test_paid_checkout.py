"""The attendee's side of a paid order: the free cancel refuses paid orders (the refund policy applies), and
the payment emails (bank transfer details, the late payment's apology, the refund notice) are queued by their
handlers and rendered in the order's language."""
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from aqstream import config
from aqstream.i18n import format_money
from aqstream.models import Event, Order, OutboxMessage, TicketType
from aqstream.services.clock import utcnow
from aqstream.services.errors import Conflict
from aqstream.services.events import events
from aqstream.services.lifecycle import OrderStatus
from aqstream.services.notify import email_kinds, email_render
from aqstream.services.org.permissions import Principal
from aqstream.services.payments import payments, refunds, settings
from aqstream.services.sales import orders, pending_orders, registration
from aqstream.services.sales.registration import TicketRequest as TR
from tests.conftest import unique

INSTRUCTIONS = "IBAN DE89 3704 0044 0532 0130 00\nRecipient: Jazz <Club>"


def paid_event(session, make, *, price=2500, quantity=10, refund_until=None, refund_percent=100, currency="EUR"):
    owner, org = make.org()
    settings.update_settings(session, Principal(owner.id), org.id,
                             settings.SettingsInput(bank_enabled=True, bank_instructions=INSTRUCTIONS))
    data = events.EventInput(title=f"Paid {unique()}", starts_local="2031-06-01T18:00", ends_local="2031-06-01T21:00",
                             time_zone="Europe/Moscow", venue="Main hall",
                             ticket_types=[events.TicketTypeInput("Standard", quantity, price_minor=price),
                                           events.TicketTypeInput("Guest", quantity)])
    event = events.create_event(session, Principal(owner.id), org.id, data)
    event = events.publish_event(session, Principal(owner.id), org.id, event.id)
    session.exec(update(Event).where(Event.id == event.id).values(
        pay_bank=True, currency=currency, refund_until=refund_until, refund_percent=refund_percent))
    session.exec(update(TicketType).where(TicketType.event_id == event.id).values(currency=currency))
    session.commit()
    return owner, org, session.get(Event, event.id), events.list_ticket_types(session, event.id)


def buy(session, org, event, type_id, *, n=1, locale="en", email=None):
    return registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Anna",
                                 buyer_email=email or f"{unique('b')}@example.com", locale=locale,
                                 tickets=[TR(type_id, f"Guest {i}") for i in range(n)], payment_method="bank")


def latest(session, kind, recipient):
    session.rollback()
    return session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind, OutboxMessage.recipient == recipient)
                        .order_by(OutboxMessage.id.desc())).first()


def text_of(email):
    return email.get_body(("plain",)).get_content(), email.get_body(("html",)).get_content()


def test_a_paid_order_is_not_cancelled_around_the_refund_policy(session, make):
    owner, org, event, (paid, free) = paid_event(session, make)
    done = buy(session, org, event, paid.id)
    payments.start(session, done.order.access_token, None, "http://x")
    payments.mark_paid(session, Principal(owner.id), org.id, done.order.id)
    with pytest.raises(Conflict) as refused:
        orders.cancel_by_token(session, done.order.access_token)
    assert refused.value.message_key == "refund.use_policy"
    assert session.get(Order, done.order.id).status == OrderStatus.CONFIRMED
    # A free order of the same event is cancelled as before.
    gift = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Bo",
                                 buyer_email="bo@example.com", tickets=[TR(free.id, "Bo")])
    assert orders.cancel_by_token(session, gift.order.access_token) == [gift.tickets[0].id]


def test_the_account_list_cannot_cancel_a_paid_order_either(session, make):
    owner, org, event, (paid, _free) = paid_event(session, make)
    buyer = make.user("Buyer")
    done = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="B",
                                 buyer_email=buyer.email, tickets=[TR(paid.id, "B")], payment_method="bank",
                                 user_id=buyer.id)
    payments.start(session, done.order.access_token, None, "http://x")
    payments.mark_paid(session, Principal(owner.id), org.id, done.order.id)
    with pytest.raises(Conflict) as refused:
        orders.cancel_my_order(session, buyer.id, done.order.id)
    assert refused.value.message_key == "refund.use_policy"


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_bank_transfer_instructions_email(session, make, locale):
    _owner, org, event, (paid, _free) = paid_event(session, make, price=123456, currency="RUB")
    done = buy(session, org, event, paid.id, n=2, locale=locale)
    checkout = payments.start(session, done.order.access_token, None, "http://x")
    assert checkout.reference.startswith(f"AQ-{done.order.id}-")
    message = latest(session, email_kinds.BANK_TRANSFER, done.order.buyer_email)
    assert message is not None and message.payload["reference"] == checkout.reference
    email = email_render.render(session, message)
    text, html = text_of(email)
    amount = {"ru": "2\xa0469,12\xa0₽", "en": "RUB2,469.12"}[locale]
    assert amount in text and checkout.reference in text and checkout.reference in html
    assert "IBAN DE89 3704 0044 0532 0130 00" in text and "Jazz &lt;Club&gt;" in html and "<Club>" not in html
    assert f"{config.public_base_url()}/order/{done.order.access_token}" in text
    order = session.get(Order, done.order.id)
    pay_by = email_render.format_datetime(order.expires_at, event.time_zone, locale)
    assert pay_by in text
    if locale == "ru":
        assert email["Subject"] == f"Как оплатить: {event.title}" and "Оплатить до" in text and "Реквизиты" in text
    else:
        assert email["Subject"] == f"How to pay for {event.title}" and "Pay by" in text
    # Once the order is no longer awaiting money, the instructions have no reason to go.
    session.exec(update(Order).where(Order.id == order.id).values(expires_at=utcnow() - timedelta(minutes=1)))
    session.commit()
    pending_orders.expire_due(session)
    with pytest.raises(email_render.Obsolete):
        email_render.render(session, message)


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_a_payment_after_the_places_were_sold_gets_an_apology_and_its_money_back(session, make, locale):
    owner, org, event, (paid, _free) = paid_event(session, make, quantity=1)
    late = buy(session, org, event, paid.id, locale=locale)
    payments.start(session, late.order.access_token, None, "http://x")
    session.exec(update(Order).where(Order.id == late.order.id).values(expires_at=utcnow() - timedelta(minutes=1)))
    session.commit()
    assert pending_orders.expire_due(session) >= 1
    buy(session, org, event, paid.id)  # the one place is sold to someone else
    assert payments.mark_paid(session, Principal(owner.id), org.id, late.order.id) == payments.REFUNDED
    message = latest(session, email_kinds.PAYMENT_REFUNDED_LATE, late.order.buyer_email)
    assert message is not None
    text, html = text_of(email_render.render(session, message))
    amount = format_money(2500, "EUR", locale)
    assert amount == {"en": "€25", "ru": "25\xa0€"}[locale]
    if locale == "ru":
        assert "пришла уже после того, как бронь истекла" in text and f"Мы вернули {amount}" in text
    else:
        assert "arrived after your reservation" in text and f"We refunded {amount}" in text
    assert amount in html
    # The bank refund is done at once; the apology already said so: no second email about the same money.
    refunds.run_due(session, order_ids=[late.order.id])
    assert latest(session, email_kinds.REFUND_DONE, late.order.buyer_email) is None


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_the_attendees_own_cancel_within_the_policy_refunds_and_tells_them(session, make, locale):
    owner, org, event, (paid, _free) = paid_event(session, make, refund_until=utcnow() + timedelta(days=30),
                                                   refund_percent=80)
    done = buy(session, org, event, paid.id, n=2, locale=locale)
    payments.start(session, done.order.access_token, None, "http://x")
    payments.mark_paid(session, Principal(owner.id), org.id, done.order.id)
    assert refunds.attendee_refund_terms(session.get(Event, event.id)) == 80
    result = refunds.attendee_cancel(session, done.order.access_token, done.tickets[0].id)
    assert result.amount_minor == 2000 and result.status == "done"
    message = latest(session, email_kinds.REFUND_DONE, done.order.buyer_email)
    assert message is not None
    email = email_render.render(session, message)
    text, _html = text_of(email)
    amount = format_money(2000, "EUR", locale)
    assert amount.replace("\xa0", " ") in email["Subject"].replace("\xa0", " ") and amount in text and org.name in text
    assert f"/order/{done.order.access_token}" in text
    money = payments.order_money(session, done.order.id)
    assert (money.paid_minor, money.refunded_minor) == (5000, 2000)


def test_a_payment_for_a_cancelled_registration_is_refunded_with_its_own_words(session, make):
    owner, org, event, (paid, _free) = paid_event(session, make)
    done = buy(session, org, event, paid.id, locale="ru")
    payments.start(session, done.order.access_token, None, "http://x")
    orders.cancel_order(session, Principal(owner.id), org.id, done.order.id)
    assert payments.mark_paid(session, Principal(owner.id), org.id, done.order.id) == payments.REFUNDED
    message = latest(session, email_kinds.PAYMENT_REFUNDED_LATE, done.order.buyer_email)
    text, _html = text_of(email_render.render(session, message))
    assert "регистрация или событие были отменены" in text and "бронь истекла" not in text
    assert f"Мы вернули {format_money(2500, 'EUR', 'ru')}" in text
