"""Check-in lists: who may get in through a door. Each list admits all of an event's ticket types or chosen
ones, within an optional window, with or without re-entry (and check-out), and names the registration answers a
steward sees on a welcome (a T-shirt size, a dietary need). An event gets one list, "All tickets", the first time
anyone looks; it is never left without one.

Counts per list and per ticket type: `total` valid tickets the list admits, `checked_in` of them let in through
this list at least once, `inside` of them in now (checked in and not checked out)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import CheckinEntry, CheckinList, CheckinScan, Event, Question, Ticket, TicketType
from aqstream.services.clock import as_utc, utcnow
from aqstream.services.errors import NotFound, ValidationError
from aqstream.services.lifecycle import TicketStatus
from aqstream.services.notify import domain_events
from aqstream.services.org.permissions import MANAGE_EVENTS, VIEW_CHECKIN, Principal, access

DEFAULT_LIST = "All tickets"
NAME_MAX = 120


@dataclass(frozen=True)
class ListInput:
    name: str
    ticket_type_ids: list[int] = field(default_factory=list)  # empty: every type
    opens_at: datetime | None = None  # aware
    closes_at: datetime | None = None
    allow_reentry: bool = False
    question_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class TypeCount:
    ticket_type_id: int
    name: str
    inside: int
    checked_in: int
    total: int


@dataclass(frozen=True)
class ListView:
    id: int
    event_id: int
    name: str
    ticket_type_ids: list[int]
    opens_at: datetime | None
    closes_at: datetime | None
    allow_reentry: bool
    question_ids: list[int]
    inside: int
    checked_in: int
    total: int
    per_type: list[TypeCount]


def _event(session: Session, organization_id: int, event_id: int) -> Event:
    event = session.exec(select(Event).where(Event.id == event_id, Event.organization_id == organization_id)).first()
    if event is None:
        raise NotFound()
    return event


def list_row(session: Session, organization_id: int, list_id: int) -> tuple[CheckinList, Event]:
    """The list and its event, when the event is the organization's; NotFound otherwise. The caller checked access."""
    row = session.exec(select(CheckinList, Event).join(Event, Event.id == CheckinList.event_id).where(
        CheckinList.id == list_id, Event.organization_id == organization_id)).first()
    if row is None:
        raise NotFound()
    return row


def _ensure_default(session: Session, event: Event) -> None:
    if session.exec(select(CheckinList.id).where(CheckinList.event_id == event.id)).first() is not None:
        return
    begin_write(session)
    # Two first looks at once: the event row's lock makes the second see the first's list.
    session.exec(select(Event.id).where(Event.id == event.id).with_for_update()).first()
    if session.exec(select(CheckinList.id).where(CheckinList.event_id == event.id)).first() is None:
        session.add(CheckinList(event_id=event.id, name=DEFAULT_LIST, ticket_type_ids=[], question_ids=[],
                                created_at=utcnow()))
    session.commit()


def _view(session: Session, checkin_list: CheckinList) -> ListView:
    entry = CheckinEntry
    rows = session.execute(
        select(TicketType.id, TicketType.name, func.count(Ticket.id), func.count(entry.ticket_id),
               func.coalesce(func.sum(case((entry.inside.is_(True), 1), else_=0)), 0))
        .select_from(TicketType)
        .join(Ticket, (Ticket.ticket_type_id == TicketType.id) & (Ticket.status == TicketStatus.VALID), isouter=True)
        .join(entry, (entry.ticket_id == Ticket.id) & (entry.list_id == checkin_list.id), isouter=True)
        .where(TicketType.event_id == checkin_list.event_id)
        .group_by(TicketType.id, TicketType.name, TicketType.sort_order)
        .order_by(TicketType.sort_order, TicketType.id)).all()
    admitted = set(checkin_list.ticket_type_ids or [])
    per_type = [TypeCount(type_id, name, int(inside), int(checked), int(total))
                for type_id, name, total, checked, inside in rows if not admitted or type_id in admitted]
    return ListView(checkin_list.id, checkin_list.event_id, checkin_list.name, list(checkin_list.ticket_type_ids or []),
                    as_utc(checkin_list.opens_at), as_utc(checkin_list.closes_at), checkin_list.allow_reentry,
                    list(checkin_list.question_ids or []), sum(c.inside for c in per_type),
                    sum(c.checked_in for c in per_type), sum(c.total for c in per_type), per_type)


def event_lists(session: Session, principal: Principal, organization_id: int, event_id: int) -> list[ListView]:
    """The event's lists with their counts, oldest first; the default list is made the first time."""
    access(session, principal, organization_id, VIEW_CHECKIN)
    event = _event(session, organization_id, event_id)
    _ensure_default(session, event)
    found = session.exec(select(CheckinList).where(CheckinList.event_id == event.id).order_by(CheckinList.id)).all()
    return [_view(session, item) for item in found]


def get_list(session: Session, principal: Principal, organization_id: int, list_id: int) -> ListView:
    """One list with its counts (cheap enough for a scanner to ask every few seconds)."""
    access(session, principal, organization_id, VIEW_CHECKIN)
    return _view(session, list_row(session, organization_id, list_id)[0])


stats = get_list


def _clean(session: Session, event: Event, data: ListInput) -> ListInput:
    errors: dict[str, str] = {}
    name = " ".join((data.name or "").split())
    if not name:
        errors["name"] = "checkin.list.name_required"
    elif len(name) > NAME_MAX:
        errors["name"] = "checkin.list.name_too_long"
    type_ids = sorted(set(data.ticket_type_ids or []))
    known_types = set(session.exec(select(TicketType.id).where(TicketType.event_id == event.id)).all())
    if any(t not in known_types for t in type_ids):
        errors["ticket_type_ids"] = "checkin.list.type_unknown"
    question_ids = list(dict.fromkeys(data.question_ids or []))
    known_questions = set(session.exec(select(Question.id).where(Question.event_id == event.id)).all())
    if any(q not in known_questions for q in question_ids):
        errors["question_ids"] = "checkin.list.question_unknown"
    for key in ("opens_at", "closes_at"):
        value = getattr(data, key)
        if value is not None and value.tzinfo is None:
            errors[key] = "checkin.list.time_invalid"
    if not errors and data.opens_at and data.closes_at and data.closes_at <= data.opens_at:
        errors["closes_at"] = "checkin.list.closes_before_opens"
    if errors:
        raise ValidationError(errors)
    return ListInput(name, type_ids, data.opens_at, data.closes_at, bool(data.allow_reentry), question_ids)


def _recorded(session: Session, organization_id: int, principal: Principal, name: str, list_id: int,
           data: dict) -> None:
    domain_events.record(session, name, {"list_id": list_id} | data, organization_id=organization_id,
                         actor_user_id=principal.user_id)


def _apply(checkin_list: CheckinList, data: ListInput) -> None:
    checkin_list.name = data.name
    checkin_list.ticket_type_ids = data.ticket_type_ids
    checkin_list.opens_at = data.opens_at
    checkin_list.closes_at = data.closes_at
    checkin_list.allow_reentry = data.allow_reentry
    checkin_list.question_ids = data.question_ids


def create_list(session: Session, principal: Principal, organization_id: int, event_id: int,
                data: ListInput) -> ListView:
    access(session, principal, organization_id, MANAGE_EVENTS)
    event = _event(session, organization_id, event_id)
    clean = _clean(session, event, data)
    _ensure_default(session, event)
    begin_write(session)
    made = CheckinList(event_id=event.id, created_at=utcnow())
    _apply(made, clean)
    session.add(made)
    session.flush()
    _recorded(session, organization_id, principal, "checkin_list.created", made.id,
           {"event_id": event.id, "name": made.name})
    session.commit()
    session.refresh(made)
    return _view(session, made)


def update_list(session: Session, principal: Principal, organization_id: int, list_id: int,
                data: ListInput) -> ListView:
    access(session, principal, organization_id, MANAGE_EVENTS)
    checkin_list, event = list_row(session, organization_id, list_id)
    clean = _clean(session, event, data)
    begin_write(session)
    checkin_list = session.get(CheckinList, list_id)
    _apply(checkin_list, clean)
    session.add(checkin_list)
    _recorded(session, organization_id, principal, "checkin_list.updated", list_id,
           {"event_id": event.id, "name": clean.name})
    session.commit()
    session.refresh(checkin_list)
    return _view(session, checkin_list)


def delete_list(session: Session, principal: Principal, organization_id: int, list_id: int) -> None:
    """Remove a list with its entries and scans; never the event's last one. The tickets keep when they were first
    let in (`Ticket.checked_in_at`)."""
    access(session, principal, organization_id, MANAGE_EVENTS)
    checkin_list, event = list_row(session, organization_id, list_id)
    name, event_id = checkin_list.name, event.id
    begin_write(session)
    session.exec(select(Event.id).where(Event.id == event_id).with_for_update()).first()
    count = session.execute(select(func.count()).select_from(CheckinList).where(
        CheckinList.event_id == event_id)).scalar()
    if count <= 1:
        session.rollback()
        raise ValidationError({"list": "checkin.list.last_one"})
    for table in (CheckinScan, CheckinEntry):
        session.execute(table.__table__.delete().where(table.__table__.c.list_id == list_id))
    session.execute(CheckinList.__table__.delete().where(CheckinList.__table__.c.id == list_id))
    _recorded(session, organization_id, principal, "checkin_list.deleted", list_id, {"event_id": event_id, "name": name})
    session.commit()
