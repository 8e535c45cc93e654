"""/api/v1/admin/...: what platform admins change (services/platform/): platform admins granted and revoked,
an organization suspended with a reason, reactivated, its limits set. Any token of a platform admin's account
will do; to anyone else every route answers 404, as if it did not exist. (The read-only admin routes, the list
and the detail, are in api/admin.py; export and deletion in api/admin_export.py.)"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field
from sqlmodel import Session

from aqstream.api.deps import PREFIX, account, db
from aqstream.models import Organization
from aqstream.services.org.permissions import Principal
from aqstream.services.platform import admins, tenants

router = APIRouter(prefix=PREFIX, tags=["admin"])
Slug = Path(max_length=63, description="The organization's slug")


class AdminOut(BaseModel):
    user_id: int
    name: str
    email: str


class AdminIn(BaseModel):
    email: str = Field(max_length=254)


class SuspendIn(BaseModel):
    reason: str = Field(max_length=2000, description="Why, told to the organization's owners by email")


class LimitsIn(BaseModel):
    max_published_events: Optional[int] = Field(default=None, ge=1, le=tenants.LIMIT_MAX, description="null: no limit")
    max_tickets_per_event: Optional[int] = Field(default=None, ge=1, le=tenants.LIMIT_MAX,
                                                 description="null: no limit")


class TenantStateOut(BaseModel):
    slug: str
    status: str
    suspended_at: Optional[datetime]
    suspension_reason: str
    max_published_events: Optional[int]
    max_tickets_per_event: Optional[int]


def _state(org: Organization) -> TenantStateOut:
    return TenantStateOut(slug=org.slug, status=org.status, suspended_at=org.suspended_at,
                          suspension_reason=org.suspension_reason, max_published_events=org.max_published_events,
                          max_tickets_per_event=org.max_tickets_per_event)


@router.get("/admin/admins", response_model=list[AdminOut])
def list_admins(who: Principal = Depends(account), session: Session = Depends(db)):
    return [AdminOut(user_id=a.user_id, name=a.name, email=a.email) for a in admins.list_admins(session, who)]


@router.post("/admin/admins", response_model=AdminOut, status_code=201)
def grant_admin(body: AdminIn, who: Principal = Depends(account), session: Session = Depends(db)):
    """Make the account with this email a platform admin."""
    user = admins.grant(session, who, body.email)
    return AdminOut(user_id=user.id, name=user.name, email=user.email)


@router.post("/admin/admins/revoke", response_model=AdminOut)
def revoke_admin(body: AdminIn, who: Principal = Depends(account), session: Session = Depends(db)):
    """Take a platform admin's rights away; the last platform admin stays (409)."""
    user = admins.revoke(session, who, body.email)
    return AdminOut(user_id=user.id, name=user.name, email=user.email)


@router.post("/admin/organizations/{slug}/suspend", response_model=TenantStateOut)
def suspend(body: SuspendIn, slug: str = Slug, who: Principal = Depends(account), session: Session = Depends(db)):
    """Suspend the organization: its members read but change nothing, its events take no registrations."""
    return _state(tenants.suspend(session, who, tenants.by_slug(session, who, slug).id, body.reason))


@router.post("/admin/organizations/{slug}/reactivate", response_model=TenantStateOut)
def reactivate(slug: str = Slug, who: Principal = Depends(account), session: Session = Depends(db)):
    return _state(tenants.reactivate(session, who, tenants.by_slug(session, who, slug).id))


@router.put("/admin/organizations/{slug}/limits", response_model=TenantStateOut)
def set_limits(body: LimitsIn, slug: str = Slug, who: Principal = Depends(account), session: Session = Depends(db)):
    """Set or clear the organization's limits: published events at once, places per event."""
    return _state(tenants.set_limits(session, who, tenants.by_slug(session, who, slug).id,
                                     max_published_events=body.max_published_events,
                                     max_tickets_per_event=body.max_tickets_per_event))
