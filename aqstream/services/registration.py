"""Registration: turn a visitor's request into a confirmed order without ever overselling.

Capacity is taken by guarded writes (UPDATE ... WHERE sold + n <= limit) in the transaction that creates
the order, the confirmation email goes into the outbox in that same transaction, and an Idempotency-Key
makes a replayed request return the first answer instead of a second order (DESIGN invariants 1-3)."""
from __future__ import annotations

import hashlib
import json
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import Answer, Event, Order, Organization, Ticket, TicketType
from aqstream.services import audit, outbox, questions
from aqstream.services.accounts import normalize_locale
from aqstream.services.clock import utcnow
from aqstream.services.errors import Conflict, NotFound, RegistrationClosed, SoldOut, ValidationError
from aqstream.services.events import get_public_event
from aqstream.services.validation import Checker

# Test-only switch: with the guard off, capacity is checked by reading and then writing in application
# code, the classic lost-update bug. The concurrency tests flip it to prove they can catch an oversell.
GUARD_ENABLED = True

CONFIRMATION_EMAIL = "email.registration_confirmation"
MAX_TICKETS_PER_ORDER = 100


@dataclass
class TicketRequest:
    """One place in an order. Attendee name defaults to the buyer's; email is optional."""

    ticket_type_id: int | str | None
    attendee_name: str = ""
    attendee_email: str = ""
    answers: dict[str, Any] = field(default_factory=dict)


@dataclass
class RegistrationResult:
    order: Order
    tickets: list[Ticket]
    replayed: bool = False  # True when an earlier request with the same Idempotency-Key made the order


def new_secret() -> str:
    """An unguessable, URL-safe code: 160 random bits."""
    return secrets.token_urlsafe(20)


def _registration_state(event: Event, now) -> str | None:
    """Why registration is closed right now, as a message key; None when it is open."""
    if event.status == "cancelled":
        return "registration.event_cancelled"
    if event.status != "published":
        return "registration.not_published"
    if event.registration_opens_at and now < event.registration_opens_at:
        return "registration.not_open_yet"
    if now >= event.ends_at:
        return "registration.event_over"
    if event.registration_closes_at and now >= event.registration_closes_at:
        return "registration.closed"
    return None


def registration_closed_reason(event: Event) -> str | None:
    return _registration_state(event, utcnow())


def sales_state(tt: TicketType, now=None) -> str | None:
    """Why a ticket type cannot be bought now (a message key), or None."""
    now = now or utcnow()
    if tt.sales_start_at and now < tt.sales_start_at:
        return "registration.sales_not_started"
    if tt.sales_end_at and now >= tt.sales_end_at:
        return "registration.sales_ended"
    return None


def offered_types(types: list[TicketType], unlock_code: str | None) -> list[TicketType]:
    """The ticket types a visitor is shown: public ones, and hidden ones whose code they have."""
    code = (unlock_code or "").strip()
    return [tt for tt in types if not tt.hidden or (code and secrets.compare_digest(tt.unlock_code, code))]


def _fingerprint(name: str, email: str, lines: list, answers: dict | None, tickets: list[TicketRequest]) -> str:
    """What the request asked for, normalized: a replay must ask for exactly the same."""
    body = {
        "name": name,
        "email": email,
        "tickets": [[tid, attendee, mail, sorted((str(k), v) for k, v in (tr.answers or {}).items())]
                    for (tid, attendee, mail), tr in zip(lines, tickets)],
        "answers": sorted((str(k), v) for k, v in (answers or {}).items()),
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _replay(session: Session, event_id: int, key: str, fingerprint: str) -> RegistrationResult | None:
    order = session.exec(select(Order).where(Order.event_id == event_id, Order.idempotency_key == key)).first()
    if order is None:
        return None
    if not secrets.compare_digest(order.request_fingerprint, fingerprint):
        raise Conflict("registration.idempotency_key_reused")
    tickets = list(session.exec(select(Ticket).where(Ticket.order_id == order.id).order_by(Ticket.id)).all())
    return RegistrationResult(order, tickets, replayed=True)


def register(session: Session, **kwargs) -> RegistrationResult:
    """Register for an event. Either `tickets` (one entry per place) or `ticket_type_id` and `quantity`;
    errors of the second form name its own fields."""
    simple = kwargs.get("tickets") is None
    try:
        return _register(session, **kwargs)
    except (ValidationError, NotFound, RegistrationClosed) as exc:
        if simple:
            _rename_for_simple_form(exc)
        raise


def _rename_for_simple_form(exc) -> None:
    def rename(field: str | None) -> str | None:
        if field is None:
            return None
        if field == "tickets" and exc.message_key == "registration.quantity_out_of_range":
            return "quantity"
        if field.startswith("tickets.") and field.endswith(".ticket_type_id"):
            return "ticket_type_id"
        return field

    if isinstance(exc, ValidationError):
        exc.errors = {rename(k): v for k, v in exc.errors.items()}
    exc.field = rename(exc.field)


def _register(
    session: Session,
    *,
    org_slug: str,
    event_slug: str,
    buyer_name: str,
    buyer_email: str,
    tickets: list[TicketRequest] | None = None,
    ticket_type_id: int | str | None = None,
    quantity: int | str = 1,
    answers: dict[str, Any] | None = None,
    unlock_code: str | None = None,
    user_id: int | None = None,
    idempotency_key: str | None = None,
    locale: str = "en",
) -> RegistrationResult:
    checker = Checker()
    name = checker.text("name", buyer_name, max_len=200)
    email = checker.email("email", buyer_email)
    if tickets is None:
        count = checker.int_range("quantity", quantity, low=1, high=MAX_TICKETS_PER_ORDER)
        checker.int_range("ticket_type_id", ticket_type_id, low=1, high=2**31 - 1)
        tickets = [TicketRequest(ticket_type_id) for _ in range(count or 0)]
    elif not tickets:
        checker.fail("tickets", "registration.choose_tickets")
    elif len(tickets) > MAX_TICKETS_PER_ORDER:
        checker.fail("tickets", "registration.too_many_tickets")
    key = (idempotency_key or "").strip() or None
    if key is not None and len(key) > 200:
        checker.fail("idempotency_key", "field.too_long")
    lines = []
    for i, tr in enumerate(tickets[:MAX_TICKETS_PER_ORDER]):
        type_id = checker.int_range(f"tickets.{i}.ticket_type_id", tr.ticket_type_id, low=1, high=2**31 - 1)
        attendee = checker.text(f"tickets.{i}.attendee_name", tr.attendee_name, max_len=200, required=False) or name
        attendee_email = checker.email(f"tickets.{i}.attendee_email", tr.attendee_email, required=False)
        lines.append((type_id, attendee, attendee_email))
    checker.raise_if_any()

    org, event, all_types = get_public_event(session, org_slug, event_slug, include_hidden=True)
    offered = {tt.id: tt for tt in offered_types(all_types, unlock_code)}
    for i, (type_id, _, _) in enumerate(lines):
        if type_id not in offered:
            checker.fail(f"tickets.{i}.ticket_type_id", "registration.ticket_type_unknown")
    if checker.errors:
        raise NotFound("registration.ticket_type_unknown", field=next(iter(checker.errors)))
    type_ids = [type_id for type_id, _, _ in lines]
    fingerprint = _fingerprint(name, email, lines, answers, tickets)
    if key is not None:
        earlier = _replay(session, event.id, key, fingerprint)
        if earlier is not None:
            return earlier

    now = utcnow()
    closed = _registration_state(event, now)
    if closed:
        raise RegistrationClosed(closed)
    wanted = Counter(type_ids)
    for type_id, n in wanted.items():
        tt = offered[type_id]
        if reason := sales_state(tt, now):
            raise RegistrationClosed(reason, field="tickets", ticket_type=tt.name)
        if n < tt.min_per_order or n > tt.max_per_order:
            raise ValidationError({"tickets": "registration.quantity_out_of_range"}, ticket_type=tt.name,
                                  low=tt.min_per_order, high=tt.max_per_order)
    asked, removed = questions.for_registration(session, event.id)
    order_answers = questions.clean_answers([q for q in asked if q.scope == "order"], answers, checker, "answers",
                                            removed)
    attendee_qs = [q for q in asked if q.scope == "attendee"]
    ticket_answers = [
        questions.clean_answers(attendee_qs, tr.answers, checker, f"tickets.{i}.answers", removed)
        for i, tr in enumerate(tickets)
    ]
    checker.raise_if_any()
    if event.one_registration_per_email:
        taken = session.exec(select(Order.id).where(Order.event_id == event.id, Order.dedupe_key == email)).first()
        if taken is not None:
            raise Conflict("registration.already_registered", field="email")

    ids = {"org": org.id, "event": event.id}
    snapshot = {
        "event_title": event.title,
        "one_per_email": event.one_registration_per_email,
        "event_sold": event.sold,
        "capacity": event.capacity,
        "types": {tid: (offered[tid].name, offered[tid].price_minor, offered[tid].currency, offered[tid].sold,
                        offered[tid].quantity) for tid in wanted},
    }
    begin_write(session)
    currencies = {snapshot["types"][tid][2] for tid in wanted}
    order = Order(
        organization_id=ids["org"],
        event_id=ids["event"],
        user_id=user_id,
        buyer_name=name,
        buyer_email=email,
        status="confirmed",
        total_minor=sum(snapshot["types"][tid][1] * n for tid, n in wanted.items()),
        currency=currencies.pop() if len(currencies) == 1 else "XXX",
        locale=normalize_locale(locale),
        access_token=new_secret(),
        idempotency_key=key,
        request_fingerprint=fingerprint,
        dedupe_key=email if snapshot["one_per_email"] else None,
        created_at=now,
    )
    # The order, its tickets and answers go in as plain INSERTs (not the ORM's unit of work): in a rush
    # this is the code every buyer runs, and the ORM's bookkeeping cost more CPU than the database work.
    conn = session.connection()
    try:
        order.id = conn.execute(
            insert(Order.__table__).values(**order.model_dump(exclude={"id"})).returning(Order.__table__.c.id)
        ).scalar_one()
    except IntegrityError:
        # Another request won a race: the same Idempotency-Key (its order is the answer), or the same
        # email where one registration per email is allowed.
        session.rollback()
        earlier = _replay(session, ids["event"], key, fingerprint) if key else None
        if earlier is not None:
            return earlier
        raise Conflict("registration.already_registered", field="email")
    made = [
        Ticket(
            order_id=order.id,
            event_id=ids["event"],
            ticket_type_id=type_id,
            attendee_name=attendee,
            attendee_email=attendee_email or (email if len(lines) == 1 else ""),
            code=new_secret(),
            status="valid",
            created_at=now,
        )
        for type_id, attendee, attendee_email in lines
    ]
    ticket_ids = conn.execute(
        insert(Ticket.__table__).returning(Ticket.__table__.c.id, sort_by_parameter_order=True),
        [t.model_dump(exclude={"id"}) for t in made],
    ).scalars().all()
    for ticket, ticket_id in zip(made, ticket_ids):
        ticket.id = ticket_id
    answer_rows = [{"order_id": order.id, "ticket_id": None, "question_id": qid, "value": value}
                   for qid, value in order_answers.items()]
    answer_rows += [{"order_id": order.id, "ticket_id": ticket.id, "question_id": qid, "value": value}
                    for ticket, given in zip(made, ticket_answers) for qid, value in given.items()]
    if answer_rows:
        conn.execute(insert(Answer.__table__), answer_rows)
    outbox.enqueue(
        session,
        kind=CONFIRMATION_EMAIL,
        recipient=email,
        organization_id=ids["org"],
        payload={
            "order_id": order.id,
            "access_token": order.access_token,
            "event_title": snapshot["event_title"],
            "tickets": [{"code": t.code, "attendee": t.attendee_name, "type": snapshot["types"][t.ticket_type_id][0]}
                        for t in made],
            "locale": order.locale,
        },
    )
    audit.record(
        session,
        action="order.create",
        object_type="order",
        object_id=order.id,
        organization_id=ids["org"],
        actor_user_id=user_id,
        actor_label=email,
        data={"event_id": ids["event"], "tickets": {str(k): v for k, v in wanted.items()}},
    )
    session.flush()
    # Capacity is taken last, right before the commit: the ticket-type and event rows that every buyer
    # needs stay locked for two statements and the commit, not for the whole order (DESIGN: locks late).
    failed_type = _take_capacity(session, ids["event"], wanted, snapshot)
    if failed_type is not None:
        status = session.exec(select(Event.status).where(Event.id == ids["event"])).one() if failed_type == 0 else None
        session.rollback()
        if status not in (None, "published"):
            raise RegistrationClosed("registration.not_published")
        raise SoldOut(field="tickets", ticket_type=snapshot["types"].get(failed_type, ("",))[0])
    session.commit()
    return RegistrationResult(order, made)


def _take_capacity(session: Session, event_id: int, wanted: Counter, snapshot: dict) -> int | None:
    """Take the wanted places of each ticket type and of the event, or none. Returns the id of the type
    that ran out (0 for the event), or None on success. Rows are locked in a fixed order (ticket types by
    id, then the event), so concurrent buyers cannot deadlock."""
    total = sum(wanted.values())
    if not GUARD_ENABLED:
        # The bug the guard prevents: a check on values read earlier, then an unconditional write.
        for type_id, n in sorted(wanted.items()):
            _name, _price, _cur, sold, quantity = snapshot["types"][type_id]
            if sold + n > quantity:
                return type_id
        if snapshot["capacity"] is not None and snapshot["event_sold"] + total > snapshot["capacity"]:
            return 0
        for type_id, n in sorted(wanted.items()):
            sold = snapshot["types"][type_id][3]
            session.exec(update(TicketType).where(TicketType.id == type_id).values(sold=sold + n))
        session.exec(update(Event).where(Event.id == event_id).values(sold=snapshot["event_sold"] + total))
        return None
    if session.get_bind().dialect.name == "postgresql" and len(wanted) == 1:
        return _take_capacity_one_statement(session, event_id, wanted)
    for type_id, n in sorted(wanted.items()):
        took = session.exec(
            update(TicketType)
            .where(TicketType.id == type_id, TicketType.sold + n <= TicketType.quantity)
            .values(sold=TicketType.sold + n)
        )
        if took.rowcount != 1:
            return type_id
    # The event row is checked again under its lock: an organizer who cancels or unpublishes the event
    # while this request runs wins, and the request takes no place.
    took_event = session.exec(
        update(Event)
        .where(
            Event.id == event_id,
            Event.status == "published",
            (Event.capacity.is_(None)) | (Event.sold + total <= Event.capacity),
        )
        .values(sold=Event.sold + total)
    )
    return None if took_event.rowcount == 1 else 0


# Both guarded writes in one round trip: the event row is only touched if the ticket type had room.
# The caller rolls back if either says no, so a type taken without the event is never committed.
_TAKE_BOTH = text(
    """
    WITH took_type AS (
        UPDATE ticket_type SET sold = sold + :n
        WHERE id = :type_id AND sold + :n <= quantity
        RETURNING id
    ), took_event AS (
        UPDATE event SET sold = sold + :n
        WHERE id = :event_id AND status = 'published' AND (capacity IS NULL OR sold + :n <= capacity)
          AND EXISTS (SELECT 1 FROM took_type)
        RETURNING id
    )
    SELECT (SELECT count(*) FROM took_type), (SELECT count(*) FROM took_event)
    """
)


def _take_capacity_one_statement(session: Session, event_id: int, wanted: Counter) -> int | None:
    """PostgreSQL, one ticket type: the same guarded writes as below, as one statement, so the rows every
    buyer needs stay locked for one round trip and the commit."""
    ((type_id, n),) = wanted.items()
    took_type, took_event = session.connection().execute(
        _TAKE_BOTH, {"n": n, "type_id": type_id, "event_id": event_id}
    ).one()
    if not took_type:
        return type_id
    return None if took_event else 0


@dataclass(frozen=True)
class OrderView:
    order: Order
    event: Event
    organization: Organization
    tickets: list[tuple[Ticket, str]]  # ticket and its type's name


def get_order_by_token(session: Session, access_token: str) -> OrderView:
    """The order behind a confirmation link. The token is the secret; nothing else is asked."""
    if not access_token or len(access_token) > 64:
        raise NotFound()
    row = session.exec(
        select(Order, Event, Organization)
        .join(Event, Event.id == Order.event_id)
        .join(Organization, Organization.id == Order.organization_id)
        .where(Order.access_token == access_token)
    ).first()
    if row is None:
        raise NotFound()
    order, event, org = row
    tickets = session.exec(
        select(Ticket, TicketType.name)
        .join(TicketType, TicketType.id == Ticket.ticket_type_id)
        .where(Ticket.order_id == order.id)
        .order_by(Ticket.id)
    ).all()
    return OrderView(order, event, org, [(t, n) for t, n in tickets])
