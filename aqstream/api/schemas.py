"""Request and response bodies of REST API v1."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Optional, Union

from fastapi import Path
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, create_model, field_validator, model_validator
from pydantic_core import PydanticCustomError
from typing_extensions import Annotated

from aqstream.services.events import fields as event_fields

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
    required: StrictBool = False  # true or false, not 0 or "yes": the document says boolean
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


def _event_field(f: event_fields.EventField, *, response: bool = False) -> tuple[Any, Any]:
    """One declared event field (services/events/fields.py) as a pydantic field of a request body (its JSON
    name, type, limits, default and documentation come from the declaration) or of a response (name and type)."""
    doc: dict[str, Any] = {}
    if f.description:
        doc["description"] = f.description
    if f.example:
        doc["examples"] = [f.example]
    limits: dict[str, Any] = {}
    if f.kind == event_fields.DATETIME:
        kind: Any = datetime if response else DateTime
    elif f.kind == event_fields.INT:
        kind = int
        limits = {} if response else {"ge": f.low, "le": f.high}
    elif f.kind == event_fields.BOOL:
        kind = bool
    elif f.kind == event_fields.CHOICE:
        kind = str if response else Literal[f.choices]
    elif f.kind == event_fields.TAGS:
        kind = list[str]
        limits = {} if response else {"max_length": f.max_items}
        doc["description"] = f"{f.description}: at most {f.max_items}, each at most {f.item_max_len} characters"
    else:  # texts, the address, the addresses and the time zone: text with its length limit
        kind = str
        limits = {} if response or f.max_len is None else {"max_length": f.max_len}
    if response:  # an answer always holds every field (null where there is no value)
        return (kind if f.required or f.default is not None else Optional[kind]), Field(...)
    if f.required:
        return kind, Field(..., **limits, **doc)
    default = list(f.default) if f.kind == event_fields.TAGS else f.default
    return (Optional[kind] if default is None else kind), Field(default=default, **limits, **doc)


def event_request_fields() -> dict[str, Any]:
    """The event's own fields as a request body takes them (creation and update)."""
    return {f.name: _event_field(f) for f in event_fields.FIELDS}


EventIn = create_model(
    "EventIn", __base__=Input, __module__=__name__, **event_request_fields(),
    ticket_types=(list[TicketTypeIn], Field(min_length=1, max_length=50)),
)

# What organizers and the public both see of an event.
EVENT_PUBLIC_NAMES = ("slug", *(f.name for f in event_fields.FIELDS if f.public), "status")
# ... and what its organizers see: every declared field.
EVENT_NAMES = ("slug", *(f.name for f in event_fields.FIELDS), "status")

EventFields = create_model(
    "EventFields", __module__=__name__, __doc__="What organizers and the public both see of an event.",
    slug=(str, ...), **{f.name: _event_field(f, response=True) for f in event_fields.FIELDS if f.public},
    status=(str, ...),
)

EventOut = create_model(
    "EventOut", __base__=EventFields, __module__=__name__,
    id=(int, ...),
    **{f.name: _event_field(f, response=True) for f in event_fields.FIELDS if not f.public},
    registered=(int, ...),
    public_url=(Optional[str], ...),
    ticket_types=(list[Union[OrganizerTicketTypeOut, TicketTypeOut]], ...),
    questions=(list[QuestionOut], []),
)


class PublicEventOut(EventFields):
    organization: str
    organization_name: str
    registration_open: bool
    registration_closed_reason: Optional[str] = None
    ticket_types: list[TicketTypeOut]
    questions: list[QuestionOut]
    payment_methods: list[str] = Field(default_factory=list, description="What paid tickets can be paid with now: "
                                       "stripe, yookassa, bank (empty: paid tickets are not on sale)")


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
    payment_method: Optional[str] = Field(default=None, max_length=20,
                                          description="For paid tickets: stripe, yookassa or bank (one of the event's); "
                                          "the order is then pending until paid (POST /public/orders/{token}/payments)")

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
    payment_method: str = ""
    expires_at: Optional[datetime] = Field(default=None, description="A pending order holds its places until then")
    tickets: list[TicketOut]
    answers: list[dict] = []


class RegistrationOut(OrderOut):
    confirmation_url: str
    payment_url: Optional[str] = Field(default=None, description="For a pending paid order: the provider's payment "
                                       "page to send the buyer to (empty for a bank transfer)")
    payment_reference: Optional[str] = Field(default=None, description="A bank transfer's reference")
    payment_error: Optional[str] = Field(default=None, description="payment_unavailable: the provider did not answer; "
                                         "the order keeps its places, start the payment again with "
                                         "POST /public/orders/{token}/payments")


class CancelIn(Input):
    reason: str = Field(default="", max_length=2000)


class CancelOut(BaseModel):
    cancelled_ticket_ids: list[int]
