"""Payments' own handlers of other features' domain events (loaded by services/notify/domain_events.py)."""
from __future__ import annotations

from sqlmodel import Session, select

from aqstream.models import DomainEvent, Payment
from aqstream.services.lifecycle import PaymentStatus
from aqstream.services.notify.domain_events import handler
from aqstream.services.payments import refunds


@handler("event.cancelled")
def refund_cancelled_event(session: Session, event: DomainEvent) -> None:
    """A cancelled event gives back every payment it took, in full, in the cancellation's transaction: the refunds
    are pending records that the `refunds` job asks of the providers (the buyers are told when each is done)."""
    paid = session.exec(select(Payment).where(Payment.event_id == event.payload["event_id"],
                                              Payment.status == PaymentStatus.SUCCEEDED).order_by(Payment.id)).all()
    for payment in paid:
        left = refunds.refundable(session, payment.id)
        if left > 0:
            refunds.add(session, payment, left, reason=refunds.EVENT_CANCELLED, actor_user_id=event.actor_user_id)
