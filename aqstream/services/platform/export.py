"""What platform admins do with an organization as a whole: download everything it holds (`export_organization`)
and delete it (`delete_organization`).

The export is a ZIP of CSV files (UTF-8 with a byte-order mark, as the attendee export; text that looks like a
formula is quoted; times in UTC, ISO 8601), streamed with flat memory: each table is read in keyset pages of
EXPORT_CHUNK rows by id, each page on a short session of its own whose connection is back in the pool before its
rows are written, and the rows go into the archive as they come (`zipfile` writes to a stream it cannot seek, with
data descriptors and ZIP64 sizes), handed out in pieces of about PIECE_BYTES. So a million tickets are never in
memory and a slow download holds no connection. Each page is read as the database is at that moment. The export
runs in one of the process's export slots (services/reports/exports.py: ExportsBusy, 503 with Retry-After).

Deletion, in ONE transaction (a huge organization's statements are bulk UPDATEs and DELETEs, no row goes through
Python; the bench measures it), only for a suspended organization whose slug the admin typed exactly:

- removed: memberships, invitations, registration answers, every outbox message of the organization (bodies
  and addresses), its audit entries other than the platform's own (`platform.*`), today's visitor hashes
  (visitor_seen) of its events;
- anonymized: orders lose the buyer's name and email, the account they belonged to, their idempotency and
  dedupe keys and fingerprint, and get a new random access token (old confirmation links lead nowhere); tickets
  lose the attendee's name and email and get a new random code (old QR codes admit nobody); events lose the
  addresses told of new registrations (notify_email); the organization loses its contact email; domain events
  of the organization or about its orders keep their name and time, not their payload (as account deletion
  does with `domain_events.forget`), except the platform's own (suspension, limits, support visits, export);
- kept, so the platform's totals stay: the organization's row (status "deleted"), its events, ticket types,
  questions, orders and tickets with their statuses, amounts and times, and the traffic counts (per day and
  source, naming nobody), the organization's name, the suspension's reason and the platform's audit entries.
  Member accounts stay: they are people's own accounts on the platform (their last-opened organization is
  cleared). The logo and cover image files stay on disk: the organization's published pictures, not its people.

A deleted organization is gone for everyone: the catalog, its public and event pages and registration look for
active or suspended organizations only (a suspended one's event page says it is unavailable; a deleted one does
not exist), its members lost their memberships, `access` gives no support view of it, and these admin services
and `tenants` answer NotFound. Its slug stays reserved: old links must never lead to someone else's pages."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from sqlalchemy import String, Text, TypeDecorator, and_, cast, delete, func, not_, or_, update
from sqlmodel import Session, select

from aqstream.db import begin_write, session_scope
from aqstream.models import (
    Answer,
    AuditEntry,
    DomainEvent,
    Event,
    Invitation,
    Membership,
    Order,
    Organization,
    OutboxMessage,
    Payment,
    PaymentSettings,
    Question,
    Refund,
    Ticket,
    TicketType,
    User,
    VisitorSeen,
)
from aqstream.services.clock import utcnow
from aqstream.services.errors import Conflict, NotFound, ValidationError
from aqstream.services.notify import domain_events
from aqstream.services.org.permissions import DELETED, SUSPENDED, Principal, require_platform_admin
from aqstream.services.reports.exports import FORMULA_START, ExportStream, _cell, take_slot

EXPORT_CHUNK = 5000  # rows read per database checkout
PIECE_BYTES = 256 * 1024  # the archive is handed out in pieces of about this size
# Domain events and audit entries that are the platform's record of what its admins did, kept on deletion.
PLATFORM_EVENTS = ("organization.suspended", "organization.reactivated", "organization.limits_changed",
                   "organization.support_viewed", "organization.exported", "organization.deleted")
FILES = ("events.csv", "ticket_types.csv", "orders.csv", "tickets.csv", "answers.csv", "payments.csv", "refunds.csv",
         "members.csv", "audit.csv")


def _organization(session: Session, organization_id: int, lock: bool = False) -> Organization:
    statement = select(Organization).where(Organization.id == organization_id, Organization.status != DELETED)
    org = session.exec(statement.with_for_update() if lock else statement).first()
    if org is None:
        raise NotFound()
    return org


# --- the export ---------------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return _cell(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return str(_cell(value))


def _answer(value: Any) -> str:
    """A registration answer as a cell: a choice of several as "a, b", a checkbox as true/false."""
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return _text(value)


def _string(value: str | None) -> str | None:
    return "'" + value if value and value.startswith(FORMULA_START) else value


def _time(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.isoformat(timespec="seconds")[:19] + "Z"  # isoformat: a third of strftime's time


def _bool(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def _converter(column) -> Callable[[Any], Any] | None:
    """How a column's values become cells, chosen once per column (a million rows make per-value type checks
    the export's main cost): integers as they are (the csv module writes None as ""), text quoted when it looks
    like a formula, times in UTC, the rest through `_text`."""
    kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    try:
        python = kind.python_type
    except NotImplementedError:
        return _text
    if python is int:
        return None
    return {str: _string, datetime: _time, bool: _bool}.get(python, _text)


@dataclass(frozen=True)
class Table:
    """One CSV file: its header, the columns (the first is the id the pages are keyed on) and the condition that
    keeps the organization's rows; `convert` overrides how a column (by its index) becomes cells."""

    name: str
    header: list[str]
    columns: list[Any]
    where: Callable[[int], Any]
    joins: list[tuple[Any, Any]] = field(default_factory=list)
    convert: dict[int, Callable[[Any], Any]] = field(default_factory=dict)

    def converters(self) -> list[Callable[[Any], Any] | None]:
        return [self.convert.get(i) or _converter(c) for i, c in enumerate(self.columns)]


def _org_events(organization_id: int):
    return select(Event.id).where(Event.organization_id == organization_id).scalar_subquery()


TABLES = [
    Table("events.csv",
          ["id", "slug", "title", "status", "starts_at", "ends_at", "time_zone", "venue", "online_url", "city", "tags",
           "listed", "capacity", "sold", "registration_opens_at", "registration_closes_at", "created_at",
           "published_at", "description"],
          [Event.id, Event.slug, Event.title, Event.status, Event.starts_at, Event.ends_at, Event.time_zone,
           Event.venue, Event.online_url, Event.city, Event.tags, Event.listed, Event.capacity, Event.sold,
           Event.registration_opens_at, Event.registration_closes_at, Event.created_at, Event.published_at,
           Event.description],
          lambda org: Event.organization_id == org),
    Table("ticket_types.csv",
          ["id", "event_id", "name", "description", "price_minor", "currency", "quantity", "sold", "sales_start_at",
           "sales_end_at", "min_per_order", "max_per_order", "hidden", "sort_order"],
          [TicketType.id, TicketType.event_id, TicketType.name, TicketType.description, TicketType.price_minor,
           TicketType.currency, TicketType.quantity, TicketType.sold, TicketType.sales_start_at,
           TicketType.sales_end_at, TicketType.min_per_order, TicketType.max_per_order, TicketType.hidden,
           TicketType.sort_order],
          lambda org: TicketType.event_id.in_(_org_events(org))),
    Table("orders.csv",
          ["id", "event_id", "buyer_name", "buyer_email", "user_id", "status", "total_minor", "currency", "locale",
           "created_at", "cancelled_at", "expires_at"],
          [Order.id, Order.event_id, Order.buyer_name, Order.buyer_email, Order.user_id, Order.status,
           Order.total_minor, Order.currency, Order.locale, Order.created_at, Order.cancelled_at, Order.expires_at],
          lambda org: Order.organization_id == org),
    Table("tickets.csv",
          ["id", "order_id", "event_id", "ticket_type_id", "attendee_name", "attendee_email", "code", "status",
           "checked_in_at", "created_at", "cancelled_at"],
          [Ticket.id, Ticket.order_id, Ticket.event_id, Ticket.ticket_type_id, Ticket.attendee_name,
           Ticket.attendee_email, Ticket.code, Ticket.status, Ticket.checked_in_at, Ticket.created_at,
           Ticket.cancelled_at],
          lambda org: Ticket.event_id.in_(_org_events(org))),
    Table("answers.csv",
          ["id", "order_id", "ticket_id", "event_id", "question_id", "question", "value"],
          [Answer.id, Answer.order_id, Answer.ticket_id, Question.event_id, Answer.question_id, Question.label,
           Answer.value],
          lambda org: Question.event_id.in_(_org_events(org)),
          joins=[(Question, Question.id == Answer.question_id)],
          convert={6: _answer}),
    Table("payments.csv",
          ["id", "order_id", "event_id", "attempt", "provider", "provider_payment_id", "status", "amount_minor",
           "currency", "reference", "test_mode", "created_at", "paid_at"],
          [Payment.id, Payment.order_id, Payment.event_id, Payment.attempt, Payment.provider,
           Payment.provider_payment_id, Payment.status, Payment.amount_minor, Payment.currency, Payment.reference,
           Payment.test_mode, Payment.created_at, Payment.paid_at],
          lambda org: Payment.organization_id == org),
    Table("refunds.csv",
          ["id", "payment_id", "order_id", "ticket_id", "amount_minor", "currency", "status", "reason",
           "provider_refund_id", "created_at", "done_at"],
          [Refund.id, Refund.payment_id, Refund.order_id, Refund.ticket_id, Refund.amount_minor, Refund.currency,
           Refund.status, Refund.reason, Refund.provider_refund_id, Refund.created_at, Refund.done_at],
          lambda org: Refund.organization_id == org),
    Table("members.csv",
          ["id", "user_id", "name", "email", "role", "joined_at"],
          [Membership.id, Membership.user_id, User.name, User.email, Membership.role, Membership.created_at],
          lambda org: Membership.organization_id == org,
          joins=[(User, User.id == Membership.user_id)]),
    Table("audit.csv",
          ["id", "at", "action", "object_type", "object_id", "actor_user_id", "actor_label", "data"],
          [AuditEntry.id, AuditEntry.at, AuditEntry.action, AuditEntry.object_type, AuditEntry.object_id,
           AuditEntry.actor_user_id, AuditEntry.actor_label, AuditEntry.data],
          lambda org: AuditEntry.organization_id == org),
]


class _Sink:
    """The file the archive is written to: it keeps what is written until it is taken. It cannot seek or tell, so
    `zipfile` writes each member's sizes after its data (a data descriptor)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def pending(self) -> int:
        return sum(len(p) for p in self._parts)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def _rows(engine, table: Table, organization_id: int, chunk: int) -> Iterator[tuple]:
    """The table's rows of the organization, EXPORT_CHUNK at a time in id order, each page on its own short session:
    the connection is back in the pool before the page's first row is handed out."""
    key = table.columns[0]
    statement = select(*table.columns)
    for joined, on in table.joins:
        statement = statement.join(joined, on)
    statement = statement.where(table.where(organization_id)).order_by(key).limit(chunk)
    after = 0
    while True:
        with session_scope(engine) as session:
            found = session.exec(statement.where(key > after)).all()
        yield from found
        if len(found) < chunk:
            return
        after = found[-1][0]


@dataclass
class _Manifest:
    organization: Organization
    exported_at: datetime
    counts: dict[str, int] = field(default_factory=dict)

    def text(self) -> str:
        org = self.organization
        lines = [f"AqStream export of the organization {org.name!r} (slug {org.slug}, id {org.id})",
                 f"Exported at {_text(self.exported_at)} (times in the files are UTC, ISO 8601).",
                 "Files are CSV in UTF-8 with a byte-order mark; text starting with = + - @ is prefixed with '.",
                 "", "Rows:"]
        lines += [f"  {name}: {n}" for name, n in self.counts.items()]
        return "\n".join(lines) + "\n"


def zip_chunks(engine, organization_id: int, manifest: _Manifest, chunk: int = EXPORT_CHUNK,
               piece_bytes: int = PIECE_BYTES) -> Iterator[bytes]:
    """The archive's bytes as it is written: one CSV member per table, then README.txt with the row counts."""
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for table in TABLES:
            n = 0
            text = io.StringIO()
            writer = csv.writer(text)
            converters = table.converters()
            with archive.open(table.name, "w", force_zip64=True) as member:
                text.write("\ufeff")
                writer.writerow(table.header)
                for row in _rows(engine, table, organization_id, chunk):
                    writer.writerow([f(v) if f else v for f, v in zip(converters, row)])
                    n += 1
                    if text.tell() >= piece_bytes // 4:
                        member.write(text.getvalue().encode("utf-8"))
                        text.seek(0)
                        text.truncate()
                        if sink.pending() >= piece_bytes:
                            yield sink.take()
                member.write(text.getvalue().encode("utf-8"))
            manifest.counts[table.name] = n
            if sink.pending():
                yield sink.take()
        archive.writestr("README.txt", manifest.text())
    yield sink.take()


def export_organization(session: Session, principal: Principal, organization_id: int) -> ExportStream:
    """Everything the organization holds as a ZIP of CSV files (FILES and README.txt), produced as it is read.
    Platform admins only (NotFound for anyone else); recorded as `organization.exported` once a slot is taken."""
    require_platform_admin(session, principal)
    org = _organization(session, organization_id)
    slot = take_slot()
    try:
        begin_write(session)
        org = _organization(session, organization_id)
        domain_events.record(session, "organization.exported", {"organization_id": org.id},
                             organization_id=org.id, actor_user_id=principal.user_id)
        session.commit()
        session.refresh(org)
        session.expunge(org)
    except BaseException:
        session.rollback()
        slot.release()
        raise
    manifest = _Manifest(org, utcnow())
    return ExportStream(zip_chunks(session.get_bind(), org.id, manifest), slot)


def export_file_name(org: Organization, now: datetime | None = None) -> str:
    return f"{org.slug}-export-{(now or utcnow()).strftime('%Y%m%d-%H%M')}.zip"


# --- deletion -----------------------------------------------------------------------------------------------------


def _random_token(session: Session):
    """A fresh random 32-hex-digit token per row, made by the database (no row goes through Python)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.replace(cast(func.gen_random_uuid(), String), "-", "")
    return func.lower(func.hex(func.randomblob(16)))


@dataclass(frozen=True)
class Deleted:
    organization_id: int
    slug: str
    orders: int
    tickets: int


def delete_organization(session: Session, principal: Principal, organization_id: int, confirm_slug: str) -> Deleted:
    """Delete a suspended organization's personal data and close it for good (see the module's docstring for
    exactly what goes, what is anonymized and what stays). Refused with Conflict unless it is suspended, and with
    a ValidationError on `confirm_slug` unless that is its slug exactly. One transaction: all or nothing."""
    require_platform_admin(session, principal)
    begin_write(session)
    try:
        org = _organization(session, organization_id, lock=True)
        if org.status != SUSPENDED:
            raise Conflict("admin.delete.not_suspended")
        if (confirm_slug or "") != org.slug:
            raise ValidationError({"confirm_slug": "admin.delete.confirm_slug"})
        org_id, slug = org.id, org.slug
        events = select(Event.id).where(Event.organization_id == org_id).scalar_subquery()
        orders = select(Order.id).where(Order.organization_id == org_id).scalar_subquery()
        # The record of events: the organization's own and any about its orders keep their name and time only.
        about_orders = and_(cast(DomainEvent.payload, Text).contains('"order_id"'),
                            DomainEvent.payload["order_id"].as_integer().in_(orders))
        session.exec(update(DomainEvent)
                     .where(or_(DomainEvent.organization_id == org_id, about_orders),
                            not_(DomainEvent.name.in_(PLATFORM_EVENTS)))
                     .values(payload={"erased": True}, actor_label=""))
        session.exec(delete(Answer).where(Answer.order_id.in_(orders)))
        n_tickets = session.exec(update(Ticket).where(Ticket.event_id.in_(events))
                                 .values(attendee_name="", attendee_email="", code=_random_token(session))).rowcount
        n_orders = session.exec(update(Order).where(Order.organization_id == org_id)
                                .values(buyer_name="", buyer_email="", user_id=None, idempotency_key=None,
                                        dedupe_key=None, request_fingerprint="",
                                        access_token=_random_token(session))).rowcount
        session.exec(update(Event).where(Event.organization_id == org_id).values(notify_email=""))
        session.exec(delete(Membership).where(Membership.organization_id == org_id))
        session.exec(delete(Invitation).where(Invitation.organization_id == org_id))
        session.exec(delete(OutboxMessage).where(OutboxMessage.organization_id == org_id))
        session.exec(delete(AuditEntry).where(AuditEntry.organization_id == org_id,
                                              not_(AuditEntry.action.startswith("platform."))))
        session.exec(delete(VisitorSeen).where(VisitorSeen.event_id.in_(events)))
        # Its providers' keys and its bank details go; payments and refunds keep their amounts (the order links in
        # a provider's return address go with the orders' tokens).
        session.exec(delete(PaymentSettings).where(PaymentSettings.organization_id == org_id))
        session.exec(update(Payment).where(Payment.organization_id == org_id).values(redirect_url=""))
        session.exec(update(User).where(User.last_organization_id == org_id).values(last_organization_id=None))
        session.exec(update(Organization).where(Organization.id == org_id)
                     .values(status=DELETED, contact_email="", max_published_events=None, max_tickets_per_event=None))
        # Id and slug only: nothing else of the organization is kept in the record.
        domain_events.record(session, "organization.deleted", {"organization_id": org_id, "slug": slug},
                             organization_id=org_id, actor_user_id=principal.user_id)
    except BaseException:
        session.rollback()
        raise
    session.commit()
    return Deleted(org_id, slug, n_orders, n_tickets)

