"""/api/v1/public/events and /api/v1/public/orders, without a token: a published event's page, registering
for it, and the attendee's own order by its secret link (read, cancel, rename a ticket, calendar file).
The catalogue and an organization's public page are in catalog.py."""
from __future__ import annotations

import asyncio
from typing import Optional

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from aqstream import config
from aqstream.api import schemas
from aqstream.api.deps import PREFIX, db
from aqstream.api.outputs import event_fields, order_out, question_out, ticket_out, ticket_type_out
from aqstream.db import get_engine, session_scope
from aqstream.services.errors import DomainError, PaymentUnavailable
from aqstream.services.events import calendar, events, questions
from aqstream.services.payments import payments
from aqstream.services.payments import settings as payment_settings
from aqstream.services.sales import orders, registration, registration_queue

router = APIRouter(prefix=PREFIX, tags=["public"])


@router.get("/public/events/{org_slug}/{event_slug}", response_model=schemas.PublicEventOut)
def read_public_event(org_slug: str, event_slug: str, code: Optional[str] = Query(default=None, max_length=64),
                      session: Session = Depends(db)):
    org, event, types = events.get_public_event(session, org_slug, event_slug, include_hidden=True)
    reason = registration.registration_closed_reason(event, org)
    return schemas.PublicEventOut(
        organization=org.slug,
        organization_name=org.name,
        **event_fields(event),
        registration_open=reason is None,
        registration_closed_reason=reason,
        ticket_types=[ticket_type_out(tt, event) for tt in registration.offered_types(types, code)],
        questions=[question_out(q) for q in questions.active_questions(session, event.id)],
        payment_methods=list(payment_settings.offered(session, event)),
    )


@router.post(
    "/public/events/{org_slug}/{event_slug}/registrations",
    response_model=schemas.RegistrationOut,
    status_code=201,
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
        payment_method=body.payment_method,
    )
    result = await asyncio.wrap_future(pending)
    if result.replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    payment = {}
    if result.order.status == "pending" and result.order.payment_method:
        # The payment is started in the same request (a replay gets the same open payment back).
        payment = await run_in_threadpool(_start_payment, result.order.access_token, result.first_payment)
    return schemas.RegistrationOut(
        **order_out(result.order, result.tickets),
        confirmation_url=f"{config.public_base_url()}/order/{result.order.access_token}",
        **payment,
    )


def _start_payment(access_token: str, first=None) -> dict:
    with session_scope() as session:
        try:
            if first is not None:
                checkout = payments.start_first(session, first, access_token, config.public_base_url())
            else:
                checkout = payments.start(session, access_token, None, config.public_base_url())
        except PaymentUnavailable:
            return {"payment_error": PaymentUnavailable.code}
        except DomainError as exc:  # expired or closed meanwhile: the order says so
            return {"payment_error": exc.code}
    return {"payment_url": checkout.redirect_url, "payment_reference": checkout.reference or None}


@router.get("/public/orders/{access_token}", response_model=schemas.OrderOut)
def read_my_order(access_token: str, session: Session = Depends(db)):
    view = registration.get_order_by_token(session, access_token)
    return order_out(view.order, [t for t, _ in view.tickets])


@router.post("/public/orders/{access_token}/cancel", response_model=schemas.CancelOut)
def cancel_my_order(access_token: str, ticket_id: Optional[int] = Query(default=None, ge=1, le=schemas.MAX_ID),
                    session: Session = Depends(db)):
    return schemas.CancelOut(cancelled_ticket_ids=orders.cancel_by_token(session, access_token, ticket_id))


@router.put("/public/orders/{access_token}/tickets/{ticket_id}", response_model=schemas.TicketOut)
def rename_my_ticket(access_token: str, ticket_id: schemas.Id, body: schemas.TicketRenameIn, session: Session = Depends(db)):
    """Correct the name on one ticket of the order, while the organizer allows it and the event has not started."""
    t = orders.rename_ticket(session, ticket_id=ticket_id, attendee_name=body.attendee_name, access_token=access_token)
    return ticket_out(t)


@router.get("/public/orders/{access_token}/calendar.ics",
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
