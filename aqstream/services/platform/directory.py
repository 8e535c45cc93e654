"""What platform admins read about the installation: the overview of the platform, the list of organizations
(search, filter, sort, pages) and one organization in detail. Read only; every function starts with
`require_platform_admin`, so anyone else (owners of organizations included) gets NotFound.

The list is built for 10,000 organizations and more: the database counts the matching organizations and picks
the page's ids in one query over the organization table (with the tickets aggregate joined only when sorting by
tickets), and the page's columns (owner, members, events, tickets) are then aggregated for those ids alone.

Definitions:
- a search matches the organization's name or slug, or the email of one of its members, each by case-insensitive
  "contains" (so "@acme.org" finds every organization with a member at acme.org);
- tickets sold is the sum of its events' `sold` counters: the places taken now (valid tickets and those held by a
  pending order), the number the organizer sees against capacity;
- an upcoming event is a published event that has not started yet;
- registrations per week are the tickets of orders confirmed (or cancelled later) created that week, as on the
  organizer's analytics (services/reports/org_analytics.py), in UTC weeks starting on Monday for the platform."""
from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

from sqlalchemy import case, exists, func, text
from sqlmodel import Session, select

from aqstream.models import AuditEntry, Event, Membership, Order, Organization, OutboxMessage, Ticket, User
from aqstream.services.clock import utcnow
from aqstream.services.errors import NotFound, ValidationError
from aqstream.services.lifecycle import EventStatus
from aqstream.services.notify import mail_delivery
from aqstream.services.org.permissions import ACTIVE, OWNER, ROLES, SUSPENDED, Principal, require_platform_admin
from aqstream.services.paging import Paged, page_count
from aqstream.services.reports import audit, mail_log, org_analytics
from aqstream.services.reports.analytics import REGISTERED_ORDER, _as_utc, _midnight, _per_day

PER_PAGE = 50
MAX_PER_PAGE = 200
QUERY_MAX = 254  # the longest email address
STATUSES = ("all", ACTIVE, SUSPENDED)
SORTS = ("-created", "created", "-activity", "activity", "name", "-tickets", "tickets")
WEEKS = 12
RECENT = 20  # audit entries and failed emails on the detail page
UTC = timezone.utc


@dataclass(frozen=True)
class OrgRow:
    id: int
    name: str
    slug: str
    status: str
    owner_name: str  # the first owner (the earliest membership); "" when the organization has none
    owner_email: str
    members: int
    events_upcoming: int
    events_all: int
    tickets_sold: int
    last_activity_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class OrgPage(Paged):
    rows: list[OrgRow]
    total: int  # organizations matching the search and filter
    page: int
    per_page: int
    query: str
    status: str
    sort: str


@dataclass(frozen=True)
class WeekCount:
    start: date  # the Monday
    tickets: int


@dataclass(frozen=True)
class Overview:
    organizations_active: int
    organizations_suspended: int
    organizations_new_this_month: int  # created since the 1st of this month, UTC
    events_upcoming: int
    weeks: list[WeekCount]  # oldest first, the current week last
    emails_waiting: int
    emails_failed: int
    smtp_configured: bool
    version: str
    database_head: str  # the migration the database is at ("" when it has none)
    code_head: str  # the newest migration this version ships

    @property
    def migrations_current(self) -> bool:
        return bool(self.code_head) and self.database_head == self.code_head


@dataclass(frozen=True)
class MemberRow:
    user_id: int
    name: str
    email: str
    role: str
    since: datetime


@dataclass(frozen=True)
class OrgDetail:
    id: int
    name: str
    slug: str
    status: str
    time_zone: str
    contact_email: str
    created_at: datetime
    last_activity_at: datetime | None
    suspended_at: datetime | None
    suspension_reason: str
    max_published_events: int | None
    max_tickets_per_event: int | None
    members: list[MemberRow]  # owners first, then by role and name
    events: list[org_analytics.EventRow]  # upcoming first (soonest first), then past (latest first)
    audit: list[audit.AuditRow]  # the last RECENT entries, newest first
    failed_emails: list[mail_log.MailRow]  # the last RECENT failed emails, newest first
    weeks: list[WeekCount]  # tickets registered per week (Mondays in the organization's zone), last WEEKS weeks


# The list --------------------------------------------------------------------------------------------------------


def _choice(raw: object, allowed: tuple[str, ...], default: str, field: str, errors: dict[str, str]) -> str:
    value = str(raw if raw is not None else "").strip().lower() or default
    if value not in allowed:
        errors[field] = f"admin.{field}_invalid"
    return value


def _number(raw: object, default: int, field: str, errors: dict[str, str]) -> int:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    text_ = str(raw).strip()
    if not text_.isdigit() or int(text_) < 1 or len(text_) > 9:
        errors[field] = f"admin.{field}_invalid"
        return default
    return int(text_)


def _search(query: str):
    """The condition for a search: name, slug or a member's email contains the text (case-insensitive)."""
    member = exists().where(Membership.organization_id == Organization.id, Membership.user_id == User.id,
                            User.email.contains(query, autoescape=True))  # emails are stored lower-cased
    return (func.lower(Organization.name).contains(query, autoescape=True)
            | Organization.slug.contains(query, autoescape=True) | member)


def _tickets_by_org():
    return (select(Event.organization_id.label("org_id"), func.sum(Event.sold).label("sold"))
            .group_by(Event.organization_id).subquery())


def list_organizations(session: Session, principal: Principal, query: str = "", status: str = "all",
                       sort: str = "-created", page: object = 1, per_page: object = PER_PAGE,
                       now: datetime | None = None) -> OrgPage:
    """One page of organizations. Bad input is a ValidationError naming each bad field (q, status, sort, page,
    per_page); a page past the last is clamped to the last page (a list that shrank while someone paged)."""
    require_platform_admin(session, principal)
    errors: dict[str, str] = {}
    query = " ".join(str(query or "").replace("\x00", "").split()).lower()
    if len(query) > QUERY_MAX:
        errors["q"] = "admin.query_too_long"
    status = _choice(status, STATUSES, "all", "status", errors)
    sort = _choice(sort, SORTS, "-created", "sort", errors)
    page = _number(page, 1, "page", errors)
    per_page = _number(per_page, PER_PAGE, "per_page", errors)
    if per_page > MAX_PER_PAGE:
        errors["per_page"] = "admin.per_page_invalid"
    if errors:
        raise ValidationError(errors, max=QUERY_MAX)
    now = _as_utc(now or utcnow())

    conditions = []
    if status != "all":
        conditions.append(Organization.status == status)
    if query:
        conditions.append(_search(query))
    total = int(session.exec(select(func.count()).select_from(Organization).where(*conditions)).one())
    page = min(page, page_count(total, per_page))

    ids = select(Organization.id).where(*conditions)
    key, descending = sort.lstrip("-"), sort.startswith("-")
    if key == "tickets":
        sold = _tickets_by_org()
        ids = ids.outerjoin(sold, sold.c.org_id == Organization.id)
        column = func.coalesce(sold.c.sold, 0)
    elif key == "activity":
        # Never active sorts as the oldest activity: last when newest first, first when oldest first.
        column = Organization.last_activity_at
    elif key == "name":
        column = func.lower(Organization.name)
    else:
        column = Organization.created_at
    if key == "activity":
        order = [column.desc().nulls_last() if descending else column.asc().nulls_first()]
    else:
        order = [column.desc() if descending else column.asc()]
    order.append(Organization.id.desc() if descending else Organization.id.asc())
    page_ids = [i for i in session.exec(ids.order_by(*order).offset((page - 1) * per_page).limit(per_page)).all()]
    rows = _rows(session, page_ids, now)
    return OrgPage(rows, total, page, per_page, query, status, sort)


def _rows(session: Session, ids: list[int], now: datetime) -> list[OrgRow]:
    """The columns of the page's organizations, in the order of `ids`: four grouped queries over those ids only."""
    if not ids:
        return []
    orgs = {o.id: o for o in session.exec(select(Organization).where(Organization.id.in_(ids))).all()}
    members = dict(session.exec(select(Membership.organization_id, func.count()).where(
        Membership.organization_id.in_(ids)).group_by(Membership.organization_id)).all())
    first_owner = (select(Membership.organization_id, func.min(Membership.id).label("mid"))
                   .where(Membership.organization_id.in_(ids), Membership.role == OWNER)
                   .group_by(Membership.organization_id).subquery())
    owners = {org_id: (name, email) for org_id, name, email in session.exec(
        select(Membership.organization_id, User.name, User.email).join(first_owner, first_owner.c.mid == Membership.id)
        .join(User, User.id == Membership.user_id)).all()}
    upcoming = (Event.status == EventStatus.PUBLISHED) & (Event.starts_at >= now)
    events = {org_id: (int(n or 0), int(u or 0), int(s or 0)) for org_id, n, u, s in session.exec(
        select(Event.organization_id, func.count(), func.count(case((upcoming, 1))), func.sum(Event.sold))
        .where(Event.organization_id.in_(ids)).group_by(Event.organization_id)).all()}
    rows = []
    for org_id in ids:
        o = orgs[org_id]
        owner_name, owner_email = owners.get(org_id, ("", ""))
        all_, up, sold = events.get(org_id, (0, 0, 0))
        rows.append(OrgRow(o.id, o.name, o.slug, o.status, owner_name, owner_email, int(members.get(org_id, 0)),
                           up, all_, sold, _as_utc(o.last_activity_at) if o.last_activity_at else None,
                           _as_utc(o.created_at)))
    return rows


# The overview ----------------------------------------------------------------------------------------------------


def _week_bounds(today: date, zone) -> tuple[list[date], list[datetime]]:
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=WEEKS - 1 - i) for i in range(WEEKS)]
    return starts, [_midnight(d, zone) for d in starts] + [_midnight(monday + timedelta(weeks=1), zone)]


def _weeks(session: Session, starts: list[date], bounds: list[datetime], *conditions) -> list[WeekCount]:
    registered = select().select_from(Ticket).join(Order, Order.id == Ticket.order_id).where(
        Order.status.in_(REGISTERED_ORDER), *conditions)
    counts = [0] * len(starts)
    for index, n in _per_day(session, registered, Ticket.created_at, bounds):
        counts[index] += n
    return [WeekCount(d, n) for d, n in zip(starts, counts)]


@lru_cache(maxsize=1)
def code_head() -> str:
    """The newest migration this version of the code ships ("" when the migrations are not installed with it).
    Read once a process: parsing the migration scripts takes about 20 ms and they do not change while it runs."""
    try:
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        root = Path(__file__).resolve().parents[3]
        cfg = Config()
        cfg.set_main_option("script_location", str(root / "alembic"))
        return ScriptDirectory.from_config(cfg).get_current_head() or ""
    except Exception:  # noqa: BLE001 - a packaged install without the migrations: shown as unknown
        return ""


def database_head(session: Session) -> str:
    try:
        return str(session.exec(text("SELECT version_num FROM alembic_version")).first()[0] or "")
    except Exception:  # noqa: BLE001 - a database made without alembic (never in production)
        session.rollback()
        return ""


def app_version() -> str:
    try:
        return importlib.metadata.version("aqstream")
    except importlib.metadata.PackageNotFoundError:
        return ""


def platform_overview(session: Session, principal: Principal, now: datetime | None = None) -> Overview:
    require_platform_admin(session, principal)
    now = _as_utc(now or utcnow())
    month = datetime(now.year, now.month, 1, tzinfo=UTC)
    by_status = dict(session.exec(select(Organization.status, func.count()).group_by(Organization.status)).all())
    new = int(session.exec(select(func.count()).select_from(Organization).where(
        Organization.created_at >= month)).one())
    upcoming = int(session.exec(select(func.count()).select_from(Event).where(
        Event.status == EventStatus.PUBLISHED, Event.starts_at >= now)).one())
    starts, bounds = _week_bounds(now.date(), UTC)
    mail = mail_log.counts(session, principal, None)
    return Overview(
        organizations_active=int(by_status.get(ACTIVE, 0)), organizations_suspended=int(by_status.get(SUSPENDED, 0)),
        organizations_new_this_month=new, events_upcoming=upcoming, weeks=_weeks(session, starts, bounds),
        emails_waiting=mail.waiting, emails_failed=mail.failed, smtp_configured=mail_log.smtp_configured(),
        version=app_version(), database_head=database_head(session), code_head=code_head())


# One organization ------------------------------------------------------------------------------------------------


def _recent_audit(session: Session, organization_id: int) -> list[audit.AuditRow]:
    """Read here rather than through audit.list_entries: a platform admin who is also, say, staff of the
    organization would be refused the owners' audit log there."""
    rows = session.exec(
        select(AuditEntry, User.name, User.email).join(User, User.id == AuditEntry.actor_user_id, isouter=True)
        .where(AuditEntry.organization_id == organization_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(RECENT)).all()
    return [audit.AuditRow(e.id, _as_utc(e.at), e.action, e.object_type, e.object_id, name or e.actor_label,
                           email or "", dict(e.data or {})) for e, name, email in rows]


def _failed_emails(session: Session, org: Organization, lang: str) -> list[mail_log.MailRow]:
    messages = session.exec(
        select(OutboxMessage).where(OutboxMessage.organization_id == org.id, OutboxMessage.status == "failed",
                                    OutboxMessage.kind.like(mail_delivery.EMAIL_KINDS))
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(RECENT)).all()
    return [mail_log._row(session, m, org.name, org.slug, lang) for m in messages]


def organization_detail(session: Session, principal: Principal, slug: str, now: datetime | None = None,
                        lang: str = "en") -> OrgDetail:
    require_platform_admin(session, principal)
    slug = str(slug or "").strip().lower()
    org = session.exec(select(Organization).where(Organization.slug == slug[:63])).first() if slug else None
    if org is None:
        raise NotFound()
    now = _as_utc(now or utcnow())
    # The organizer's own reports, read through the platform admin's SUPPORT access (read only).
    analytics = org_analytics.org_analytics(session, principal, org.id, weeks=WEEKS, now=now)
    rank = {role: i for i, role in enumerate(ROLES)}
    members = sorted((MemberRow(u.id, u.name, u.email, m.role, _as_utc(m.created_at)) for m, u in session.exec(
        select(Membership, User).join(User, User.id == Membership.user_id)
        .where(Membership.organization_id == org.id)).all()),
        key=lambda r: (rank.get(r.role, len(rank)), r.name.lower(), r.user_id))
    return OrgDetail(
        id=org.id, name=org.name, slug=org.slug, status=org.status, time_zone=org.time_zone,
        contact_email=org.contact_email, created_at=_as_utc(org.created_at),
        last_activity_at=_as_utc(org.last_activity_at) if org.last_activity_at else None,
        suspended_at=_as_utc(org.suspended_at) if org.suspended_at else None,
        suspension_reason=org.suspension_reason, max_published_events=org.max_published_events,
        max_tickets_per_event=org.max_tickets_per_event, members=members, events=analytics.events,
        audit=_recent_audit(session, org.id), failed_emails=_failed_emails(session, org, lang),
        weeks=[WeekCount(w.start, w.tickets) for w in analytics.weeks])
