"""Payments in the organizer's tools: an order's payment on the attendee page (services/payments/summary.py),
amounts typed in major units (services/payments/amounts.py), the payment columns of the attendee list and its
exports, and the revenue per currency of the analytics."""
import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import event as sa_event
from sqlmodel import select

from aqstream.models import Payment, Refund
from aqstream.services.errors import Forbidden, NotFound, ValidationError
from aqstream.services.lifecycle import PaymentStatus, RefundStatus
from aqstream.services.org.permissions import Principal
from aqstream.services.payments import amounts, payments, refunds, summary
from aqstream.services.reports import analytics, exports, org_analytics
from aqstream.services.sales import attendees
from aqstream.services.sales.attendees import AttendeeQuery as Q
from tests.services.paid_orders import bank_event, bank_order, paid_order
from tests.services.test_event_lifecycle import member


@pytest.mark.parametrize("text, currency, minor", [
    ("12.50", "EUR", 1250), ("12,5", "EUR", 1250), ("12", "EUR", 1200), (" 1 234,56 ", "RUB", 123456),
    ("0.01", "EUR", 1), ("500", "JPY", 500), ("1.000", "EUR", 100), ("€7.10", "EUR", 710), ("7.", "EUR", 700),
    ("0.1", "KWD", 100), ("12.345", "KWD", 12345),
])
def test_amounts_are_read_exactly_into_minor_units(text, currency, minor):
    assert amounts.parse_amount(text, currency) == minor
    assert amounts.parse_amount(amounts.plain(minor, currency), currency) == minor


@pytest.mark.parametrize("text, key", [
    ("", "refund.amount_invalid"), ("abc", "refund.amount_invalid"), ("-5", "refund.amount_invalid"),
    ("1.2.3", "refund.amount_invalid"), ("1e3", "refund.amount_invalid"), ("12.505", "refund.amount_decimals"),
    ("99999999999", "refund.amount_invalid"),
])
def test_bad_amounts_are_refused_naming_the_field(text, key):
    with pytest.raises(ValidationError) as caught:
        amounts.parse_amount(text, "EUR", field="refund_amount")
    assert caught.value.errors == {"refund_amount": key}


def test_plain_amounts_follow_the_currency_digits():
    assert amounts.plain(1250, "EUR") == "12.50"
    assert amounts.plain(5, "EUR") == "0.05"
    assert amounts.plain(500, "JPY") == "500"
    assert amounts.plain(12345, "KWD") == "12.345"


def test_payment_status_of_an_order():
    s = summary.payment_status
    assert s(0, "confirmed", 0, 0) == "free"
    assert s(5000, "pending", 0, 0) == "awaiting"
    assert s(5000, "expired", 0, 0) == "unpaid"
    assert s(5000, "confirmed", 5000, 0) == "paid"
    assert s(5000, "confirmed", 5000, 1000) == "partly_refunded"
    assert s(5000, "cancelled", 5000, 5000) == "refunded"


def test_the_attendee_page_shows_the_order_payment_refunds_and_ticket_refunds(make, session):
    owner, org = make.org()
    event, (tt,) = bank_event(make, session, owner, org, price_minor=2500)
    p = Principal(owner.id)
    pending = bank_order(session, org, event, tt.id, name="Wanda Waiting")
    view = summary.order_payment(session, p, org.id, pending.order.id)
    assert (view.method, view.total_minor, view.currency, view.status) == ("bank", 2500, "EUR", "awaiting")
    assert view.can_mark_paid and not view.can_refund and view.paid_minor == 0
    assert [(x.provider, x.status, x.amount_minor) for x in view.payments] == [("bank", PaymentStatus.PENDING, 2500)]

    paid = paid_order(session, owner, org, event, tt.id, name="Petra Paid", quantity=2)
    view = summary.order_payment(session, p, org.id, paid.order.id)
    assert (view.status, view.paid_minor, view.refundable_minor, view.can_mark_paid) == ("paid", 5000, 5000, False)
    assert view.ticket_refunds == {t.id: 2500 for t in paid.tickets}

    # A partial refund, without cancelling: the order stays, the page lists the refund (bank refunds are done at once)
    result = refunds.cancel_with_refund(session, p, org.id, paid.order.id, amount_minor=1250, cancel=False)
    assert result.status == RefundStatus.DONE and result.cancelled_ticket_ids == []
    view = summary.order_payment(session, p, org.id, paid.order.id)
    assert view.status == "partly_refunded" and view.refundable_minor == 3750 and view.refunded_minor == 1250
    assert [(r.amount_minor, r.status, r.reason) for r in view.refunds] == [(1250, "done", "organizer")]
    assert view.ticket_refunds == {t.id: 2500 for t in paid.tickets}

    # One ticket cancelled and refunded by its price; then what is left
    first, second = paid.tickets
    refunds.cancel_with_refund(session, p, org.id, paid.order.id, ticket_id=first.id)
    view = summary.order_payment(session, p, org.id, paid.order.id)
    assert view.refundable_minor == 1250 and view.ticket_refunds == {second.id: 1250}
    refunds.cancel_with_refund(session, p, org.id, paid.order.id)
    view = summary.order_payment(session, p, org.id, paid.order.id)
    assert view.status == "refunded" and not view.can_refund and view.ticket_refunds == {}

    # The attendee's detail carries the same view
    seen = attendees.detail(session, p, org.id, first.id)
    assert seen.payment is not None and seen.payment.status == "refunded" and len(seen.payment.refunds) == 3


def test_a_failed_refund_is_shown_and_can_be_retried(make, session):
    owner, org = make.org()
    event, (tt,) = bank_event(make, session, owner, org)
    paid = paid_order(session, owner, org, event, tt.id)
    payment = session.exec(select(Payment).where(Payment.order_id == paid.order.id)).one()
    # A card payment whose provider is not connected: the provider refuses, the refund fails
    payment.provider = "stripe"
    session.add(payment)
    session.commit()
    p = Principal(owner.id)
    result = refunds.cancel_with_refund(session, p, org.id, paid.order.id, amount_minor=1000, cancel=False)
    assert result.status == RefundStatus.FAILED
    view = summary.order_payment(session, p, org.id, paid.order.id)
    assert [r.status for r in view.refunds] == ["failed"] and view.status == "paid" and view.refundable_minor == 5000
    payment.provider = "bank"  # connected again (as if the organizer fixed the settings)
    session.add(payment)
    session.commit()
    assert refunds.retry(session, p, org.id, result.refund_id) == RefundStatus.DONE
    assert summary.order_payment(session, p, org.id, paid.order.id).status == "partly_refunded"


def test_another_organizations_order_cannot_be_read_refunded_or_marked_paid(make, session):
    owner, org = make.org()
    event, (tt,) = bank_event(make, session, owner, org)
    paid = paid_order(session, owner, org, event, tt.id, name="Olga Other")
    pending = bank_order(session, org, event, tt.id, name="Pavel Pending")
    intruder, their_org = make.org()
    p = Principal(intruder.id)
    for action in (lambda o: summary.order_payment(session, p, their_org.id, o),
                   lambda o: refunds.cancel_with_refund(session, p, their_org.id, o, amount_minor=100),
                   lambda o: payments.mark_paid(session, p, their_org.id, o)):
        for order_id in (paid.order.id, pending.order.id):
            with pytest.raises(NotFound):
                action(order_id)
    # and naming the victim's organization does not help: not a member
    for action in (lambda: summary.order_payment(session, p, org.id, paid.order.id),
                   lambda: refunds.cancel_with_refund(session, p, org.id, paid.order.id, amount_minor=100),
                   lambda: payments.mark_paid(session, p, org.id, pending.order.id)):
        with pytest.raises(NotFound):
            action()
    assert session.exec(select(Refund).where(Refund.order_id == paid.order.id)).all() == []
    assert summary.order_payment(session, Principal(owner.id), org.id, pending.order.id).status == "awaiting"


def test_checkin_staff_cannot_refund_or_mark_paid_and_staff_can(make, session):
    owner, org = make.org()
    event, (tt,) = bank_event(make, session, owner, org)
    paid = paid_order(session, owner, org, event, tt.id)
    pending = bank_order(session, org, event, tt.id, name="Sam Slow")
    door = member(session, org, "checkin")
    with pytest.raises(Forbidden):
        refunds.cancel_with_refund(session, door, org.id, paid.order.id, amount_minor=100, cancel=False)
    with pytest.raises(Forbidden):
        payments.mark_paid(session, door, org.id, pending.order.id)
    with pytest.raises(Forbidden):
        summary.order_payment(session, door, org.id, paid.order.id)
    staff = member(session, org, "staff")
    assert payments.mark_paid(session, staff, org.id, pending.order.id) == payments.CONFIRMED
    assert refunds.cancel_with_refund(session, staff, org.id, paid.order.id, amount_minor=100,
                                      cancel=False).amount_minor == 100


def _count_selects(session):
    seen = []

    def before(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)
    engine = session.get_bind()
    sa_event.listen(engine, "before_cursor_execute", before)
    return seen, lambda: sa_event.remove(engine, "before_cursor_execute", before)


def test_the_attendee_list_and_exports_carry_the_total_and_payment_status_without_a_query_per_row(make, session):
    owner, org = make.org()
    event, (tt,) = bank_event(make, session, owner, org, price_minor=1999)
    p = Principal(owner.id)
    paid_order(session, owner, org, event, tt.id, name="Paid Person")
    partly = paid_order(session, owner, org, event, tt.id, name="Partly Person")
    refunds.cancel_with_refund(session, p, org.id, partly.order.id, amount_minor=999, cancel=False)
    gone = paid_order(session, owner, org, event, tt.id, name="Gone Person")
    refunds.cancel_with_refund(session, p, org.id, gone.order.id)
    bank_order(session, org, event, tt.id, name="Waiting Person")
    free = attendees.add_attendee(session, p, org.id, event.id, name="Free Guest", email="guest@example.com",
                                  ticket_type_id=tt.id, notify=False)
    expected = {"Paid Person": "paid", "Partly Person": "partly_refunded", "Gone Person": "refunded",
                "Waiting Person": "awaiting", "Free Guest": "free" if free.order.total_minor == 0 else "unpaid"}

    seen, stop = _count_selects(session)
    try:
        page = attendees.search(session, p, org.id, event.id, Q(per_page=50))
    finally:
        stop()
    assert {r.attendee_name: r.payment_status for r in page.rows} == expected
    assert {r.attendee_name: (r.order_total_minor, r.currency) for r in page.rows}["Paid Person"] == (1999, "EUR")
    # The payment columns come with the page's rows, in the same statement: no query per row (5 rows here).
    assert len([q for q in seen if "from refund" in q.lower()]) == 1
    assert len([q for q in seen if "from payment" in q.lower()]) == 1

    labels = {"order_total": "Order total", "payment_status": "Payment"}
    export = attendees.export_rows(session, p, org.id, event.id, labels, locale="en")
    assert export.header[9:11] == ["Order total", "Payment"]
    body = b"".join(exports.csv_chunks(export)).decode("utf-8-sig")
    rows = {r[0]: r for r in csv.reader(io.StringIO(body))}
    assert rows["Paid Person"][9:11] == ["€19.99", "Paid"]
    assert rows["Partly Person"][10] == "Partly refunded"
    assert rows["Gone Person"][10] == "Refunded"
    assert rows["Waiting Person"][9:11] == ["€19.99", "Awaiting payment"]
    ru = attendees.export_rows(session, p, org.id, event.id, labels, locale="ru")
    workbook = load_workbook(io.BytesIO(b"".join(exports.xlsx_chunks(ru))))
    values = {row[0]: row for row in workbook.active.iter_rows(min_row=2, values_only=True)}
    assert values["Paid Person"][9:11] == ("19,99\xa0€", "Оплачен")
    assert values["Waiting Person"][10] == "Ожидает оплаты"


def test_revenue_per_currency_is_paid_pending_and_refunded_in_minor_units(make, session):
    owner, org = make.org()
    p = Principal(owner.id)
    eur_event, (eur,) = bank_event(make, session, owner, org, price_minor=3000)
    rub_event, (rub,) = bank_event(make, session, owner, org, price_minor=150050, currency="RUB")
    one = paid_order(session, owner, org, eur_event, eur.id, name="Eur One")
    paid_order(session, owner, org, eur_event, eur.id, name="Eur Two")
    bank_order(session, org, eur_event, eur.id, name="Eur Waiting")
    refunds.cancel_with_refund(session, p, org.id, one.order.id, amount_minor=1001, cancel=False)
    paid_order(session, owner, org, rub_event, rub.id, name="Rub One")
    bank_order(session, org, rub_event, rub.id, name="Rub Waiting", quantity=2)

    got = analytics.event_analytics(session, p, org.id, eur_event.id)
    assert got.money == [summary.Revenue("EUR", 6000, 3000, 1001)]
    assert got.money[0].net_minor == 4999
    whole = org_analytics.org_analytics(session, p, org.id)
    assert whole.money == [summary.Revenue("EUR", 6000, 3000, 1001), summary.Revenue("RUB", 150050, 300100, 0)]
    assert all(isinstance(v, int) for r in whole.money for v in (r.paid_minor, r.pending_minor, r.refunded_minor))
    # another organization sees none of it
    other, other_org = make.org()
    assert org_analytics.org_analytics(session, Principal(other.id), other_org.id).money == []
