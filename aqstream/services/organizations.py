"""Organizations (tenants): creation, and the list of those a user belongs to."""
from __future__ import annotations

import re
from dataclasses import dataclass

from slugify import slugify
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import Membership, Organization
from aqstream.services import audit
from aqstream.services.accounts import normalize_locale
from aqstream.services.clock import utcnow
from aqstream.services.errors import NotFound, ValidationError
from aqstream.services.permissions import OWNER, Principal
from aqstream.services.validation import Checker

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Paths of the app itself that an organization slug must not shadow.
RESERVED_SLUGS = frozenset({"api", "admin", "auth", "static", "assets", "e", "o", "new", "signin", "signup", "events"})


@dataclass(frozen=True)
class MembershipView:
    organization_id: int
    slug: str
    name: str
    role: str


def create_organization(
    session: Session,
    principal: Principal,
    *,
    name: str,
    slug: str = "",
    default_locale: str = "en",
    currency: str = "EUR",
    time_zone: str = "UTC",
) -> Organization:
    checker = Checker()
    clean_name = checker.text("name", name, max_len=200, min_len=2)
    wanted = (slug or "").strip().lower() or slugify(clean_name, max_length=63, word_boundary=True)
    if not SLUG_RE.match(wanted or ""):
        checker.fail("slug", "org.slug_invalid")
    elif wanted in RESERVED_SLUGS:
        checker.fail("slug", "org.slug_taken")
    clean_tz = checker.time_zone("time_zone", time_zone)
    clean_currency = (currency or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", clean_currency):
        checker.fail("currency", "field.currency_invalid")
    checker.raise_if_any()
    begin_write(session)
    if session.exec(select(Organization.id).where(Organization.slug == wanted)).first() is not None:
        raise ValidationError({"slug": "org.slug_taken"})
    now = utcnow()
    org = Organization(
        slug=wanted,
        name=clean_name,
        default_locale=normalize_locale(default_locale),
        currency=clean_currency,
        time_zone=clean_tz,
        created_at=now,
    )
    session.add(org)
    try:
        session.flush()
    except IntegrityError:  # the same slug taken at the same moment
        session.rollback()
        raise ValidationError({"slug": "org.slug_taken"})
    session.add(Membership(user_id=principal.user_id, organization_id=org.id, role=OWNER, created_at=now))
    audit.record(
        session,
        action="organization.create",
        object_type="organization",
        object_id=org.id,
        organization_id=org.id,
        actor_user_id=principal.user_id,
        data={"slug": wanted},
    )
    session.commit()
    return org


def memberships(session: Session, principal: Principal) -> list[MembershipView]:
    rows = session.exec(
        select(Organization, Membership.role)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == principal.user_id)
        .order_by(Organization.name)
    ).all()
    return [MembershipView(org.id, org.slug, org.name, role) for org, role in rows]


def organization_slug(session: Session, organization_id: int) -> str:
    slug = session.exec(select(Organization.slug).where(Organization.id == organization_id)).first()
    if slug is None:
        raise NotFound()
    return slug
