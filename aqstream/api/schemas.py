"""Request and response bodies of REST API v1."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from pydantic import BaseModel, Field


class TokenRequest(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)
    organization: Optional[str] = Field(default=None, max_length=63, description="Slug; needed if you are in several")


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    organization: str


class TicketTypeIn(BaseModel):
    name: str = Field(max_length=120)
    quantity: int = Field(ge=1, le=1_000_000)
    description: str = Field(default="", max_length=2000)


class TicketTypeOut(BaseModel):
    id: int
    name: str
    description: str
    price_minor: int
    currency: str
    quantity: int
    sold: int
    available: int


class EventIn(BaseModel):
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=20000)
    venue: str = Field(default="", max_length=300)
    online_url: str = Field(default="", max_length=500)
    starts_at: datetime = Field(description="Wall-clock time in time_zone, or an ISO time with an offset")
    ends_at: datetime
    time_zone: str = Field(max_length=64, examples=["Europe/Moscow"])
    capacity: Optional[int] = Field(default=None, ge=1, le=1_000_000)
    ticket_types: list[TicketTypeIn] = Field(min_length=1, max_length=50)


class EventOut(BaseModel):
    id: int
    slug: str
    title: str
    description: str
    venue: str
    online_url: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    status: str
    capacity: Optional[int]
    registered: int
    public_url: Optional[str]
    ticket_types: list[TicketTypeOut]


class PublicEventOut(BaseModel):
    organization: str
    organization_name: str
    slug: str
    title: str
    description: str
    venue: str
    online_url: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    status: str
    registration_open: bool
    ticket_types: list[TicketTypeOut]


class RegistrationIn(BaseModel):
    ticket_type_id: int = Field(ge=1, le=2**31 - 1)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    quantity: int = Field(default=1, ge=1, le=100)


class TicketOut(BaseModel):
    code: str
    attendee_name: str
    attendee_email: str
    ticket_type_id: int
    status: str


class OrderOut(BaseModel):
    id: int
    status: str
    buyer_name: str
    buyer_email: str
    total_minor: int
    currency: str
    created_at: datetime
    tickets: list[TicketOut]


class RegistrationOut(OrderOut):
    confirmation_url: str
