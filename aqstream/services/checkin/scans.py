"""Scans at the door: a ticket's code or its signed payload redeemed on a check-in list, going in or out.

One answer per scan, the same whenever it is asked again:
- `ok`: welcome; the ticket's first entry on this list (CheckinEntry's key (list, ticket): two devices scanning
  at the same moment make one entry, and only the one whose insert made it says welcome), or, on a list with
  re-entry, coming back in after a check-out;
- `already`: in before (and not checked out), with when and on which device;
- `out` / `not_inside`: a check-out scan, of someone inside / of someone who is not;
- `revoked` (cancelled, or its pending order expired), `unpaid` (its order is still pending), `wrong_list`
  (a ticket type the list does not admit), `not_yet` / `closed` (outside the list's window, or a signed payload
  past its validity), `unknown` (no such ticket on this event: another organization's or event's code is unknown
  too, never a hint of who holds it), `invalid` (a signed payload whose signature does not verify).
Each scan is kept with the device's own scan id: the same id again (a replayed offline sync) returns the stored
answer and changes nothing.

Offline scans: a device that admitted someone with no network sends the scan later with `offline_result="ok"`
and the time it scanned. When another scan let the same ticket in meanwhile, the earlier of the two keeps the
entry and the later is kept as a conflict for the organizer (`conflicts`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import Answer, CheckinEntry, CheckinList, CheckinScan, Event, Order, Question, Ticket, TicketType
from aqstream.services.checkin import lists, signing
from aqstream.services.clock import as_utc, utcnow
from aqstream.services.errors import NotFound, ValidationError
from aqstream.services.lifecycle import TicketStatus
from aqstream.services.notify import domain_events
from aqstream.services.org.permissions import CHECK_IN, VIEW_CHECKIN, Principal, access

# Test-only switch: with the guard off, "already checked in" is decided by reading the ticket and then writing,
# as a naive scanner would, so the concurrency test can show it catches two welcomes.
GUARD_ENABLED = True

RESULTS = ("ok", "already", "out", "not_inside", "revoked", "unpaid", "wrong_list", "not_yet", "closed", "unknown",
           "invalid")
ADMITTED = ("ok",)
DIRECTIONS = ("in", "out")
DEFAULT_LIST = lists.DEFAULT_LIST
SEARCH_LIMIT = 20
# A device's clock may run ahead: a scan time later than this past the server's is taken as the server's.
CLOCK_SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class ScanAnswer:
    result: str
    ticket_id: int | None = None
    attendee_name: str = ""
    ticket_type: str = ""
    first_at: datetime | None = None  # for "already": when the ticket was let in, and on which device
    first_device: str = ""
    replayed: bool = False  # the same scan id was answered before: this is that answer
    conflict: bool = False  # admitted offline by this device, while another scan had let the ticket in first
    answers: list[tuple[str, str]] = field(default_factory=list)  # (question, answer) the list shows stewards


@dataclass(frozen=True)
class Found:
    ticket_id: int
    code: str
    name: str
    email: str
    ticket_type: str
    status: str
    checked_in_at: datetime | None  # on this list
    device: str
    inside: bool


@dataclass(frozen=True)
class ScanRow:
    at: datetime
    result: str
    name: str
    ticket_type: str
    device: str
    direction: str
    conflict: bool


@dataclass(frozen=True)
class Conflict:
    list_name: str
    ticket_id: int
    name: str
    ticket_type: str
    first_at: datetime
    first_device: str
    second_at: datetime
    second_device: str


def _insert(session: Session, table):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _list(session: Session, principal: Principal, organization_id: int, list_id: int,
          need=CHECK_IN) -> tuple[CheckinList, Event]:
    access(session, principal, organization_id, need)
    return lists.list_row(session, organization_id, list_id)


def default_list(session: Session, principal: Principal, organization_id: int, event_id: int) -> CheckinList:
    """The event's first list, made ("All tickets", no window, no re-entry) when it has none."""
    first = lists.event_lists(session, principal, organization_id, event_id)[0]
    return session.get(CheckinList, first.id)


def _clean_scan(client_scan_id: str, device: str, direction: str, offline_result: str | None) -> tuple[str, str]:
    scan_id = (client_scan_id or "").strip()
    if not scan_id or len(scan_id) > 64:
        raise ValidationError({"client_scan_id": "checkin.scan_id_invalid"})
    if direction not in DIRECTIONS:
        raise ValidationError({"direction": "checkin.direction_invalid"})
    if offline_result is not None and offline_result not in RESULTS:
        raise ValidationError({"offline_result": "checkin.offline_result_invalid"})
    return scan_id, " ".join((device or "").split())[:60]


def _stored(session: Session, checkin_list: CheckinList, scan_id: str) -> ScanAnswer | None:
    scan = session.exec(select(CheckinScan).where(CheckinScan.list_id == checkin_list.id,
                                                  CheckinScan.client_scan_id == scan_id)).first()
    if scan is None:
        return None
    return _answer(session, checkin_list, scan.result, scan.ticket_id, replayed=True, conflict=scan.conflict)


def shown_answers(session: Session, question_ids: list[int], tickets: list[Ticket]) -> dict[int, list[tuple[str, str]]]:
    """For each ticket, the answers to the given questions (its own, and its order's), in the list's order."""
    result: dict[int, list[tuple[str, str]]] = {t.id: [] for t in tickets}
    if not question_ids or not tickets:
        return result
    questions = {q.id: q for q in session.exec(select(Question).where(Question.id.in_(question_ids))).all()}
    by_order: dict[int, list[Ticket]] = {}
    for ticket in tickets:
        by_order.setdefault(ticket.order_id, []).append(ticket)
    found: dict[tuple[int, int], str] = {}
    order_ids = list(by_order)
    for start in range(0, len(order_ids), 1000):
        chunk = order_ids[start:start + 1000]
        for answer in session.exec(select(Answer).where(Answer.order_id.in_(chunk),
                                                        Answer.question_id.in_(list(questions)))).all():
            text = _answer_text(questions[answer.question_id], answer.value)
            owners = [answer.ticket_id] if answer.ticket_id else [t.id for t in by_order.get(answer.order_id, [])]
            for ticket_id in owners:
                if ticket_id in result:
                    found[(ticket_id, answer.question_id)] = text
    for ticket_id in result:
        result[ticket_id] = [(questions[q].label, found[(ticket_id, q)]) for q in question_ids
                             if q in questions and (ticket_id, q) in found and found[(ticket_id, q)]]
    return result


def _answer_text(question: Question, value) -> str:
    if question.kind == "checkbox":
        return "\u2713" if value else "\u2717"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _answer(session: Session, checkin_list: CheckinList, result: str, ticket_id: int | None, replayed: bool = False,
            conflict: bool = False) -> ScanAnswer:
    if ticket_id is None:
        return ScanAnswer(result, replayed=replayed, conflict=conflict)
    ticket, type_name = session.exec(select(Ticket, TicketType.name).join(
        TicketType, TicketType.id == Ticket.ticket_type_id).where(Ticket.id == ticket_id)).one()
    first = None  # for "already", or a conflict: the entry that stands
    if result == "already" or conflict:
        first = session.exec(select(CheckinEntry).where(CheckinEntry.list_id == checkin_list.id,
                                                        CheckinEntry.ticket_id == ticket_id)).first()
    shown = shown_answers(session, list(checkin_list.question_ids or []), [ticket])[ticket.id] \
        if result in ("ok", "already") else []
    return ScanAnswer(result, ticket.id, ticket.attendee_name, type_name, as_utc(first.at) if first else None,
                      first.device if first else "", replayed, conflict, shown)


def _find_ticket(session: Session, event: Event, scanned: str, now: datetime) -> tuple[str | None, Ticket | None]:
    """The ticket a scan names on this event: by its signed payload (verified with the event's key) or its code."""
    text = (scanned or "").strip()
    if signing.SEPARATOR in text:
        try:
            claims = signing.verify(signing.public_key(session, event.id), text)
        except signing.BadTicket:
            return "invalid", None
        if claims.event_id != event.id:
            return "unknown", None
        ticket = session.exec(select(Ticket).where(Ticket.id == claims.ticket_id, Ticket.event_id == event.id)).first()
        if ticket is None:
            return "unknown", None
        if ticket.code != claims.code:  # signed for a code the ticket no longer has: re-issued
            return "revoked", ticket
        if signing.expired(claims, event, now):  # a ticket of an event moved later stays valid
            return "closed", ticket
        return None, ticket
    if not text or len(text) > 64:
        return "unknown", None
    ticket = session.exec(select(Ticket).where(Ticket.code == text, Ticket.event_id == event.id)).first()
    return (None, ticket) if ticket is not None else ("unknown", None)


def _refusal(checkin_list: CheckinList, ticket: Ticket, now: datetime) -> str | None:
    if ticket.status == TicketStatus.CANCELLED:
        return "revoked"
    if ticket.status == TicketStatus.HELD:
        return "unpaid"
    if checkin_list.ticket_type_ids and ticket.ticket_type_id not in checkin_list.ticket_type_ids:
        return "wrong_list"
    if checkin_list.opens_at and now < checkin_list.opens_at:
        return "not_yet"
    if checkin_list.closes_at and now >= checkin_list.closes_at:
        return "closed"
    return None


def redeem(session: Session, principal: Principal, organization_id: int, list_id: int, scanned: str, *,
           client_scan_id: str, device: str = "", scanned_at: datetime | None = None, direction: str = "in",
           offline_result: str | None = None) -> ScanAnswer:
    """Let a ticket in (or out) through a list; see the module's docstring for the answers."""
    scan_id, device = _clean_scan(client_scan_id, device, direction, offline_result)
    checkin_list, event = _list(session, principal, organization_id, list_id)
    if (earlier := _stored(session, checkin_list, scan_id)) is not None:
        return earlier
    now = utcnow()
    at = now if scanned_at is None else min(scanned_at.astimezone(timezone.utc), now + CLOCK_SLACK)
    refusal, ticket = _find_ticket(session, event, scanned, at)
    if ticket is not None and refusal is None:
        refusal = _refusal(checkin_list, ticket, at)
    begin_write(session)
    conflict = False
    if refusal is not None:
        result = refusal
    elif direction == "out":
        result = _leave(session, checkin_list, ticket, at)
    else:
        result, conflict = _enter(session, checkin_list, ticket, scan_id, device, at, offline_result in ADMITTED)
    stored = _insert(session, CheckinScan.__table__).values(
        list_id=checkin_list.id, client_scan_id=scan_id, ticket_id=ticket.id if ticket else None, result=result,
        device=device, scanned_at=at, received_at=now, direction=direction, offline=offline_result is not None,
        conflict=conflict).on_conflict_do_nothing().returning(CheckinScan.__table__.c.id)
    if session.execute(stored).first() is None:  # the same scan id answered meanwhile: that answer stands
        session.rollback()
        return _stored(session, checkin_list, scan_id)
    if result in ("ok", "out"):
        domain_events.record(session, "ticket.checked_in" if result == "ok" else "ticket.checked_out",
                             {"ticket_id": ticket.id, "list_id": checkin_list.id, "event_id": event.id,
                              "device": device, "at": at.isoformat()},
                             organization_id=organization_id, actor_user_id=principal.user_id)
    session.commit()
    return _answer(session, checkin_list, result, ticket.id if ticket else None, conflict=conflict)


def _enter(session: Session, checkin_list: CheckinList, ticket: Ticket, scan_id: str, device: str, at: datetime,
           admitted_offline: bool) -> tuple[str, bool]:
    """The entry's answer and whether it is an offline conflict."""
    table = Ticket.__table__
    if not GUARD_ENABLED:  # the naive way, for the concurrency test's companion only: read, then write
        seen = session.execute(select(table.c.checked_in_at).where(table.c.id == ticket.id)).scalar()
        if seen is not None:
            return "already", False
        session.execute(table.update().where(table.c.id == ticket.id).values(checked_in_at=at))
        return "ok", False
    entries = CheckinEntry.__table__
    made = _insert(session, entries).values(
        list_id=checkin_list.id, ticket_id=ticket.id, at=at, device=device, scan_id=scan_id, inside=True
    ).on_conflict_do_nothing().returning(entries.c.ticket_id)
    if session.execute(made).first() is not None:
        _first_checked_in(session, ticket.id, at)
        return "ok", False
    # Someone let this ticket in on this list before: the entry's row lock orders scans of the same ticket.
    entry = session.execute(select(entries).where(entries.c.list_id == checkin_list.id,
                                                  entries.c.ticket_id == ticket.id).with_for_update()).first()
    same = (entries.c.list_id == checkin_list.id) & (entries.c.ticket_id == ticket.id)
    if not entry.inside and checkin_list.allow_reentry:
        session.execute(entries.update().where(same).values(inside=True, left_at=None, at=at, device=device,
                                                            scan_id=scan_id))
        return "ok", False
    if not admitted_offline:
        return "already", False
    # Two devices admitted this ticket while offline: the earlier scan keeps the entry, the later is the conflict.
    if at < as_utc(entry.at) and entry.inside:
        session.execute(entries.update().where(same).values(at=at, device=device, scan_id=scan_id))
        scans = CheckinScan.__table__
        session.execute(scans.update().where(scans.c.list_id == checkin_list.id,
                                             scans.c.client_scan_id == entry.scan_id).values(conflict=True))
        _first_checked_in(session, ticket.id, at)
        return "ok", False
    return "already", True


def _first_checked_in(session: Session, ticket_id: int, at: datetime) -> None:
    """Ticket.checked_in_at: when the ticket was first let in on any list."""
    table = Ticket.__table__
    session.execute(table.update().where(table.c.id == ticket_id,
                                         or_(table.c.checked_in_at.is_(None), table.c.checked_in_at > at))
                    .values(checked_in_at=at))


def _leave(session: Session, checkin_list: CheckinList, ticket: Ticket, at: datetime) -> str:
    entries = CheckinEntry.__table__
    left = session.execute(entries.update().where(
        entries.c.list_id == checkin_list.id, entries.c.ticket_id == ticket.id, entries.c.inside.is_(True)
    ).values(inside=False, left_at=at).returning(entries.c.ticket_id)).first()
    return "out" if left is not None else "not_inside"


def undo(session: Session, principal: Principal, organization_id: int, list_id: int, ticket_id: int) -> None:
    """Take back a check-in (a wrong person let in, a mistaken tap): the ticket is no longer in on this list, and
    its first check-in time is what the other lists say. Scans stay in the history."""
    checkin_list, event = _list(session, principal, organization_id, list_id)
    ticket = session.exec(select(Ticket).where(Ticket.id == ticket_id, Ticket.event_id == event.id)).first()
    if ticket is None:
        raise NotFound()
    begin_write(session)
    entries = CheckinEntry.__table__
    gone = session.execute(entries.delete().where(entries.c.list_id == checkin_list.id,
                                                  entries.c.ticket_id == ticket_id).returning(entries.c.ticket_id))
    if gone.first() is None:
        session.rollback()
        raise ValidationError({"ticket_id": "checkin.undo_not_checked_in"})
    earliest = session.execute(select(func.min(entries.c.at)).where(entries.c.ticket_id == ticket_id)).scalar()
    session.execute(Ticket.__table__.update().where(Ticket.__table__.c.id == ticket_id)
                    .values(checked_in_at=earliest))
    domain_events.record(session, "ticket.checkin_undone",
                         {"ticket_id": ticket_id, "list_id": checkin_list.id, "event_id": event.id},
                         organization_id=organization_id, actor_user_id=principal.user_id)
    session.commit()


def search(session: Session, principal: Principal, organization_id: int, list_id: int, query: str,
           limit: int = SEARCH_LIMIT) -> list[Found]:
    """People on the list's event by name, email (theirs or their order's) or code (for those who come without
    their ticket), best first: the exact code, then names and emails containing the words."""
    checkin_list, event = _list(session, principal, organization_id, list_id, VIEW_CHECKIN)
    text = " ".join((query or "").split())[:100]
    if len(text) < 2:
        return []
    lowered = text.lower()
    entry = CheckinEntry
    rows = session.exec(
        select(Ticket, TicketType.name, entry.at, entry.device, entry.inside, Order.buyer_email)
        .join(TicketType, TicketType.id == Ticket.ticket_type_id)
        .join(Order, Order.id == Ticket.order_id)
        .join(entry, (entry.ticket_id == Ticket.id) & (entry.list_id == checkin_list.id), isouter=True)
        .where(Ticket.event_id == event.id, Ticket.status != TicketStatus.HELD,
               or_(Ticket.code == text, func.lower(Ticket.attendee_name).contains(lowered, autoescape=True),
                   func.lower(Ticket.attendee_email).contains(lowered, autoescape=True),
                   func.lower(Order.buyer_email).contains(lowered, autoescape=True)))
        .order_by((Ticket.code == text).desc(), Ticket.attendee_name, Ticket.id).limit(max(1, min(limit, 50)))).all()
    return [Found(t.id, t.code, t.attendee_name, t.attendee_email or buyer, type_name, t.status, as_utc(at), device or "",
                  bool(inside)) for t, type_name, at, device, inside, buyer in rows]


def recent(session: Session, principal: Principal, organization_id: int, list_id: int,
           limit: int = 20) -> list[ScanRow]:
    """The list's latest scans, newest first."""
    checkin_list, _ = _list(session, principal, organization_id, list_id, VIEW_CHECKIN)
    rows = session.exec(
        select(CheckinScan, Ticket.attendee_name, TicketType.name)
        .join(Ticket, Ticket.id == CheckinScan.ticket_id, isouter=True)
        .join(TicketType, TicketType.id == Ticket.ticket_type_id, isouter=True)
        .where(CheckinScan.list_id == checkin_list.id)
        .order_by(CheckinScan.received_at.desc(), CheckinScan.id.desc()).limit(max(1, min(limit, 100)))).all()
    return [ScanRow(as_utc(scan.scanned_at), scan.result, name or "", type_name or "", scan.device, scan.direction,
                    scan.conflict) for scan, name, type_name in rows]


def conflicts(session: Session, principal: Principal, organization_id: int, event_id: int) -> list[Conflict]:
    """Tickets two devices admitted while offline: who, the scan that kept the entry and the one that came later."""
    access(session, principal, organization_id, VIEW_CHECKIN)
    event = session.exec(select(Event).where(Event.id == event_id, Event.organization_id == organization_id)).first()
    if event is None:
        raise NotFound()
    rows = session.exec(
        select(CheckinList.name, CheckinScan, Ticket.attendee_name, TicketType.name, CheckinEntry.at,
               CheckinEntry.device)
        .join(CheckinList, CheckinList.id == CheckinScan.list_id)
        .join(Ticket, Ticket.id == CheckinScan.ticket_id)
        .join(TicketType, TicketType.id == Ticket.ticket_type_id)
        .join(CheckinEntry, (CheckinEntry.list_id == CheckinScan.list_id)
              & (CheckinEntry.ticket_id == CheckinScan.ticket_id), isouter=True)
        .where(CheckinList.event_id == event.id, CheckinScan.conflict.is_(True))
        .order_by(CheckinScan.scanned_at.desc())).all()
    return [Conflict(list_name, scan.ticket_id, name, type_name, as_utc(first_at or scan.scanned_at),
                     first_device or "", as_utc(scan.scanned_at), scan.device)
            for list_name, scan, name, type_name, first_at, first_device in rows]


def offline_bundle(session: Session, principal: Principal, organization_id: int, list_id: int) -> dict:
    """What a scanner needs to keep checking people in with no network: the list, the event's public key, every
    ticket of the event with its status (a cancelled one's plain code is refused offline as it is online), the
    answers the list shows and whether each is in, and the revocation list (cancelled tickets' ids, which signed
    payloads of tickets sold after the download still name)."""
    view = lists.get_list(session, principal, organization_id, list_id)
    access(session, principal, organization_id, CHECK_IN)
    checkin_list, event = lists.list_row(session, organization_id, list_id)
    type_names = dict(session.exec(select(TicketType.id, TicketType.name).where(
        TicketType.event_id == event.id)).all())
    entry = CheckinEntry
    rows = session.exec(
        select(Ticket, entry.at, entry.device, entry.inside, Order.buyer_email)
        .join(Order, Order.id == Ticket.order_id)
        .join(entry, (entry.ticket_id == Ticket.id) & (entry.list_id == checkin_list.id), isouter=True)
        .where(Ticket.event_id == event.id).order_by(Ticket.id)).all()
    shown = shown_answers(session, list(checkin_list.question_ids or []), [row[0] for row in rows])
    tickets = [{"id": t.id, "code": t.code, "ticket_type_id": t.ticket_type_id,
                "ticket_type": type_names.get(t.ticket_type_id, ""), "name": t.attendee_name,
                "email": t.attendee_email or buyer, "status": t.status, "checked_in_at": as_utc(at).isoformat() if at else None,
                "device": device or "", "inside": bool(inside),
                "answers": [{"question": q, "answer": a} for q, a in shown[t.id]]}
               for t, at, device, inside, buyer in rows]
    return {"list": view, "event": {"id": event.id, "title": event.title, "time_zone": event.time_zone,
                                    "public_key": signing.public_key(session, event.id),
                                    "valid_until": as_utc(signing.valid_until(event)).isoformat()},
            "generated_at": utcnow().isoformat(), "tickets": tickets,
            "revoked": signing.revoked(session, event.id)}
