"""The organizer's attendee list: search, filters, sorting and pages computed by the database (fast at
100,000 tickets in one event), one attendee's details and history, adding an attendee by hand, sending
a confirmation again, and the rows of an export."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal, or_, tuple_
from sqlmodel import Session, select

from aqstream.db import begin_write, session_scope
from aqstream.i18n import format_money
from aqstream.i18n import t as translate
from aqstream.models import Answer, AuditEntry, CheckinEntry, CheckinList, Event, Order, Question, Ticket, TicketType, User
from aqstream.services.errors import Conflict, NotFound
from aqstream.services.events import questions
from aqstream.services.events.events import get_event
from aqstream.services.lifecycle import TicketStatus
from aqstream.services.notify import domain_events
from aqstream.services.org.organizations import organization_slug
from aqstream.services.org.permissions import MANAGE_EVENTS, VIEW_ATTENDEES, Principal, access
from aqstream.services.paging import page_count
from aqstream.services.payments import summary
from aqstream.services.sales import registration
from aqstream.services.validation import Checker

SORTS = {
    "registered": (Ticket.id,),
    "name": (Ticket.attendee_name, Ticket.id),  # the (event_id, attendee_name) index serves this order
    "email": (Order.buyer_email, Ticket.id),  # stored lower-case: its index gives this order
    "type": (TicketType.name, Ticket.id),
    "status": (Ticket.status, Ticket.id),
}
MAX_PER_PAGE = 200
CODE_LIKE = re.compile(r"[A-Za-z0-9_-]{20,64}")  # ticket codes are 27 URL-safe characters; names have spaces


@dataclass
class AttendeeQuery:
    search: str = ""
    ticket_type_id: int | str | None = None
    status: str = ""  # "", valid, cancelled
    checked_in: str = ""  # "", yes, no
    sort: str = "registered"
    descending: bool = True
    page: int | str = 1
    per_page: int | str = 50


@dataclass(frozen=True)
class AttendeeRow:
    ticket_id: int
    order_id: int
    attendee_name: str
    attendee_email: str  # the attendee's own address; "" when none was given (the buyer's is buyer_email)
    buyer_email: str
    ticket_type: str
    code: str
    status: str
    checked_in_at: datetime | None
    registered_at: datetime
    checked_in_device: str = ""  # the device of the ticket's first check-in ("" when none)
    order_total_minor: int = 0  # the order's total, in minor units of `currency`
    currency: str = ""
    payment_status: str = summary.FREE  # the order's (services/payments/summary.py)


@dataclass
class AttendeePage:
    rows: list[AttendeeRow]
    total: int
    page: int
    pages: int
    per_page: int
    # The sort key (values of SORTS[sort], the ticket id last) of the first and the last row: the next page is
    # read as the rows after `last_key`, the previous as those before `first_key` (see `search`).
    first_key: list = field(default_factory=list)
    last_key: list = field(default_factory=list)


def sort_key(row: AttendeeRow, sort: str) -> list:
    """A row's values of its sort's columns, as SORTS lists them (the buyer's address is stored lower-case, so
    lower() in the database gives it back as it is)."""
    return {"registered": [row.ticket_id], "name": [row.attendee_name, row.ticket_id],
            "email": [row.buyer_email, row.ticket_id], "type": [row.ticket_type, row.ticket_id],
            "status": [row.status, row.ticket_id]}[sort]


def _clean_query(q: AttendeeQuery) -> AttendeeQuery:
    checker = Checker()
    search = checker.text("search", q.search, max_len=200, required=False)
    type_id = checker.int_range("ticket_type_id", q.ticket_type_id, low=1, high=2**31 - 1, required=False)
    page = checker.int_range("page", q.page, low=1, high=1_000_000) or 1
    per_page = checker.int_range("per_page", q.per_page, low=1, high=MAX_PER_PAGE) or 50
    if q.status not in ("", TicketStatus.VALID, TicketStatus.CANCELLED):
        checker.fail("status", "attendees.filter_invalid")
    if q.checked_in not in ("", "yes", "no"):
        checker.fail("checked_in", "attendees.filter_invalid")
    if q.sort not in SORTS:
        checker.fail("sort", "attendees.filter_invalid")
    checker.raise_if_any()
    return AttendeeQuery(search, type_id, q.status, q.checked_in, q.sort, bool(q.descending), page, per_page)


def _needs_order(q: AttendeeQuery) -> bool:
    """Whether the query reads the order (the buyer's address): the email sort and a search by words."""
    return q.sort == "email" or bool(q.search and not CODE_LIKE.fullmatch(q.search))


def _filtered(statement, event_id: int, q: AttendeeQuery):
    statement = statement.where(Ticket.event_id == event_id)
    if q.ticket_type_id:
        statement = statement.where(Ticket.ticket_type_id == q.ticket_type_id)
    if q.status:
        statement = statement.where(Ticket.status == q.status)
    if q.checked_in == "yes":
        statement = statement.where(Ticket.checked_in_at.is_not(None))
    elif q.checked_in == "no":
        statement = statement.where(Ticket.checked_in_at.is_(None))
    if q.search and CODE_LIKE.fullmatch(q.search):
        # A scanned or pasted ticket code: one lookup in the unique index, not a scan of the event.
        return statement.where(Ticket.code == q.search)
    if q.search:
        words = q.search.lower()
        like = f"%{words.replace('%', '').replace('_', '')}%"
        statement = statement.where(or_(
            func.lower(Ticket.attendee_name).like(like),
            func.lower(Ticket.attendee_email).like(like),
            func.lower(Order.buyer_email).like(like),
        ))
    return statement


def _first_device():
    """The device of the ticket's earliest check-in on any list, as a scalar subquery of the ticket's row (one
    seek in checkin_entry's ticket index per row read; rows are read a page or an export chunk at a time)."""
    return (select(CheckinEntry.device).where(CheckinEntry.ticket_id == Ticket.id)
            .order_by(CheckinEntry.at, CheckinEntry.list_id).limit(1).correlate(Ticket).scalar_subquery()
            .label("checked_in_device"))


def _money_columns():
    """The order's total, currency and status, and what its payments took and its refunds gave back (scalar
    subqueries of the order's row, read with the page: no query per row)."""
    return (Order.total_minor, Order.currency, Order.status.label("order_status"), summary.paid_column(),
            summary.refunded_column())


def _base():
    return (select(Ticket, TicketType.name, Order.buyer_email, _first_device(), *_money_columns())
            .join(Order, Order.id == Ticket.order_id)
            .join(TicketType, TicketType.id == Ticket.ticket_type_id))


def _row(ticket: Ticket, type_name: str, buyer_email: str, device: str | None = None, total: int = 0,
         currency: str = "", order_status: str = "", paid: int = 0, refunded: int = 0) -> AttendeeRow:
    return AttendeeRow(ticket.id, ticket.order_id, ticket.attendee_name, ticket.attendee_email,
                       buyer_email, type_name, ticket.code, ticket.status, ticket.checked_in_at, ticket.created_at,
                       device or "", int(total or 0), currency or "",
                       summary.payment_status(int(total or 0), order_status, int(paid or 0), int(refunded or 0)))


def count(session: Session, event_id: int, q: AttendeeQuery) -> int:
    """How many tickets of the event match the (cleaned) query. Reads the orders only when the search needs the
    buyer's address; otherwise it is a count over the ticket table's (event_id, ...) indexes alone."""
    statement = select(func.count(Ticket.id)).select_from(Ticket)
    if q.search and not CODE_LIKE.fullmatch(q.search):
        statement = statement.join(Order, Order.id == Ticket.order_id)
    return session.exec(_filtered(statement, event_id, q)).one()


def _narrow(event_id: int, q: AttendeeQuery, backwards: bool):
    """The ids of the matching tickets in the list's order (or the opposite one), joining only what the filters
    and the sort read."""
    descending = q.descending != backwards
    order = [c.desc() if descending else c.asc() for c in SORTS[q.sort]]
    statement = select(Ticket.id).select_from(Ticket)
    if _needs_order(q):
        statement = statement.join(Order, Order.id == Ticket.order_id)
    if q.sort == "type":
        statement = statement.join(TicketType, TicketType.id == Ticket.ticket_type_id)
    return _filtered(statement, event_id, q).order_by(*order)


def _page_ids(session: Session, event_id: int, q: AttendeeQuery, offset: int, limit: int, total: int) -> list[int]:
    """The ticket ids of one page, in the list's order. Only the narrow (id, sort key) rows are walked, and from
    the nearer end: a page past the middle is read in the opposite order, so no page skips more than half the
    matching tickets, and the last page skips none. The wide rows are read afterwards for these ids only."""
    after = max(0, total - offset - limit)  # matching tickets after this page
    backwards = after < offset
    if backwards:
        limit = min(limit, total - offset)
    statement = _narrow(event_id, q, backwards).limit(max(0, limit))
    ids = list(session.exec(statement.offset(after if backwards else offset)).all())
    return ids[::-1] if backwards else ids


def _keyed_ids(session: Session, event_id: int, q: AttendeeQuery, limit: int, after: list | None,
               before: list | None) -> list[int]:
    """The page next to one already shown, found by its neighbour's sort key instead of skipping rows: the rows
    after `after` (or before `before`) in the list's order, as the sort's index or a top-N read gives them."""
    columns = SORTS[q.sort]
    key = after if after is not None else before
    here = tuple_(*columns) if len(columns) > 1 else columns[0]
    there = tuple_(*[literal(v) for v in key]) if len(columns) > 1 else key[0]
    forward = after is not None
    statement = _narrow(event_id, q, backwards=not forward)
    ascending = forward != q.descending
    statement = statement.where(here > there if ascending else here < there)
    if len(columns) > 1:  # the same bound on the first column alone, which its index can seek to
        statement = statement.where(columns[0] >= key[0] if ascending else columns[0] <= key[0])
    ids = list(session.exec(statement.limit(limit)).all())
    return ids if forward else ids[::-1]


def search(session: Session, principal: Principal, organization_id: int, event_id: int,
           query: AttendeeQuery | None = None, *, total: int | None = None, after: list | None = None,
           before: list | None = None) -> AttendeePage:
    """One page of the event's attendees.

    `total`: the number of matching tickets when the caller knows it already (it counted them for the same
    filters a moment ago); the count is then skipped. `after` / `before`: when the page asked for is the one
    after (before) a page the caller has shown with the same filters and sort, that page's `last_key`
    (`first_key`): the page is then read from there by key, as fast deep in the list as at its start, instead
    of skipping the rows before it. A page found short (tickets added or gone since) is read again by position
    after a fresh count, so it always comes whole."""
    event = get_event(session, principal, organization_id, event_id, VIEW_ATTENDEES)
    q = _clean_query(query or AttendeeQuery())
    counted = total is None or total < 0
    if counted:
        total = count(session, event.id, q)
    anchor = after if after else before if before else None
    if anchor is not None and len(anchor) != len(SORTS[q.sort]):
        anchor = None  # a key of another sort: read by position
    while True:
        pages = page_count(total, q.per_page)
        page = min(q.page, pages)
        offset = (page - 1) * q.per_page
        expected = max(0, min(q.per_page, total - offset))
        if anchor is not None and page == q.page:
            ids = _keyed_ids(session, event.id, q, q.per_page, after or None, None if after else before)
            anchor = None
            if len(ids) == expected:
                break
        ids = _page_ids(session, event.id, q, offset, q.per_page, total) if total else []
        if counted or len(ids) == expected:
            break
        total, counted = count(session, event.id, q), True  # the given count was stale: count, read again
    found = {r[0].id: r for r in session.exec(_base().where(Ticket.id.in_(ids))).all()} if ids else {}
    rows = [_row(*found[i]) for i in ids if i in found]
    keys = (sort_key(rows[0], q.sort), sort_key(rows[-1], q.sort)) if rows else ([], [])
    return AttendeePage(rows, total, page, pages, q.per_page, *keys)


@dataclass
class HistoryItem:
    at: datetime
    action: str
    actor: str
    data: dict


@dataclass(frozen=True)
class CheckinSeen:
    """The ticket let in through a check-in list: when, on which device, and whether still inside."""
    list_id: int
    list_name: str
    at: datetime
    device: str
    inside: bool


@dataclass
class AttendeeDetail:
    row: AttendeeRow
    order: Order
    answers: list[tuple[str, Any]]  # (question label, formatted value)
    others: list[AttendeeRow]  # the other tickets of the same order
    history: list[HistoryItem] = field(default_factory=list)
    event_title: str = ""
    event_time_zone: str = "UTC"
    checkins: list[CheckinSeen] = field(default_factory=list)  # earliest first
    payment: summary.OrderPayment | None = None  # the order's payment, attempts and refunds


def detail(session: Session, principal: Principal, organization_id: int, ticket_id: int) -> AttendeeDetail:
    """One ticket with its order, answers, the order's other tickets and what happened to them."""
    access(session, principal, organization_id, VIEW_ATTENDEES)
    found = session.exec(_base().where(Ticket.id == ticket_id, Order.organization_id == organization_id)).first()
    if found is None:
        raise NotFound()
    row = _row(*found)
    order = session.get(Order, row.order_id)
    siblings = session.exec(_base().where(Ticket.order_id == order.id, Ticket.id != ticket_id).order_by(Ticket.id)).all()
    answers = [
        (q.label, questions.format_value(q, a.value, "✓", "✗"))
        for a, q in questions.answers_by_order(session, [order.id]).get(order.id, [])
        if a.ticket_id in (None, ticket_id)
    ]
    entries = session.exec(
        select(AuditEntry, User.name)
        .join(User, User.id == AuditEntry.actor_user_id, isouter=True)
        .where(AuditEntry.organization_id == organization_id, AuditEntry.object_type == "order",
               AuditEntry.object_id == order.id)
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    history = [HistoryItem(e.at, e.action, name or e.actor_label, e.data) for e, name in entries]
    title, zone = session.exec(select(Event.title, Event.time_zone).where(Event.id == order.event_id)).one()
    checkins = [CheckinSeen(list_id, name, at, device, inside) for list_id, name, at, device, inside in session.exec(
        select(CheckinEntry.list_id, CheckinList.name, CheckinEntry.at, CheckinEntry.device, CheckinEntry.inside)
        .join(CheckinList, CheckinList.id == CheckinEntry.list_id)
        .where(CheckinEntry.ticket_id == ticket_id, CheckinList.event_id == order.event_id)
        .order_by(CheckinEntry.at, CheckinEntry.list_id)).all()]
    return AttendeeDetail(row, order, answers, [_row(*r) for r in siblings], history, title, zone, checkins,
                          summary.for_order(session, order))


def add_attendee(session: Session, principal: Principal, organization_id: int, event_id: int, *, name: str,
                 email: str, ticket_type_id: int | str | None, notify: bool = True,
                 locale: str = "en") -> registration.RegistrationResult:
    """Register someone by hand (a speaker, a guest): any ticket type, hidden or outside its sales window,
    also for a draft; the limits still hold. With notify=False no confirmation email is queued."""
    event = get_event(session, principal, organization_id, event_id, MANAGE_EVENTS)
    org_slug = organization_slug(session, event.organization_id)
    session.rollback()  # the registration runs its own transaction
    return registration.register(session, org_slug=org_slug, event_slug=event.slug, buyer_name=name,
                                 buyer_email=email, ticket_type_id=ticket_type_id, quantity=1,
                                 added_by=principal.user_id, notify=notify, locale=locale)


def resend_confirmation(session: Session, principal: Principal, organization_id: int, order_id: int) -> None:
    """Queue the order's confirmation email again, listing its tickets that are still valid."""
    access(session, principal, organization_id, MANAGE_EVENTS)
    order = session.exec(select(Order).where(Order.id == order_id, Order.organization_id == organization_id)).first()
    if order is None:
        raise NotFound()
    title = session.exec(select(Event.title).where(Event.id == order.event_id)).one()
    tickets = session.exec(select(Ticket, TicketType.name).join(TicketType, TicketType.id == Ticket.ticket_type_id)
                           .where(Ticket.order_id == order.id, Ticket.status == TicketStatus.VALID).order_by(Ticket.id)).all()
    if not tickets:
        raise Conflict("attendees.nothing_to_resend")
    if not order.buyer_email:  # the buyer deleted their account: the order keeps no address
        raise Conflict("attendees.no_address")
    begin_write(session)
    # Its handler (services/notify/notifications.py) queues the email again and writes the audit entry.
    domain_events.record(session, "order.confirmation_resent", {
        "order_id": order.id, "buyer_email": order.buyer_email, "access_token": order.access_token,
        "event_title": title, "tickets": [{"code": t.code, "attendee": t.attendee_name, "type": n} for t, n in tickets],
        "locale": order.locale,
    }, organization_id=organization_id, actor_user_id=principal.user_id)
    session.commit()


@dataclass
class Export:
    header: list[str]
    rows: Iterator[list[Any]]


EXPORT_CHUNK = 1000  # tickets read per database checkout
# Test-only switch: False reads all of an export's chunks through one session, which keeps its connection and an
# open transaction until the last row has been sent (the old behaviour: four slow downloads froze the site). The
# export load test flips it to prove it can tell the difference.
EXPORT_CHUNK_SESSIONS = True


def export_rows(session: Session, principal: Principal, organization_id: int, event_id: int,
                labels: dict[str, str], query: AttendeeQuery | None = None, locale: str = "en") -> Export:
    """Every ticket matching the filters, with its answers, as plain values (times in the event's zone).
    `labels` names the fixed columns; the statuses are words in `locale`. The email column is the attendee's
    own address (blank when none was given), the buyer's is a column of its own.

    Access and the header are checked and read now, with `session`. The rows are read later, as they are
    consumed, EXPORT_CHUNK tickets at a time in ticket order: each chunk on a short session of its own whose
    connection is back in the pool before the chunk's first row is handed out. So whoever consumes the rows
    (a download at a client's pace) holds no connection and no transaction meanwhile, and a large event is never
    in memory. Each chunk is read as the database is at that moment: a ticket cancelled during a long export
    shows as cancelled if its chunk is read after that."""
    event = get_event(session, principal, organization_id, event_id, VIEW_ATTENDEES)
    q = _clean_query(query or AttendeeQuery(sort="registered", descending=False))
    asked = session.exec(select(Question).where(Question.event_id == event.id)
                         .order_by(Question.sort_order, Question.id)).all()
    for question in asked:
        session.expunge(question)  # kept as read, whatever the caller's session does next
    fixed = ["name", "email", "buyer_email", "ticket_type", "code", "status", "checked_in_at", "checked_in_device",
             "registered_at", "order_total", "payment_status"]
    header = [labels.get(k, k) for k in fixed] + [q_.label for q_ in asked]
    columns = select(Ticket.id, Ticket.order_id, Ticket.attendee_name, Ticket.attendee_email, Order.buyer_email,
                     TicketType.name, Ticket.code, Ticket.status, Ticket.checked_in_at, _first_device(),
                     Ticket.created_at, *_money_columns())
    statement = _filtered(columns.join(Order, Order.id == Ticket.order_id)
                          .join(TicketType, TicketType.id == Ticket.ticket_type_id), event.id, q)
    statement = statement.order_by(Ticket.id).limit(EXPORT_CHUNK)
    zone = ZoneInfo(event.time_zone)  # times in the event's own zone, as the organizer thinks of them
    words = {status.value: translate(f"ticket.status.{status.value}", locale) for status in TicketStatus}
    words.update({f"pay:{k}": translate(f"payment_status.{k}", locale) for k in summary.STATUSES})
    words["locale"] = locale
    engine = session.get_bind()

    def rows() -> Iterator[list[Any]]:
        held = None if EXPORT_CHUNK_SESSIONS else Session(engine, expire_on_commit=False)
        after = 0
        try:
            while True:
                if held is not None:
                    found, answers = _export_read(held, statement.where(Ticket.id > after))
                else:
                    with session_scope(engine) as chunk_session:
                        found, answers = _export_read(chunk_session, statement.where(Ticket.id > after))
                # The connection is back in the pool: the rows are made and handed out without it.
                yield from _export_chunk(found, answers, asked, zone, words)
                if len(found) < EXPORT_CHUNK:
                    return
                after = found[-1].id
        finally:
            if held is not None:
                held.close()

    return Export(header, rows())


def _export_read(session: Session, statement) -> tuple[list, list]:
    """One chunk's tickets and their orders' answers, as plain rows."""
    found = session.exec(statement).all()
    if not found:
        return [], []
    answers = session.exec(select(Answer.order_id, Answer.ticket_id, Answer.question_id, Answer.value)
                           .where(Answer.order_id.in_({t.order_id for t in found}))).all()
    return found, answers


def _export_chunk(found: list, answers: list, asked: list[Question], zone: ZoneInfo,
                  words: dict[str, str]) -> Iterator[list[Any]]:
    ticket_ids = {t.id for t in found}
    by_order: dict[int, dict[int, Any]] = {}
    by_ticket: dict[int, dict[int, Any]] = {}
    for order_id, ticket_id, question_id, value in answers:
        if ticket_id is None:
            by_order.setdefault(order_id, {})[question_id] = value
        elif ticket_id in ticket_ids:
            by_ticket.setdefault(ticket_id, {})[question_id] = value
    for t in found:
        checked_in = t.checked_in_at.astimezone(zone).replace(tzinfo=None) if t.checked_in_at else None
        given = {**by_order.get(t.order_id, {}), **by_ticket.get(t.id, {})}
        paying = summary.payment_status(t.total_minor, t.order_status, int(t.paid_minor or 0), int(t.refunded_minor or 0))
        yield [t.attendee_name, t.attendee_email, t.buyer_email, t.name, t.code, words.get(t.status, t.status), checked_in,
               t.checked_in_device or "", t.created_at.astimezone(zone).replace(tzinfo=None),
               format_money(t.total_minor, t.currency, words["locale"]), words[f"pay:{paying}"]] + [
            "" if given.get(q.id) is None else questions.format_value(q, given[q.id], "yes", "no") for q in asked]
