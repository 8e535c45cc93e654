"""Registration: turn a visitor's request into a confirmed order without ever overselling.

Capacity is taken through the inventory (guarded writes, UPDATE ... WHERE sold + n <= limit) in the
transaction that creates the order (pending, with `hold_for`, when something is still outstanding), the
confirmation email goes into the outbox in that same transaction, and an Idempotency-Key
makes a replayed request return the first answer instead of a second order (docs/architecture.md, invariants 1-3)."""
from __future__ import annotations

import copy
import hashlib
import json
import random
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, select

from aqstream.db import begin_write, session_scope
from aqstream.models import Answer, Event, Order, Organization, Payment, Ticket, TicketType
from aqstream.services.accounts.accounts import normalize_locale
from aqstream.services.clock import utcnow
from aqstream.services.errors import (
    Conflict,
    DomainError,
    NotFound,
    RegistrationClosed,
    SoldOut,
    ValidationError,
)
from aqstream.services.events import questions
from aqstream.services.events.events import get_public_event
from aqstream.services.lifecycle import EventStatus, OrderStatus, TicketStatus
from aqstream.services.notify import domain_events, email_kinds
from aqstream.services.org.permissions import SUSPENDED
from aqstream.services.payments import records as payment_records
from aqstream.services.payments import settings as payment_settings
from aqstream.services.platform import tenants
from aqstream.services.sales import inventory
from aqstream.services.validation import Checker, split_emails

# Test-only switch: with the guard off, capacity is checked by reading and then writing in application
# code, the classic lost-update bug. The concurrency tests flip it to prove they can catch an oversell.
GUARD_ENABLED = True

CONFIRMATION_EMAIL = email_kinds.REGISTRATION_CONFIRMATION
NOTICE_EMAIL = email_kinds.REGISTRATION_NOTICE
RETRIES = 5
TRANSIENT_SQLSTATES = {"40P01", "40001"}  # deadlock detected, serialization failure (PostgreSQL)
MAX_TICKETS_PER_ORDER = 100


@dataclass
class TicketRequest:
    """One place in an order. A blank attendee name stays blank (not the buyer's); email is optional."""

    ticket_type_id: int | str | None
    attendee_name: str = ""
    attendee_email: str = ""
    answers: dict[str, Any] = field(default_factory=dict)


@dataclass
class RegistrationResult:
    order: Order
    tickets: list[Ticket]
    replayed: bool = False  # True when an earlier request with the same Idempotency-Key made the order
    # A paid order's first payment attempt as written with it: payments.start_first asks the provider with no
    # second read (None for a free order, a replay, or an organizer's addition).
    first_payment: payment_records.FirstAttempt | None = None


def new_secret() -> str:
    """An unguessable, URL-safe code: 160 random bits."""
    return secrets.token_urlsafe(20)


def _registration_state(event: Event, now) -> str | None:
    """Why registration is closed right now, as a message key; None when it is open."""
    if event.status == EventStatus.CANCELLED:
        return "registration.event_cancelled"
    if event.status == EventStatus.ARCHIVED:
        return "registration.event_over"
    if event.status != EventStatus.PUBLISHED:
        return "registration.not_published"
    if event.registration_opens_at and now < event.registration_opens_at:
        return "registration.not_open_yet"
    if now >= event.ends_at:
        return "registration.event_over"
    if event.registration_closes_at and now >= event.registration_closes_at:
        return "registration.closed"
    return None


def registration_closed_reason(event: Event, org: Organization | None = None) -> str | None:
    """Why registration is closed now (a message key), the organization's suspension first; None when open."""
    if org is not None and org.status == SUSPENDED:
        return "registration.org_suspended"
    return _registration_state(event, utcnow())


def sales_state(tt: TicketType, now=None, methods: tuple[str, ...] | list[str] | None = None) -> str | None:
    """Why a ticket type cannot be bought now (a message key), or None. `methods`: the payment methods the event
    offers (payment_settings.offered), when known: a paid type cannot be bought while there is none."""
    if methods is not None and tt.price_minor > 0 and not methods:
        return "registration.no_payment_methods"
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


@dataclass
class Request:
    """A registration request whose fields have been checked; nothing read from the database yet."""

    org_slug: str
    event_slug: str
    name: str
    email: str
    lines: list[tuple[int, str, str]]  # (ticket type id, attendee name, attendee email) per place
    tickets: list[TicketRequest]
    answers: dict[str, Any] | None
    unlock_code: str | None
    user_id: int | None
    key: str | None
    locale: str
    simple: bool  # asked as ticket_type_id + quantity: errors name those fields
    # Added by an organizer (a speaker, a guest): any ticket type, hidden or not, outside the sales and
    # registration windows, also to a draft; never past a limit. The caller has checked the role.
    added_by: int | None = None
    notify: bool = True  # False: no confirmation email (an organizer adding someone quietly)
    # Set: the order is made pending, holding its places until now + hold_for (a payment is outstanding);
    # pending_orders.confirm_pending confirms it (and sends the confirmation), pending_orders.expire_due
    # gives them back.
    hold_for: timedelta | None = None
    # How a paid order will be paid (services/payments): stripe | yookassa | bank; None lets the event's only
    # method be taken. A paid order by a buyer is made pending, holding its places for the event's hold.
    payment_method: str | None = None

    @property
    def by_organizer(self) -> bool:
        return self.added_by is not None

    @property
    def open_statuses(self) -> tuple[str, ...]:
        return (EventStatus.PUBLISHED, EventStatus.DRAFT) if self.by_organizer else (EventStatus.PUBLISHED,)


@dataclass
class _Context:
    """What a batch of requests for one event needs to know, read once per batch."""

    org: Any  # copies of Organization, Event, TicketType and Question rows
    event: Any
    types: list[Any]
    asked: list[Any]
    removed: set[str]
    methods: tuple[str, ...] = ()  # the payment methods the event offers now
    payment_settings: Any = None  # a copy of the organization's payment settings, when the event sells paid tickets


@dataclass
class _Plan:
    index: int
    request: Request
    offered: dict[int, Any]
    fingerprint: str
    wanted: Counter = field(default_factory=Counter)
    order_answers: dict[int, Any] = field(default_factory=dict)
    ticket_answers: list[dict[int, Any]] = field(default_factory=list)
    method: str = ""  # the payment method of a paid order ("" for a free one, or one an organizer adds)


# A request that must wait for the rest of its batch to commit: it repeats an Idempotency-Key (or, with one
# registration per email, an email) of an earlier request in the same batch.
RETRY = object()


def register(session: Session, **kwargs) -> RegistrationResult:
    """Register for an event, in the caller's session. Either `tickets` (one entry per place) or
    `ticket_type_id` and `quantity`; errors of the second form name its own fields. Busy callers (the API,
    the web form) use `submit`, which does the same in batches."""
    outcome = run_batch(session, [parse_request(engine=session.get_bind(), **kwargs)])[0]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def parse_request(engine=None, **kwargs) -> Request:
    """The request checked on its own (names, addresses, numbers). When that fails and `engine` is given, the
    answers are checked against the event's questions too, so a form shows every error at once, not in two
    rounds (the answers are otherwise checked with the event, inside the registration's transaction)."""
    simple = kwargs.get("tickets") is None
    try:
        return _parse(**kwargs)
    except ValidationError as exc:
        if engine is not None:
            for name, key in _answer_errors(engine, kwargs).items():
                exc.errors.setdefault(name, key)
        if simple:
            _rename_for_simple_form(exc)
        raise


def _answer_errors(engine, kwargs: dict) -> dict[str, str]:
    """What the answers' check would say, read outside any write (an unknown event: nothing to add)."""
    checker = Checker()
    with session_scope(engine) as session:
        try:
            _org, event, _types = get_public_event(session, (kwargs.get("org_slug") or "").lower(),
                                                   (kwargs.get("event_slug") or "").lower(),
                                                   include_drafts=kwargs.get("added_by") is not None)
        except NotFound:
            return {}
        asked, removed = questions.for_registration(session, event.id)
    given = kwargs.get("answers")
    per_ticket = [t.answers if isinstance(t, TicketRequest) and isinstance(t.answers, dict) else None
                  for t in (kwargs.get("tickets") or [])[:MAX_TICKETS_PER_ORDER]]
    _clean_answers(asked, removed, given if isinstance(given, dict) else None, per_ticket, checker)
    return checker.errors


def _clean_answers(asked: list, removed: set[str], order_answers, ticket_answers: list, checker: Checker):
    """The order's answers and each ticket's, checked against the event's questions (errors into `checker`)."""
    clean_order = questions.clean_answers([q for q in asked if q.scope == "order"], order_answers, checker, "answers",
                                          removed)
    attendee_qs = [q for q in asked if q.scope == "attendee"]
    clean_tickets = [questions.clean_answers(attendee_qs, answers, checker, f"tickets.{i}.answers", removed)
                     for i, answers in enumerate(ticket_answers)]
    return clean_order, clean_tickets


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


def _parse(
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
    added_by: int | None = None,
    notify: bool = True,
    hold_for: timedelta | None = None,
    payment_method: str | None = None,
) -> Request:
    simple = tickets is None
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
    if hold_for is not None and hold_for <= timedelta(0):
        raise ValueError("hold_for must be positive")
    method = (payment_method or "").strip().lower() or None if isinstance(payment_method, (str, type(None))) else None
    if method is not None and len(method) > 20:
        checker.fail("payment_method", "payment.method_unavailable")
    key = (idempotency_key or "").strip() or None
    if key is not None and len(key) > 200:
        checker.fail("idempotency_key", "field.too_long")
    lines = []
    for i, tr in enumerate(tickets[:MAX_TICKETS_PER_ORDER]):
        type_id = checker.int_range(f"tickets.{i}.ticket_type_id", tr.ticket_type_id, low=1, high=2**31 - 1)
        attendee = checker.text(f"tickets.{i}.attendee_name", tr.attendee_name, max_len=200, required=False) or ""
        if simple and i == 0:
            attendee = name  # tickets by count name no one: the first is the buyer's own
        # A blank name stays blank ("name not given" to the organizer): never silently the buyer's, who may be
        # buying for someone else. The forms start attendee 1 filled with the buyer's name, visibly.
        attendee_email = checker.email(f"tickets.{i}.attendee_email", tr.attendee_email, required=False)
        lines.append((type_id, attendee, attendee_email))
    checker.raise_if_any()
    return Request(org_slug=(org_slug or "").lower(), event_slug=(event_slug or "").lower(), name=name, email=email,
                   lines=lines, tickets=tickets, answers=answers, unlock_code=unlock_code, user_id=user_id, key=key,
                   locale=normalize_locale(locale), simple=simple, added_by=added_by,
                   notify=notify, hold_for=hold_for, payment_method=method)


def _identify(request: Request, ctx: _Context, index: int) -> _Plan:
    """Which ticket types the request may buy, and its fingerprint (what a replay must repeat exactly)."""
    types = ctx.types if request.by_organizer else offered_types(ctx.types, request.unlock_code)
    offered = {tt.id: tt for tt in types}
    for i, (type_id, _, _) in enumerate(request.lines):
        if type_id not in offered:
            raise NotFound("registration.ticket_type_unknown", field=f"tickets.{i}.ticket_type_id")
    fingerprint = _fingerprint(request.name, request.email, request.lines, request.answers, request.tickets)
    return _Plan(index, request, offered, fingerprint)


def _check(plan: _Plan, ctx: _Context, now) -> None:
    """The event's and ticket types' rules, and the answers; fills in what the plan will write."""
    request = plan.request
    tenants.check_can_sell(ctx.org)  # a suspended organization sells nothing, whoever asks
    if request.by_organizer:
        if ctx.event.status not in request.open_statuses:
            raise RegistrationClosed(_registration_state(ctx.event, now) or "registration.closed")
    elif closed := _registration_state(ctx.event, now):
        raise RegistrationClosed(closed)
    plan.wanted = Counter(type_id for type_id, _, _ in request.lines)
    for type_id, n in plan.wanted.items():
        if request.by_organizer:
            continue
        tt = plan.offered[type_id]
        if reason := sales_state(tt, now):
            raise RegistrationClosed(reason, field="tickets", ticket_type=tt.name)
        if n < tt.min_per_order or n > tt.max_per_order:
            raise ValidationError({"tickets": "registration.quantity_out_of_range"}, ticket_type=tt.name,
                                  low=tt.min_per_order, high=tt.max_per_order)
    total = sum(plan.offered[type_id].price_minor * n for type_id, n in plan.wanted.items())
    if total > 0 and not request.by_organizer:
        method = request.payment_method or (ctx.methods[0] if len(ctx.methods) == 1 else None)
        if not ctx.methods:
            raise RegistrationClosed("payment.no_methods")
        if method not in ctx.methods:
            raise ValidationError({"payment_method": "payment.method_required" if method is None
                                   else "payment.method_unavailable"})
        plan.method = method
    checker = Checker()
    plan.order_answers, plan.ticket_answers = _clean_answers(ctx.asked, ctx.removed, request.answers,
                                                             [tr.answers for tr in request.tickets], checker)
    checker.raise_if_any()


def _load_context(session: Session, request: Request) -> _Context:
    """The event as read now, copied into plain values: they stay as read (the counters too, which only
    the test switch GUARD_ENABLED=False trusts) when the transaction is restarted or rolled back."""
    org, event, types = get_public_event(session, request.org_slug, request.event_slug, include_hidden=True,
                                         include_drafts=request.by_organizer)
    asked, removed = questions.for_registration(session, event.id)
    row = payment_settings.settings_row(session, event.organization_id) if any(tt.price_minor > 0 for tt in types) else None
    methods = payment_settings.offered(session, event, row) if row is not None else ()
    return _Context(_copy(org), _copy(event), [_copy(tt) for tt in types], [_copy(q) for q in asked], removed, methods,
                    _copy(row) if row is not None else None)


def _copy(row) -> Any:
    return SimpleNamespace(**{name: getattr(row, name) for name in type(row).model_fields})


def _earlier_orders(session: Session, event_id: int, keys: set[str]) -> dict[str, tuple[Order, list[Ticket]]]:
    """Orders already made with these Idempotency-Keys, with their tickets."""
    if not keys:
        return {}
    found = session.exec(select(Order).where(Order.event_id == event_id, Order.idempotency_key.in_(keys))).all()
    if not found:
        return {}
    tickets: dict[int, list[Ticket]] = {o.id: [] for o in found}
    for t in session.exec(select(Ticket).where(Ticket.order_id.in_(list(tickets))).order_by(Ticket.id)).all():
        tickets[t.order_id].append(t)
    for row in [*found, *(t for ts in tickets.values() for t in ts)]:
        session.expunge(row)  # answers to hand out: they must not expire when this transaction ends
    return {o.idempotency_key: (o, tickets[o.id]) for o in found}


def _replayed(plan: _Plan, earlier: tuple[Order, list[Ticket]]) -> RegistrationResult:
    order, tickets = earlier
    if not secrets.compare_digest(order.request_fingerprint, plan.fingerprint):
        raise Conflict("registration.idempotency_key_reused")
    return RegistrationResult(order, tickets, replayed=True)


def run_batch(session: Session, requests: list[Request]) -> list:
    """Register several requests for ONE event in one transaction: one read of the event, one lock of its
    counters, multi-row INSERTs and one commit for all of them. Returns, per request in the same order, a
    RegistrationResult, the DomainError to answer with, or RETRY (ask again once this batch committed).

    Places are given in the order the requests arrived, by the inventory (docs/architecture.md, invariant 1), and the
    confirmation emails go into the outbox in the same transaction."""
    outcomes: list = [None] * len(requests)
    if len({(r.org_slug, r.event_slug, r.added_by) for r in requests}) > 1:
        raise ValueError("a batch is for one event and one kind of request")
    try:
        outcomes = _run_batch(session, requests, outcomes)
    except IntegrityError:
        # Another process won a race for a unique key (the same Idempotency-Key, or the same email where one
        # registration per email is allowed). Nothing of this batch was written; each request goes alone.
        session.rollback()
        if len(requests) > 1:
            outcomes = [_alone(session, r) for r in requests]
        else:
            outcomes = [_after_unique_violation(session, requests[0])]
    except Exception:
        session.rollback()
        raise
    for request, outcome in zip(requests, outcomes):
        if request.simple and isinstance(outcome, (ValidationError, NotFound, RegistrationClosed)):
            _rename_for_simple_form(outcome)
    return outcomes


def is_transient(exc: BaseException) -> bool:
    """A deadlock or serialization failure: the transaction was rolled back and may simply run again."""
    return isinstance(exc, OperationalError) and getattr(exc.orig, "sqlstate", None) in TRANSIENT_SQLSTATES


def _alone(session: Session, request: Request):
    """One request of a batch that hit a unique key, in its own transaction. It never raises: the requests
    before it may have committed already, so the batch must not be run again; an error is this request's
    own answer."""
    for attempt in range(1, RETRIES + 1):
        try:
            return run_batch(session, [request])[0]
        except Exception as exc:
            session.rollback()
            if not is_transient(exc) or attempt == RETRIES:
                return exc
            time.sleep(random.uniform(0, 0.01 * attempt))


def _after_unique_violation(session: Session, request: Request):
    try:
        ctx = _load_context(session, request)
        plan = _identify(request, ctx, 0)
        earlier = _earlier_orders(session, ctx.event.id, {request.key}) if request.key else {}
        session.rollback()
        if request.key in earlier:
            return _replayed(plan, earlier[request.key])
        return Conflict("registration.already_registered", field="email")
    except DomainError as exc:
        session.rollback()
        return exc


def _run_batch(session: Session, requests: list[Request], outcomes: list) -> list:
    try:
        ctx = _load_context(session, requests[0])
    except DomainError as exc:
        session.rollback()
        return [copy.copy(exc) for _ in requests]  # one each: the simple form renames its fields in place
    now = utcnow()
    plans: list[_Plan] = []
    for i, request in enumerate(requests):
        try:
            plans.append(_identify(request, ctx, i))
        except DomainError as exc:
            outcomes[i] = exc
    # Replays first: a request repeated after the event closed still gets its first answer.
    earlier = _earlier_orders(session, ctx.event.id, {p.request.key for p in plans if p.request.key})
    fresh: list[_Plan] = []
    keys_in_batch: set[str] = set()
    emails_in_batch: set[str] = set()
    for plan in plans:
        key = plan.request.key
        try:
            if key in earlier:
                outcomes[plan.index] = _replayed(plan, earlier[key])
                continue
            if key is not None and key in keys_in_batch:
                outcomes[plan.index] = RETRY
                continue
            _check(plan, ctx, now)
        except DomainError as exc:
            outcomes[plan.index] = exc
            continue
        if ctx.event.one_registration_per_email:
            if plan.request.email in emails_in_batch:
                outcomes[plan.index] = RETRY
                continue
            emails_in_batch.add(plan.request.email)
        if key is not None:
            keys_in_batch.add(key)
        fresh.append(plan)
    if ctx.event.one_registration_per_email and fresh:
        taken = set(session.exec(select(Order.dedupe_key).where(
            Order.event_id == ctx.event.id, Order.dedupe_key.in_({p.request.email for p in fresh}))).all())
        for plan in [p for p in fresh if p.request.email in taken]:
            outcomes[plan.index] = Conflict("registration.already_registered", field="email")
        fresh = [p for p in fresh if p.request.email not in taken]
    if not fresh:
        session.rollback()
        return outcomes
    begin_write(session)  # on SQLite the write transaction starts anew here; the context is plain values
    if GUARD_ENABLED:
        # Usually there is room for the whole batch: write it, then take its places with guarded writes as
        # the last statements, so the rows every buyer needs are locked only for those and the commit.
        results = _write(session, ctx, fresh, now)
        if _take_places(session, ctx.event.id, fresh, requests[0].open_statuses):
            for plan, result in zip(fresh, results):
                outcomes[plan.index] = result
            session.commit()
            return outcomes
        # Not room for everyone (or the event closed meanwhile): start again, this time locking the
        # counters first and giving places in arrival order.
        session.rollback()
        begin_write(session)
    accepted = _allocate(session, ctx, fresh, outcomes)
    if not accepted:
        session.rollback()
        return outcomes
    for plan, result in zip(accepted, _write(session, ctx, accepted, now)):
        outcomes[plan.index] = result
    session.commit()
    return outcomes


def _take_places(session: Session, event_id: int, plans: list[_Plan], statuses: tuple[str, ...]) -> bool:
    """Take the places of all plans at once (inventory.take), or report that they do not all fit. The caller
    rolls back on False."""
    taken: Counter = Counter()
    for plan in plans:
        taken.update(plan.wanted)
    return inventory.take(session, event_id, taken, statuses)


def _allocate(session: Session, ctx: _Context, plans: list[_Plan], outcomes: list) -> list[_Plan]:
    """Give places to the plans in order, as long as every ticket type and the event have room; the others
    get SoldOut. The counters are read under the inventory's row locks and written before the commit."""
    event_id = ctx.event.id
    type_ids = sorted({t for p in plans for t in p.wanted})
    if GUARD_ENABLED:
        stock = inventory.lock(session, event_id, type_ids)
        left, event_left, status = stock.left, stock.event_left, stock.event_status
    else:
        # The bug the locks prevent: room judged on values read earlier, then written without a guard.
        snapshot = {tt.id: tt for tt in ctx.types}
        left = {tid: snapshot[tid].quantity - snapshot[tid].sold for tid in type_ids}
        capacity, status = ctx.event.capacity, ctx.event.status
        event_left = None if capacity is None else capacity - ctx.event.sold
    names = {tt.id: tt.name for tt in ctx.types}
    accepted: list[_Plan] = []
    taken: Counter = Counter()
    for plan in plans:
        if status not in plan.request.open_statuses:
            # The organizer cancelled or unpublished the event while this batch ran: the organizer wins.
            outcomes[plan.index] = RegistrationClosed("registration.not_published")
            continue
        short = next((tid for tid, n in sorted(plan.wanted.items()) if n > left[tid] - taken[tid]), None)
        total = sum(plan.wanted.values())
        if short is None and event_left is not None and sum(taken.values()) + total > event_left:
            short = 0
        if short is not None:
            outcomes[plan.index] = SoldOut(field="tickets", ticket_type=names.get(short, ""))
            continue
        taken.update(plan.wanted)
        accepted.append(plan)
    if not accepted:
        return accepted
    if GUARD_ENABLED:
        inventory.take_locked(session, event_id, taken)
    else:
        inventory.take_unguarded(session, event_id, taken, {tid: tt.sold for tid, tt in snapshot.items()},
                                 ctx.event.sold)
    return accepted


def _write(session: Session, ctx: _Context, plans: list[_Plan], now) -> list[RegistrationResult]:
    """The orders, tickets and answers of the accepted plans, and their domain events (`order.placed`, and
    `order.confirmed` unless held; their handlers write the emails and audit entries), as multi-row INSERTs
    (not the ORM's unit of work, whose bookkeeping costs more CPU than the database)."""
    conn = session.connection()
    org_id, event_id = ctx.org.id, ctx.event.id
    order_rows = []
    for plan in plans:
        r = plan.request
        hold_for = r.hold_for or _payment_hold(ctx.event, plan.method)
        prices = [(plan.offered[tid].price_minor * n, plan.offered[tid].currency) for tid, n in plan.wanted.items()]
        currencies = {cur for _, cur in prices}
        order_rows.append(dict(
            organization_id=org_id, event_id=event_id, user_id=r.user_id, buyer_name=r.name, buyer_email=r.email,
            status=OrderStatus.PENDING if hold_for else OrderStatus.CONFIRMED, total_minor=sum(p for p, _ in prices),
            expires_at=now + hold_for if hold_for else None, payment_method=plan.method,
            currency=currencies.pop() if len(currencies) == 1 else "XXX", locale=r.locale,
            access_token=new_secret(), idempotency_key=r.key, request_fingerprint=plan.fingerprint,
            dedupe_key=r.email if ctx.event.one_registration_per_email else None, created_at=now, cancelled_at=None,
        ))
    table = Order.__table__
    order_ids = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), order_rows).scalars().all()
    ticket_rows = []
    for plan, order_id, order_row in zip(plans, order_ids, order_rows):
        r = plan.request
        held = order_row["status"] == OrderStatus.PENDING
        for type_id, attendee, attendee_email in r.lines:
            ticket_rows.append(dict(
                order_id=order_id, event_id=event_id, ticket_type_id=type_id, attendee_name=attendee,
                attendee_email=attendee_email or (r.email if len(r.lines) == 1 else ""), code=new_secret(),
                status=TicketStatus.HELD if held else TicketStatus.VALID, created_at=now, cancelled_at=None,
            ))
    table = Ticket.__table__
    ticket_ids = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), ticket_rows).scalars().all()
    results, answer_rows, placed, confirmed = [], [], [], []
    at = 0
    for plan, order_id, order_row in zip(plans, order_ids, order_rows):
        r = plan.request
        order = Order(id=order_id, **order_row)
        made = [Ticket(id=ticket_ids[at + k], **ticket_rows[at + k]) for k in range(len(r.lines))]
        at += len(r.lines)
        results.append(RegistrationResult(order, made))
        answer_rows += [{"order_id": order_id, "ticket_id": None, "question_id": qid, "value": value}
                        for qid, value in plan.order_answers.items()]
        answer_rows += [{"order_id": order_id, "ticket_id": t.id, "question_id": qid, "value": value}
                        for t, given in zip(made, plan.ticket_answers) for qid, value in given.items()]
        placed.append((order, {
            "order_id": order_id, "event_id": event_id, "tickets": {str(k): v for k, v in plan.wanted.items()},
            "by_organizer": r.by_organizer, "notified": r.notify,
            "pending_until": order.expires_at.isoformat() if order.expires_at else None,
            "payment_method": plan.method,
        }, r.added_by or r.user_id))
        # A pending order is told nothing yet: it is confirmed later (pending_orders.confirm_pending).
        if order.status != OrderStatus.PENDING:
            confirmed.append((order, confirmed_payload(order, ctx.event, made,
                                                       {tid: tt.name for tid, tt in plan.offered.items()},
                                                       confirm=r.notify, notice=not r.by_organizer),
                              r.added_by or r.user_id))
    if answer_rows:
        conn.execute(insert(Answer.__table__), answer_rows)
    # A paid order's first payment attempt, in the same transaction: starting the payment then only asks the provider.
    paying = [(plan, order_id, row, result) for plan, order_id, row, result in zip(plans, order_ids, order_rows, results)
              if plan.method and row["status"] == OrderStatus.PENDING]
    if paying:
        table = Payment.__table__
        payment_rows = [payment_records.first_attempt(
            organization_id=org_id, event_id=event_id, order_id=order_id, method=plan.method,
            amount_minor=row["total_minor"], currency=row["currency"], idempotency_key=plan.request.key, now=now)
            for plan, order_id, row, _ in paying]
        payment_ids = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                   payment_rows).scalars().all()
        for (plan, order_id, row, result), payment_id, payment_row in zip(paying, payment_ids, payment_rows):
            result.first_payment = payment_records.FirstAttempt(
                payment_id=payment_id, method=plan.method, organization_id=org_id, order_id=order_id,
                amount_minor=row["total_minor"], currency=row["currency"], idempotency_key=payment_row["idempotency_key"],
                reference=payment_row["reference"], description=f"{ctx.event.title} #{order_id}"[:128],
                buyer_email=row["buyer_email"], locale=row["locale"], expires_at=row["expires_at"],
                lines=tuple((plan.offered[type_id].name, plan.offered[type_id].price_minor)
                            for type_id, _, _ in plan.request.lines if plan.offered[type_id].price_minor > 0),
                settings=ctx.payment_settings)
    # Their handlers (services/notify/notifications.py) write the audit entries and queue the emails.
    domain_events.record_all(session, [
        domain_events.New(name, payload, org_id, actor, o.buyer_email)
        for name, items in (("order.placed", placed), ("order.confirmed", confirmed)) for o, payload, actor in items])
    return results


def _payment_hold(event: Any, method: str) -> timedelta | None:
    """How long a paid order holds its places: the event's card hold, or its days for a bank transfer."""
    if not method:
        return None
    if method == payment_records.BANK:
        return timedelta(days=event.bank_transfer_days)
    return timedelta(minutes=event.hold_minutes)


def confirmed_payload(order: Order, event: Any, tickets: list[Ticket], type_names: dict[int, str], *,
                      confirm: bool = True, notice: bool = True) -> dict:
    """The payload of `order.confirmed`: what the buyer's confirmation and the organizer's notices say."""
    return {
        "order_id": order.id,
        "event_id": event.id,
        "event_title": event.title,
        "buyer_email": order.buyer_email,
        "confirm": confirm,  # whether the buyer gets the confirmation (an organizer may add without telling)
        "access_token": order.access_token,
        "locale": order.locale,
        "tickets": [{"id": t.id, "code": t.code, "attendee": t.attendee_name, "type": type_names[t.ticket_type_id]}
                    for t in tickets],
        "notice_to": split_emails(event.notify_email) if notice else [],
    }


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
