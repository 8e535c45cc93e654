"""/api/v1/orgs, /api/v1/orgs/current/... and /api/v1/invitations/{token}: creating an organization, its team
(members, invitations, joining), its settings and its audit log.

"Current" is the organization the bearer token was issued for."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlmodel import Session

from aqstream import config
from aqstream.api import schemas_team as schemas
from aqstream.api.deps import PREFIX, account, db, identity
from aqstream.api.errors import request_locale
from aqstream.api.schemas import DateTime, Id, OrganizationCreatedOut, OrganizationIn
from aqstream.models import Organization
from aqstream.services.errors import ValidationError
from aqstream.services.events import media
from aqstream.services.org import api_tokens, organizations, team
from aqstream.services.org.api_tokens import ApiIdentity
from aqstream.services.org.permissions import Principal
from aqstream.services.reports import audit

router = APIRouter(prefix=PREFIX, tags=["team"])


def _member_out(m: team.MemberView) -> schemas.MemberOut:
    return schemas.MemberOut(user_id=m.user_id, name=m.name, email=m.email, role=m.role, joined_at=m.joined_at)


def _invitation_out(i: team.InvitationView) -> schemas.InvitationOut:
    return schemas.InvitationOut(id=i.id, email=i.email, role=i.role, invited_by=i.invited_by,
                                 created_at=i.created_at, expires_at=i.expires_at)


def _settings_out(org: Organization) -> schemas.SettingsOut:
    return schemas.SettingsOut(
        name=org.name, slug=org.slug, default_locale=org.default_locale, currency=org.currency,
        time_zone=org.time_zone, contact_email=org.contact_email,
        logo_url=config.public_base_url() + media.url(org.logo_path) if org.logo_path else None,
    )


@router.post("/orgs", response_model=OrganizationCreatedOut, status_code=201)
def create_organization(body: OrganizationIn, request: Request, who: Principal = Depends(account),
                        session: Session = Depends(db)):
    """Create an organization with the caller as its owner, as the "New organization" page does. Any token of
    the account will do; the answer carries a token for the new organization."""
    org = organizations.create_organization(session, who, name=body.name, slug=body.slug, time_zone=body.time_zone,
                                            default_locale=body.default_locale or request_locale(request),
                                            currency=body.currency)
    issued = api_tokens.organization_token(session, who, org)
    return OrganizationCreatedOut(access_token=issued.access_token, expires_in=issued.expires_in,
                                  organization=org.slug, name=org.name, slug=org.slug)


@router.get("/orgs/current/members", response_model=list[schemas.MemberOut])
def list_members(who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    return [_member_out(m) for m in team.list_members(session, who.principal, who.organization_id)]


def _invite(body: schemas.InvitationIn, who: ApiIdentity, session: Session) -> schemas.NewInvitationOut:
    issued = team.invite(session, who.principal, who.organization_id, email=body.email, role=body.role,
                         locale=body.locale)
    return schemas.NewInvitationOut(**_invitation_out(issued.invitation).model_dump(), accept_url=issued.accept_url)


@router.post("/orgs/current/members", response_model=schemas.NewInvitationOut, status_code=201)
def add_member(body: schemas.InvitationIn, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    """People join by accepting an invitation: this sends one (the same as POST /orgs/current/invitations)."""
    return _invite(body, who, session)


@router.patch("/orgs/current/members/{user_id}", response_model=schemas.MemberOut)
def change_role(body: schemas.RoleIn, user_id: Id, who: ApiIdentity = Depends(identity),
                session: Session = Depends(db)):
    return _member_out(team.change_role(session, who.principal, who.organization_id, user_id, body.role))


@router.delete("/orgs/current/members/{user_id}", status_code=204)
def remove_member(user_id: Id, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    """Remove a member, or leave the organization yourself (your own user id)."""
    team.remove_member(session, who.principal, who.organization_id, user_id)
    return Response(status_code=204)


@router.get("/orgs/current/invitations", response_model=list[schemas.InvitationOut])
def list_invitations(who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    return [_invitation_out(i) for i in team.list_invitations(session, who.principal, who.organization_id)]


@router.post("/orgs/current/invitations", response_model=schemas.NewInvitationOut, status_code=201)
def invite(body: schemas.InvitationIn, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    return _invite(body, who, session)


@router.delete("/orgs/current/invitations/{invitation_id}", status_code=204)
def revoke_invitation(invitation_id: Id, who: ApiIdentity = Depends(identity),
                      session: Session = Depends(db)):
    team.revoke_invitation(session, who.principal, who.organization_id, invitation_id)
    return Response(status_code=204)


@router.get("/invitations/{token}", response_model=schemas.InvitationPreviewOut)
def read_invitation(token: str = Path(max_length=200), session: Session = Depends(db)):
    """What an invitation link offers; anyone holding the link may look."""
    preview = team.invitation_preview(session, token)
    return schemas.InvitationPreviewOut(organization=preview.organization_slug,
                                        organization_name=preview.organization_name, email=preview.email,
                                        role=preview.role, expires_at=preview.expires_at)


@router.post("/invitations/{token}/accept", response_model=schemas.JoinedOut)
def accept_invitation(token: str = Path(max_length=200), who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    """Join with the token's user; the invitation must have been sent to that user's email address."""
    joined = team.accept_invitation(session, who.principal, token)
    return schemas.JoinedOut(organization=joined.organization_slug, organization_name=joined.organization_name,
                             role=joined.role)


@router.get("/orgs/current/settings", response_model=schemas.SettingsOut)
def read_settings(who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    return _settings_out(organizations.get_settings(session, who.principal, who.organization_id))


@router.patch("/orgs/current/settings", response_model=schemas.SettingsOut)
def update_settings(body: schemas.SettingsIn, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    """Change some settings (the logo is uploaded in the web page; `remove_logo` drops it)."""
    current = organizations.get_settings(session, who.principal, who.organization_id)
    fields = ("name", "slug", "default_locale", "currency", "time_zone", "contact_email")
    values = {name: getattr(body, name) if getattr(body, name) is not None else getattr(current, name)
              for name in fields}
    org = organizations.update_settings(session, who.principal, who.organization_id, **values,
                                        remove_logo=body.remove_logo)
    return _settings_out(org)


@router.get("/orgs/current/audit", response_model=schemas.AuditPageOut)
def list_audit(
    action: Optional[str] = Query(default=None, max_length=60, description="Actions starting with this, e.g. team."),
    actor: Optional[str] = Query(default=None, max_length=254, description="Text in the person's name or email"),
    since: Optional[DateTime] = Query(default=None, description="From this moment (inclusive, ISO 8601)"),
    until: Optional[DateTime] = Query(default=None, description="Before this moment (ISO 8601)"),
    page: int = Query(default=1, ge=1, le=100_000),
    per_page: int = Query(default=50, ge=1, le=audit.MAX_PER_PAGE),
    who: ApiIdentity = Depends(identity),
    session: Session = Depends(db),
):
    result = audit.list_entries(session, who.principal, who.organization_id, action_prefix=action, actor=actor,
                                since=_utc("since", since), until=_utc("until", until), page=page,
                                per_page=per_page)
    return schemas.AuditPageOut(
        entries=[schemas.AuditEntryOut(id=e.id, at=e.at, action=e.action, object_type=e.object_type,
                                       object_id=e.object_id, actor=e.actor, actor_email=e.actor_email, data=e.data)
                 for e in result.entries],
        total=result.total, page=result.page, per_page=result.per_page, pages=result.pages,
    )


def _utc(field: str, moment: datetime | None) -> datetime | None:
    """A time without a zone is taken as UTC; one that UTC cannot hold (year 1 east of Greenwich) is refused."""
    if moment is None:
        return None
    try:
        return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    except (OverflowError, ValueError):
        raise ValidationError({field: "field.datetime_invalid"}) from None
