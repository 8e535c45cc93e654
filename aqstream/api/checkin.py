"""Check-in at the door: an event's check-in lists, scans (idempotent by the device's scan id), undo, search, the
list's download for offline use, and the conflicts of offline devices.

Two doors to the same routes: `/api/v1/...` for third-party scanners and integrations (a bearer token), and
`/scan-api/{org_slug}/...` for AqStream's own scanner page (the browser's session cookie; not in the OpenAPI
document). A request that changes something through the cookie door must carry `X-AqStream-Scanner: 1`: another
site's form or script cannot add that header without a preflight this backend never allows, so a signed-in
steward's browser cannot be made to scan from elsewhere."""
from __future__ import annotations

import gzip
from datetime import datetime, timezone
from typing import Callable, Literal, Optional

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from aqstream.api import schemas
from aqstream.api.deps import PREFIX, db, identity
from aqstream.db import session_scope
from aqstream.services.accounts import accounts
from aqstream.services.checkin import lists, scans
from aqstream.services.clock import as_utc
from aqstream.services.errors import Forbidden, Unauthenticated
from aqstream.services.events import events
from aqstream.services.org.api_tokens import ApiIdentity
from aqstream.services.org.permissions import VIEW_CHECKIN, Principal, access_by_slug

TAGS = ["checkin"]
SCANNER_HEADER = "x-aqstream-scanner"
Result = Literal[scans.RESULTS]  # type: ignore[valid-type]


class ListIn(schemas.Input):
    name: str = Field(min_length=1, max_length=lists.NAME_MAX, description="Shown to stewards, e.g. \"Main door\"")
    ticket_type_ids: list[int] = Field(default_factory=list, max_length=200,
                                       description="The ticket types it admits; empty for all")
    opens_at: Optional[schemas.DateTime] = Field(default=None, description="No entry before (ISO 8601; UTC "
                                                                            "when no offset is given)")
    closes_at: Optional[schemas.DateTime] = Field(default=None, description="No entry from then on")
    allow_reentry: bool = Field(default=False, description="Whoever checked out may come back in")
    question_ids: list[int] = Field(default_factory=list, max_length=50,
                                    description="Registration questions whose answers a steward sees on a welcome")


class ListOut(BaseModel):
    id: int
    event_id: int
    name: str
    ticket_type_ids: list[int]
    opens_at: Optional[datetime]
    closes_at: Optional[datetime]
    allow_reentry: bool
    question_ids: list[int]
    inside: int = Field(description="Let in and not checked out")
    checked_in: int = Field(description="Let in through this list at least once")
    total: int = Field(description="Valid tickets this list admits")
    per_type: list[lists.TypeCount]


class ScanIn(schemas.Input):
    code: str = Field(max_length=400, description="What the scanner read: a signed QR payload or a ticket code")
    client_scan_id: str = Field(min_length=1, max_length=64,
                                description="The device's own id for this scan; the same id again is answered "
                                            "the same and changes nothing")
    scanned_at: Optional[schemas.DateTime] = Field(default=None, description="When the device scanned it (offline "
                                                                              "scans); now when absent")
    device: str = Field(default="", max_length=60, description="The device's name, shown as \"on device ...\"")
    direction: Literal["in", "out"] = "in"
    offline_result: Optional[Result] = Field(default=None, description="What the device answered while offline; "
                                                                       "\"ok\" when it let the person in")


class AnswerOut(BaseModel):
    question: str
    answer: str


class ScanOut(BaseModel):
    result: Result = Field(description="ok, already, out, not_inside, revoked, unpaid, wrong_list, not_yet, closed, "
                                       "unknown or invalid")
    ticket_id: Optional[int]
    attendee_name: str
    ticket_type: str
    first_at: Optional[datetime] = Field(description="For already: when the ticket was let in")
    first_device: str
    replayed: bool = Field(description="This scan id was answered before; this is that answer")
    conflict: bool = Field(description="Admitted offline by this device after another scan had let the ticket in")
    answers: list[AnswerOut]


class BatchIn(schemas.Input):
    scans: list[ScanIn] = Field(min_length=1, max_length=500)


class BatchOut(BaseModel):
    results: list[ScanOut]


class UndoIn(schemas.Input):
    ticket_id: int = Field(ge=1, le=schemas.MAX_ID)


class BundleTicketOut(BaseModel):
    id: int
    code: str
    ticket_type_id: int
    ticket_type: str
    name: str
    email: str
    status: str
    checked_in_at: Optional[str]
    device: str
    inside: bool
    answers: list[AnswerOut]


class BundleEventOut(BaseModel):
    id: int
    title: str
    time_zone: str
    public_key: str = Field(description="The event's Ed25519 public key (hex): signed QR payloads verify with it")
    valid_until: str = Field(description="Its tickets are valid until then (ISO 8601, UTC); a signed payload is "
                                         "valid until the later of this and the time it carries")


class DoorEventOut(BaseModel):
    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str


class BundleOut(BaseModel):
    list: ListOut
    event: BundleEventOut
    generated_at: str
    tickets: list[BundleTicketOut]
    revoked: list[int] = Field(description="Ids of cancelled tickets: refuse their signed payloads")


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def _list_input(body: ListIn) -> lists.ListInput:
    return lists.ListInput(body.name, body.ticket_type_ids, _utc(body.opens_at), _utc(body.closes_at),
                           body.allow_reentry, body.question_ids)


def _scan(session: Session, principal: Principal, organization_id: int, list_id: int, body: ScanIn) -> ScanOut:
    got = scans.redeem(session, principal, organization_id, list_id, body.code, client_scan_id=body.client_scan_id,
                       device=body.device, scanned_at=_utc(body.scanned_at), direction=body.direction,
                       offline_result=body.offline_result)
    return ScanOut(result=got.result, ticket_id=got.ticket_id, attendee_name=got.attendee_name,
                   ticket_type=got.ticket_type, first_at=got.first_at, first_device=got.first_device,
                   replayed=got.replayed, conflict=got.conflict,
                   answers=[AnswerOut(question=q, answer=a) for q, a in got.answers])


Who = tuple[Principal, int]


def _bearer(who: ApiIdentity = Depends(identity)) -> Who:
    return who.principal, who.organization_id


def _cookie(request: Request, org_slug: str = Path(max_length=63)) -> Who:
    """The scanner page's caller: the browser's session cookie, in the organization the address names."""
    with session_scope() as session:
        user = accounts.user_for_session(session, request.cookies.get(accounts.SESSION_COOKIE))
        if user is None:
            raise Unauthenticated()
        if request.method not in ("GET", "HEAD") and request.headers.get(SCANNER_HEADER) != "1":
            raise Forbidden()
        org = access_by_slug(session, Principal(user.id), org_slug, VIEW_CHECKIN).organization
        return Principal(user.id), org.id


def _routes(router: APIRouter, caller: Callable) -> None:
    """The same routes on both doors; `caller` says who is asking."""

    @router.get("/checkin-events", response_model=list[DoorEventOut], tags=TAGS)
    def door_events(who: Who = Depends(caller), session: Session = Depends(db)):
        """The events whose door can be run now (published, not over for long), soonest first: how a scanner with
        a check-in staff token, which may not list events, finds their ids."""
        return [DoorEventOut(id=e.id, title=e.title, starts_at=as_utc(e.starts_at), ends_at=as_utc(e.ends_at),
                             time_zone=e.time_zone) for e in events.door_events(session, who[0], who[1])]

    @router.get("/events/{event_id}/checkin-lists", response_model=list[ListOut], tags=TAGS)
    def event_lists(event_id: schemas.Id, who: Who = Depends(caller), session: Session = Depends(db)):
        """The event's check-in lists with their counts (the first call makes the default list, "All tickets")."""
        return [_list_out(view) for view in lists.event_lists(session, who[0], who[1], event_id)]

    @router.post("/events/{event_id}/checkin-lists", response_model=ListOut, status_code=201, tags=TAGS)
    def create_list(event_id: schemas.Id, body: ListIn, who: Who = Depends(caller), session: Session = Depends(db)):
        return _list_out(lists.create_list(session, who[0], who[1], event_id, _list_input(body)))

    @router.get("/checkin-lists/{list_id}", response_model=ListOut, tags=TAGS)
    def get_list(list_id: schemas.Id, who: Who = Depends(caller), session: Session = Depends(db)):
        return _list_out(lists.get_list(session, who[0], who[1], list_id))

    @router.get("/checkin-lists/{list_id}/stats", response_model=ListOut, tags=TAGS)
    def list_stats(list_id: schemas.Id, who: Who = Depends(caller), session: Session = Depends(db)):
        """Inside / checked in / total for the list and per ticket type: cheap to ask every few seconds."""
        return _list_out(lists.stats(session, who[0], who[1], list_id))

    @router.put("/checkin-lists/{list_id}", response_model=ListOut, tags=TAGS)
    def update_list(list_id: schemas.Id, body: ListIn, who: Who = Depends(caller), session: Session = Depends(db)):
        return _list_out(lists.update_list(session, who[0], who[1], list_id, _list_input(body)))

    @router.delete("/checkin-lists/{list_id}", status_code=204, tags=TAGS, responses={
        422: {"description": "The event's last list (checkin.list.last_one)"}})
    def delete_list(list_id: schemas.Id, who: Who = Depends(caller), session: Session = Depends(db)):
        lists.delete_list(session, who[0], who[1], list_id)
        return Response(status_code=204)

    @router.get("/checkin-lists/{list_id}/offline", response_model=BundleOut, tags=TAGS)
    def offline(request: Request, list_id: schemas.Id, who: Who = Depends(caller), session: Session = Depends(db)):
        """Everything a scanner needs to keep checking people in with no network: the list, the event's public
        key, the tickets it may meet (with the answers it shows and whether they are in) and the revoked ids.
        Compressed with gzip for clients that accept it (a phone on a venue's network: about a fifth the size)."""
        bundle = scans.offline_bundle(session, who[0], who[1], list_id)
        body = BundleOut.model_validate(bundle | {"list": _list_out(bundle["list"])}).model_dump_json().encode()
        headers = {"Cache-Control": "no-store", "Vary": "Accept-Encoding"}
        if "gzip" in request.headers.get("accept-encoding", "").lower():
            body = gzip.compress(body, compresslevel=5)
            headers["Content-Encoding"] = "gzip"
        return Response(body, media_type="application/json", headers=headers)

    @router.post("/checkin-lists/{list_id}/scans", response_model=ScanOut, tags=TAGS)
    def scan(list_id: schemas.Id, body: ScanIn, who: Who = Depends(caller), session: Session = Depends(db)):
        """Redeem one scan. Idempotent by `client_scan_id`: the same id again gets the same answer."""
        return _scan(session, who[0], who[1], list_id, body)

    @router.post("/checkin-lists/{list_id}/scans/batch", response_model=BatchOut, tags=TAGS)
    def scan_batch(list_id: schemas.Id, body: BatchIn, who: Who = Depends(caller), session: Session = Depends(db)):
        """An offline device's queue, in the order it scanned: each scan answered as if sent alone."""
        return BatchOut(results=[_scan(session, who[0], who[1], list_id, item) for item in body.scans])

    @router.post("/checkin-lists/{list_id}/undo", response_model=ListOut, tags=TAGS, responses={
        422: {"description": "The ticket is not checked in on this list (checkin.undo_not_checked_in)"}})
    def undo(list_id: schemas.Id, body: UndoIn, who: Who = Depends(caller), session: Session = Depends(db)):
        """Take back a check-in; returns the list's counts."""
        scans.undo(session, who[0], who[1], list_id, body.ticket_id)
        return _list_out(lists.stats(session, who[0], who[1], list_id))

    @router.get("/checkin-lists/{list_id}/search", response_model=list[scans.Found], tags=TAGS)
    def search(list_id: schemas.Id, q: str = Query(default="", max_length=100), who: Who = Depends(caller),
               session: Session = Depends(db)):
        """People on the list's event by name, email or code (at least 2 characters)."""
        return scans.search(session, who[0], who[1], list_id, q)

    @router.get("/checkin-lists/{list_id}/recent", response_model=list[scans.ScanRow], tags=TAGS)
    def recent(list_id: schemas.Id, limit: int = Query(default=20, ge=1, le=100), who: Who = Depends(caller),
               session: Session = Depends(db)):
        return scans.recent(session, who[0], who[1], list_id, limit)

    @router.get("/events/{event_id}/checkin-conflicts", response_model=list[scans.Conflict], tags=TAGS)
    def conflicts(event_id: schemas.Id, who: Who = Depends(caller), session: Session = Depends(db)):
        """Tickets two devices admitted while offline: the scan that kept the entry and the later one."""
        return scans.conflicts(session, who[0], who[1], event_id)


def _list_out(view: lists.ListView) -> ListOut:
    return ListOut(**vars(view))


router = APIRouter(prefix=PREFIX)
_routes(router, _bearer)
browser_router = APIRouter(prefix="/scan-api/{org_slug}", include_in_schema=False)
_routes(browser_router, _cookie)
