"""Who may do what in an organization. Every service that touches tenant data goes through here.

A person outside the organization gets NotFound, not Forbidden: one tenant must not learn what another
has. A member whose role is too small gets Forbidden."""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from aqstream.models import Membership, Organization, User
from aqstream.services.errors import Forbidden, NotFound

OWNER, ADMIN, STAFF, CHECKIN = "owner", "admin", "staff", "checkin"
ROLES = (OWNER, ADMIN, STAFF, CHECKIN)

# What each action needs. Later issues add team, settings, check-in actions.
MANAGE_EVENTS = frozenset({OWNER, ADMIN, STAFF})
VIEW_ATTENDEES = frozenset({OWNER, ADMIN, STAFF, CHECKIN})
# The team, the organization's settings and its audit log are for owners and admins only; among them,
# only an owner may make, change or remove an owner (services/org/team.py).
MANAGE_TEAM = frozenset({OWNER, ADMIN})
MANAGE_SETTINGS = frozenset({OWNER, ADMIN})
VIEW_AUDIT = frozenset({OWNER, ADMIN})
# The mail log (what was sent, what failed, "send again") shows recipients' addresses and whole emails.
VIEW_MAIL = frozenset({OWNER, ADMIN})


@dataclass(frozen=True)
class Principal:
    """The acting party: a signed-in user (browser session or API token)."""

    user_id: int
    via: str = "session"  # session | api


@dataclass(frozen=True)
class OrgAccess:
    organization: Organization
    role: str


def access(session: Session, principal: Principal, organization_id: int, allowed: frozenset[str]) -> OrgAccess:
    row = session.exec(
        select(Organization, Membership.role)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Organization.id == organization_id, Membership.user_id == principal.user_id)
    ).first()
    if row is None:
        if is_platform_admin(session, principal):
            org = session.get(Organization, organization_id)
            if org is not None:
                return OrgAccess(org, OWNER)
        raise NotFound()
    org, role = row
    if role not in allowed:
        raise Forbidden()
    return OrgAccess(org, role)


def access_by_slug(session: Session, principal: Principal, slug: str, allowed: frozenset[str]) -> OrgAccess:
    org_id = session.exec(select(Organization.id).where(Organization.slug == (slug or "").lower())).first()
    if org_id is None:
        raise NotFound()
    return access(session, principal, org_id, allowed)


def is_platform_admin(session: Session, principal: Principal) -> bool:
    """Platform admins run the installation: they may see every organization and the platform's own mail."""
    return bool(session.exec(select(User.is_platform_admin).where(User.id == principal.user_id)).first())
