"""Request and response bodies of the team, settings and audit routes of REST API v1."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from pydantic import BaseModel, Field

from aqstream.api.schemas import Input


class MemberOut(BaseModel):
    user_id: int
    name: str
    email: str
    role: str = Field(description="owner, admin, staff or checkin")
    joined_at: datetime


class RoleIn(Input):
    role: str = Field(max_length=20, description="owner, admin, staff or checkin; only an owner gives or takes owner")


class InvitationIn(Input):
    email: str = Field(max_length=254)
    role: str = Field(max_length=20, description="owner, admin, staff or checkin; only an owner invites an owner")
    locale: Optional[str] = Field(default=None, max_length=10, description="Language of the email: en or ru")


class InvitationOut(BaseModel):
    id: int
    email: str
    role: str
    invited_by: str
    created_at: datetime
    expires_at: datetime


class NewInvitationOut(InvitationOut):
    accept_url: str = Field(description="The link in the invitation email; shown only now (only its hash is kept)")


class InvitationPreviewOut(BaseModel):
    organization: str
    organization_name: str
    email: str
    role: str
    expires_at: datetime


class JoinedOut(BaseModel):
    organization: str
    organization_name: str
    role: str


class SettingsOut(BaseModel):
    name: str
    slug: str
    default_locale: str
    currency: str
    time_zone: str
    contact_email: str
    logo_url: Optional[str] = Field(default=None, description="Absolute URL of the logo, if there is one")


class SettingsIn(Input):
    """Fields left out keep their current value."""

    # Generous limits: the service checks each value and names every bad field at once.
    name: Optional[str] = Field(default=None, max_length=1000)
    slug: Optional[str] = Field(default=None, max_length=1000)
    default_locale: Optional[str] = Field(default=None, max_length=100)
    currency: Optional[str] = Field(default=None, max_length=100)
    time_zone: Optional[str] = Field(default=None, max_length=100)
    contact_email: Optional[str] = Field(default=None, max_length=1000)
    remove_logo: bool = False


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    action: str
    object_type: str
    object_id: Optional[int] = None
    actor: str
    actor_email: str
    data: dict[str, Any]


class AuditPageOut(BaseModel):
    entries: list[AuditEntryOut]
    total: int
    page: int
    per_page: int
    pages: int
