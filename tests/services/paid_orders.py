"""Paid bank-transfer orders for tests, made through the services: an event selling a priced ticket type by bank
transfer, a registration (a pending order holding its place), its transfer started, and `payments.mark_paid`."""
from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session

from aqstream.models import Event, TicketType
from aqstream.services.org.permissions import Principal
from aqstream.services.payments import payments, settings
from aqstream.services.sales import registration


def bank_event(make, session: Session, owner, org, *, price_minor: int = 5000, currency: str = "EUR",
               quantities=(10,)):
    """A published event whose ticket types cost `price_minor` and that is paid by bank transfer."""
    event, types = make.event(owner, org, quantities=quantities)
    settings.update_settings(session, Principal(owner.id), org.id, settings.SettingsInput(
        bank_enabled=True, bank_instructions="IBAN DE00 1234 5678 9012 3456 78, reference on the order"))
    session.exec(update(Event).where(Event.id == event.id).values(pay_bank=True, currency=currency))
    session.exec(update(TicketType).where(TicketType.event_id == event.id).values(price_minor=price_minor,
                                                                                   currency=currency))
    session.commit()
    session.refresh(event)
    return event, types


def bank_order(session: Session, org, event, ticket_type_id: int, *, name: str = "Paula Payer", quantity: int = 1,
               email: str | None = None):
    """A pending bank-transfer order with its transfer started (a bank Payment awaiting the money)."""
    result = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name=name,
                                   buyer_email=email or f"{name.split()[0].lower()}-{event.id}@example.com",
                                   ticket_type_id=ticket_type_id, quantity=quantity, payment_method="bank")
    payments.start(session, result.order.access_token, "bank", "http://127.0.0.1")
    return result


def paid_order(session: Session, owner, org, event, ticket_type_id: int, **kwargs):
    result = bank_order(session, org, event, ticket_type_id, **kwargs)
    assert payments.mark_paid(session, Principal(owner.id), org.id, result.order.id) == payments.CONFIRMED
    return result
