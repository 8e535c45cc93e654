"""Refunds: money given back for a payment, each its own record (pending, done, failed).

A refund is written in the transaction that decided it (an organizer's cancellation, an attendee's within the
event's refund policy, a late payment whose places were sold), then asked of the provider that took the money
(`attempt`); the `refunds` job retries pending ones with back-off until the provider answers (`run_due`). The
provider gets the refund's own idempotency key, so a retry after a lost answer never pays twice."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import Event, Order, Payment, Refund, Ticket, TicketType
from aqstream.services.clock import utcnow
from aqstream.services.errors import Conflict, NotFound, ValidationError
from aqstream.services.lifecycle import OrderStatus, PaymentStatus, RefundStatus, TicketStatus, move
from aqstream.services.notify import domain_events
from aqstream.services.org.permissions import MANAGE_EVENTS, Principal, access
from aqstream.services.payments import settings
from aqstream.services.payments.providers import ProviderRefused, ProviderUnavailable
from aqstream.services.sales import orders

log = logging.getLogger(__name__)

ORGANIZER, ATTENDEE, LATE_PAYMENT, EVENT_CANCELLED = "organizer", "attendee", "late_payment", "event_cancelled"
MAX_ATTEMPTS = 12
BACKOFF = (30, 60, 120, 300, 600, 1800, 3600)  # seconds before the next try; the last repeats


def refundable(session: Session, payment_id: int) -> int:
    """What is left to give back of a payment: its amount less its refunds pending or done."""
    amount = session.exec(select(Payment.amount_minor).where(Payment.id == payment_id)).one()
    taken = session.exec(select(func.coalesce(func.sum(Refund.amount_minor), 0)).where(
        Refund.payment_id == payment_id, Refund.status.in_((RefundStatus.PENDING, RefundStatus.DONE)))).one()
    return amount - int(taken or 0)


def add(session: Session, payment: Payment, amount_minor: int, *, reason: str, now: datetime | None = None,
        ticket_id: int | None = None, actor_user_id: int | None = None) -> Refund:
    """A pending refund, inside the caller's write transaction (the caller has checked the amount)."""
    now = now or utcnow()
    count = session.exec(select(func.count(Refund.id)).where(Refund.payment_id == payment.id)).one()
    refund = Refund(organization_id=payment.organization_id, payment_id=payment.id, order_id=payment.order_id,
                    ticket_id=ticket_id, amount_minor=amount_minor, currency=payment.currency, reason=reason,
                    status=RefundStatus.PENDING, idempotency_key=f"aqstream-refund-{payment.id}-{count + 1}",
                    next_attempt_at=now, created_at=now, actor_user_id=actor_user_id)
    session.add(refund)
    session.flush()
    return refund


def _paid_payment(session: Session, order_id: int) -> Payment | None:
    return session.exec(select(Payment).where(Payment.order_id == order_id, Payment.status == PaymentStatus.SUCCEEDED)
                        .order_by(Payment.attempt.desc())).first()


def _ticket_price(session: Session, ticket_id: int) -> int:
    return session.exec(select(TicketType.price_minor).join(Ticket, Ticket.ticket_type_id == TicketType.id)
                        .where(Ticket.id == ticket_id)).one()


@dataclass(frozen=True)
class RefundResult:
    cancelled_ticket_ids: list[int]
    refund_id: int | None
    amount_minor: int
    status: str  # the refund's status after the first attempt ("" when nothing was refunded)


def cancel_with_refund(session: Session, principal: Principal, organization_id: int, order_id: int, *,
                       ticket_id: int | None = None, amount_minor: int | str | None = None, reason: str = "",
                       cancel: bool = True) -> RefundResult:
    """An organizer cancels a paid order (or one ticket of it) and gives back all of it or a part
    (`amount_minor`; default: the whole order, or the ticket's price). `cancel=False` refunds without
    cancelling (a goodwill discount). All in one transaction; then the provider is asked once."""
    access(session, principal, organization_id, MANAGE_EVENTS)
    order = session.exec(select(Order).where(Order.id == order_id, Order.organization_id == organization_id)).first()
    if order is None:
        raise NotFound()
    if ticket_id is not None and not session.exec(select(Ticket.id).where(Ticket.id == ticket_id,
                                                                          Ticket.order_id == order.id)).first():
        raise NotFound()
    payment = _paid_payment(session, order.id)
    left = refundable(session, payment.id) if payment else 0
    default = (min(left, _ticket_price(session, ticket_id)) if ticket_id is not None else left)
    amount = default
    if amount_minor not in (None, ""):
        try:
            amount = int(str(amount_minor).strip())
        except ValueError:
            raise ValidationError({"amount_minor": "refund.amount_invalid"}) from None
        if amount < 0 or amount > left:
            raise ValidationError({"amount_minor": "refund.amount_too_high"}, max=left)
    if not cancel and amount <= 0:
        raise ValidationError({"amount_minor": "refund.amount_invalid"})
    begin_write(session)
    try:
        flipped = []
        if cancel:
            flipped = orders.cancel_in_transaction(session, order.id, [ticket_id] if ticket_id else None,
                                                   by="organizer", actor_user_id=principal.user_id, reason=reason)
            if not flipped:
                raise Conflict("order.nothing_to_cancel")
        refund = add(session, payment, amount, reason=ORGANIZER, ticket_id=ticket_id,
                     actor_user_id=principal.user_id) if payment and amount > 0 else None
        if refund is not None:
            _record(session, "refund.requested", refund, order)
        if flipped:
            orders.return_places(session, flipped)
    except BaseException:
        session.rollback()
        raise
    session.commit()
    status = attempt(session, refund.id) if refund is not None else ""
    return RefundResult([f.ticket_id for f in flipped], refund.id if refund else None, amount if refund else 0, status)


def attendee_refund_terms(event: Event, now: datetime | None = None) -> int | None:
    """The share (percent) an attendee gets back for cancelling a paid ticket now, or None when the event's
    policy does not let them cancel it themselves."""
    now = now or utcnow()
    if event.refund_until is None or now >= event.refund_until or now >= event.starts_at:
        return None
    return event.refund_percent


def _policy_share(prices_minor: int, percent: int, left: int) -> int:
    """The event's refund policy in money: its percentage of the tickets' prices, never more than is left."""
    return max(0, min(left, prices_minor * percent // 100))


@dataclass(frozen=True)
class AttendeeQuote:
    """What an attendee's own cancel gives back now: per valid ticket, and for all of them."""

    per_ticket: dict[int, int]
    whole: int


def attendee_quote(session: Session, order_id: int, percent: int) -> AttendeeQuote:
    """For the order page: what `attendee_cancel` would give back for each valid ticket and for the whole order."""
    payment = _paid_payment(session, order_id)
    left = refundable(session, payment.id) if payment else 0
    prices = dict(session.exec(select(Ticket.id, TicketType.price_minor)
                               .join(TicketType, TicketType.id == Ticket.ticket_type_id)
                               .where(Ticket.order_id == order_id, Ticket.status == TicketStatus.VALID)).all())
    return AttendeeQuote({tid: _policy_share(price, percent, left) for tid, price in prices.items()},
                         _policy_share(sum(prices.values()), percent, left))


def attendee_cancel(session: Session, access_token: str, ticket_id: int | None = None) -> RefundResult:
    """The attendee cancels a paid order (or one ticket) from its link, as the event's refund policy allows: until
    its date, getting back its percentage of what the tickets cost."""
    order = session.exec(select(Order).where(Order.access_token == (access_token or "")[:64])).first()
    if order is None or not access_token:
        raise NotFound()
    if ticket_id is not None and not session.exec(select(Ticket.id).where(Ticket.id == ticket_id,
                                                                          Ticket.order_id == order.id)).first():
        raise NotFound()
    if order.status != OrderStatus.CONFIRMED:
        raise Conflict("order.nothing_to_cancel")
    event = session.get(Event, order.event_id)
    percent = attendee_refund_terms(event)
    if percent is None:
        raise Conflict("refund.policy_closed")
    payment = _paid_payment(session, order.id)
    begin_write(session)
    try:
        flipped = orders.cancel_in_transaction(session, order.id, [ticket_id] if ticket_id else None, by="attendee",
                                               actor_user_id=order.user_id, actor_label=order.buyer_email)
        if not flipped:
            raise Conflict("order.nothing_to_cancel")
        refund = None
        if payment is not None:
            prices = session.exec(select(func.coalesce(func.sum(TicketType.price_minor), 0))
                                  .join(Ticket, Ticket.ticket_type_id == TicketType.id)
                                  .where(Ticket.id.in_([f.ticket_id for f in flipped]))).one()
            amount = _policy_share(int(prices), percent, refundable(session, payment.id))
            if amount > 0:
                refund = add(session, payment, amount, reason=ATTENDEE, ticket_id=ticket_id,
                             actor_user_id=order.user_id)
                _record(session, "refund.requested", refund, order)
        orders.return_places(session, flipped)
    except BaseException:
        session.rollback()
        raise
    session.commit()
    status = attempt(session, refund.id) if refund is not None else ""
    return RefundResult([f.ticket_id for f in flipped], refund.id if refund else None,
                        refund.amount_minor if refund else 0, status)


def _record(session: Session, name: str, refund: Refund, order: Order, **extra) -> None:
    event_title = session.exec(select(Event.title).where(Event.id == order.event_id)).one()
    domain_events.record(session, name, {
        "refund_id": refund.id, "payment_id": refund.payment_id, "order_id": order.id, "event_id": order.event_id,
        "event_title": event_title, "amount_minor": refund.amount_minor, "currency": refund.currency,
        "reason": refund.reason, "buyer_email": order.buyer_email, "access_token": order.access_token,
        "locale": order.locale, **extra,
    }, organization_id=order.organization_id, actor_user_id=refund.actor_user_id)


def attempt(session: Session, refund_id: int, now: datetime | None = None) -> str:
    """Ask the provider for a pending refund once. Done: recorded (`refund.done`, the buyer is told). The provider
    unreachable: tried again later with back-off. Refused: failed (`refund.failed`), for a person to look at."""
    now = now or utcnow()
    refund = session.exec(select(Refund).where(Refund.id == refund_id)).first()
    if refund is None or refund.status != RefundStatus.PENDING:
        return refund.status if refund else ""
    payment = session.get(Payment, refund.payment_id)
    error, answer = "", None
    ask = (payment.provider_payment_id or "", refund.amount_minor, refund.currency, refund.idempotency_key)
    accepted_id = refund.provider_refund_id  # set: the provider took it earlier and was still finishing it
    try:
        provider = settings.provider_for(session, refund.organization_id, payment.provider)
        session.rollback()  # nothing held while the provider answers
        answer = provider.fetch_refund(accepted_id) if accepted_id else provider.refund(*ask)
    except ProviderUnavailable as exc:
        error = f"unavailable: {exc}"[:500]
    except ProviderRefused as exc:
        error = f"refused: {exc}"[:500]
        answer = False
    begin_write(session)
    try:
        order = session.get(Order, refund.order_id)
        attempts = refund.attempts + 1
        if answer and answer.done:
            moved = move(session, Refund, Refund.id == refund_id, to=RefundStatus.DONE, done_at=now, attempts=attempts,
                         provider_refund_id=answer.provider_refund_id[:255], last_error="").rowcount
            if moved:
                _record(session, "refund.done", refund, order)
            status = RefundStatus.DONE
        elif answer:
            # Accepted, not finished: asked about again (by its id) until the provider says how it ended.
            wait = BACKOFF[min(attempts - 1, len(BACKOFF) - 1)]
            session.exec(update(Refund).where(Refund.id == refund_id, Refund.status == RefundStatus.PENDING).values(
                attempts=attempts, last_error="", provider_refund_id=answer.provider_refund_id[:255],
                next_attempt_at=now + timedelta(seconds=wait)))
            status = RefundStatus.PENDING
        elif answer is False or attempts >= MAX_ATTEMPTS:
            moved = move(session, Refund, Refund.id == refund_id, to=RefundStatus.FAILED, attempts=attempts,
                         last_error=error).rowcount
            if moved:
                _record(session, "refund.failed", refund, order, error=error)
            status = RefundStatus.FAILED
        else:
            wait = BACKOFF[min(attempts - 1, len(BACKOFF) - 1)]
            session.exec(update(Refund).where(Refund.id == refund_id, Refund.status == RefundStatus.PENDING).values(
                attempts=attempts, last_error=error, next_attempt_at=now + timedelta(seconds=wait)))
            status = RefundStatus.PENDING
    except BaseException:
        session.rollback()
        raise
    session.commit()
    if error:
        log.warning("refund %s: %s", refund_id, error)
    return status


def run_due(session: Session, now: datetime | None = None, *, order_ids=None, limit: int = 100) -> int:
    """The `refunds` job: every pending refund whose next attempt has come is asked of its provider."""
    now = now or utcnow()
    query = select(Refund.id).where(Refund.status == RefundStatus.PENDING, Refund.next_attempt_at <= now)
    if order_ids is not None:
        query = query.where(Refund.order_id.in_(order_ids))
    ids = session.exec(query.order_by(Refund.next_attempt_at, Refund.id).limit(limit)).all()
    for refund_id in ids:
        attempt(session, refund_id, now)
    return len(ids)


def retry(session: Session, principal: Principal, organization_id: int, refund_id: int) -> str:
    """An organizer tries a failed refund again."""
    access(session, principal, organization_id, MANAGE_EVENTS)
    begin_write(session)
    try:
        moved = move(session, Refund, Refund.id == refund_id, Refund.organization_id == organization_id,
                     to=RefundStatus.PENDING, attempts=0, next_attempt_at=utcnow()).rowcount
    except BaseException:
        session.rollback()
        raise
    session.commit()
    if not moved:
        raise NotFound()
    return attempt(session, refund_id)


def order_refunds(session: Session, order_id: int) -> list[Refund]:
    return list(session.exec(select(Refund).where(Refund.order_id == order_id).order_by(Refund.id)).all())
