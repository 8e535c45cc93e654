"""/api/v1/events and /api/v1/events/{event_id}: an organizer's events, from creation (with ticket types) to
publishing, editing, unpublishing, cancelling, archiving and duplicating, and the cover image. The event's
ticket types, questions, orders and attendees have their own modules (ticket_types, questions, attendees)."""
from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends, File, UploadFile
from pydantic import Field, create_model
from sqlmodel import Session

from aqstream import config
from aqstream.api import schemas
from aqstream.api.deps import PREFIX, can_manage, db, identity, org_slug
from aqstream.api.outputs import event_out
from aqstream.api.ticket_types import ticket_type_input
from aqstream.services.events import event_lifecycle, events
from aqstream.services.events import fields as event_fields
from aqstream.services.org.api_tokens import ApiIdentity

router = APIRouter(prefix=PREFIX, tags=["events"])


# The event's own fields, as declared in services/events/fields.py (ticket types have their own routes).
EventUpdateIn = create_model("EventUpdateIn", __base__=schemas.Input, __module__=__name__,
                             **schemas.event_request_fields())


class CancelEventIn(schemas.Input):
    message: str = Field(max_length=5000, description="Sent to every attendee")


class DuplicateIn(schemas.Input):
    title: Optional[str] = Field(default=None, max_length=event_fields.get("title").max_len)


@router.get("/events", response_model=list[schemas.EventOut])
def list_events(who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    slug, manage = org_slug(session, who), can_manage(session, who)
    return [event_out(session, e, slug, manage)
            for e in events.list_events(session, who.principal, who.organization_id)]


@router.post("/events", response_model=schemas.EventOut, status_code=201)
def create_event(body: schemas.EventIn, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    values = body.model_dump(exclude={"ticket_types"})
    data = events.input_from_api(values, ticket_types=[ticket_type_input(tt) for tt in body.ticket_types])
    event = events.create_event(session, who.principal, who.organization_id, data)
    return event_out(session, event, org_slug(session, who))


@router.get("/events/{event_id}", response_model=schemas.EventOut)
def read_event(event_id: schemas.Id, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    event = events.get_event(session, who.principal, who.organization_id, event_id)
    return event_out(session, event, org_slug(session, who), can_manage(session, who))


@router.put("/events/{event_id}")
def update_event(event_id: schemas.Id, body: EventUpdateIn, who: ApiIdentity = Depends(identity),
                 session: Session = Depends(db)):
    data = events.input_from_api(body.model_dump())
    event = event_lifecycle.update_event(session, who.principal, who.organization_id, event_id, data)
    return event_out(session, event, org_slug(session, who))


@router.post("/events/{event_id}/publish", response_model=schemas.EventOut)
def publish_event(event_id: schemas.Id, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    event = events.publish_event(session, who.principal, who.organization_id, event_id)
    return event_out(session, event, org_slug(session, who))


@router.post("/events/{event_id}/unpublish")
def unpublish_event(event_id: schemas.Id, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    event = event_lifecycle.unpublish_event(session, who.principal, who.organization_id, event_id)
    return event_out(session, event, org_slug(session, who))


@router.post("/events/{event_id}/cancel")
def cancel_event(event_id: schemas.Id, body: CancelEventIn, who: ApiIdentity = Depends(identity),
                 session: Session = Depends(db)):
    event = event_lifecycle.cancel_event(session, who.principal, who.organization_id, event_id, body.message)
    return event_out(session, event, org_slug(session, who))


@router.post("/events/{event_id}/archive")
def archive_event(event_id: schemas.Id, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    event = event_lifecycle.archive_event(session, who.principal, who.organization_id, event_id)
    return event_out(session, event, org_slug(session, who))


@router.post("/events/{event_id}/duplicate", status_code=201)
def duplicate_event(event_id: schemas.Id, body: DuplicateIn | None = None, who: ApiIdentity = Depends(identity),
                    session: Session = Depends(db)):
    event = event_lifecycle.duplicate_event(session, who.principal, who.organization_id, event_id,
                                            body.title if body else None)
    return event_out(session, event, org_slug(session, who))


@router.put("/events/{event_id}/cover")
async def set_cover(event_id: schemas.Id, image: UploadFile = File(...), who: ApiIdentity = Depends(identity),
                    session: Session = Depends(db)):
    data = await image.read(config.max_upload_bytes() + 1)  # one byte more is enough to say "too large"
    event = event_lifecycle.set_cover(session, who.principal, who.organization_id, event_id, data)
    return {"cover_url": f"/media/{event.cover_path}"}


@router.delete("/events/{event_id}/cover", status_code=204)
def remove_cover(event_id: schemas.Id, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    event_lifecycle.set_cover(session, who.principal, who.organization_id, event_id, None)
