"""The public pages' states on a paid event: the event page's total and payment methods, and the order page of
a paid order awaiting payment (amount, hold, a bank transfer's details), turning to paid once the money has come,
expired when its hold ran out, and the attendee's own cancel only as the refund policy allows."""
import asyncio
from datetime import timedelta

import pytest
from reflex.state import State
from sqlalchemy import update

import aqstream.aqstream  # noqa: F401 - the app's states, registered
from aqstream.models import Order
from aqstream.services.clock import utcnow
from aqstream.services.lifecycle import OrderStatus
from aqstream.services.org.permissions import Principal
from aqstream.services.payments import payments
from aqstream.services.sales import pending_orders
from aqstream.state import public
from aqstream.state.public import OrderState, PublicEventState
from tests.services.test_paid_checkout import INSTRUCTIONS, buy, paid_event


def substate(cls):
    page = State(_reflex_internal_init=True)
    for name in cls.get_full_name().split(".")[1:]:
        page = page.substates[name]
    return page


def order_page(token, lang="en"):
    page = substate(OrderState)
    page._token = token
    page.locale = lang if lang != "en" else ""  # the visitor's own choice (the language cookie)
    page._load()
    return page


def run(handler, page):
    """Run an event handler's function on a state outside the app (an async generator or coroutine too)."""
    result = handler.fn(page)

    async def drain():
        if hasattr(result, "__anext__"):
            return [item async for item in result]
        return await result if asyncio.iscoroutine(result) else result

    return asyncio.run(drain())


def test_the_event_page_totals_the_chosen_tickets_and_offers_the_events_methods(session, make, use_db):
    _owner, _org, event, (paid, free) = paid_event(session, make, price=2550)
    page = substate(PublicEventState)
    page._types_raw = [{"id": paid.id, "price": 2550, "currency": "EUR"}, {"id": free.id, "price": 0, "currency": "EUR"}]
    page._methods = ["bank"]
    page.quantities = {str(free.id): 2}
    assert not page._paid_chosen() and page.total_text == ""  # free tickets ask for no payment
    page.quantities = {str(free.id): 1, str(paid.id): 2}
    assert page._paid_chosen() and page.total_text == "Total: €51"
    assert page.payment_options == [{"value": "bank", "label": "Bank transfer", "checked": ""}]
    page.page_locale = "ru"
    assert page.total_text == "Итого: 51\xa0€"
    assert page.payment_options == [{"value": "bank", "label": "Банковский перевод", "checked": ""}]
    PublicEventState.choose_method.fn(page, "stripe")  # not offered: ignored
    assert page._payment_method != "stripe"
    PublicEventState.choose_method.fn(page, "bank")
    assert page._payment_method == "bank" and page.payment_options[0]["checked"] == "1"


def test_start_payment_sends_a_bank_transfer_to_its_order_page_and_says_when_the_provider_is_down(
        session, make, use_db, monkeypatch):
    _owner, org, event, (paid, _free) = paid_event(session, make)
    done = buy(session, org, event, paid.id)
    token = done.order.access_token
    assert public.start_payment(token) == f"/order/{token}"
    assert [p.reference != "" for p in payments.order_payments(session, done.order.id)] == [True]

    def down(*args, **kwargs):
        raise public.PaymentUnavailable()

    monkeypatch.setattr(payments, "start", down)
    assert public.start_payment(token) == f"/order/{token}?unavailable=1"
    page = order_page(token)
    page._unavailable = True
    assert page.texts["unavailable"].startswith("The payment service is not answering; your places are held until ")


def test_the_order_page_awaits_the_payment_then_shows_it_paid(session, make, use_db):
    owner, org, event, (paid, _free) = paid_event(session, make)
    done = buy(session, org, event, paid.id, n=2)
    token = done.order.access_token
    page = order_page(token)
    assert page.texts["phase"] == "pending" and page.texts["method"] == "bank" and page.texts["amount"] == "€50"
    assert page.texts["reference"] == "" and page.texts["hold"].startswith("Your places are held until ")
    run(OrderState.pay, page)  # a bank transfer: its reference and the instructions, on this page
    assert page.texts["reference"].startswith(f"AQ-{done.order.id}-") and page.texts["instructions"] == INSTRUCTIONS
    assert all(ticket["qr"] == "" for ticket in page.tickets)
    ru = order_page(token, "ru")
    assert ru.texts["amount"] == "50\xa0€" and ru.texts["hold"].startswith("Места за вами до ")
    # An order placed in Russian is shown in Russian to a visitor who has not chosen a language.
    russian = order_page(buy(session, org, event, paid.id, locale="ru").order.access_token)
    assert russian.lang == "ru" and russian.texts["amount"] == "25\xa0€"
    # The organizer sees the transfer; the page's next check shows the tickets.
    assert payments.mark_paid(session, Principal(owner.id), org.id, done.order.id) == payments.CONFIRMED
    run(OrderState.check_now, page)
    assert page.texts["phase"] == "confirmed" and page.valid_count == 2 and all(t["qr"] for t in page.tickets)
    assert page.texts["money"] == "Paid: €50" and page.texts["instructions"] == ""
    assert page.texts["cancel"] == ""  # the event has no refund policy: no cancel of a paid order here


def test_an_expired_reservation_says_so(session, make, use_db):
    _owner, org, event, (paid, _free) = paid_event(session, make)
    done = buy(session, org, event, paid.id)
    session.exec(update(Order).where(Order.id == done.order.id).values(expires_at=utcnow() - timedelta(seconds=5)))
    session.commit()
    assert order_page(done.order.access_token).texts["phase"] == "expired"  # its time ran out, before the expiry job
    pending_orders.expire_due(session)
    page = order_page(done.order.access_token)
    assert page.texts["phase"] == "expired" and page.event_path == f"/e/{org.slug}/{event.slug}"


@pytest.mark.parametrize("percent", [100, 50])
def test_a_paid_order_is_cancelled_as_the_refund_policy_allows(session, make, use_db, percent):
    owner, org, event, (paid, _free) = paid_event(session, make, refund_until=utcnow() + timedelta(days=10),
                                                   refund_percent=percent)
    done = buy(session, org, event, paid.id, n=2)
    payments.start(session, done.order.access_token, None, "http://x")
    payments.mark_paid(session, Principal(owner.id), org.id, done.order.id)
    page = order_page(done.order.access_token)
    whole, one = {100: ("€50", "€25"), 50: ("€25", "€12.50")}[percent]
    assert page.texts["cancel"] and page.texts["terms"].endswith(f"get back {percent}% of the ticket price.")
    assert page.texts["cancel"] == f"Cancel and get {whole} back"
    assert page.texts[f"t{done.tickets[0].id}"] == f"Cancel this ticket and get {one} back"
    OrderState.ask_cancel.fn(page, "order")
    assert page.texts["confirm"] == f"You get {whole} back."
    OrderState.cancel.fn(page)
    assert page.error == "" and page.status == OrderStatus.CANCELLED
    assert page.texts["notice"] == f"Cancelled. {whole} is on its way back to you."
    assert page.texts["money"] == f"Paid: €50\nRefunded: {whole}"


def test_the_policy_closed_hides_the_cancel_and_the_free_cancel_is_refused(session, make, use_db):
    owner, org, event, (paid, _free) = paid_event(session, make, refund_until=utcnow() - timedelta(days=1))
    done = buy(session, org, event, paid.id)
    payments.start(session, done.order.access_token, None, "http://x")
    payments.mark_paid(session, Principal(owner.id), org.id, done.order.id)
    page = order_page(done.order.access_token)
    assert page.texts["paid"] and page.texts["cancel"] == "" and page.texts["terms"] == ""
    OrderState.ask_cancel.fn(page, "order")  # even if asked (an old page): the policy says no
    OrderState.cancel.fn(page)
    assert page.error == "Paid tickets can no longer be cancelled here. Please contact the organizer."
    assert session.get(Order, done.order.id).status == OrderStatus.CONFIRMED
