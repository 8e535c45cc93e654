"""Request and response bodies of REST API v1."""
from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional, Union

from fastapi import Path
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError
from typing_extensions import Annotated

MAX_ID = 2**31 - 1  # ids are 32-bit integer columns
Id = Annotated[int, Path(ge=1, le=MAX_ID, description="An id, 1 to 2147483647")]


def _iso_only(value):
    """A date and time is ISO 8601 text. Pydantic would also take a bare number as Unix seconds, which the
    documented `date-time` format does not allow and no client means."""
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit()):
        raise PydanticCustomError("datetime_format", "Give a date and time in ISO 8601, for example 2031-06-01T18:00.")
    return value


DateTime = Annotated[datetime, BeforeValidator(_iso_only)]


def _unreadable(value) -> bool:
    """Text no database column can keep: NUL, or half of a UTF-16 surrogate pair (JSON allows `\\ud800`)."""
    if isinstance(value, str):
        return "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, (list, tuple)):
        return any(_unreadable(v) for v in value)
    if isinstance(value, dict):
        return any(_unreadable(k) or _unreadable(v) for k, v in value.items())
    return False


class Input(BaseModel):
    """A request body: unknown fields are refused (a misspelt field is an error, not silently dropped), and no
    text may hold characters that cannot be stored."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value):
        if _unreadable(value):
            raise PydanticCustomError("text_invalid", "This contains characters that are not allowed.")
        return value


class ErrorBody(BaseModel):
    code: str = Field(description="Stable, for programs: not_found, validation_error, sold_out, ...")
    message: str = Field(description="For people, in the request's Accept-Language (English or Russian)")
    fields: Optional[dict[str, str]] = Field(default=None, description="Each invalid field and what is wrong with it")
    field: Optional[str] = Field(default=None, description="The one field the error is about")


class ErrorOut(BaseModel):
    """The body of every answer under /api/v1 that is not a success."""

    error: ErrorBody


class TokenRequest(Input):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)
    organization: Optional[str] = Field(default=None, max_length=63, description="Slug; needed if you are in several")


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    organization: Optional[str] = Field(description="The organization the token acts for; null for an account "
                                                    "without one (the token can then only create an organization)")


class SignUpIn(Input):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024, description="At least 8 characters, not easy to guess")
    locale: Optional[Literal["en", "ru"]] = Field(default=None, description="Emails' language; else Accept-Language")


class SignUpOut(TokenResponse):
    user_id: int
    name: str
    email: str
    email_verified: bool = Field(description="False until the emailed link is opened")


class OrganizationIn(Input):
    name: str = Field(min_length=1, max_length=200)
    slug: str = Field(default="", max_length=63, description="Its address in links; made from the name if empty")
    time_zone: str = Field(default="UTC", max_length=64, examples=["Europe/Moscow"])
    default_locale: Optional[Literal["en", "ru"]] = Field(default=None, description="Else Accept-Language")
    currency: str = Field(default="EUR", min_length=3, max_length=3, examples=["RUB"])


class OrganizationCreatedOut(TokenResponse):
    name: str
    slug: str


class PasswordResetRequest(Input):
    email: str = Field(max_length=254)


class PasswordResetAccepted(BaseModel):
    status: Literal["accepted"] = "accepted"
    detail: str = Field(description="The same for every address: whether an account exists is not told")


class PasswordResetConfirm(Input):
    token: str = Field(max_length=200, description="The part of the emailed link after /reset/")
    password: str = Field(max_length=1024)
    password_repeat: Optional[str] = Field(default=None, max_length=1024, description="If given, must equal password")


class TicketTypeIn(Input):
    name: str = Field(max_length=120)
    quantity: int = Field(ge=1, le=1_000_000)
    description: str = Field(default="", max_length=2000)
    price_minor: int = Field(default=0, ge=0, le=MAX_ID,
                             description="Minor units of the organization's currency; 0 until payments")
    sales_start_at: Optional[DateTime] = Field(default=None, description="Wall-clock time in the event's zone")
    sales_end_at: Optional[DateTime] = None
    min_per_order: int = Field(default=1, ge=1, le=100)
    max_per_order: int = Field(default=10, ge=1, le=100)
    hidden: bool = Field(default=False, description="Offered only through a direct link with its unlock code")
    sort_order: Optional[int] = Field(default=None, ge=0, le=10_000)


class TicketTypeOut(BaseModel):
    id: int
    name: str
    description: str
    price_minor: int
    currency: str
    quantity: int
    sold: int
    available: int
    sales_start_at: Optional[datetime] = None
    sales_end_at: Optional[datetime] = None
    min_per_order: int = 1
    max_per_order: int = 10
    hidden: bool = False
    sort_order: int = 0


class OrganizerTicketTypeOut(TicketTypeOut):
    unlock_code: str = Field(default="", description="Only for roles that manage events")


class QuestionIn(Input):
    label: str = Field(max_length=300)
    kind: Literal["short_text", "long_text", "single_choice", "multiple_choice", "checkbox"]
    required: bool = False
    scope: Literal["order", "attendee"] = "order"
    options: list[str] = Field(default_factory=list, max_length=50)
    help_text: str = Field(default="", max_length=1000)


class QuestionOut(BaseModel):
    id: int
    label: str
    kind: str
    required: bool
    scope: str
    options: list[str]
    help_text: str


class EventEmailsIn(Input):
    """The event's email settings, the same when an event is created or updated."""

    reminder_hours: int = Field(default=24, ge=0, le=168, description="Reminder email this many hours before; 0: none")
    confirmation_text: str = Field(default="", max_length=2000, description="Added to the confirmation email")
    reminder_text: str = Field(default="", max_length=2000, description="Added to the reminder email")
    notify_email: str = Field(default="", max_length=1300,
                              description="Told of each new registration: up to 5 addresses separated by commas; "
                                          "empty: nobody")


class EventIn(EventEmailsIn):
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=20000)
    venue: str = Field(default="", max_length=300)
    online_url: str = Field(default="", max_length=500)
    starts_at: DateTime = Field(description="Wall-clock time in time_zone, or an ISO time with an offset")
    ends_at: DateTime
    time_zone: str = Field(max_length=64, examples=["Europe/Moscow"])
    capacity: Optional[int] = Field(default=None, ge=1, le=1_000_000)
    ticket_types: list[TicketTypeIn] = Field(min_length=1, max_length=50)
    registration_opens_at: Optional[DateTime] = None
    registration_closes_at: Optional[DateTime] = None
    one_registration_per_email: bool = False
    locale: Literal["", "en", "ru"] = ""
    city: str = Field(default="", max_length=120)
    tags: list[str] = Field(default=[], max_length=10, description="Topic tags, e.g. [\"jazz\", \"music\"]")
    listed: bool = Field(default=True, description="False keeps the event out of the public catalog")
    attendees_can_edit_names: bool = True


class EventFields(BaseModel):
    """What organizers and the public both see of an event."""

    slug: str
    title: str
    description: str
    venue: str
    online_url: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    status: str
    city: str = ""
    tags: list[str] = []


class EventOut(EventFields):
    id: int
    capacity: Optional[int]
    registered: int
    registration_opens_at: Optional[datetime] = None
    registration_closes_at: Optional[datetime] = None
    one_registration_per_email: bool = False
    locale: str = ""
    listed: bool = True
    attendees_can_edit_names: bool = True
    reminder_hours: int = 24
    confirmation_text: str = ""
    reminder_text: str = ""
    notify_email: str = ""
    public_url: Optional[str]
    ticket_types: list[Union[OrganizerTicketTypeOut, TicketTypeOut]]
    questions: list[QuestionOut] = []


class PublicEventOut(EventFields):
    organization: str
    organization_name: str
    registration_open: bool
    registration_closed_reason: Optional[str] = None
    ticket_types: list[TicketTypeOut]
    questions: list[QuestionOut]


AnswerValue = Union[bool, str, list[str]]


class TicketIn(Input):
    ticket_type_id: int = Field(ge=1, le=MAX_ID)
    attendee_name: str = Field(default="", max_length=200, description=(
        "The ticket holder's name. Blank: kept blank (shown to the organizer as not given), never the buyer's"))
    attendee_email: str = Field(default="", max_length=254)
    answers: dict[str, AnswerValue] = Field(default_factory=dict, description="Question id -> answer")


class RegistrationIn(Input):
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    tickets: Optional[list[TicketIn]] = Field(default=None, min_length=1, max_length=100,
                                              description="One entry per place; or use ticket_type_id and quantity")
    ticket_type_id: Optional[int] = Field(default=None, ge=1, le=MAX_ID)
    quantity: int = Field(default=1, ge=1, le=100)
    answers: dict[str, AnswerValue] = Field(default_factory=dict, description="Order questions: id -> answer")
    unlock_code: Optional[str] = Field(default=None, max_length=64, description="For hidden ticket types")

    @model_validator(mode="after")
    def _one_way_to_say_what(self):
        if self.tickets is None and self.ticket_type_id is None:
            raise ValueError("give either tickets or ticket_type_id")
        both = sorted({"ticket_type_id", "quantity"} & self.model_fields_set) if self.tickets is not None else []
        if both:
            # Which of the two was meant cannot be guessed: refuse, naming every field involved.
            raise PydanticCustomError("ambiguous_fields", "Send either tickets or ticket_type_id with quantity, not both.",
                                      {"fields": ["tickets", *both]})
        return self


class TicketOut(BaseModel):
    id: int
    code: str
    attendee_name: str
    attendee_email: str
    ticket_type_id: int
    status: str


class TicketRenameIn(Input):
    attendee_name: str = Field(max_length=1000, description="The name to print on the ticket (1 to 200 characters)")


class OrderOut(BaseModel):
    id: int
    status: str
    buyer_name: str
    buyer_email: str
    total_minor: int
    currency: str
    created_at: datetime
    tickets: list[TicketOut]
    answers: list[dict] = []


class RegistrationOut(OrderOut):
    confirmation_url: str


class CancelIn(Input):
    reason: str = Field(default="", max_length=2000)


class CancelOut(BaseModel):
    cancelled_ticket_ids: list[int]
