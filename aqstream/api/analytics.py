"""Analytics for integrations: /api/v1/events/{event_id}/analytics, the same aggregates as the organizer's
Analytics tab (services/reports/analytics.py), days cut in the event's time zone; and
/api/v1/orgs/current/analytics, the organization's view (services/reports/org_analytics.py), weeks cut in the
organization's zone."""
from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlmodel import Session

from aqstream.api import schemas
from aqstream.api.deps import PREFIX, db, identity
from aqstream.services.org.api_tokens import ApiIdentity
from aqstream.services.reports import analytics, org_analytics

router = APIRouter(prefix=PREFIX)
TAGS = ["events", "analytics"]


class PeriodOut(BaseModel):
    start: str  # ISO date, the event's zone, included
    end: str


class TilesOut(BaseModel):
    tickets: int
    orders: int
    capacity: Optional[int]
    capacity_left: Optional[int]
    today: int
    last_7_days: int
    cancelled: int
    revenue: dict[str, int]


class MoneyOut(BaseModel):
    currency: str = Field(description="ISO 4217")
    paid_minor: int = Field(description="Succeeded payments, minor units")
    pending_minor: int = Field(description="Orders awaiting payment, minor units")
    refunded_minor: int = Field(description="Refunds pending or done, minor units")


def money_out(rows) -> list[MoneyOut]:
    return [MoneyOut(currency=r.currency, paid_minor=r.paid_minor, pending_minor=r.pending_minor,
                     refunded_minor=r.refunded_minor) for r in rows]


class TypeOut(BaseModel):
    id: int
    name: str
    quantity: int


class DayOut(BaseModel):
    day: str  # ISO date
    orders: int
    tickets: int
    cancelled: int
    net: int
    by_type: dict[str, int]  # ticket type id -> tickets registered that day (zeros omitted)
    cumulative: int


class FunnelStepOut(BaseModel):
    step: str  # view, form_started, submitted, confirmed
    count: int
    rate: Optional[float] = Field(description="This step's count over the previous step's; null for the first")


class SourceOut(BaseModel):
    label: str = Field(description='A domain, "utm_source / utm_medium / utm_campaign", "" (direct) or "other"')
    visitors: int
    confirmed: int
    conversion: Optional[float]


class ArrivalOut(BaseModel):
    at: str = Field(description="Start of the quarter hour, ISO 8601 with the event's UTC offset")
    count: int


class AnalyticsOut(BaseModel):
    event_id: int
    title: str
    time_zone: str
    period: PeriodOut
    tiles: TilesOut
    types: list[TypeOut]
    days: list[DayOut]
    funnel: list[FunnelStepOut]
    sources: list[SourceOut]
    checked_in: int
    arrivals: list[ArrivalOut]
    money: list[MoneyOut] = Field(description="Per currency, whatever the period: paid, awaiting payment, refunded")


def analytics_out(result: analytics.EventAnalytics) -> AnalyticsOut:
    tiles = result.tiles
    return AnalyticsOut(
        event_id=result.event_id, title=result.title, time_zone=result.time_zone,
        period=PeriodOut(start=result.period.start.isoformat(), end=result.period.end.isoformat()),
        tiles=TilesOut(tickets=tiles.tickets, orders=tiles.orders, capacity=tiles.capacity,
                       capacity_left=tiles.capacity_left, today=tiles.today, last_7_days=tiles.last_7_days,
                       cancelled=tiles.cancelled, revenue=dict(tiles.revenue)),
        types=[TypeOut(id=i, name=name, quantity=quantity) for i, name, quantity in result.types],
        days=[DayOut(day=d.day.isoformat(), orders=d.orders, tickets=d.tickets, cancelled=d.cancelled, net=d.net,
                     by_type={str(k): v for k, v in d.by_type.items()}, cumulative=d.cumulative)
              for d in result.days],
        funnel=[FunnelStepOut(step=f.step, count=f.count, rate=f.rate) for f in result.funnel],
        sources=[SourceOut(label=r.label, visitors=r.visitors, confirmed=r.confirmed, conversion=r.conversion)
                 for r in result.sources],
        checked_in=result.checked_in,
        arrivals=[ArrivalOut(at=at.isoformat(), count=n) for at, n in result.arrivals],
        money=money_out(result.money),
    )


@router.get("/events/{event_id}/analytics", response_model=AnalyticsOut, tags=TAGS)
def event_analytics(
    event_id: schemas.Id,
    range_key: str = Query(default="30d", alias="range", max_length=10,
                           description="7d, 30d, all (since the event was created) or custom (with start and end)"),
    start: Optional[str] = Query(default=None, max_length=10, description="custom range: first day, YYYY-MM-DD"),
    end: Optional[str] = Query(default=None, max_length=10, description="custom range: last day, YYYY-MM-DD"),
    who: ApiIdentity = Depends(identity),
    session: Session = Depends(db),
):
    result = analytics.event_analytics(session, who.principal, who.organization_id, event_id, range_key, start, end)
    return analytics_out(result)


class OrgEventOut(BaseModel):
    event_id: int
    title: str
    status: str
    starts_at: schemas.DateTime
    tickets: int = Field(description="Tickets holding a place now (the event's own tile)")
    capacity: Optional[int] = Field(description="The event's capacity, else its ticket types' quantities")
    fill: Optional[float] = Field(description="tickets / capacity; null without a capacity")
    visitors: int = Field(description="Event page visitors, all time, each counted once a day")
    registered_visitors: int
    conversion: Optional[float] = Field(description="registered_visitors / visitors; null without visitors")
    revenue: dict[str, int] = Field(description="Currency -> minor units of confirmed paid orders")
    in_period: int = Field(description="Tickets registered in the weeks returned")


class WeekOut(BaseModel):
    start: str = Field(description="The week's Monday, YYYY-MM-DD, in the organization's time zone")
    tickets: int
    cancelled: int


class OrgAnalyticsOut(BaseModel):
    time_zone: str
    weeks: list[WeekOut]
    events: list[OrgEventOut] = Field(description="Upcoming events first (soonest first), then past ones")
    top: list[int] = Field(description="Ids of the events that registered most in these weeks, most first")
    money: list[MoneyOut] = Field(description="Per currency, all events: paid, awaiting payment, refunded")


@router.get("/orgs/current/analytics", response_model=OrgAnalyticsOut, tags=["analytics"])
def organization_analytics(
    weeks: int = Query(default=12, ge=1, le=org_analytics.MAX_WEEKS,
                       description="How many weeks, the current one included"),
    who: ApiIdentity = Depends(identity),
    session: Session = Depends(db),
):
    """The organization's analytics: one row per event and tickets registered per week across all events."""
    result = org_analytics.org_analytics(session, who.principal, who.organization_id, weeks)
    return OrgAnalyticsOut(
        time_zone=result.time_zone,
        weeks=[WeekOut(start=w.start.isoformat(), tickets=w.tickets, cancelled=w.cancelled) for w in result.weeks],
        events=[OrgEventOut(event_id=e.event_id, title=e.title, status=e.status, starts_at=e.starts_at,
                            tickets=e.tickets, capacity=e.capacity, fill=e.fill, visitors=e.visitors,
                            registered_visitors=e.registered_visitors, conversion=e.conversion,
                            revenue=dict(e.revenue), in_period=e.in_period) for e in result.events],
        top=[e.event_id for e in result.top],
        money=money_out(result.money),
    )
