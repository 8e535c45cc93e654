"""What the organizer reads about money: an order's payment (its method, total, status, every payment attempt and
refund), the payment status of each order in the attendee list and its exports (correlated sums read in the
same query as the rows: no query per row), and the revenue per currency for the analytics.

An order's payment status: `free` (nothing to pay), `awaiting` (a pending order not paid yet), `unpaid` (an order
that was to be paid and never was: expired, cancelled, or added by hand), `paid`, `partly_refunded` and
`refunded`. Refunds pending or done count as refunded (the decision is made; each refund shows its own status);
failed ones do not."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from aqstream.models import Order, Payment, Refund, Ticket, TicketType
from aqstream.services.errors import NotFound
from aqstream.services.lifecycle import OrderStatus, PaymentStatus, RefundStatus, TicketStatus
from aqstream.services.org.permissions import VIEW_ATTENDEES, Principal, access

FREE, AWAITING, UNPAID, PAID, PARTLY_REFUNDED, REFUNDED = (
    "free", "awaiting", "unpaid", "paid", "partly_refunded", "refunded")
STATUSES = (FREE, AWAITING, UNPAID, PAID, PARTLY_REFUNDED, REFUNDED)
BANK = "bank"
COUNTED_REFUNDS = (RefundStatus.PENDING, RefundStatus.DONE)


def payment_status(total_minor: int, order_status: str, paid_minor: int, refunded_minor: int) -> str:
    if paid_minor <= 0:
        if total_minor <= 0:
            return FREE
        return AWAITING if order_status == OrderStatus.PENDING else UNPAID
    if refunded_minor >= paid_minor:
        return REFUNDED
    return PARTLY_REFUNDED if refunded_minor > 0 else PAID


def paid_column(order_id=Order.id):
    """Minor units the order's succeeded payments took, as a scalar subquery of the order's row (one seek in the
    payment table's order index per row read)."""
    return (select(func.coalesce(func.sum(Payment.amount_minor), 0))
            .where(Payment.order_id == order_id, Payment.status == PaymentStatus.SUCCEEDED)
            .correlate(Order).scalar_subquery().label("paid_minor"))


def refunded_column(order_id=Order.id):
    """Minor units refunded (pending or done) of the order, as a scalar subquery of the order's row."""
    return (select(func.coalesce(func.sum(Refund.amount_minor), 0))
            .where(Refund.order_id == order_id, Refund.status.in_(COUNTED_REFUNDS))
            .correlate(Order).scalar_subquery().label("refunded_minor"))


@dataclass(frozen=True)
class PaymentLine:
    id: int
    attempt: int
    provider: str
    status: str  # created, pending, succeeded, failed
    amount_minor: int
    currency: str
    reference: str
    created_at: datetime
    paid_at: datetime | None


@dataclass(frozen=True)
class RefundLine:
    id: int
    amount_minor: int
    currency: str
    status: str  # pending, done, failed
    reason: str  # organizer, attendee, late_payment, event_cancelled
    ticket_id: int | None
    created_at: datetime
    done_at: datetime | None


@dataclass(frozen=True)
class OrderPayment:
    order_id: int
    method: str  # stripe | yookassa | bank; "" for a free order
    total_minor: int
    currency: str
    order_status: str
    status: str  # one of STATUSES
    paid_minor: int
    refunded_minor: int  # pending or done
    refundable_minor: int  # what is left to give back of the payment that took the money
    payments: list[PaymentLine]
    refunds: list[RefundLine]
    can_mark_paid: bool  # a bank transfer awaited (or its order expired meanwhile): an organizer may confirm it
    can_refund: bool
    ticket_refunds: dict[int, int]  # a valid ticket's id -> what cancelling it gives back by default


def for_order(session: Session, order: Order) -> OrderPayment:
    """The order's payment; the caller has checked who may read the order."""
    payments = [PaymentLine(p.id, p.attempt, p.provider, p.status, p.amount_minor, p.currency, p.reference,
                            p.created_at, p.paid_at)
                for p in session.exec(select(Payment).where(Payment.order_id == order.id).order_by(Payment.attempt)).all()]
    refunds = [RefundLine(r.id, r.amount_minor, r.currency, r.status, r.reason, r.ticket_id, r.created_at, r.done_at)
               for r in session.exec(select(Refund).where(Refund.order_id == order.id).order_by(Refund.id)).all()]
    paid = sum(p.amount_minor for p in payments if p.status == PaymentStatus.SUCCEEDED)
    refunded = sum(r.amount_minor for r in refunds if r.status in COUNTED_REFUNDS)
    succeeded = [p for p in payments if p.status == PaymentStatus.SUCCEEDED]
    refundable = 0
    if succeeded:  # refunds are taken from the latest payment that took money (services/payments/refunds.py)
        last = succeeded[-1]
        refundable = last.amount_minor - sum(r.amount_minor for r in session.exec(
            select(Refund).where(Refund.payment_id == last.id, Refund.status.in_(COUNTED_REFUNDS))).all())
    can_mark_paid = (order.payment_method == BANK and paid == 0 and order.total_minor > 0
                     and order.status in (OrderStatus.PENDING, OrderStatus.EXPIRED)
                     and any(p.provider == BANK and p.status != PaymentStatus.SUCCEEDED for p in payments))
    refundable = max(0, refundable)
    prices = session.exec(select(Ticket.id, TicketType.price_minor).join(TicketType, TicketType.id == Ticket.ticket_type_id)
                          .where(Ticket.order_id == order.id, Ticket.status == TicketStatus.VALID)).all()
    return OrderPayment(order.id, order.payment_method, order.total_minor, order.currency, order.status,
                        payment_status(order.total_minor, order.status, paid, refunded), paid, refunded,
                        refundable, payments, refunds, can_mark_paid, refundable > 0,
                        {ticket_id: min(refundable, price) for ticket_id, price in prices})


def order_payment(session: Session, principal: Principal, organization_id: int, order_id: int) -> OrderPayment:
    """An order's payment for those who see attendees; NotFound for another organization's order."""
    access(session, principal, organization_id, VIEW_ATTENDEES)
    order = session.exec(select(Order).where(Order.id == order_id, Order.organization_id == organization_id)).first()
    if order is None:
        raise NotFound()
    return for_order(session, order)


@dataclass(frozen=True)
class Revenue:
    currency: str
    paid_minor: int  # succeeded payments
    pending_minor: int  # orders awaiting payment (pending, with something to pay)
    refunded_minor: int  # refunds pending or done

    @property
    def net_minor(self) -> int:
        return self.paid_minor - self.refunded_minor


def revenue(session: Session, organization_id: int, event_id: int | None = None) -> list[Revenue]:
    """Money per currency, in minor units, for an organization or one of its events (three grouped sums; the
    caller has checked who may read them). Currencies in alphabetical order; none when nothing was ever paid or
    awaited."""
    paid_q = (select(Payment.currency, func.sum(Payment.amount_minor))
              .where(Payment.organization_id == organization_id, Payment.status == PaymentStatus.SUCCEEDED))
    pending_q = (select(Order.currency, func.sum(Order.total_minor))
                 .where(Order.organization_id == organization_id, Order.status == OrderStatus.PENDING,
                        Order.total_minor > 0))
    refunded_q = (select(Refund.currency, func.sum(Refund.amount_minor))
                  .where(Refund.organization_id == organization_id, Refund.status.in_(COUNTED_REFUNDS)))
    if event_id is not None:
        paid_q = paid_q.where(Payment.event_id == event_id)
        pending_q = pending_q.where(Order.event_id == event_id)
        refunded_q = refunded_q.join(Order, Order.id == Refund.order_id).where(Order.event_id == event_id)
    sums: dict[str, list[int]] = {}
    for index, statement in enumerate((paid_q.group_by(Payment.currency), pending_q.group_by(Order.currency),
                                       refunded_q.group_by(Refund.currency))):
        for currency, total in session.exec(statement).all():
            sums.setdefault(currency.upper(), [0, 0, 0])[index] += int(total or 0)
    return [Revenue(c, *v) for c, v in sorted(sums.items())]
