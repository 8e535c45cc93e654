"""REST API v1: thin routes over the services. Authentication is a bearer JWT from /api/v1/auth/token."""
from __future__ import annotations

import asyncio
from typing import Iterator, Optional, Union

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from aqstream import config
from aqstream.api import schemas
from aqstream.api.errors import domain_error_handler, request_locale
from aqstream.db import get_engine, session_scope
from aqstream.i18n import tn
from aqstream.models import Event, Order, Question, Ticket, TicketType
from aqstream.services.accounts import accounts, password_reset
from aqstream.services.accounts.client_ip import resolve_client_ip
from aqstream.services.errors import Unauthenticated, ValidationError
from aqstream.services.events import calendar, events, questions
from aqstream.services.lifecycle import EventStatus
from aqstream.services.org import api_tokens, organizations
from aqstream.services.org.api_tokens import ApiIdentity
from aqstream.services.org.permissions import MANAGE_EVENTS, VIEW_ATTENDEES, Principal, access
from aqstream.services.sales import orders, registration, registration_queue

router = APIRouter(prefix="/api/v1")
bearer = HTTPBearer(auto_error=False)


def db() -> Iterator[Session]:
    with session_scope() as session:
        yield session


def identity(
    credentials: Optional[HTTPAuthorizationCredentials] = Depends(bearer), session: Session = Depends(db)
) -> ApiIdentity:
    return api_tokens.verify_token(session, credentials.credentials if credentials else None)


def account(
    credentials: Optional[HTTPAuthorizationCredentials] = Depends(bearer), session: Session = Depends(db)
) -> Principal:
    """The account behind any token, with or without an organization (for creating one)."""
    return api_tokens.verify_account_token(session, credentials.credentials if credentials else None)


def identity_closed(credentials: Optional[HTTPAuthorizationCredentials] = Depends(bearer)) -> ApiIdentity:
    """`identity` for a streamed response: checked on a session closed at once. A `db` session lives until the
    response's last byte is sent, and would hold its connection for a whole download."""
    with session_scope() as session:
        return api_tokens.verify_token(session, credentials.credentials if credentials else None)


def client_address(request: Request) -> str:
    """The client's address for the sign-in and reset limits: the peer, or behind a trusted proxy the client
    it names in X-Forwarded-For (see services/accounts/client_ip.py)."""
    forwarded_for = ",".join(request.headers.getlist("x-forwarded-for"))
    return resolve_client_ip(request.client.host if request.client else None, forwarded_for)


def _ticket_type_out(tt: TicketType, event: Event, organizer: bool = False):
    cls = schemas.OrganizerTicketTypeOut if organizer else schemas.TicketTypeOut
    extra = {"unlock_code": tt.unlock_code} if organizer else {}
    return cls(
        id=tt.id,
        name=tt.name,
        description=tt.description,
        price_minor=tt.price_minor,
        currency=tt.currency,
        quantity=tt.quantity,
        sold=tt.sold,
        available=events.places_left(event, tt),
        sales_start_at=tt.sales_start_at,
        sales_end_at=tt.sales_end_at,
        min_per_order=tt.min_per_order,
        max_per_order=tt.max_per_order,
        hidden=tt.hidden,
        sort_order=tt.sort_order,
        **extra,
    )


def _question_out(q: Question) -> schemas.QuestionOut:
    return schemas.QuestionOut(id=q.id, label=q.label, kind=q.kind, required=q.required, scope=q.scope,
                               options=q.options, help_text=q.help_text)


def _can_manage(session: Session, who: ApiIdentity) -> bool:
    """Hidden types' unlock codes are for people who sell tickets, not for check-in staff."""
    return access(session, who.principal, who.organization_id, VIEW_ATTENDEES).role in MANAGE_EVENTS


def _event_fields(event: Event, names: tuple[str, ...] = schemas.EVENT_PUBLIC_NAMES) -> dict:
    fields = {name: getattr(event, name) for name in names}
    return {**fields, "tags": events.normalize_tags(event.tags)}


def _event_out(session: Session, event: Event, org_slug: str, manage: bool = True) -> schemas.EventOut:
    return schemas.EventOut(
        id=event.id,
        **_event_fields(event, schemas.EVENT_NAMES),
        registered=event.sold,
        public_url=f"{config.public_base_url()}/e/{org_slug}/{event.slug}" if event.status == EventStatus.PUBLISHED else None,
        ticket_types=[_ticket_type_out(tt, event, organizer=manage) for tt in events.list_ticket_types(session, event.id)],
        questions=[_question_out(q) for q in questions.active_questions(session, event.id)],
    )


def _order_out(order: Order, tickets: list[Ticket], answers=()) -> dict:
    return dict(
        id=order.id,
        status=order.status,
        buyer_name=order.buyer_name,
        buyer_email=order.buyer_email,
        total_minor=order.total_minor,
        currency=order.currency,
        created_at=order.created_at,
        tickets=[
            schemas.TicketOut(id=t.id, code=t.code, attendee_name=t.attendee_name, attendee_email=t.attendee_email,
                              ticket_type_id=t.ticket_type_id, status=t.status)
            for t in tickets
        ],
        answers=[{"question_id": q.id, "question": q.label, "ticket_id": a.ticket_id, "value": a.value}
                 for a, q in answers],
    )


def _org_slug(session: Session, who: ApiIdentity) -> str:
    return organizations.organization_slug(session, who.organization_id)


def _ticket_type_input(body: schemas.TicketTypeIn) -> events.TicketTypeInput:
    return events.TicketTypeInput(
        name=body.name,
        quantity=body.quantity,
        description=body.description,
        price_minor=body.price_minor,
        sales_start_local=body.sales_start_at,
        sales_end_local=body.sales_end_at,
        min_per_order=body.min_per_order,
        max_per_order=body.max_per_order,
        hidden=body.hidden,
        sort_order=body.sort_order,
    )


@router.post("/auth/token", response_model=schemas.TokenResponse, tags=["auth"])
def obtain_token(body: schemas.TokenRequest, request: Request, session: Session = Depends(db)):
    try:
        issued = api_tokens.issue_token(
            session, email=body.email, password=body.password, organization=body.organization,
            address=client_address(request),
        )
    except ValidationError as exc:
        if exc.errors.get("password") == "auth.wrong_credentials":
            raise Unauthenticated("auth.wrong_credentials")  # a bad pair is a 401 here, not a form error
        raise
    return schemas.TokenResponse(
        access_token=issued.access_token, expires_in=issued.expires_in, organization=issued.organization_slug
    )


@router.post("/auth/signup", response_model=schemas.SignUpOut, status_code=201, tags=["auth"])
def sign_up(body: schemas.SignUpIn, request: Request, session: Session = Depends(db)):
    """Create an account, with the sign-up page's rules (name, a valid address not yet taken, a strong
    password); the address is confirmed through the emailed link. The answer carries an account token, which
    can create an organization (`POST /api/v1/orgs`) and nothing else."""
    user = accounts.sign_up(session, name=body.name, email=body.email, password=body.password,
                            locale=body.locale or request_locale(request))
    issued = api_tokens.issue_account_token(user)
    return schemas.SignUpOut(access_token=issued.access_token, expires_in=issued.expires_in, organization=None,
                             user_id=user.id, name=user.name, email=user.email, email_verified=False)


@router.post("/orgs", response_model=schemas.OrganizationCreatedOut, status_code=201, tags=["team"])
def create_organization(body: schemas.OrganizationIn, request: Request, who: Principal = Depends(account),
                        session: Session = Depends(db)):
    """Create an organization with the caller as its owner, as the "New organization" page does. Any token of
    the account will do; the answer carries a token for the new organization."""
    org = organizations.create_organization(session, who, name=body.name, slug=body.slug, time_zone=body.time_zone,
                                            default_locale=body.default_locale or request_locale(request),
                                            currency=body.currency)
    issued = api_tokens.organization_token(session, who, org)
    return schemas.OrganizationCreatedOut(access_token=issued.access_token, expires_in=issued.expires_in,
                                          organization=org.slug, name=org.name, slug=org.slug)


@router.post("/auth/password-reset", response_model=schemas.PasswordResetAccepted, status_code=202, tags=["auth"])
def request_password_reset(body: schemas.PasswordResetRequest, request: Request, session: Session = Depends(db)):
    """Email a link to set a new password. The answer is 202 whether or not an account has this address;
    only a malformed address is refused (422). Requests beyond a few per hour are quietly dropped."""
    locale = request_locale(request)
    password_reset.request_password_reset(session, body.email, address=client_address(request), locale=locale)
    hours = int(password_reset.RESET_LIFETIME.total_seconds() // 3600)
    return schemas.PasswordResetAccepted(detail=tn("auth.forgot.sent", hours, locale))


@router.post("/auth/password-reset/confirm", status_code=204, tags=["auth"],
             responses={400: {"description": "Field errors: token (unknown, expired, used), password, password_repeat"}})
def confirm_password_reset(body: schemas.PasswordResetConfirm, request: Request, session: Session = Depends(db)):
    """Set a new password with the emailed link's token. Every session and API token of the account ends."""
    try:
        password_reset.reset_password(session, body.token, body.password, body.password_repeat)
    except ValidationError as exc:
        answer = domain_error_handler(request, exc)
        answer.status_code = 400
        return answer
    return Response(status_code=204)


@router.get("/events", response_model=list[schemas.EventOut], tags=["events"])
def list_events(who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    slug, manage = _org_slug(session, who), _can_manage(session, who)
    return [_event_out(session, e, slug, manage)
            for e in events.list_events(session, who.principal, who.organization_id)]


@router.post("/events", response_model=schemas.EventOut, status_code=201, tags=["events"])
def create_event(body: schemas.EventIn, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    values = body.model_dump(exclude={"ticket_types"})
    data = events.input_from_api(values, ticket_types=[_ticket_type_input(tt) for tt in body.ticket_types])
    event = events.create_event(session, who.principal, who.organization_id, data)
    return _event_out(session, event, _org_slug(session, who))


@router.get("/events/{event_id}", response_model=schemas.EventOut, tags=["events"])
def read_event(event_id: schemas.Id, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    event = events.get_event(session, who.principal, who.organization_id, event_id)
    return _event_out(session, event, _org_slug(session, who), _can_manage(session, who))


@router.post("/events/{event_id}/publish", response_model=schemas.EventOut, tags=["events"])
def publish_event(event_id: schemas.Id, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    event = events.publish_event(session, who.principal, who.organization_id, event_id)
    return _event_out(session, event, _org_slug(session, who))


@router.get("/events/{event_id}/ticket-types",
            response_model=list[Union[schemas.OrganizerTicketTypeOut, schemas.TicketTypeOut]], tags=["events"])
def list_ticket_types(event_id: schemas.Id, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    event = events.get_event(session, who.principal, who.organization_id, event_id)
    manage = _can_manage(session, who)
    return [_ticket_type_out(tt, event, organizer=manage) for tt in events.list_ticket_types(session, event.id)]


@router.post("/events/{event_id}/ticket-types", response_model=schemas.OrganizerTicketTypeOut, status_code=201,
             tags=["events"])
def create_ticket_type(
    event_id: schemas.Id, body: schemas.TicketTypeIn, who: ApiIdentity = Depends(identity), session: Session = Depends(db)
):
    tt = events.add_ticket_type(session, who.principal, who.organization_id, event_id, _ticket_type_input(body))
    return _ticket_type_out(tt, events.get_event(session, who.principal, who.organization_id, event_id), organizer=True)


@router.put("/events/{event_id}/ticket-types/{ticket_type_id}", response_model=schemas.OrganizerTicketTypeOut,
            tags=["events"])
def update_ticket_type(
    event_id: schemas.Id, ticket_type_id: schemas.Id, body: schemas.TicketTypeIn, who: ApiIdentity = Depends(identity),
    session: Session = Depends(db),
):
    tt = events.update_ticket_type(session, who.principal, who.organization_id, event_id, ticket_type_id,
                                   _ticket_type_input(body))
    return _ticket_type_out(tt, events.get_event(session, who.principal, who.organization_id, event_id), organizer=True)


@router.get("/events/{event_id}/questions", response_model=list[schemas.QuestionOut], tags=["events"])
def list_questions(event_id: schemas.Id, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    event = events.get_event(session, who.principal, who.organization_id, event_id)
    return [_question_out(q) for q in questions.active_questions(session, event.id)]


@router.post("/events/{event_id}/questions", response_model=schemas.QuestionOut, status_code=201, tags=["events"])
def create_question(
    event_id: schemas.Id, body: schemas.QuestionIn, who: ApiIdentity = Depends(identity), session: Session = Depends(db)
):
    q = questions.add_question(session, who.principal, who.organization_id, event_id, questions.QuestionInput(
        label=body.label, kind=body.kind, required=body.required, scope=body.scope, options=body.options,
        help_text=body.help_text))
    return _question_out(q)


@router.put("/events/{event_id}/questions/{question_id}", response_model=schemas.QuestionOut, tags=["events"])
def update_question(event_id: schemas.Id, question_id: schemas.Id, body: schemas.QuestionIn,
                    who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    """Change a question. Once it has answers, its kind and scope stay, and so do the choices people picked."""
    q = questions.update_question(session, who.principal, who.organization_id, event_id, question_id,
                                  questions.QuestionInput(label=body.label, kind=body.kind, required=body.required,
                                                          scope=body.scope, options=body.options,
                                                          help_text=body.help_text))
    return _question_out(q)


@router.delete("/events/{event_id}/questions/{question_id}", status_code=204, tags=["events"])
def delete_question(event_id: schemas.Id, question_id: schemas.Id, who: ApiIdentity = Depends(identity),
                    session: Session = Depends(db)):
    questions.remove_question(session, who.principal, who.organization_id, event_id, question_id)
    return Response(status_code=204)


@router.get("/events/{event_id}/orders", response_model=list[schemas.OrderOut], tags=["orders"])
def list_orders(
    event_id: schemas.Id,
    limit: int = Query(default=100, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=10_000_000),
    who: ApiIdentity = Depends(identity),
    session: Session = Depends(db),
):
    rows = events.list_orders(session, who.principal, who.organization_id, event_id, limit=limit, offset=offset)
    answers = questions.answers_by_order(session, [order.id for order, _ in rows])
    return [_order_out(order, tickets, answers[order.id]) for order, tickets in rows]


@router.post("/orders/{order_id}/cancel", response_model=schemas.CancelOut, tags=["orders"])
def cancel_order(order_id: schemas.Id, body: schemas.CancelIn | None = None, who: ApiIdentity = Depends(identity),
                 session: Session = Depends(db)):
    ids = orders.cancel_order(session, who.principal, who.organization_id, order_id, reason=body.reason if body else "")
    return schemas.CancelOut(cancelled_ticket_ids=ids)


@router.post("/tickets/{ticket_id}/cancel", response_model=schemas.CancelOut, tags=["orders"])
def cancel_ticket(ticket_id: schemas.Id, body: schemas.CancelIn | None = None, who: ApiIdentity = Depends(identity),
                  session: Session = Depends(db)):
    ids = orders.cancel_ticket(session, who.principal, who.organization_id, ticket_id, reason=body.reason if body else "")
    return schemas.CancelOut(cancelled_ticket_ids=ids)


@router.get("/public/events/{org_slug}/{event_slug}", response_model=schemas.PublicEventOut, tags=["public"])
def read_public_event(org_slug: str, event_slug: str, code: Optional[str] = Query(default=None, max_length=64),
                      session: Session = Depends(db)):
    org, event, types = events.get_public_event(session, org_slug, event_slug, include_hidden=True)
    reason = registration.registration_closed_reason(event)
    return schemas.PublicEventOut(
        organization=org.slug,
        organization_name=org.name,
        **_event_fields(event),
        registration_open=reason is None,
        registration_closed_reason=reason,
        ticket_types=[_ticket_type_out(tt, event) for tt in registration.offered_types(types, code)],
        questions=[_question_out(q) for q in questions.active_questions(session, event.id)],
    )


@router.post(
    "/public/events/{org_slug}/{event_slug}/registrations",
    response_model=schemas.RegistrationOut,
    status_code=201,
    tags=["public"],
    responses={200: {"description": "A replay of an earlier request with the same Idempotency-Key"}},
)
async def register(
    org_slug: str,
    event_slug: str,
    body: schemas.RegistrationIn,
    response: Response,
    idempotency_key: Optional[str] = Header(default=None, alias="Idempotency-Key", max_length=200),
):
    tickets = None
    if body.tickets is not None:
        tickets = [registration.TicketRequest(t.ticket_type_id, t.attendee_name, t.attendee_email, t.answers)
                   for t in body.tickets]
    # Queued for the process's registration writer, which commits waiting requests together; this
    # request is answered after its commit, and no thread waits for it meanwhile.
    pending = registration_queue.submit(
        get_engine(),
        org_slug=org_slug,
        event_slug=event_slug,
        buyer_name=body.name,
        buyer_email=body.email,
        tickets=tickets,
        ticket_type_id=body.ticket_type_id,
        quantity=body.quantity,
        answers=body.answers,
        unlock_code=body.unlock_code,
        idempotency_key=idempotency_key,
    )
    result = await asyncio.wrap_future(pending)
    if result.replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return schemas.RegistrationOut(
        **_order_out(result.order, result.tickets),
        confirmation_url=f"{config.public_base_url()}/order/{result.order.access_token}",
    )


@router.get("/public/orders/{access_token}", response_model=schemas.OrderOut, tags=["public"])
def read_my_order(access_token: str, session: Session = Depends(db)):
    view = registration.get_order_by_token(session, access_token)
    return _order_out(view.order, [t for t, _ in view.tickets])


@router.post("/public/orders/{access_token}/cancel", response_model=schemas.CancelOut, tags=["public"])
def cancel_my_order(access_token: str, ticket_id: Optional[int] = Query(default=None, ge=1, le=schemas.MAX_ID),
                    session: Session = Depends(db)):
    return schemas.CancelOut(cancelled_ticket_ids=orders.cancel_by_token(session, access_token, ticket_id))


@router.put("/public/orders/{access_token}/tickets/{ticket_id}", response_model=schemas.TicketOut, tags=["public"])
def rename_my_ticket(access_token: str, ticket_id: schemas.Id, body: schemas.TicketRenameIn, session: Session = Depends(db)):
    """Correct the name on one ticket of the order, while the organizer allows it and the event has not started."""
    t = orders.rename_ticket(session, ticket_id=ticket_id, attendee_name=body.attendee_name, access_token=access_token)
    return schemas.TicketOut(id=t.id, code=t.code, attendee_name=t.attendee_name, attendee_email=t.attendee_email,
                             ticket_type_id=t.ticket_type_id, status=t.status)


@router.get("/public/orders/{access_token}/calendar.ics", tags=["public"],
            responses={200: {"content": {"text/calendar": {}}, "description": "The event as an iCalendar file"}})
def my_order_calendar(access_token: str, session: Session = Depends(db)):
    view = registration.get_order_by_token(session, access_token)
    body = calendar.event_ics(view.event, view.organization.name, calendar.event_page_url(view.organization, view.event))
    return Response(
        content=body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{calendar.ics_filename(view.event)}"',
                 "Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"},
    )
