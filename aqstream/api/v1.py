"""REST API v1: thin routes over the services. Authentication is a bearer JWT from /api/v1/auth/token."""
from __future__ import annotations

from typing import Iterator, Optional

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from aqstream import config
from aqstream.api import schemas
from aqstream.db import session_scope
from aqstream.models import Event, Order, Ticket, TicketType
from aqstream.services import api_tokens, events, organizations, registration
from aqstream.services.api_tokens import ApiIdentity

router = APIRouter(prefix="/api/v1")
bearer = HTTPBearer(auto_error=False)


def db() -> Iterator[Session]:
    with session_scope() as session:
        yield session


def identity(
    credentials: Optional[HTTPAuthorizationCredentials] = Depends(bearer), session: Session = Depends(db)
) -> ApiIdentity:
    return api_tokens.verify_token(session, credentials.credentials if credentials else None)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _ticket_type_out(tt: TicketType, event: Event) -> schemas.TicketTypeOut:
    return schemas.TicketTypeOut(
        id=tt.id,
        name=tt.name,
        description=tt.description,
        price_minor=tt.price_minor,
        currency=tt.currency,
        quantity=tt.quantity,
        sold=tt.sold,
        available=events.places_left(event, tt),
    )


def _event_out(session: Session, event: Event, org_slug: str) -> schemas.EventOut:
    return schemas.EventOut(
        id=event.id,
        slug=event.slug,
        title=event.title,
        description=event.description,
        venue=event.venue,
        online_url=event.online_url,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        time_zone=event.time_zone,
        status=event.status,
        capacity=event.capacity,
        registered=event.sold,
        public_url=f"{config.public_base_url()}/e/{org_slug}/{event.slug}" if event.status == "published" else None,
        ticket_types=[_ticket_type_out(tt, event) for tt in events.list_ticket_types(session, event.id)],
    )


def _order_out(order: Order, tickets: list[Ticket]) -> dict:
    return dict(
        id=order.id,
        status=order.status,
        buyer_name=order.buyer_name,
        buyer_email=order.buyer_email,
        total_minor=order.total_minor,
        currency=order.currency,
        created_at=order.created_at,
        tickets=[
            schemas.TicketOut(
                code=t.code,
                attendee_name=t.attendee_name,
                attendee_email=t.attendee_email,
                ticket_type_id=t.ticket_type_id,
                status=t.status,
            )
            for t in tickets
        ],
    )


def _org_slug(session: Session, who: ApiIdentity) -> str:
    return organizations.organization_slug(session, who.organization_id)


@router.post("/auth/token", response_model=schemas.TokenResponse, tags=["auth"])
def obtain_token(body: schemas.TokenRequest, request: Request, session: Session = Depends(db)):
    issued = api_tokens.issue_token(
        session, email=body.email, password=body.password, organization=body.organization, address=client_address(request)
    )
    return schemas.TokenResponse(
        access_token=issued.access_token, expires_in=issued.expires_in, organization=issued.organization_slug
    )


@router.get("/events", response_model=list[schemas.EventOut], tags=["events"])
def list_events(who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    slug = _org_slug(session, who)
    return [_event_out(session, e, slug) for e in events.list_events(session, who.principal, who.organization_id)]


@router.post("/events", response_model=schemas.EventOut, status_code=201, tags=["events"])
def create_event(body: schemas.EventIn, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    data = events.EventInput(
        title=body.title,
        description=body.description,
        venue=body.venue,
        online_url=body.online_url,
        starts_local=body.starts_at,
        ends_local=body.ends_at,
        time_zone=body.time_zone,
        capacity=body.capacity,
        ticket_types=[events.TicketTypeInput(tt.name, tt.quantity, tt.description) for tt in body.ticket_types],
    )
    event = events.create_event(session, who.principal, who.organization_id, data)
    return _event_out(session, event, _org_slug(session, who))


@router.get("/events/{event_id}", response_model=schemas.EventOut, tags=["events"])
def read_event(event_id: int, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    event = events.get_event(session, who.principal, who.organization_id, event_id)
    return _event_out(session, event, _org_slug(session, who))


@router.post("/events/{event_id}/publish", response_model=schemas.EventOut, tags=["events"])
def publish_event(event_id: int, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    event = events.publish_event(session, who.principal, who.organization_id, event_id)
    return _event_out(session, event, _org_slug(session, who))


@router.get("/events/{event_id}/ticket-types", response_model=list[schemas.TicketTypeOut], tags=["events"])
def list_ticket_types(event_id: int, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    event = events.get_event(session, who.principal, who.organization_id, event_id)
    return [_ticket_type_out(tt, event) for tt in events.list_ticket_types(session, event.id)]


@router.post(
    "/events/{event_id}/ticket-types", response_model=schemas.TicketTypeOut, status_code=201, tags=["events"]
)
def create_ticket_type(
    event_id: int, body: schemas.TicketTypeIn, who: ApiIdentity = Depends(identity), session: Session = Depends(db)
):
    tt = events.add_ticket_type(
        session,
        who.principal,
        who.organization_id,
        event_id,
        events.TicketTypeInput(body.name, body.quantity, body.description),
    )
    return _ticket_type_out(tt, events.get_event(session, who.principal, who.organization_id, event_id))


@router.get("/events/{event_id}/orders", response_model=list[schemas.OrderOut], tags=["orders"])
def list_orders(
    event_id: int,
    limit: int = 100,
    offset: int = 0,
    who: ApiIdentity = Depends(identity),
    session: Session = Depends(db),
):
    rows = events.list_orders(
        session, who.principal, who.organization_id, event_id, limit=max(1, min(limit, 500)), offset=max(0, offset)
    )
    return [_order_out(order, tickets) for order, tickets in rows]


@router.get("/public/events/{org_slug}/{event_slug}", response_model=schemas.PublicEventOut, tags=["public"])
def read_public_event(org_slug: str, event_slug: str, session: Session = Depends(db)):
    org, event, types = events.get_public_event(session, org_slug, event_slug)
    return schemas.PublicEventOut(
        organization=org.slug,
        organization_name=org.name,
        slug=event.slug,
        title=event.title,
        description=event.description,
        venue=event.venue,
        online_url=event.online_url,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        time_zone=event.time_zone,
        status=event.status,
        registration_open=registration.registration_closed_reason(event) is None,
        ticket_types=[_ticket_type_out(tt, event) for tt in types],
    )


@router.post(
    "/public/events/{org_slug}/{event_slug}/registrations",
    response_model=schemas.RegistrationOut,
    status_code=201,
    tags=["public"],
    responses={200: {"description": "A replay of an earlier request with the same Idempotency-Key"}},
)
def register(
    org_slug: str,
    event_slug: str,
    body: schemas.RegistrationIn,
    response: Response,
    idempotency_key: Optional[str] = Header(default=None, alias="Idempotency-Key", max_length=200),
    session: Session = Depends(db),
):
    result = registration.register(
        session,
        org_slug=org_slug,
        event_slug=event_slug,
        ticket_type_id=body.ticket_type_id,
        buyer_name=body.name,
        buyer_email=body.email,
        quantity=body.quantity,
        idempotency_key=idempotency_key,
    )
    if result.replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return schemas.RegistrationOut(
        **_order_out(result.order, result.tickets),
        confirmation_url=f"{config.public_base_url()}/order/{result.order.access_token}",
    )
