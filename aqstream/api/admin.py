"""/api/v1/admin/...: the platform admins' read-only view of the installation (services/platform/directory.py):
the overview, the organizations list and one organization.

Any token of a platform admin's account works (one issued for an organization or for the account alone): the
rights come from the account, not from the organization. Everyone else gets 404 with the usual error body, as if
the routes did not exist."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field
from sqlmodel import Session

from aqstream.api.deps import PREFIX, account, db
from aqstream.api.errors import request_locale
from aqstream.services.org.permissions import Principal
from aqstream.services.platform import directory

router = APIRouter(prefix=PREFIX, tags=["admin"])


class WeekOut(BaseModel):
    start: date = Field(description="The Monday the week starts on")
    tickets: int = Field(description="Tickets registered that week (confirmed orders, or cancelled later)")


class OverviewOut(BaseModel):
    organizations_active: int
    organizations_suspended: int
    organizations_new_this_month: int = Field(description="Created since the 1st of this month, UTC")
    events_upcoming: int = Field(description="Published events that have not started yet")
    weeks: list[WeekOut] = Field(description="The last 12 weeks, UTC, oldest first; the current week last")
    emails_waiting: int
    emails_failed: int
    smtp_configured: bool
    version: str = Field(description="The application's version")
    database_head: str = Field(description="The migration the database is at")
    code_head: str = Field(description="The newest migration this version ships")
    migrations_current: bool


class OrganizationRowOut(BaseModel):
    id: int
    name: str
    slug: str
    status: str = Field(description="active or suspended")
    owner_name: str = Field(description="The first owner; empty when the organization has none")
    owner_email: str
    members: int
    events_upcoming: int
    events_all: int
    tickets_sold: int = Field(description="Places taken now across its events (valid tickets and pending orders')")
    last_activity_at: Optional[datetime] = Field(description="Its last recorded change, to the hour")
    created_at: datetime


class OrganizationPageOut(BaseModel):
    organizations: list[OrganizationRowOut]
    q: str
    status: str
    sort: str
    total: int = Field(description="Organizations matching the search and the filter")
    page: int
    per_page: int
    pages: int


class MemberOut(BaseModel):
    user_id: int
    name: str
    email: str
    role: str
    since: datetime


class EventOut(BaseModel):
    id: int
    title: str
    status: str
    starts_at: datetime
    time_zone: str
    tickets: int = Field(description="Tickets holding a place now")
    capacity: Optional[int] = Field(description="The event's capacity, else its ticket types' quantities; null: none")


class AuditOut(BaseModel):
    id: int
    at: datetime
    action: str
    object_type: str
    object_id: Optional[int]
    actor: str
    actor_email: str


class FailedEmailOut(BaseModel):
    id: int
    created_at: datetime
    recipient: str
    kind: str
    kind_label: str
    subject: str
    attempts: int
    last_error: str


class OrganizationDetailOut(BaseModel):
    id: int
    name: str
    slug: str
    status: str
    time_zone: str
    contact_email: str
    created_at: datetime
    last_activity_at: Optional[datetime]
    suspended_at: Optional[datetime]
    suspension_reason: str
    max_published_events: Optional[int]
    max_tickets_per_event: Optional[int]
    members: list[MemberOut]
    events: list[EventOut] = Field(description="Upcoming first (soonest first), then past (latest first)")
    audit: list[AuditOut] = Field(description="The last 20 audit entries, newest first")
    failed_emails: list[FailedEmailOut] = Field(description="The last 20 failed emails, newest first")
    weeks: list[WeekOut] = Field(description="Tickets registered per week, the organization's time zone, 12 weeks")


def _weeks(weeks: list[directory.WeekCount]) -> list[WeekOut]:
    return [WeekOut(start=w.start, tickets=w.tickets) for w in weeks]


@router.get("/admin/overview", response_model=OverviewOut)
def overview(who: Principal = Depends(account), session: Session = Depends(db)):
    """The platform at a glance (platform admins only)."""
    o = directory.platform_overview(session, who)
    return OverviewOut(
        organizations_active=o.organizations_active, organizations_suspended=o.organizations_suspended,
        organizations_new_this_month=o.organizations_new_this_month, events_upcoming=o.events_upcoming,
        weeks=_weeks(o.weeks), emails_waiting=o.emails_waiting, emails_failed=o.emails_failed,
        smtp_configured=o.smtp_configured, version=o.version, database_head=o.database_head, code_head=o.code_head,
        migrations_current=o.migrations_current)


@router.get("/admin/organizations", response_model=OrganizationPageOut)
def list_organizations(
    q: str = Query(default="", max_length=directory.QUERY_MAX,
                   description="Text in the name, the slug or a member's email (case-insensitive)"),
    status: str = Query(default="all", max_length=20, description="all, active or suspended"),
    sort: str = Query(default="-created", max_length=20,
                      description="created, activity, name or tickets; a leading '-' for descending"),
    page: int = Query(default=1, ge=1, le=1_000_000),
    per_page: int = Query(default=directory.PER_PAGE, ge=1, le=directory.MAX_PER_PAGE),
    who: Principal = Depends(account),
    session: Session = Depends(db),
):
    """Organizations, a page at a time (platform admins only). A page past the last answers the last page."""
    found = directory.list_organizations(session, who, q, status=status, sort=sort, page=page, per_page=per_page)
    return OrganizationPageOut(
        organizations=[OrganizationRowOut(**r.__dict__) for r in found.rows], q=found.query, status=found.status,
        sort=found.sort, total=found.total, page=found.page, per_page=found.per_page, pages=found.pages)


@router.get("/admin/organizations/{slug}", response_model=OrganizationDetailOut)
def organization(request: Request, slug: str = Path(max_length=63), who: Principal = Depends(account),
                 session: Session = Depends(db)):
    """One organization: members, events, recent audit entries and failed emails, usage (platform admins only)."""
    d = directory.organization_detail(session, who, slug, lang=request_locale(request))
    return OrganizationDetailOut(
        id=d.id, name=d.name, slug=d.slug, status=d.status, time_zone=d.time_zone, contact_email=d.contact_email,
        created_at=d.created_at, last_activity_at=d.last_activity_at, suspended_at=d.suspended_at,
        suspension_reason=d.suspension_reason, max_published_events=d.max_published_events,
        max_tickets_per_event=d.max_tickets_per_event,
        members=[MemberOut(**m.__dict__) for m in d.members],
        events=[EventOut(id=e.event_id, title=e.title, status=e.status, starts_at=e.starts_at, time_zone=e.time_zone,
                         tickets=e.tickets, capacity=e.capacity) for e in d.events],
        audit=[AuditOut(id=a.id, at=a.at, action=a.action, object_type=a.object_type, object_id=a.object_id,
                        actor=a.actor, actor_email=a.actor_email) for a in d.audit],
        failed_emails=[FailedEmailOut(id=m.id, created_at=m.created_at, recipient=m.recipient, kind=m.kind,
                                      kind_label=m.kind_label, subject=m.subject, attempts=m.attempts,
                                      last_error=m.last_error) for m in d.failed_emails],
        weeks=_weeks(d.weeks))
