"""Scans at the door (issue 16, started): a ticket's code or its signed payload redeemed on a check-in list.

One answer per scan, the same whenever it is asked again:
- `ok`: welcome; the first entry of this ticket on this list (CheckinEntry's key (list, ticket): two devices
  scanning at the same moment make one entry, and only the one whose insert made it says welcome);
- `already`: let in before, with when and on which device;
- `revoked` (cancelled, or its pending order expired), `unpaid` (its order is still pending), `wrong_list`
  (a ticket type the list does not admit), `not_yet` / `closed` (outside the list's window), `unknown` (no
  such ticket on this event: another organization's or event's code is unknown too, never a hint of who holds
  it), `invalid` (a signed payload whose signature does not verify).
Each scan is kept with the device's own scan id: the same id again (a replayed offline sync) returns the stored
answer and changes nothing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import CheckinEntry, CheckinList, CheckinScan, Event, Ticket, TicketType
from aqstream.services.checkin import signing
from aqstream.services.clock import utcnow
from aqstream.services.errors import NotFound, ValidationError
from aqstream.services.lifecycle import TicketStatus
from aqstream.services.org.permissions import CHECK_IN, Principal, access

# Test-only switch: with the guard off, "already checked in" is decided by reading the ticket and then writing,
# as a naive scanner would, so the concurrency test can show it catches two welcomes.
GUARD_ENABLED = True

RESULTS = ("ok", "already", "revoked", "unpaid", "wrong_list", "not_yet", "closed", "unknown", "invalid")
DEFAULT_LIST = "All tickets"


@dataclass(frozen=True)
class ScanAnswer:
    result: str
    ticket_id: int | None = None
    attendee_name: str = ""
    ticket_type: str = ""
    first_at: datetime | None = None  # for "already": when the ticket was let in, and on which device
    first_device: str = ""
    replayed: bool = False  # the same scan id was answered before: this is that answer


def _insert(session: Session, table):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _list(session: Session, principal: Principal, organization_id: int, list_id: int) -> tuple[CheckinList, Event]:
    access(session, principal, organization_id, CHECK_IN)
    row = session.exec(select(CheckinList, Event).join(Event, Event.id == CheckinList.event_id).where(
        CheckinList.id == list_id, Event.organization_id == organization_id)).first()
    if row is None:
        raise NotFound()
    return row


def default_list(session: Session, principal: Principal, organization_id: int, event_id: int) -> CheckinList:
    """The event's first list, made ("All tickets", no window, no re-entry) when it has none."""
    access(session, principal, organization_id, CHECK_IN)
    event = session.exec(select(Event).where(Event.id == event_id, Event.organization_id == organization_id)).first()
    if event is None:
        raise NotFound()
    found = session.exec(select(CheckinList).where(CheckinList.event_id == event.id)
                         .order_by(CheckinList.id)).first()
    if found is not None:
        return found
    begin_write(session)
    made = CheckinList(event_id=event.id, name=DEFAULT_LIST, ticket_type_ids=[], created_at=utcnow())
    session.add(made)
    session.commit()
    session.refresh(made)
    return made


def _clean_scan(client_scan_id: str, device: str) -> tuple[str, str]:
    scan_id = (client_scan_id or "").strip()
    if not scan_id or len(scan_id) > 64:
        raise ValidationError({"client_scan_id": "checkin.scan_id_invalid"})
    return scan_id, " ".join((device or "").split())[:60]


def _stored(session: Session, list_id: int, scan_id: str) -> ScanAnswer | None:
    scan = session.exec(select(CheckinScan).where(CheckinScan.list_id == list_id,
                                                  CheckinScan.client_scan_id == scan_id)).first()
    if scan is None:
        return None
    return _answer(session, list_id, scan.result, scan.ticket_id, replayed=True)


def _answer(session: Session, list_id: int, result: str, ticket_id: int | None, replayed: bool = False) -> ScanAnswer:
    if ticket_id is None:
        return ScanAnswer(result, replayed=replayed)
    ticket, type_name = session.exec(select(Ticket, TicketType.name).join(
        TicketType, TicketType.id == Ticket.ticket_type_id).where(Ticket.id == ticket_id)).one()
    entry = session.exec(select(CheckinEntry).where(CheckinEntry.list_id == list_id,
                                                    CheckinEntry.ticket_id == ticket_id)).first()
    return ScanAnswer(result, ticket.id, ticket.attendee_name, type_name,
                      entry.at if entry is not None and result == "already" else None,
                      entry.device if entry is not None and result == "already" else "", replayed)


def _find_ticket(session: Session, event: Event, scanned: str) -> tuple[str | None, Ticket | None]:
    """The ticket a scan names on this event: by its signed payload (verified with the event's key) or its code."""
    text = (scanned or "").strip()
    if signing.SEPARATOR in text:
        try:
            claims = signing.verify(signing.public_key(session, event.id), text)
        except signing.BadTicket:
            return "invalid", None
        if claims.event_id != event.id:
            return "unknown", None
        ticket = session.exec(select(Ticket).where(Ticket.id == claims.ticket_id, Ticket.event_id == event.id,
                                                   Ticket.code == claims.code)).first()
    else:
        ticket = session.exec(select(Ticket).where(Ticket.code == text[:64], Ticket.event_id == event.id)).first()
    return (None, ticket) if ticket is not None else ("unknown", None)


def redeem(session: Session, principal: Principal, organization_id: int, list_id: int, scanned: str, *,
           client_scan_id: str, device: str = "", scanned_at: datetime | None = None) -> ScanAnswer:
    """Let a ticket in through a list, once; see the module's docstring for the answers."""
    scan_id, device = _clean_scan(client_scan_id, device)
    checkin_list, event = _list(session, principal, organization_id, list_id)
    if (earlier := _stored(session, checkin_list.id, scan_id)) is not None:
        return earlier
    now = utcnow()
    refusal, ticket = _find_ticket(session, event, scanned)
    if ticket is not None:
        if ticket.status == TicketStatus.CANCELLED:
            refusal = "revoked"
        elif ticket.status == TicketStatus.HELD:
            refusal = "unpaid"
        elif checkin_list.ticket_type_ids and ticket.ticket_type_id not in checkin_list.ticket_type_ids:
            refusal = "wrong_list"
        elif checkin_list.opens_at and now < checkin_list.opens_at:
            refusal = "not_yet"
        elif checkin_list.closes_at and now >= checkin_list.closes_at:
            refusal = "closed"
    begin_write(session)
    result = refusal or _enter(session, checkin_list, ticket, scan_id, device, now)
    stored = _insert(session, CheckinScan.__table__).values(
        list_id=checkin_list.id, client_scan_id=scan_id, ticket_id=ticket.id if ticket else None, result=result,
        device=device, scanned_at=scanned_at or now, received_at=now).on_conflict_do_nothing().returning(
        CheckinScan.__table__.c.id)
    if session.execute(stored).first() is None:  # the same scan id answered meanwhile: that answer stands
        session.rollback()
        return _stored(session, checkin_list.id, scan_id)
    session.commit()
    return _answer(session, checkin_list.id, result, ticket.id if ticket else None)


def _enter(session: Session, checkin_list: CheckinList, ticket: Ticket, scan_id: str, device: str,
           now: datetime) -> str:
    table = Ticket.__table__
    if not GUARD_ENABLED:  # the naive way, for the concurrency test's companion only: read, then write
        seen = session.execute(select(table.c.checked_in_at).where(table.c.id == ticket.id)).scalar()
        if seen is not None:
            return "already"
        session.execute(table.update().where(table.c.id == ticket.id).values(checked_in_at=now))
        return "ok"
    made = _insert(session, CheckinEntry.__table__).values(
        list_id=checkin_list.id, ticket_id=ticket.id, at=now, device=device, scan_id=scan_id
    ).on_conflict_do_nothing().returning(CheckinEntry.__table__.c.ticket_id)
    if session.execute(made).first() is None:
        return "already"
    session.execute(table.update().where(table.c.id == ticket.id, table.c.checked_in_at.is_(None))
                    .values(checked_in_at=now))
    return "ok"
