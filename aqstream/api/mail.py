"""/api/v1/organizations/{slug}/mail: an organization's mail log (what was sent, what waits, what failed) and
"send again".

A token speaks for the organization it was issued for; another organization's slug is a 404 (a platform
admin's token may name any organization)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field
from sqlmodel import Session

from aqstream.api.deps import PREFIX, db, identity
from aqstream.api.errors import request_locale
from aqstream.api.schemas import Id
from aqstream.services.errors import NotFound
from aqstream.services.org.api_tokens import ApiIdentity
from aqstream.services.org.permissions import VIEW_MAIL, access_by_slug, is_platform_admin
from aqstream.services.reports import mail_log

router = APIRouter(prefix=PREFIX, tags=["mail"])


class MailMessageOut(BaseModel):
    id: int
    created_at: datetime = Field(description="When the message was queued")
    organization: Optional[str] = Field(description="The organization's slug; null for the platform's own mail")
    recipient: str
    kind: str = Field(description="e.g. email.registration_confirmation")
    kind_label: str = Field(description="The kind in words, in the request's language")
    subject: str = Field(description="As the recipient sees it; empty when the message cannot be rendered")
    render_error: str = Field(description="Why the message cannot be rendered, else empty")
    status: str = Field(description="pending, sending, sent or failed (later versions may add others)")
    attempts: int
    last_error: str
    sent_at: Optional[datetime]
    next_attempt_at: Optional[datetime] = Field(description="When the next try is due, while it waits")


class MailCountsOut(BaseModel):
    all: int
    waiting: int = Field(description="pending and sending")
    sent: int
    failed: int
    by_status: dict[str, int]


class MailPageOut(BaseModel):
    messages: list[MailMessageOut]
    status: str = Field(description="The filter: all, waiting, sent or failed")
    total: int = Field(description="Messages matching the filter")
    page: int
    per_page: int
    pages: int
    counts: MailCountsOut
    smtp_configured: bool = Field(description="False: nothing is sent; messages stay here to show what would be")


def _organization_id(session: Session, who: ApiIdentity, slug: str) -> int:
    org = access_by_slug(session, who.principal, slug, VIEW_MAIL).organization
    if org.id != who.organization_id and not is_platform_admin(session, who.principal):
        raise NotFound()
    return org.id


def _message_out(row: mail_log.MailRow) -> MailMessageOut:
    return MailMessageOut(
        id=row.id, created_at=row.created_at, organization=row.organization_slug or None, recipient=row.recipient,
        kind=row.kind, kind_label=row.kind_label, subject=row.subject, render_error=row.render_error,
        status=row.status, attempts=row.attempts, last_error=row.last_error, sent_at=row.sent_at,
        next_attempt_at=row.next_attempt_at,
    )


@router.get("/organizations/{slug}/mail", response_model=MailPageOut)
def list_mail(
    request: Request,
    slug: str = Path(max_length=63),
    status: str = Query(default=mail_log.ALL, max_length=20, description="all, waiting, sent or failed"),
    page: int = Query(default=1, ge=1, le=100_000),
    who: ApiIdentity = Depends(identity),
    session: Session = Depends(db),
):
    """The organization's emails, newest first, 25 a page (owners and admins)."""
    org_id = _organization_id(session, who, slug)
    found = mail_log.list_messages(session, who.principal, org_id, status=status, page=page, lang=request_locale(request))
    c = found.counts
    return MailPageOut(
        messages=[_message_out(r) for r in found.rows], status=found.status, total=found.total, page=found.page,
        per_page=found.per_page, pages=found.pages,
        counts=MailCountsOut(all=c.all, waiting=c.waiting, sent=c.sent, failed=c.failed, by_status=c.by_status),
        smtp_configured=mail_log.smtp_configured(),
    )


@router.post("/organizations/{slug}/mail/{message_id}/retry", response_model=MailMessageOut)
def retry_mail(
    request: Request,
    message_id: Id,
    slug: str = Path(max_length=63),
    who: ApiIdentity = Depends(identity),
    session: Session = Depends(db),
):
    """Send a failed message again: it waits for the next try at once, with a fresh count of attempts.
    409 when the message has not failed (it waits, or was sent)."""
    org_id = _organization_id(session, who, slug)
    return _message_out(mail_log.send_again(session, who.principal, org_id, message_id, lang=request_locale(request)))
