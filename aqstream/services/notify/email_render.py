"""Turns an outbox message into the email that is sent: subject, plain-text and HTML parts, attachments.

The payload says what happened and to whom; names, times and places are read again from the database, so
an email sent late (after a retry) shows the current state."""
from __future__ import annotations

import io
from contextvars import ContextVar
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import urlsplit

import segno
from sqlmodel import Session, select

from aqstream import config
from aqstream.i18n import LOCALES, format_datetime, format_money, format_range, t, tn
from aqstream.models import Event, Order, Organization, OutboxMessage, Payment, Refund, Ticket, TicketType, User
from aqstream.services.checkin import signing
from aqstream.services.errors import NotFound
from aqstream.services.events import calendar, media
from aqstream.services.lifecycle import EventStatus, OrderStatus, TicketStatus
from aqstream.services.notify import email_kinds
from aqstream.services.notify.email_templates import Mail

PLATFORM_NAME = "AqStream"


class Obsolete(Exception):
    """The email no longer has a reason to go (the order was cancelled before its confirmation was sent, the
    event was cancelled before its reminder): delivery marks it "skipped" instead of sending it."""


def render(session: Session, message: OutboxMessage) -> EmailMessage:
    """The email for one outbox message, without From/To (delivery sets those). Raises ValueError for a kind
    it does not know, which delivery records as a permanent failure."""
    build = _KINDS.get(message.kind)
    if build is None:
        raise ValueError(f"unknown email kind: {message.kind!r}")
    payload = dict(message.payload or {})
    payload["_to"] = message.recipient  # for kinds whose language is the recipient's own (the organizer's notice)
    org = session.get(Organization, message.organization_id) if message.organization_id else None
    mail, lang = build(session, payload, org)
    return mail.build(lang, _footer(org, lang))


class _SubjectKnown(Exception):
    def __init__(self, subject: str):
        self.subject = subject


# Set while only the subject is wanted: the first block of every kind (_start) then stops the build.
_subject_only: ContextVar[bool] = ContextVar("aqstream_email_subject_only", default=False)


def subject(session: Session, message: OutboxMessage) -> str:
    """Only the subject line, without building the parts (QR codes, the calendar file take tens of
    milliseconds): the mail log lists many messages at once. Raises ValueError as render does."""
    token = _subject_only.set(True)
    try:
        return str(render(session, message)["Subject"] or "")  # a kind that never calls _start is built whole
    except _SubjectKnown as known:
        return " ".join(known.subject.split())
    finally:
        _subject_only.reset(token)


# Loading ---------------------------------------------------------------------------------------------------


def pick_locale(payload: dict, event: Event | None, org: Organization | None) -> str:
    """The recipient's language: the payload's, else the event's, else the organization's, else English."""
    for candidate in (payload.get("locale"), event.locale if event else None, org.default_locale if org else None):
        if candidate in LOCALES:
            return candidate
    return "en"


def _order(session: Session, payload: dict, org: Organization | None) -> Order:
    order = None
    if payload.get("access_token"):
        order = session.exec(select(Order).where(Order.access_token == payload["access_token"])).first()
    if order is None and payload.get("order_id") is not None:
        order = session.get(Order, payload["order_id"])
    if order is None or (org is not None and order.organization_id != org.id):
        raise ValueError("the order of this email no longer exists")
    return order


def _event(session: Session, event_id, org: Organization | None) -> Event:
    event = session.get(Event, event_id) if event_id is not None else None
    if event is None or (org is not None and event.organization_id != org.id):
        raise ValueError("the event of this email no longer exists")
    return event


def _base() -> str:
    return config.public_base_url()


def _site_link(path) -> str:
    """A link of the message (only its path is the message's) on the public address the site has now."""
    return f"{_base()}{urlsplit(str(path or '')).path}"


def _start(org: Organization | None, subject: str) -> Mail:
    if _subject_only.get():
        raise _SubjectKnown(subject)
    mail = Mail(subject=subject, sender_name=org.name if org else PLATFORM_NAME)
    if org is not None and org.logo_path:
        try:
            path, content_type = media.open_image(org.logo_path)
            mail.logo(path.read_bytes(), content_type.split("/", 1)[1])
        except (NotFound, OSError):
            pass  # a logo that went missing must not stop the email
    return mail


def _footer(org: Organization | None, lang: str) -> str:
    if org is None:
        return t("email.footer.platform", lang, platform=PLATFORM_NAME)
    return t("email.footer.organization", lang, organization=org.name, platform=PLATFORM_NAME)


def _when(event: Event, lang: str) -> str:
    return format_range(event.starts_at, event.ends_at, event.time_zone, lang)


def _where(event: Event, lang: str) -> str:
    if event.venue:
        with_city = event.city and event.city.casefold() not in event.venue.casefold()
        return f"{event.venue}, {event.city}" if with_city else event.venue
    return f"{t('email.where.online', lang)}: {event.online_url}" if event.online_url else ""


def _greet(mail: Mail, name: str | None, lang: str) -> None:
    mail.para(t("email.greeting", lang, name=name) if name else t("email.greeting_plain", lang))


def _event_facts(mail: Mail, event: Event, lang: str) -> None:
    mail.facts([(t("email.label.when", lang), _when(event, lang)), (t("email.label.where", lang), _where(event, lang))])


def _ics(mail: Mail, event: Event, org: Organization) -> None:
    url = calendar.event_page_url(org, event)
    mail.attach(calendar.event_ics(event, org.name, url), "text", "calendar", calendar.ics_filename(event))


def qr_png(text: str) -> bytes:
    """A QR code of this text as a PNG image (a ticket's QR text comes from signing.qr_payloads)."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=5, border=2)
    return out.getvalue()


def _tickets(session: Session, mail: Mail, event: Event, tickets, lang: str) -> None:
    """Each valid ticket with its code and QR image (the signed payload), under a heading; (ticket, type name)
    pairs of the event."""
    rows = [(ticket.id, ticket.attendee_name, ticket.code, type_name) for ticket, type_name in tickets]
    payloads = signing.qr_payloads(session, event, [ticket for ticket, _ in tickets])
    rows = [row for row in rows if payloads[row[0]]]
    if not rows:
        return
    mail.heading(t("email.confirmation.tickets", lang))
    mail.note(t("email.confirmation.show_code", lang))
    for ticket_id, attendee, code, type_name in rows:
        mail.ticket(type_name, attendee, t("email.ticket.code", lang), code, qr_png(payloads[ticket_id]))


def _manage_link(mail: Mail, order: Order, lang: str) -> None:
    mail.button(t("email.manage.button", lang), f"{_base()}/order/{order.access_token}")


def _live_order(session: Session, payload: dict, org: Organization | None, what: str):
    """The order an email is about, its event and organization; an order cancelled before the email went is
    Obsolete (nobody is told about a registration that no longer holds)."""
    order = _order(session, payload, org)
    if order.status == OrderStatus.CANCELLED:
        raise Obsolete(f"the order was cancelled before {what} was sent")
    event = _event(session, order.event_id, org)
    return order, event, org or session.get(Organization, event.organization_id)


# One function per kind: (session, payload, organization) -> (mail, language) ---------------------------------


def _confirmation(session: Session, payload: dict, org: Organization | None):
    order, event, org = _live_order(session, payload, org, "its confirmation")
    lang = pick_locale(payload, event, org)
    mail = _start(org, t("email.confirmation.subject", lang, title=event.title))
    mail.heading(t("email.confirmation.heading", lang))
    _greet(mail, order.buyer_name, lang)
    mail.para(t("email.confirmation.intro", lang, title=event.title, organization=org.name))
    _event_facts(mail, event, lang)
    mail.quote(t("email.organizer_message", lang, organization=org.name), event.confirmation_text)
    # The tickets the message is about, as they are now: a renamed attendee shows the new name, a ticket
    # cancelled meanwhile is left out.
    query = (select(Ticket, TicketType.name).join(TicketType, TicketType.id == Ticket.ticket_type_id)
             .where(Ticket.order_id == order.id, Ticket.status == TicketStatus.VALID).order_by(Ticket.id))
    codes = {item.get("code") for item in payload.get("tickets") or [] if isinstance(item, dict)}
    if codes:
        query = query.where(Ticket.code.in_(codes))
    tickets = session.exec(query).all()
    if codes and not tickets:
        raise Obsolete("every ticket of this confirmation was cancelled before it was sent")
    _tickets(session, mail, event, tickets, lang)
    _manage_link(mail, order, lang)
    mail.note(t("email.confirmation.calendar", lang))
    _ics(mail, event, org)
    return mail, lang


def _order_cancelled(session: Session, payload: dict, org: Organization | None):
    order = _order(session, payload, org)
    event = _event(session, order.event_id, org)
    org = org or session.get(Organization, event.organization_id)
    lang = pick_locale(payload, event, org)
    whole = bool(payload.get("whole_order", True))
    part = "whole" if whole else "partial"
    mail = _start(org, t(f"email.order_cancelled.subject.{part}", lang, title=event.title))
    mail.heading(t(f"email.order_cancelled.heading.{part}", lang))
    _greet(mail, order.buyer_name, lang)
    mail.para(t(f"email.order_cancelled.intro.{part}", lang, title=event.title))
    _event_facts(mail, event, lang)
    codes = [c for c in payload.get("cancelled_codes") or [] if isinstance(c, str)]
    if codes and not whole:
        names = dict(session.exec(select(Ticket.code, Ticket.attendee_name).where(Ticket.order_id == order.id,
                                                                                  Ticket.code.in_(codes))).all())
        mail.bullets([f"{names.get(c) or '—'}: {c}" for c in codes])
    if payload.get("by") == "organizer":
        mail.para(t("email.order_cancelled.by_organizer", lang, organization=org.name))
        if payload.get("reason"):
            mail.facts([(t("email.order_cancelled.reason", lang), str(payload["reason"]))])
    if not whole:
        _manage_link(mail, order, lang)
    else:
        mail.button(t("email.event_page.button", lang), calendar.event_page_url(org, event))
    return mail, lang


def _to_attendee(session: Session, payload: dict, org: Organization | None, kind: str):
    """How an email to each attendee about their event opens: the subject, heading, greeting and the line that
    says which event and organizer it is about (`email.{kind}.subject/heading/intro`)."""
    event = _event(session, payload.get("event_id"), org)
    org = org or session.get(Organization, event.organization_id)
    lang = pick_locale(payload, event, org)
    mail = _start(org, t(f"email.{kind}.subject", lang, title=event.title))
    mail.heading(t(f"email.{kind}.heading", lang))
    _greet(mail, payload.get("name"), lang)
    mail.para(t(f"email.{kind}.intro", lang, title=event.title, organization=org.name))
    return event, org, lang, mail


def _event_changed(session: Session, payload: dict, org: Organization | None):
    event, org, lang, mail = _to_attendee(session, payload, org, "event_changed")
    changed = set(payload.get("changed") or [])
    rows = []
    if changed & {"starts_at", "ends_at"}:
        rows.append((t("email.event_changed.new_time", lang), _when(event, lang)))
    if changed & {"venue", "online_url"}:
        rows.append((t("email.event_changed.new_place", lang), _where(event, lang) or "—"))
    mail.facts(rows)
    mail.para(t("email.event_changed.tickets_valid", lang))
    mail.button(t("email.event_page.button", lang), calendar.event_page_url(org, event))
    mail.note(t("email.event_changed.calendar", lang))
    _ics(mail, event, org)
    return mail, lang


def _event_cancelled(session: Session, payload: dict, org: Organization | None):
    event, org, lang, mail = _to_attendee(session, payload, org, "event_cancelled")
    _event_facts(mail, event, lang)
    if (payload.get("message") or "").strip():
        mail.facts([(t("email.event_cancelled.message", lang, organization=org.name), payload["message"].strip())])
    return mail, lang


def _invitation(session: Session, payload: dict, org: Organization | None):
    lang = pick_locale(payload, None, org)
    org_name = org.name if org else str(payload.get("organization_name") or PLATFORM_NAME)
    mail = _start(org, t("email.invitation.subject", lang, organization=org_name))
    mail.heading(t("email.invitation.heading", lang, organization=org_name))
    role = t(f"team.role.{payload.get('role', '')}", lang)
    inviter = str(payload.get("invited_by") or "")
    key = "email.invitation.intro" if inviter else "email.invitation.intro_anonymous"
    mail.para(t(key, lang, inviter=inviter, organization=org_name, platform=PLATFORM_NAME))
    mail.facts([(t("email.invitation.role", lang), role)])
    # The link is rebuilt on the current public address: only the token in its path is the invitation's.
    mail.button(t("email.invitation.button", lang), _site_link(payload.get("accept_url")))
    if payload.get("expires_at"):
        try:
            expires = datetime.fromisoformat(payload["expires_at"])
        except ValueError:
            expires = None
        if expires is not None:
            zone = org.time_zone if org else "UTC"
            mail.note(t("email.invitation.expires", lang, when=format_datetime(expires, zone, lang)))
    mail.note(t("email.invitation.ignore", lang))
    return mail, lang


def _to_account(payload: dict, org: Organization | None, kind: str):
    """How an email about the person's own account opens (`email.{kind}.subject/heading/intro`)."""
    lang = pick_locale(payload, None, org)
    mail = _start(org, t(f"email.{kind}.subject", lang, platform=PLATFORM_NAME))
    mail.heading(t(f"email.{kind}.heading", lang))
    _greet(mail, payload.get("name"), lang)
    mail.para(t(f"email.{kind}.intro", lang, platform=PLATFORM_NAME))
    return lang, mail


def _verify(session: Session, payload: dict, org: Organization | None):
    lang, mail = _to_account(payload, org, "verify")
    mail.button(t("email.verify.button", lang), _site_link(payload.get("verify_path")))
    mail.note(t("email.verify.ignore", lang))
    return mail, lang


def _reminder(session: Session, payload: dict, org: Organization | None):
    event = _event(session, payload.get("event_id"), org)
    if event.status != EventStatus.PUBLISHED:
        raise Obsolete(f"the event is {event.status}")
    org = org or session.get(Organization, event.organization_id)
    codes = [c for c in payload.get("codes") or [] if isinstance(c, str)]
    tickets = session.exec(
        select(Ticket, TicketType.name).join(TicketType, TicketType.id == Ticket.ticket_type_id)
        .where(Ticket.event_id == event.id, Ticket.status == TicketStatus.VALID, Ticket.code.in_(codes)).order_by(Ticket.id)
    ).all() if codes else []
    if not tickets:
        raise Obsolete("no ticket of this reminder is still valid")
    lang = pick_locale(payload, event, org)
    mail = _start(org, t("email.reminder.subject", lang, title=event.title,
                         when=format_datetime(event.starts_at, event.time_zone, lang)))
    mail.heading(t("email.reminder.heading", lang))
    _greet(mail, payload.get("name"), lang)
    mail.para(t("email.reminder.intro", lang, title=event.title, organization=org.name))
    _event_facts(mail, event, lang)
    mail.quote(t("email.organizer_message", lang, organization=org.name), event.reminder_text)
    _tickets(session, mail, event, tickets, lang)
    order = session.get(Order, payload["order_id"]) if payload.get("order_id") else None
    if order is not None and order.event_id == event.id and order.status == OrderStatus.CONFIRMED:
        _manage_link(mail, order, lang)
    else:
        mail.button(t("email.event_page.button", lang), calendar.event_page_url(org, event))
    return mail, lang


def _notice(session: Session, payload: dict, org: Organization | None):
    """To the organizer: who registered, for what, and how full the event is now."""
    order, event, org = _live_order(session, payload, org, "the notice")
    # A team member (or anyone with an account) reads it in their own language; another address in the
    # organization's.
    account_locale = session.exec(select(User.locale).where(User.email == payload.get("_to", ""))).first()
    lang = pick_locale({"locale": account_locale}, None, org)
    who = order.buyer_name or order.buyer_email
    mail = _start(org, t("email.notice.subject", lang, title=event.title, name=who))
    mail.heading(t("email.notice.heading", lang))
    mail.para(t("email.notice.intro", lang, name=who, title=event.title))
    tickets = session.exec(
        select(Ticket, TicketType.name).join(TicketType, TicketType.id == Ticket.ticket_type_id)
        .where(Ticket.order_id == order.id, Ticket.status == TicketStatus.VALID).order_by(Ticket.id)
    ).all()
    mail.facts([
        (t("email.notice.buyer", lang), f"{order.buyer_name} <{order.buyer_email}>"),
        (t("email.notice.registered_at", lang), format_datetime(order.created_at, event.time_zone, lang)),
        (t("email.label.when", lang), _when(event, lang)),
        (t("email.notice.total", lang), (t("email.notice.total_capacity", lang, sold=event.sold, capacity=event.capacity)
                                         if event.capacity else tn("email.notice.total_open", event.sold, lang))),
    ])
    mail.bullets([f"{type_name}: {ticket.attendee_name or '—'}" for ticket, type_name in tickets])
    mail.button(t("email.notice.button", lang), f"{_base()}/o/{org.slug}/events/{event.id}")
    mail.note(t("email.notice.why", lang))
    return mail, lang


def _password_reset(session: Session, payload: dict, org: Organization | None):
    lang, mail = _to_account(payload, org, "password_reset")
    mail.button(t("email.password_reset.button", lang), _site_link(payload.get("reset_path")))
    hours = int(email_kinds.PASSWORD_RESET_LIFETIME.total_seconds() // 3600)
    mail.para(tn("email.password_reset.valid", hours, lang))
    mail.note(t("email.password_reset.ignore", lang))
    return mail, lang


def _suspension(kind: str):
    """An owner's email about their organization's suspension (with the admins' reason) or reactivation."""

    def render(session: Session, payload: dict, org: Organization | None):
        lang = pick_locale(payload, None, org)
        org_name = org.name if org else str(payload.get("organization_name") or "")
        mail = _start(org, t(f"email.{kind}.subject", lang, organization=org_name, platform=PLATFORM_NAME))
        mail.heading(t(f"email.{kind}.heading", lang, organization=org_name))
        _greet(mail, payload.get("name"), lang)
        mail.para(t(f"email.{kind}.intro", lang, organization=org_name, platform=PLATFORM_NAME))
        if payload.get("reason"):
            mail.facts([(t("email.organization_suspended.reason", lang), str(payload["reason"]))])
        mail.note(t(f"email.{kind}.note", lang))
        return mail, lang

    return render


def _money(payload: dict, row, lang: str) -> str:
    """An amount as the payment or refund row has it (the payload's when the row is gone)."""
    amount = row.amount_minor if row is not None else int(payload.get("amount_minor") or 0)
    currency = row.currency if row is not None else str(payload.get("currency") or "EUR")
    return format_money(amount, currency, lang)


def _payment_order(session: Session, payload: dict, org: Organization | None):
    """The order a payment email is about (cancelled or expired ones too: their money is the point), its event and
    organization."""
    order = _order(session, payload, org)
    event = _event(session, order.event_id, org)
    return order, event, org or session.get(Organization, event.organization_id)


def _bank_transfer(session: Session, payload: dict, org: Organization | None):
    """How to pay a pending order by bank transfer: amount, reference, the organization's instructions (as they
    were when the transfer was chosen), the date to pay by, and the order's page (which shows it all too)."""
    order, event, org = _payment_order(session, payload, org)
    if order.status != OrderStatus.PENDING:
        raise Obsolete(f"the order is {order.status}: no payment is awaited any more")
    payment = session.get(Payment, payload["payment_id"]) if payload.get("payment_id") else None
    lang = pick_locale(payload, event, org)
    mail = _start(org, t("email.bank_transfer.subject", lang, title=event.title))
    mail.heading(t("email.bank_transfer.heading", lang))
    _greet(mail, order.buyer_name, lang)
    mail.para(t("email.bank_transfer.intro", lang, title=event.title, organization=org.name))
    until = order.expires_at
    rows = [(t("email.payment.amount", lang), _money(payload, payment, lang)),
            (t("email.bank_transfer.reference", lang), (payment.reference if payment else "") or
             str(payload.get("reference") or ""))]
    if until is not None:
        rows.append((t("email.bank_transfer.pay_until", lang), format_datetime(until, event.time_zone, lang)))
    rows.append((t("email.label.when", lang), _when(event, lang)))
    mail.facts(rows)
    mail.quote(t("email.bank_transfer.instructions", lang, organization=org.name), str(payload.get("instructions") or ""))
    mail.para(t("email.bank_transfer.after", lang))
    mail.button(t("email.order_page.button", lang), f"{_base()}/order/{order.access_token}")
    mail.note(t("email.bank_transfer.expiry", lang))
    return mail, lang


def _refunded_late(session: Session, payload: dict, org: Organization | None):
    """The apology: the payment came after the reservation expired, its places were taken, the money goes back."""
    order, event, org = _payment_order(session, payload, org)
    refund = session.get(Refund, payload["refund_id"]) if payload.get("refund_id") else None
    lang = pick_locale(payload, event, org)
    amount = _money(payload, refund, lang)
    mail = _start(org, t("email.refunded_late.subject", lang, title=event.title))
    mail.heading(t("email.refunded_late.heading", lang))
    _greet(mail, order.buyer_name, lang)
    # Most often the hold ran out and its places were sold; else the registration or the event was cancelled.
    cancelled = order.status == OrderStatus.CANCELLED or event.status == EventStatus.CANCELLED
    mail.para(t("email.refunded_late.intro_cancelled" if cancelled else "email.refunded_late.intro", lang,
                title=event.title, amount=amount))
    mail.facts([(t("email.refund.amount", lang), amount)])
    mail.para(t("email.refund.when", lang))
    mail.button(t("email.event_page.button", lang), calendar.event_page_url(org, event))
    mail.note(t("email.refunded_late.sorry", lang, organization=org.name))
    return mail, lang


def _refund_done(session: Session, payload: dict, org: Organization | None):
    """The money of a cancellation (the organizer's or the attendee's own) is on its way back."""
    order, event, org = _payment_order(session, payload, org)
    refund = session.get(Refund, payload["refund_id"]) if payload.get("refund_id") else None
    lang = pick_locale(payload, event, org)
    amount = _money(payload, refund, lang)
    mail = _start(org, t("email.refund_done.subject", lang, title=event.title, amount=amount))
    mail.heading(t("email.refund_done.heading", lang))
    _greet(mail, order.buyer_name, lang)
    mail.para(t("email.refund_done.intro", lang, title=event.title, organization=org.name, amount=amount))
    mail.facts([(t("email.refund.amount", lang), amount)])
    mail.para(t("email.refund.when", lang))
    mail.button(t("email.order_page.button", lang), f"{_base()}/order/{order.access_token}")
    return mail, lang


_KINDS = {
    email_kinds.REGISTRATION_CONFIRMATION: _confirmation,
    email_kinds.ORDER_CANCELLED: _order_cancelled,
    email_kinds.EVENT_CHANGED: _event_changed,
    email_kinds.EVENT_CANCELLED: _event_cancelled,
    email_kinds.TEAM_INVITATION: _invitation,
    email_kinds.VERIFY_ADDRESS: _verify,
    email_kinds.EVENT_REMINDER: _reminder,
    email_kinds.REGISTRATION_NOTICE: _notice,
    email_kinds.PASSWORD_RESET: _password_reset,
    email_kinds.ORGANIZATION_SUSPENDED: _suspension("organization_suspended"),
    email_kinds.ORGANIZATION_REACTIVATED: _suspension("organization_reactivated"),
    email_kinds.BANK_TRANSFER: _bank_transfer,
    email_kinds.PAYMENT_REFUNDED_LATE: _refunded_late,
    email_kinds.REFUND_DONE: _refund_done,
}
