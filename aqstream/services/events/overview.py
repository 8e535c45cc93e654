"""The numbers an event's overview shows: places taken against capacity, per ticket type and for the event,
and what happened today (registrations and cancellations, the organization's calendar day)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func
from sqlmodel import Session, select

from aqstream.models import Event, Ticket, TicketType
from aqstream.services.clock import utcnow
from aqstream.services.events.events import get_event, list_ticket_types
from aqstream.services.lifecycle import TicketStatus
from aqstream.services.org.permissions import VIEW_ATTENDEES, Principal, access


@dataclass(frozen=True)
class EventNumbers:
    event: Event
    ticket_types: list[TicketType]  # each with its `sold` and `quantity`
    registered: int  # places taken (held or valid tickets)
    capacity: int | None  # None: only the ticket types' quantities limit it
    registered_today: int  # valid tickets made since midnight
    cancelled_today: int  # tickets cancelled since midnight
    cancelled: int  # tickets cancelled in all


def event_numbers(session: Session, principal: Principal, organization_id: int, event_id: int) -> EventNumbers:
    org = access(session, principal, organization_id, VIEW_ATTENDEES).organization
    event = get_event(session, principal, organization_id, event_id)
    now = utcnow()
    midnight = now.astimezone(ZoneInfo(org.time_zone)).replace(hour=0, minute=0, second=0, microsecond=0)
    midnight = midnight.astimezone(timezone.utc)
    cancelled = Ticket.status == TicketStatus.CANCELLED
    today, cancelled_today, cancelled_all = session.exec(
        select(
            func.count(case((and_(Ticket.status == TicketStatus.VALID, Ticket.created_at >= midnight), 1))),
            func.count(case((and_(cancelled, Ticket.cancelled_at >= midnight), 1))),
            func.count(case((cancelled, 1))),
        ).where(Ticket.event_id == event.id)
    ).one()
    return EventNumbers(event, list_ticket_types(session, event.id), event.sold, event.capacity, today or 0,
                        cancelled_today or 0, cancelled_all or 0)
