"""The team of an organization: members and their roles, and invitations by email.

Owners and admins manage the team; only an owner may make, change or remove an owner, and the last
owner can be neither removed nor demoted. Every team change runs in one write transaction that first
locks the organization's owner memberships (and those of the people involved) in id order, so two
owners demoting each other at the same moment cannot leave the organization without one: the second
transaction waits, then sees the first one's result."""
from __future__ import annotations

import hashlib
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterator

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from aqstream import config
from aqstream.db import begin_write
from aqstream.i18n import LOCALES
from aqstream.models import Invitation, Membership, Organization, User
from aqstream.services.clock import utcnow
from aqstream.services.errors import Conflict, Forbidden, NotFound, ValidationError
from aqstream.services.notify import domain_events, email_kinds
from aqstream.services.org.permissions import LEAVE, MANAGE_TEAM, OWNER, ROLES, Principal, access
from aqstream.services.validation import Checker

INVITATION_EMAIL = email_kinds.TEAM_INVITATION
INVITATION_LIFETIME = timedelta(days=7)
ROLE_ORDER = {role: rank for rank, role in enumerate(ROLES)}


@dataclass(frozen=True)
class MemberView:
    user_id: int
    name: str
    email: str
    role: str
    joined_at: datetime


@dataclass(frozen=True)
class InvitationView:
    id: int
    email: str
    role: str
    invited_by: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class IssuedInvitation:
    """A new invitation with its secret token: the token is stored only as a hash, so this is the one
    moment it is known (it goes into the email)."""

    invitation: InvitationView
    token: str
    accept_url: str


@dataclass(frozen=True)
class InvitationPreview:
    organization_name: str
    organization_slug: str
    email: str
    role: str
    expires_at: datetime


@dataclass(frozen=True)
class Joined:
    organization_id: int
    organization_slug: str
    organization_name: str
    role: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def accept_url(token: str) -> str:
    return f"{config.public_base_url()}/invite/{token}"


@contextmanager
def _write(session: Session) -> Iterator[None]:
    """One write transaction: committed when the block ends, rolled back (and the SQLite write lock
    released) when it raises."""
    begin_write(session)
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise


def _lock_team(session: Session, organization_id: int, user_ids: set[int]) -> dict[int, Membership]:
    """Lock the organization's owners and the named people's memberships until the transaction ends
    (FOR UPDATE on PostgreSQL, in id order so that two team changes never deadlock; SQLite's write
    transaction already excludes every other writer). Returns them by user id."""
    rows = session.exec(
        select(Membership)
        .where(Membership.organization_id == organization_id,
               or_(Membership.role == OWNER, Membership.user_id.in_(sorted(user_ids))))
        .order_by(Membership.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {m.user_id: m for m in rows}


def _actor_role(session: Session, principal: Principal, organization_id: int, locked: dict[int, Membership],
                allowed: frozenset[str]) -> str:
    """The acting person's role as of the lock (a platform admin acts as an owner)."""
    mine = locked.get(principal.user_id)
    role = mine.role if mine is not None else access(session, principal, organization_id, allowed).role
    if role not in allowed:
        raise Forbidden()
    return role


def _owner_count(locked: dict[int, Membership]) -> int:
    return sum(1 for m in locked.values() if m.role == OWNER)


def _locked_member(session: Session, principal: Principal, organization_id: int, user_id: int,
                   allowed: frozenset[str], new_role: str | None, field: str | None = None) -> Membership:
    """Lock the team and return the member whose role becomes `new_role` (None: who leaves the team), once the
    owners' rules allow it: making or unmaking an owner needs an owner, and the last owner stays one."""
    locked = _lock_team(session, organization_id, {principal.user_id, user_id})
    actor = _actor_role(session, principal, organization_id, locked, allowed)
    target = locked.get(user_id)
    if target is None:
        raise NotFound("team.member_unknown")
    if OWNER in (target.role, new_role) and actor != OWNER:
        raise Forbidden("team.owner_only", field=field)
    if target.role == OWNER and new_role != OWNER and _owner_count(locked) <= 1:
        raise Conflict("team.last_owner", field=field)
    return target


def sole_owner_of(session: Session, user_id: int) -> list[str]:
    """Names of the organizations whose last owner this person is (they would be left without one if the
    person went). Call inside a write transaction: each such team is locked as a team change locks it."""
    owned = session.exec(
        select(Membership.organization_id).where(Membership.user_id == user_id, Membership.role == OWNER)
        .order_by(Membership.organization_id)
    ).all()
    names = []
    for organization_id in owned:
        if _owner_count(_lock_team(session, organization_id, {user_id})) <= 1:
            names.append(session.exec(select(Organization.name).where(Organization.id == organization_id)).one())
    return names


def _check_role(checker: Checker, role: str | None) -> str:
    clean = (role or "").strip().lower()
    if clean not in ROLES:
        checker.fail("role", "team.role_invalid")
    return clean


# --- members -------------------------------------------------------------------------------------------


def list_members(session: Session, principal: Principal, organization_id: int) -> list[MemberView]:
    access(session, principal, organization_id, MANAGE_TEAM)
    rows = session.exec(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id == organization_id)
    ).all()
    members = [MemberView(u.id, u.name, u.email, m.role, m.created_at) for m, u in rows]
    return sorted(members, key=lambda m: (ROLE_ORDER.get(m.role, 99), m.name.casefold(), m.user_id))


def change_role(session: Session, principal: Principal, organization_id: int, user_id: int, role: str) -> MemberView:
    """Give a member another role. Making or unmaking an owner needs an owner; the last owner stays one."""
    access(session, principal, organization_id, MANAGE_TEAM)
    checker = Checker()
    new_role = _check_role(checker, role)
    checker.raise_if_any()
    with _write(session):
        target = _locked_member(session, principal, organization_id, user_id, MANAGE_TEAM, new_role, field="role")
        old_role = target.role
        if old_role != new_role:
            target.role = new_role
            session.add(target)
            domain_events.record(session, "member.role_changed", {"membership_id": target.id, "user_id": user_id,
                                                                  "from": old_role, "to": new_role},
                                 organization_id=organization_id, actor_user_id=principal.user_id)
        user = session.get(User, user_id)
        view = MemberView(user.id, user.name, user.email, new_role, target.created_at)
    return view


def remove_member(session: Session, principal: Principal, organization_id: int, user_id: int) -> None:
    """Take someone out of the organization; any member may also leave it themselves. An owner is removed
    only by an owner, and the last owner cannot go."""
    leaving = user_id == principal.user_id
    allowed = LEAVE if leaving else MANAGE_TEAM
    access(session, principal, organization_id, allowed)
    with _write(session):
        target = _locked_member(session, principal, organization_id, user_id, allowed, None)
        session.exec(delete(Membership).where(Membership.id == target.id))
        domain_events.record(session, "member.left" if leaving else "member.removed",
                             {"membership_id": target.id, "user_id": user_id, "role": target.role},
                             organization_id=organization_id, actor_user_id=principal.user_id)


# --- invitations ---------------------------------------------------------------------------------------


def _pending(now: datetime):
    return (Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at > now)


def invite(
    session: Session, principal: Principal, organization_id: int, *, email: str, role: str, locale: str | None = None
) -> IssuedInvitation:
    """Invite a person by email. A pending invitation of the same address is replaced (its link stops
    working); a member cannot be invited again. One email goes to the outbox."""
    access(session, principal, organization_id, MANAGE_TEAM)
    checker = Checker()
    clean_email = checker.email("email", email)
    clean_role = _check_role(checker, role)
    checker.raise_if_any()
    token = secrets.token_urlsafe(32)
    with _write(session):
        locked = _lock_team(session, organization_id, {principal.user_id})
        actor = _actor_role(session, principal, organization_id, locked, MANAGE_TEAM)
        if clean_role == OWNER and actor != OWNER:
            raise Forbidden("team.owner_only", field="role")
        org = session.get(Organization, organization_id)
        member = session.exec(
            select(Membership.id)
            .join(User, User.id == Membership.user_id)
            .where(Membership.organization_id == organization_id, User.email == clean_email)
        ).first()
        if member is not None:
            raise ValidationError({"email": "team.already_member"})
        now = utcnow()
        replaced = session.exec(
            update(Invitation)
            .where(Invitation.organization_id == organization_id, Invitation.email == clean_email,
                   Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
            .values(revoked_at=now)
        ).rowcount
        invitation = Invitation(organization_id=organization_id, email=clean_email, role=clean_role,
                                token_hash=token_hash(token), invited_by_user_id=principal.user_id, created_at=now,
                                expires_at=now + INVITATION_LIFETIME)
        session.add(invitation)
        session.flush()
        inviter = session.get(User, principal.user_id)
        known = session.exec(select(User.locale).where(User.email == clean_email)).first()
        mail_locale = next(loc for loc in (locale, known, org.default_locale, "en") if loc in LOCALES)
        link = accept_url(token)
        # Its handler (services/notify/notifications.py) queues the invitation email and the audit entry.
        domain_events.record(session, "member.invited", {
            "invitation_id": invitation.id, "email": clean_email, "role": clean_role, "replaced": replaced,
            "email_payload": {"organization_name": org.name, "organization_slug": org.slug, "role": clean_role,
                              "accept_url": link, "invited_by": inviter.name if inviter else "",
                              "expires_at": invitation.expires_at.isoformat(), "locale": mail_locale},
        }, organization_id=organization_id, actor_user_id=principal.user_id)
        view = InvitationView(invitation.id, clean_email, clean_role, inviter.name if inviter else "", now,
                              invitation.expires_at)
    return IssuedInvitation(view, token, link)


def list_invitations(session: Session, principal: Principal, organization_id: int) -> list[InvitationView]:
    """Invitations still waiting for an answer (not accepted, revoked or expired), newest first."""
    access(session, principal, organization_id, MANAGE_TEAM)
    rows = session.exec(
        select(Invitation, User.name)
        .join(User, User.id == Invitation.invited_by_user_id, isouter=True)
        .where(Invitation.organization_id == organization_id, *_pending(utcnow()))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    ).all()
    return [InvitationView(i.id, i.email, i.role, name or "", i.created_at, i.expires_at) for i, name in rows]


def revoke_invitation(session: Session, principal: Principal, organization_id: int, invitation_id: int) -> None:
    """Withdraw a pending invitation: its link stops working at once. An owner invitation needs an owner."""
    access(session, principal, organization_id, MANAGE_TEAM)
    with _write(session):
        locked = _lock_team(session, organization_id, {principal.user_id})
        actor = _actor_role(session, principal, organization_id, locked, MANAGE_TEAM)
        invitation = session.exec(
            select(Invitation).where(Invitation.id == invitation_id, Invitation.organization_id == organization_id)
        ).first()
        if invitation is None:
            raise NotFound("team.invitation_invalid")
        if invitation.role == OWNER and actor != OWNER:
            raise Forbidden("team.owner_only")
        changed = session.exec(
            update(Invitation)
            .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        ).rowcount
        if changed != 1:
            raise Conflict("team.invitation_used" if invitation.accepted_at else "team.invitation_revoked")
        domain_events.record(session, "invitation.revoked", {"invitation_id": invitation.id, "email": invitation.email,
                                                             "role": invitation.role},
                             organization_id=organization_id, actor_user_id=principal.user_id)


def _find(session: Session, token: str) -> tuple[Invitation, Organization]:
    """The invitation of a link, if it can still be accepted; else a NotFound or Conflict saying why."""
    raw = (token or "").strip()
    if not raw or len(raw) > 200:
        raise NotFound("team.invitation_invalid")
    row = session.exec(
        select(Invitation, Organization)
        .join(Organization, Organization.id == Invitation.organization_id)
        .where(Invitation.token_hash == token_hash(raw))
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise NotFound("team.invitation_invalid")
    invitation, org = row
    if invitation.accepted_at is not None:
        raise Conflict("team.invitation_used")
    if invitation.revoked_at is not None:
        raise Conflict("team.invitation_revoked")
    if invitation.expires_at <= utcnow():
        raise Conflict("team.invitation_expired")
    return invitation, org


def invitation_preview(session: Session, token: str) -> InvitationPreview:
    """What the accept page shows: which organization, which role, for which address."""
    invitation, org = _find(session, token)
    return InvitationPreview(org.name, org.slug, invitation.email, invitation.role, invitation.expires_at)


def accept_invitation(session: Session, principal: Principal, token: str) -> Joined:
    """The signed-in person joins with the invited role, if the invitation was sent to their address."""
    with _write(session):
        invitation, org = _find(session, token)
        user = session.get(User, principal.user_id)
        if user is None:
            raise NotFound()
        if user.email.strip().casefold() != invitation.email.strip().casefold():
            raise Forbidden("team.invitation_wrong_email", email=invitation.email)
        locked = _lock_team(session, org.id, {user.id})
        if user.id in locked:
            raise Conflict("team.already_member")
        now = utcnow()
        # Guarded: of two tabs accepting the same link at once, only one gets the membership.
        taken = session.exec(
            update(Invitation)
            .where(Invitation.id == invitation.id, *_pending(now))
            .values(accepted_at=now, accepted_by_user_id=user.id)
        ).rowcount
        if taken != 1:
            raise Conflict("team.invitation_used")
        session.add(Membership(user_id=user.id, organization_id=org.id, role=invitation.role, created_at=now))
        try:
            session.flush()
        except IntegrityError:  # joined by another invitation at the same moment
            raise Conflict("team.already_member") from None
        domain_events.record(session, "member.joined", {"invitation_id": invitation.id, "email": invitation.email,
                                                        "role": invitation.role},
                             organization_id=org.id, actor_user_id=user.id)
        joined = Joined(org.id, org.slug, org.name, invitation.role)
    return joined


def role_choices(actor_role: str) -> tuple[str, ...]:
    """The roles a person with `actor_role` may give (what the team page offers)."""
    return ROLES if actor_role == OWNER else tuple(r for r in ROLES if r != OWNER)

