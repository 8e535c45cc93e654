"""The mail log: the outbox's emails as their recipients get them (or would, when no SMTP server is set up),
for an organization's owners and admins, and for platform admins across every organization plus the
platform's own mail (address confirmations, password resets); "send again" for a failed one.

Functions take an `organization_id`; None means the whole platform and is for platform admins only.
Anyone else asking for the platform, or for a message outside their organization, gets NotFound."""
from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import func
from sqlmodel import Session, select

from aqstream import config
from aqstream.i18n import t
from aqstream.models import Organization, OutboxMessage
from aqstream.services.errors import Conflict, NotFound, ValidationError
from aqstream.services.notify import domain_events, email_render, mail_delivery
from aqstream.services.org.permissions import VIEW_MAIL, Principal, access, is_platform_admin
from aqstream.services.paging import Paged

log = logging.getLogger(__name__)

PER_PAGE = 25
ALL, WAITING, SENT, FAILED = "all", "waiting", "sent", "failed"
# What each filter keeps. A status none of them names ("skipped": an email that lost its reason before it was
# sent, or one a later version adds) is listed under "all".
STATUS_FILTERS: dict[str, tuple[str, ...]] = {ALL: (), WAITING: ("pending", "sending"), SENT: ("sent",),
                                              FAILED: ("failed",)}
# Inline images up to this size are shown in the preview as data: URLs; larger ones (a big logo) stay cid:
# links, which a browser shows as a broken image, rather than making the page heavy.
MAX_INLINE_PREVIEW_BYTES = 512 * 1024


@dataclass(frozen=True)
class MailRow:
    id: int
    created_at: datetime
    organization_id: int | None  # None: the platform's own mail
    organization_name: str
    organization_slug: str
    recipient: str
    kind: str
    kind_label: str
    subject: str  # "" when the message cannot be rendered: then `render_error` says why
    render_error: str
    status: str
    attempts: int
    last_error: str
    sent_at: datetime | None
    next_attempt_at: datetime | None  # only while it waits for a (next) try


@dataclass(frozen=True)
class MailCounts:
    by_status: dict[str, int]

    @property
    def all(self) -> int:
        return sum(self.by_status.values())

    @property
    def waiting(self) -> int:
        return sum(self.by_status.get(s, 0) for s in STATUS_FILTERS[WAITING])

    @property
    def sent(self) -> int:
        return self.by_status.get("sent", 0)

    @property
    def failed(self) -> int:
        return self.by_status.get("failed", 0)

    def of(self, status_filter: str) -> int:
        return self.all if status_filter == ALL else sum(self.by_status.get(s, 0)
                                                         for s in STATUS_FILTERS[status_filter])


@dataclass(frozen=True)
class MailPage(Paged):
    rows: list[MailRow]
    total: int  # messages matching the filter
    page: int
    per_page: int
    status: str
    counts: MailCounts


@dataclass(frozen=True)
class MailPart:
    """An attachment or an inline image: what it is called and what kind of file, never its bytes."""

    name: str  # the file name of an attachment; the Content-ID of an inline image
    content_type: str
    size: int


@dataclass(frozen=True)
class MailPreview:
    row: MailRow
    recipients: list[str]
    subject: str
    text: str
    html: str  # as sent: inline images are cid: links
    html_for_display: str  # the same with the inline images as data: URLs, for a sandboxed frame
    attachments: list[MailPart] = field(default_factory=list)
    images: list[MailPart] = field(default_factory=list)
    error: str = ""  # why the message cannot be rendered; then the parts are empty


def smtp_configured() -> bool:
    """Whether email is really sent. Without it messages stay in the log, to show what would be sent."""
    return config.smtp_settings() is not None


def kind_label(kind: str, lang: str = "en") -> str:
    """A readable name for a kind of email; a kind this version does not know is shown plainly."""
    short = kind.removeprefix("email.")
    key = f"mail.kind.{short}"
    text = t(key, lang)
    return short.replace("_", " ").capitalize() if text == key else text


def _scope(session: Session, principal: Principal, organization_id: int | None):
    """The condition that keeps the caller's messages, after checking they may see the log at all."""
    emails = OutboxMessage.kind.like(mail_delivery.EMAIL_KINDS)
    if organization_id is None:
        if not is_platform_admin(session, principal):
            raise NotFound()
        return [emails]
    access(session, principal, organization_id, VIEW_MAIL)
    return [emails, OutboxMessage.organization_id == organization_id]


def _status_filter(status: str | None) -> str:
    status = (status or ALL).strip().lower()
    if status not in STATUS_FILTERS:
        raise ValidationError({"status": "mail.status_invalid"})
    return status


def _rendered(session: Session, message: OutboxMessage, what):
    """(what(session, message), "") or (None, why it cannot be rendered)."""
    try:
        return what(session, message), ""
    except Exception as exc:  # the log must list every message, even one that breaks in an unexpected way
        if not isinstance(exc, (ValueError, LookupError, email_render.Obsolete)):
            log.exception("rendering outbox message %s for the mail log", message.id)
        return None, f"{type(exc).__name__}: {exc}"


def _row(session: Session, message: OutboxMessage, org_name: str | None, org_slug: str | None, lang: str,
         email: EmailMessage | None = None, error: str = "") -> MailRow:
    subject = str(email["Subject"] or "") if email is not None else ""
    if email is None and not error:
        subject, error = _rendered(session, message, email_render.subject)
    waits = message.status == "pending"
    return MailRow(
        id=message.id, created_at=message.created_at, organization_id=message.organization_id,
        organization_name=org_name or "", organization_slug=org_slug or "", recipient=message.recipient,
        kind=message.kind, kind_label=kind_label(message.kind, lang),
        subject=subject or "", render_error=error,
        status=message.status, attempts=message.attempts, last_error=message.last_error, sent_at=message.sent_at,
        next_attempt_at=message.next_attempt_at if waits else None,
    )


def counts(session: Session, principal: Principal, organization_id: int | None) -> MailCounts:
    """How many messages are in each status (for "3 failed" next to the filter, or the dashboard's warning)."""
    return _counts(session, _scope(session, principal, organization_id))


def _counts(session: Session, conditions: list) -> MailCounts:
    found = session.exec(select(OutboxMessage.status, func.count(OutboxMessage.id)).where(*conditions)
                         .group_by(OutboxMessage.status)).all()
    return MailCounts({status: int(n) for status, n in found})


def list_messages(session: Session, principal: Principal, organization_id: int | None, *, status: str = ALL,
                  page: int = 1, per_page: int = PER_PAGE, lang: str = "en") -> MailPage:
    """One page of messages, newest first, with their subjects as the recipients see them."""
    conditions = _scope(session, principal, organization_id)
    status = _status_filter(status)
    page = max(1, int(page or 1))
    per_page = min(100, max(1, int(per_page or PER_PAGE)))
    found = _counts(session, conditions)  # the scope was checked once, above
    if STATUS_FILTERS[status]:
        conditions.append(OutboxMessage.status.in_(STATUS_FILTERS[status]))
    rows = session.exec(
        select(OutboxMessage, Organization.name, Organization.slug)
        .join(Organization, Organization.id == OutboxMessage.organization_id, isouter=True)
        .where(*conditions)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return MailPage([_row(session, m, name, slug, lang) for m, name, slug in rows], found.of(status), page,
                    per_page, status, found)


def _message(session: Session, principal: Principal, organization_id: int | None, message_id: int):
    conditions = _scope(session, principal, organization_id)
    found = session.exec(
        select(OutboxMessage, Organization.name, Organization.slug)
        .join(Organization, Organization.id == OutboxMessage.organization_id, isouter=True)
        .where(OutboxMessage.id == message_id, *conditions)
    ).first()
    if found is None:
        raise NotFound()
    return found


def preview(session: Session, principal: Principal, organization_id: int | None, message_id: int,
            lang: str = "en") -> MailPreview:
    """One message as its recipient gets it: subject, both parts, and what is attached."""
    message, org_name, org_slug = _message(session, principal, organization_id, message_id)
    email, error = _rendered(session, message, email_render.render)
    row = _row(session, message, org_name, org_slug, lang, email, error)
    if email is None:
        return MailPreview(row, [message.recipient], "", "", "", "", error=error)
    text_part, html_part = email.get_body(("plain",)), email.get_body(("html",))
    text = text_part.get_content() if text_part is not None else ""
    html = html_part.get_content() if html_part is not None else ""
    images, attachments, shown = [], [], html
    for part in email.walk():
        if part.is_multipart():
            continue
        data = part.get_payload(decode=True) or b""
        cid = (part.get("Content-ID") or "").strip().strip("<>")
        if cid:
            images.append(MailPart(cid, part.get_content_type(), len(data)))
            if len(data) <= MAX_INLINE_PREVIEW_BYTES and part.get_content_maintype() == "image":
                url = f"data:{part.get_content_type()};base64,{base64.b64encode(data).decode('ascii')}"
                shown = shown.replace(f"cid:{cid}", url)
        elif part.get_filename():
            attachments.append(MailPart(part.get_filename(), part.get_content_type(), len(data)))
    return MailPreview(row, [message.recipient], row.subject, text, html, shown, attachments, images)


def send_again(session: Session, principal: Principal, organization_id: int | None, message_id: int,
               lang: str = "en") -> MailRow:
    """Put a failed message back in the queue at once, with a fresh count of attempts. Anything not failed
    is refused (a waiting one is sent anyway; a sent one is not sent twice)."""
    message, org_name, org_slug = _message(session, principal, organization_id, message_id)
    if message.status != "failed" or not mail_delivery.retry_now(session, message.id, commit=False):
        session.rollback()
        raise Conflict("mail.not_failed")
    # The guarded update and the event (its handler writes the audit entry) commit together.
    domain_events.record(session, "mail.resent", {"message_id": message.id, "kind": message.kind},
                         organization_id=message.organization_id, actor_user_id=principal.user_id)
    session.commit()
    session.refresh(message)
    return _row(session, message, org_name, org_slug, lang)
