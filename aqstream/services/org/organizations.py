"""Organizations (tenants): creation, the list of those a user belongs to, and their settings."""
from __future__ import annotations

import re
from dataclasses import dataclass

from slugify import slugify
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import Membership, Organization, User
from aqstream.services.accounts.accounts import SUPPORTED_LOCALES, normalize_locale
from aqstream.services.clock import utcnow
from aqstream.services.errors import NotFound, ValidationError
from aqstream.services.events import media
from aqstream.services.notify import domain_events
from aqstream.services.org.permissions import MANAGE_SETTINGS, OWNER, Principal, access
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
    wanted = _check_slug(checker, (slug or "").strip().lower() or slugify(clean_name, max_length=63, word_boundary=True))
    clean_tz = checker.time_zone("time_zone", time_zone)
    clean_currency = _check_currency(checker, currency)
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
        last_activity_at=now,
    )
    session.add(org)
    try:
        session.flush()
    except IntegrityError:  # the same slug taken at the same moment
        session.rollback()
        raise ValidationError({"slug": "org.slug_taken"})
    session.add(Membership(user_id=principal.user_id, organization_id=org.id, role=OWNER, created_at=now))
    domain_events.record(session, "organization.created", {"organization_id": org.id, "slug": wanted},
                         organization_id=org.id, actor_user_id=principal.user_id)
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


def remember_last(session: Session, principal: Principal, organization_id: int) -> None:
    """Note the organization whose pages the user opened (the caller has checked their access): sign-in
    lands there next time. Writes only when it changed."""
    begin_write(session)
    session.exec(update(User).where(User.id == principal.user_id, or_(User.last_organization_id.is_(None),
                                                                       User.last_organization_id != organization_id))
                 .values(last_organization_id=organization_id))
    session.commit()


def landing_path(session: Session, principal: Principal, next_path: str) -> str:
    """Where sign-in takes the user: the page they asked for, or, when they asked for nothing in
    particular ("/"), the events of the organization they used last, if they are still its member."""
    if next_path != "/":
        return next_path
    slug = session.exec(
        select(Organization.slug)
        .join(Membership, Membership.organization_id == Organization.id)
        .join(User, User.last_organization_id == Organization.id)
        .where(User.id == principal.user_id, Membership.user_id == principal.user_id)
    ).first()
    return f"/o/{slug}" if slug else next_path


def organization_slug(session: Session, organization_id: int) -> str:
    slug = session.exec(select(Organization.slug).where(Organization.id == organization_id)).first()
    if slug is None:
        raise NotFound()
    return slug


def _check_slug(checker: Checker, wanted: str) -> str:
    if not SLUG_RE.match(wanted or ""):
        checker.fail("slug", "org.slug_invalid")
    elif wanted in RESERVED_SLUGS:
        checker.fail("slug", "org.slug_taken")
    return wanted


def _check_currency(checker: Checker, currency: str | None) -> str:
    clean = (currency or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", clean):
        checker.fail("currency", "field.currency_invalid")
    return clean


# --- settings (owners and admins) ----------------------------------------------------------------------

def get_settings(session: Session, principal: Principal, organization_id: int) -> Organization:
    return access(session, principal, organization_id, MANAGE_SETTINGS).organization


def update_settings(
    session: Session,
    principal: Principal,
    organization_id: int,
    *,
    name: str,
    slug: str,
    default_locale: str,
    currency: str,
    time_zone: str,
    contact_email: str = "",
    logo: bytes | None = None,
    remove_logo: bool = False,
) -> Organization:
    """Change the organization's settings. Every field is checked before anything is kept; a new logo
    (`logo`, the uploaded file's bytes) is stored only then, and dropped again if the save fails."""
    access(session, principal, organization_id, MANAGE_SETTINGS)
    checker = Checker()
    clean_name = checker.text("name", name, max_len=200, min_len=2)
    wanted = (slug or "").strip().lower()
    if not wanted:
        checker.fail("slug", "field.required")
    else:
        _check_slug(checker, wanted)
    locale = (default_locale or "").strip().lower()
    if locale not in SUPPORTED_LOCALES:
        checker.fail("default_locale", "org.locale_invalid")
    clean_currency = _check_currency(checker, currency)
    clean_tz = checker.time_zone("time_zone", time_zone)
    clean_contact = checker.email("contact_email", contact_email, required=False)
    checker.raise_if_any()
    new_logo = media.store_image(logo, "logo") if logo is not None else None
    try:
        begin_write(session)
        org = session.exec(
            select(Organization).where(Organization.id == organization_id)
            .with_for_update(key_share=True).execution_options(populate_existing=True)
        ).one()
        if wanted != org.slug and session.exec(
            select(Organization.id).where(Organization.slug == wanted, Organization.id != organization_id)
        ).first() is not None:
            raise ValidationError({"slug": "org.slug_taken"})
        old_logo = org.logo_path
        values = dict(name=clean_name, slug=wanted, default_locale=locale, currency=clean_currency,
                      time_zone=clean_tz, contact_email=clean_contact,
                      logo_path=new_logo if new_logo else ("" if remove_logo else old_logo))
        changed = {k: v for k, v in values.items() if getattr(org, k) != v}
        for key, value in changed.items():
            setattr(org, key, value)
        if changed:
            session.add(org)
            try:
                session.flush()
            except IntegrityError:  # the same slug taken at the same moment
                raise ValidationError({"slug": "org.slug_taken"}) from None
            data = {k: v for k, v in changed.items() if k != "logo_path"}
            if "logo_path" in changed:
                data["logo"] = "changed" if values["logo_path"] else "removed"
            domain_events.record(session, "organization.updated", {"organization_id": organization_id, **data},
                                 organization_id=organization_id, actor_user_id=principal.user_id)
        session.commit()
    except BaseException:
        session.rollback()
        _drop_image(new_logo)
        raise
    if "logo_path" in changed:
        _drop_image(old_logo)
    return org


def _drop_image(name: str | None) -> None:
    """Delete a stored image nobody refers to any more (best effort: a leftover file harms nobody)."""
    if not name:
        return
    try:
        path, _ = media.open_image(name)
        path.unlink(missing_ok=True)
    except (NotFound, OSError):
        pass
