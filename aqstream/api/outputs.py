"""Response bodies built from service objects, for the resource modules that answer with the same shapes
(an event, its ticket types and questions, an order and its tickets)."""
from __future__ import annotations

from sqlmodel import Session

from aqstream import config
from aqstream.api import schemas
from aqstream.models import Event, Order, Question, Ticket, TicketType
from aqstream.services.events import events, questions
from aqstream.services.lifecycle import EventStatus


def ticket_type_out(tt: TicketType, event: Event, organizer: bool = False):
    cls = schemas.OrganizerTicketTypeOut if organizer else schemas.TicketTypeOut
    extra = {"unlock_code": tt.unlock_code} if organizer else {}
    return cls(
        id=tt.id,
        name=tt.name,
        description=tt.description,
        price_minor=tt.price_minor,
        currency=tt.currency,
        quantity=tt.quantity,
        sold=tt.sold,
        available=events.places_left(event, tt),
        sales_start_at=tt.sales_start_at,
        sales_end_at=tt.sales_end_at,
        min_per_order=tt.min_per_order,
        max_per_order=tt.max_per_order,
        hidden=tt.hidden,
        sort_order=tt.sort_order,
        **extra,
    )


def question_out(q: Question) -> schemas.QuestionOut:
    return schemas.QuestionOut(id=q.id, label=q.label, kind=q.kind, required=q.required, scope=q.scope,
                               options=q.options, help_text=q.help_text)


def event_fields(event: Event, names: tuple[str, ...] = schemas.EVENT_PUBLIC_NAMES) -> dict:
    fields = {name: getattr(event, name) for name in names}
    return {**fields, "tags": events.normalize_tags(event.tags)}


def event_out(session: Session, event: Event, org_slug: str, manage: bool = True) -> schemas.EventOut:
    return schemas.EventOut(
        id=event.id,
        **event_fields(event, schemas.EVENT_NAMES),
        registered=event.sold,
        public_url=f"{config.public_base_url()}/e/{org_slug}/{event.slug}" if event.status == EventStatus.PUBLISHED else None,
        ticket_types=[ticket_type_out(tt, event, organizer=manage) for tt in events.list_ticket_types(session, event.id)],
        questions=[question_out(q) for q in questions.active_questions(session, event.id)],
    )


def ticket_out(t: Ticket) -> schemas.TicketOut:
    return schemas.TicketOut(id=t.id, code=t.code, attendee_name=t.attendee_name, attendee_email=t.attendee_email,
                             ticket_type_id=t.ticket_type_id, status=t.status)


def order_out(order: Order, tickets: list[Ticket], answers=()) -> dict:
    return dict(
        id=order.id,
        status=order.status,
        buyer_name=order.buyer_name,
        buyer_email=order.buyer_email,
        total_minor=order.total_minor,
        currency=order.currency,
        created_at=order.created_at,
        payment_method=order.payment_method,
        expires_at=order.expires_at if order.status == "pending" else None,
        tickets=[ticket_out(t) for t in tickets],
        answers=[{"question_id": q.id, "question": q.label, "ticket_id": a.ticket_id, "value": a.value}
                 for a, q in answers],
    )
