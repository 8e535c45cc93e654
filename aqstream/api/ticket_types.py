"""/api/v1/events/{event_id}/ticket-types: an event's ticket types (they are also created with the event)."""
from __future__ import annotations

from typing import Union

from fastapi import APIRouter, Depends
from sqlmodel import Session

from aqstream.api import schemas
from aqstream.api.deps import PREFIX, can_manage, db, identity
from aqstream.api.outputs import ticket_type_out
from aqstream.services.events import events
from aqstream.services.org.api_tokens import ApiIdentity

router = APIRouter(prefix=PREFIX)


def ticket_type_input(body: schemas.TicketTypeIn) -> events.TicketTypeInput:
    return events.TicketTypeInput(
        set_price="price_minor" in body.model_fields_set,  # an update that leaves the price out keeps it
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


@router.get("/events/{event_id}/ticket-types",
            response_model=list[Union[schemas.OrganizerTicketTypeOut, schemas.TicketTypeOut]], tags=["events"])
def list_ticket_types(event_id: schemas.Id, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    event = events.get_event(session, who.principal, who.organization_id, event_id)
    manage = can_manage(session, who)
    return [ticket_type_out(tt, event, organizer=manage) for tt in events.list_ticket_types(session, event.id)]


@router.post("/events/{event_id}/ticket-types", response_model=schemas.OrganizerTicketTypeOut, status_code=201,
             tags=["events"])
def create_ticket_type(
    event_id: schemas.Id, body: schemas.TicketTypeIn, who: ApiIdentity = Depends(identity), session: Session = Depends(db)
):
    tt = events.add_ticket_type(session, who.principal, who.organization_id, event_id, ticket_type_input(body))
    return ticket_type_out(tt, events.get_event(session, who.principal, who.organization_id, event_id), organizer=True)


@router.put("/events/{event_id}/ticket-types/{ticket_type_id}", response_model=schemas.OrganizerTicketTypeOut,
            tags=["events"])
def update_ticket_type(
    event_id: schemas.Id, ticket_type_id: schemas.Id, body: schemas.TicketTypeIn, who: ApiIdentity = Depends(identity),
    session: Session = Depends(db),
):
    tt = events.update_ticket_type(session, who.principal, who.organization_id, event_id, ticket_type_id,
                                   ticket_type_input(body))
    return ticket_type_out(tt, events.get_event(session, who.principal, who.organization_id, event_id), organizer=True)
