"""An event's people, for its organizer: /api/v1/events/{event_id}/orders and /attendees (the list, adding one by
hand, the CSV and Excel exports), /api/v1/orders/{order_id}/... (cancel, resend the confirmation) and
/api/v1/tickets/{ticket_id}/... (one attendee, cancel); and the organizer page's export links, /export/...,
signed in by the browser's cookie."""
from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlmodel import Session

from aqstream.api import schemas
from aqstream.api.deps import PREFIX, db, identity, identity_closed
from aqstream.api.outputs import order_out
from aqstream.db import session_scope
from aqstream.i18n import t
from aqstream.services.accounts import accounts
from aqstream.services.errors import Unauthenticated
from aqstream.services.events import events, questions
from aqstream.services.org.api_tokens import ApiIdentity
from aqstream.services.org.permissions import VIEW_ATTENDEES, Principal, access_by_slug
from aqstream.services.reports import exports
from aqstream.services.sales import attendees, orders

router = APIRouter(prefix=PREFIX)
ORDERS = ["orders"]
ATTENDEES = ["events", "attendees"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class AttendeeOut(BaseModel):
    ticket_id: int
    order_id: int
    attendee_name: str
    attendee_email: str
    buyer_email: str
    ticket_type: str
    code: str
    status: str
    checked_in_at: Optional[datetime]
    registered_at: datetime
    checked_in_device: str = ""
    order_total_minor: int = Field(default=0, description="The order's total, in minor units of `currency`")
    currency: str = ""
    payment_status: str = Field(default="free", description="The order's: free, awaiting (payment), unpaid, paid, "
                                "partly_refunded, refunded")


class AttendeePageOut(BaseModel):
    attendees: list[AttendeeOut]
    total: int
    page: int
    pages: int
    per_page: int


class HistoryOut(BaseModel):
    at: datetime
    action: str
    actor: str


class AttendeeDetailOut(AttendeeOut):
    buyer_name: str
    answers: list[tuple[str, str]]
    other_tickets: list[AttendeeOut]
    history: list[HistoryOut]


class AddAttendeeIn(schemas.Input):
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    ticket_type_id: int = Field(ge=1, le=schemas.MAX_ID)
    notify: bool = True


def _attendee_out(row: attendees.AttendeeRow) -> AttendeeOut:
    return AttendeeOut(**{name: getattr(row, name) for name in AttendeeOut.model_fields})


# --- orders and tickets ----------------------------------------------------------------------------------

@router.get("/events/{event_id}/orders", response_model=list[schemas.OrderOut], tags=ORDERS)
def list_orders(
    event_id: schemas.Id,
    limit: int = Query(default=100, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=10_000_000),
    who: ApiIdentity = Depends(identity),
    session: Session = Depends(db),
):
    rows = events.list_orders(session, who.principal, who.organization_id, event_id, limit=limit, offset=offset)
    answers = questions.answers_by_order(session, [order.id for order, _ in rows])
    return [order_out(order, tickets, answers[order.id]) for order, tickets in rows]


@router.post("/orders/{order_id}/cancel", response_model=schemas.CancelOut, tags=ORDERS)
def cancel_order(order_id: schemas.Id, body: schemas.CancelIn | None = None, who: ApiIdentity = Depends(identity),
                 session: Session = Depends(db)):
    ids = orders.cancel_order(session, who.principal, who.organization_id, order_id, reason=body.reason if body else "")
    return schemas.CancelOut(cancelled_ticket_ids=ids)


@router.post("/tickets/{ticket_id}/cancel", response_model=schemas.CancelOut, tags=ORDERS)
def cancel_ticket(ticket_id: schemas.Id, body: schemas.CancelIn | None = None, who: ApiIdentity = Depends(identity),
                  session: Session = Depends(db)):
    ids = orders.cancel_ticket(session, who.principal, who.organization_id, ticket_id, reason=body.reason if body else "")
    return schemas.CancelOut(cancelled_ticket_ids=ids)


@router.post("/orders/{order_id}/resend-confirmation", status_code=202, tags=ATTENDEES)
def resend_confirmation(order_id: schemas.Id, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    attendees.resend_confirmation(session, who.principal, who.organization_id, order_id)
    return {"queued": True}


# --- the attendee list -----------------------------------------------------------------------------------

def _query(search: str, ticket_type_id: Optional[int], status: str, checked_in: str, sort: str, order: str,
           page: int, per_page: int) -> attendees.AttendeeQuery:
    return attendees.AttendeeQuery(search=search, ticket_type_id=ticket_type_id, status=status, checked_in=checked_in,
                                   sort=sort, descending=order == "desc", page=page, per_page=per_page)


class Filters:
    """The attendee list's query parameters, shared by the list and the exports."""

    def __init__(self, search: str = Query(default="", max_length=200),
                 ticket_type_id: Optional[int] = Query(default=None, ge=1, le=schemas.MAX_ID),
                 status: Literal["", "valid", "cancelled"] = "", checked_in: Literal["", "yes", "no"] = "",
                 sort: Literal["registered", "name", "email", "type", "status"] = "registered",
                 order: Literal["asc", "desc"] = "desc", page: int = Query(default=1, ge=1, le=1_000_000),
                 per_page: int = Query(default=50, ge=1, le=attendees.MAX_PER_PAGE)):
        self.query = _query(search, ticket_type_id, status, checked_in, sort, order, page, per_page)


@router.get("/events/{event_id}/attendees", response_model=AttendeePageOut, tags=ATTENDEES)
def list_attendees(event_id: schemas.Id, filters: Filters = Depends(), who: ApiIdentity = Depends(identity),
                   session: Session = Depends(db)):
    found = attendees.search(session, who.principal, who.organization_id, event_id, filters.query)
    return AttendeePageOut(attendees=[_attendee_out(r) for r in found.rows], total=found.total, page=found.page,
                           pages=found.pages, per_page=found.per_page)


@router.get("/tickets/{ticket_id}", response_model=AttendeeDetailOut, tags=ATTENDEES)
def read_attendee(ticket_id: schemas.Id, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    seen = attendees.detail(session, who.principal, who.organization_id, ticket_id)
    return AttendeeDetailOut(**_attendee_out(seen.row).model_dump(), buyer_name=seen.order.buyer_name,
                             answers=[(label, str(value)) for label, value in seen.answers],
                             other_tickets=[_attendee_out(r) for r in seen.others],
                             history=[HistoryOut(at=h.at, action=h.action, actor=h.actor) for h in seen.history])


@router.post("/events/{event_id}/attendees", status_code=201, tags=ATTENDEES)
def add_attendee(event_id: schemas.Id, body: AddAttendeeIn, who: ApiIdentity = Depends(identity),
                 session: Session = Depends(db)):
    result = attendees.add_attendee(session, who.principal, who.organization_id, event_id, name=body.name,
                                    email=body.email, ticket_type_id=body.ticket_type_id, notify=body.notify)
    return {"order_id": result.order.id, "ticket_id": result.tickets[0].id, "code": result.tickets[0].code}


# --- exports ---------------------------------------------------------------------------------------------

class ExportResponse(StreamingResponse):
    """An export streamed from its ExportStream, which is closed however the response ends (sent, the client gone,
    cancelled), so its slot is always given back. No file is involved: nothing can vanish before it is sent."""

    def __init__(self, body: exports.ExportStream, **kwargs):
        super().__init__(body, **kwargs)
        self.export_stream = body

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.export_stream.close()  # quick and not awaited: it must run even when this task is being cancelled


EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_TYPE}


def export_response(principal: Principal, organization_id: int, event_id: int, fmt: str, query, locale: str):
    """The attendee list as a file, streamed as it is read: the rows come in chunks, each read on a short database
    checkout, so a slow download holds no connection. At most config.max_exports() run at once (503 beyond)."""
    labels = {k: t(f"export.{k}", locale) for k in
              ("name", "email", "buyer_email", "ticket_type", "code", "status", "checked_in_at", "checked_in_device",
               "registered_at", "order_total", "payment_status")}
    with session_scope() as session:
        event = events.get_event(session, principal, organization_id, event_id, VIEW_ATTENDEES)
        export = attendees.export_rows(session, principal, organization_id, event_id, labels, query, locale)
    body = exports.stream(export, fmt, t("export.sheet", locale))
    name = f"{event.slug}-attendees.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return ExportResponse(body, media_type=EXPORT_TYPES[fmt], headers=headers)


@router.get("/events/{event_id}/attendees.{fmt}", tags=ATTENDEES, response_class=Response, responses={
    200: {"description": "The attendee list as a file (CSV in UTF-8 with a byte-order mark, or XLSX)",
          "content": {"text/csv": {"schema": {"type": "string"}},
                      XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}}}})
def export_attendees(event_id: schemas.Id, fmt: Literal["csv", "xlsx"], filters: Filters = Depends(),
                     who: ApiIdentity = Depends(identity_closed), lang: Literal["en", "ru"] = "en"):
    return export_response(who.principal, who.organization_id, event_id, fmt, filters.query, lang)


browser_router = APIRouter(include_in_schema=False)


@browser_router.get("/export/{org_slug}/{event_id}.{fmt}")
def export_for_browser(request: Request, org_slug: str, event_id: schemas.Id, fmt: Literal["csv", "xlsx"],
                       filters: Filters = Depends(), lang: Literal["en", "ru"] = "en"):
    """The organizer page's download links: the signed-in browser's HttpOnly session cookie says who."""
    with session_scope() as session:
        user = accounts.user_for_session(session, request.cookies.get(accounts.SESSION_COOKIE))
        if user is None:
            raise Unauthenticated()
        org = access_by_slug(session, Principal(user.id), org_slug, VIEW_ATTENDEES).organization
    return export_response(Principal(user.id), org.id, event_id, fmt, filters.query, lang)
