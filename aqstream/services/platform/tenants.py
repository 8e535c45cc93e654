"""What platform admins do to an organization: suspend it with a reason and reactivate it, set its optional
limits, and look at its pages read-only (the support view). Each is a domain event with its audit entry (who and
why); suspension and reactivation also email the owners (services/notify/notifications.py).

What suspension means is enforced where each rule lives: `permissions.access` refuses every need that writes
(OrganizationSuspended, 403 `organization_suspended` in the API), registration refuses new orders, and the
public pages say the event is unavailable. Tickets already issued stay valid and attendees keep their orders."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, update
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import Event, Organization
from aqstream.services.clock import utcnow
from aqstream.services.errors import Conflict, NotFound, OrganizationSuspended, ValidationError
from aqstream.services.lifecycle import EventStatus
from aqstream.services.notify import domain_events
from aqstream.services.org.permissions import ACTIVE, DELETED, SUSPENDED, Principal, require_platform_admin

REASON_MAX = 500
LIMIT_MAX = 10_000_000


def _organization(session: Session, organization_id: int, lock: bool = False) -> Organization:
    """The organization, unless deleted (services/platform/export.py): a deleted one is never suspended again."""
    statement = select(Organization).where(Organization.id == organization_id, Organization.status != DELETED)
    org = session.exec(statement.with_for_update() if lock else statement).first()
    if org is None:
        raise NotFound()
    return org


def by_slug(session: Session, principal: Principal, slug: str) -> Organization:
    """An organization by its slug, for a platform admin; NotFound to anyone else (before the lookup)."""
    require_platform_admin(session, principal)
    org = session.exec(select(Organization).where(Organization.slug == (slug or "").strip().lower())).first()
    if org is None:
        raise NotFound()
    return org


def suspend(session: Session, principal: Principal, organization_id: int, reason: str) -> Organization:
    """Suspend an active organization; the reason is required (its owners read it in their email)."""
    require_platform_admin(session, principal)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "field.required"})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": "field.too_long"}, max=REASON_MAX)
    begin_write(session)
    org = _organization(session, organization_id, lock=True)
    if org.status == SUSPENDED:
        session.rollback()
        raise Conflict("admin.already_suspended")
    now = utcnow()
    session.exec(update(Organization).where(Organization.id == org.id).values(
        status=SUSPENDED, suspended_at=now, suspension_reason=reason))
    domain_events.record(session, "organization.suspended", {"organization_id": org.id, "reason": reason},
                         organization_id=org.id, actor_user_id=principal.user_id)
    session.commit()
    session.refresh(org)
    return org


def reactivate(session: Session, principal: Principal, organization_id: int) -> Organization:
    require_platform_admin(session, principal)
    begin_write(session)
    org = _organization(session, organization_id, lock=True)
    if org.status != SUSPENDED:
        session.rollback()
        raise Conflict("admin.not_suspended")
    session.exec(update(Organization).where(Organization.id == org.id).values(
        status=ACTIVE, suspended_at=None, suspension_reason=""))
    domain_events.record(session, "organization.reactivated", {"organization_id": org.id},
                         organization_id=org.id, actor_user_id=principal.user_id)
    session.commit()
    session.refresh(org)
    return org


def _limit(raw: object, field: str, errors: dict[str, str]) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = str(raw).strip()
    if not text.isdigit() or not 1 <= int(text) <= LIMIT_MAX:
        errors[field] = "admin.limit_invalid"
        return None
    return int(text)


def set_limits(session: Session, principal: Principal, organization_id: int, *, max_published_events: object,
               max_tickets_per_event: object) -> Organization:
    """Set or clear (None or "") the organization's limits. Existing events over a new limit stay as they are;
    the limit applies to what is published or enlarged next."""
    require_platform_admin(session, principal)
    errors: dict[str, str] = {}
    events = _limit(max_published_events, "max_published_events", errors)
    tickets = _limit(max_tickets_per_event, "max_tickets_per_event", errors)
    if errors:
        raise ValidationError(errors, max=LIMIT_MAX)
    begin_write(session)
    org = _organization(session, organization_id, lock=True)
    session.exec(update(Organization).where(Organization.id == org.id).values(
        max_published_events=events, max_tickets_per_event=tickets))
    domain_events.record(session, "organization.limits_changed",
                         {"organization_id": org.id, "max_published_events": events, "max_tickets_per_event": tickets},
                         organization_id=org.id, actor_user_id=principal.user_id)
    session.commit()
    session.refresh(org)
    return org


def record_support_visit(session: Session, principal: Principal, organization_id: int, page: str) -> None:
    """A platform admin opened the organization's page `page` read-only: audited, every visit."""
    require_platform_admin(session, principal)
    begin_write(session)
    _organization(session, organization_id)
    domain_events.record(session, "organization.support_viewed", {"organization_id": organization_id,
                                                                  "page": (page or "")[:200]},
                         organization_id=organization_id, actor_user_id=principal.user_id)
    session.commit()


# The rules the organizer's services call -------------------------------------------------------------------------


def check_can_sell(org: Organization) -> None:
    """Registration's rule: a suspended organization's events take no registrations."""
    if org.status == SUSPENDED:
        raise OrganizationSuspended("registration.org_suspended")


def check_publish_limit(session: Session, org: Organization, event_id: int) -> None:
    """Publishing one more event must stay within the organization's limit of published events."""
    if org.max_published_events is None:
        return
    published = session.exec(select(func.count()).select_from(Event).where(
        Event.organization_id == org.id, Event.status == EventStatus.PUBLISHED, Event.id != event_id)).one()
    if published >= org.max_published_events:
        raise Conflict("admin.limit.published_events", limit=org.max_published_events)


@dataclass(frozen=True)
class Places:
    capacity: int | None
    ticket_quantities: list[int]


def check_ticket_limit(org: Organization, places: Places, field: str = "capacity") -> None:
    """An event may not offer more places than the organization's limit per event: its capacity, or without one
    the sum of its ticket types' quantities."""
    if org.max_tickets_per_event is None:
        return
    total = sum(places.ticket_quantities)
    if places.capacity is None:
        offered = total
    else:
        offered = min(places.capacity, total) if places.ticket_quantities else places.capacity
    if offered > org.max_tickets_per_event:
        raise ValidationError({field: "admin.limit.tickets_per_event"}, limit=org.max_tickets_per_event)
