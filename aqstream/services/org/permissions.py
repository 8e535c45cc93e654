"""Who may do what in an organization. Every service that touches tenant data goes through here.

A person outside the organization gets NotFound, not Forbidden: one tenant must not learn what another
has. A member whose role is too small gets Forbidden. Each need says whether it changes the organization's data
(`Need.writes`): while the organization is suspended, needs that write are refused (OrganizationSuspended) and
those that read still work. A platform admin who is not a member gets the SUPPORT role for needs that read (the
support view, audited by the page that opens it) and NotFound for the rest: no silent owner rights. So does a
platform admin who is a member whose role is too small for a read (check-in staff opening the attendees)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from aqstream.models import Membership, Organization, User
from aqstream.services.errors import Forbidden, NotFound, OrganizationSuspended

OWNER, ADMIN, STAFF, CHECKIN = "owner", "admin", "staff", "checkin"
ROLES = (OWNER, ADMIN, STAFF, CHECKIN)
SUPPORT = "support"  # a platform admin looking at an organization they are not a member of: read only
ACTIVE, SUSPENDED = "active", "suspended"  # an organization's status
DELETED = "deleted"  # its personal data gone, its row kept for the platform's totals (services/platform/export.py)


class Need(frozenset):
    """The roles allowed to do something, and whether doing it changes the organization's data."""

    writes: bool

    def __new__(cls, roles, *, writes: bool):
        need = super().__new__(cls, roles)
        need.writes = writes
        return need


def writes(allowed: frozenset[str]) -> bool:
    """A plain set of roles counts as a write: a need that forgets to say is refused while suspended."""
    return getattr(allowed, "writes", True)


# What each action needs.
MANAGE_EVENTS = Need({OWNER, ADMIN, STAFF}, writes=True)
# The events' numbers, attendees, analytics and exports. Not check-in staff: they see the scanner and the
# check-in lists, nothing else (VIEW_CHECKIN, CHECK_IN).
VIEW_ATTENDEES = Need({OWNER, ADMIN, STAFF}, writes=False)
# The team, the organization's settings and its audit log are for owners and admins only; among them,
# only an owner may make, change or remove an owner (services/org/team.py).
MANAGE_TEAM = Need({OWNER, ADMIN}, writes=True)
MANAGE_SETTINGS = Need({OWNER, ADMIN}, writes=True)
VIEW_AUDIT = Need({OWNER, ADMIN}, writes=False)
# The mail log (what was sent, what failed, "send again") shows recipients' addresses and whole emails.
VIEW_MAIL = Need({OWNER, ADMIN}, writes=False)
# Letting people in at the door: every role, check-in staff included; it writes (an entry per ticket).
CHECK_IN = Need({OWNER, ADMIN, STAFF, CHECKIN}, writes=True)
# Seeing the check-in lists, their counts and the people on them (the scanner's download, its search).
VIEW_CHECKIN = Need({OWNER, ADMIN, STAFF, CHECKIN}, writes=False)
# Leaving an organization is every member's right, suspended or not.
LEAVE = Need(ROLES, writes=False)


@dataclass(frozen=True)
class Principal:
    """The acting party: a signed-in user (browser session or API token)."""

    user_id: int
    via: str = "session"  # session | api


@dataclass(frozen=True)
class OrgAccess:
    organization: Organization
    role: str


def sees(role: str, allowed: frozenset[str]) -> bool:
    """Whether a role (as `access` gave it) may do what `allowed` names: the support view reads only."""
    return role in allowed or (role == SUPPORT and not writes(allowed))


def access(session: Session, principal: Principal, organization_id: int, allowed: frozenset[str]) -> OrgAccess:
    row = session.exec(
        select(Organization, Membership.role)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Organization.id == organization_id, Membership.user_id == principal.user_id)
    ).first()
    if row is None:
        if not writes(allowed) and is_platform_admin(session, principal):
            org = session.get(Organization, organization_id)
            if org is not None and org.status != DELETED:
                return OrgAccess(org, SUPPORT)
        raise NotFound()
    org, role = row
    if role not in allowed:
        # A platform admin who is also a small member (check-in staff) reads as the support view does.
        if not writes(allowed) and org.status != DELETED and is_platform_admin(session, principal):
            return OrgAccess(org, SUPPORT)
        raise Forbidden()
    if org.status == SUSPENDED and writes(allowed):
        raise OrganizationSuspended()
    return OrgAccess(org, role)


def access_by_slug(session: Session, principal: Principal, slug: str, allowed: frozenset[str]) -> OrgAccess:
    org_id = session.exec(select(Organization.id).where(Organization.slug == (slug or "").lower())).first()
    if org_id is None:
        raise NotFound()
    return access(session, principal, org_id, allowed)


def is_platform_admin(session: Session, principal: Principal) -> bool:
    """Platform admins run the installation: they may see every organization and the platform's own mail."""
    return bool(session.exec(select(User.is_platform_admin).where(User.id == principal.user_id)).first())


def require_platform_admin(session: Session, principal: Principal) -> None:
    """The platform's own pages and API routes: NotFound to anyone else, owners of organizations included (they
    must not even learn that the page exists)."""
    if not is_platform_admin(session, principal):
        raise NotFound()
