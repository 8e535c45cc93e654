"""An organization's analytics: one row per event (tickets holding a place against capacity, fill rate, visitor
conversion, revenue), tickets registered per week across all its events, and the events that registered most in
those weeks.

The same definitions as an event's own Analytics tab (services/reports/analytics.py), so the numbers agree: a
row's tickets are that event's "Tickets registered" tile, its conversion is visitors who registered over event
page visitors (services/reports/traffic.py, all time), and a week's registrations are the tickets of confirmed
orders (or orders cancelled later) created that week. Weeks start on Monday at midnight in the organization's
time zone. Counted by the database in six grouped queries whatever the number of events."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import Session

from aqstream.models import Event, EventTraffic, Order, Ticket, TicketType
from aqstream.services.clock import utcnow
from aqstream.services.errors import ValidationError
from aqstream.services.lifecycle import OrderStatus, TicketStatus
from aqstream.services.org.permissions import VIEW_ATTENDEES, Principal, access
from aqstream.services.payments import summary
from aqstream.services.reports.analytics import REGISTERED_ORDER, _as_utc, _midnight, _per_day

WEEKS = (4, 12, 26, 52)  # the choices offered; the API takes any count from 1 to MAX_WEEKS
MAX_WEEKS = 104
TOP = 5


@dataclass(frozen=True)
class EventRow:
    event_id: int
    title: str
    status: str
    starts_at: datetime
    time_zone: str
    tickets: int  # tickets holding a place now
    capacity: int | None  # the event's capacity, else the sum of its ticket types' quantities; None: no limit
    fill: float | None  # tickets / capacity
    visitors: int  # event page visitors, all time (counted once a day each)
    registered_visitors: int  # of them, those who registered
    conversion: float | None  # registered_visitors / visitors
    revenue: dict[str, int]  # currency -> minor units of confirmed paid orders
    in_period: int  # tickets registered in the weeks shown


@dataclass(frozen=True)
class Week:
    start: date  # the Monday, in the organization's zone
    tickets: int  # tickets registered that week, all events
    cancelled: int  # tickets cancelled that week


@dataclass(frozen=True)
class OrgAnalytics:
    organization_id: int
    time_zone: str
    weeks: list[Week]  # oldest first; the last is the current week
    events: list[EventRow]  # upcoming first (soonest first), then past (latest first)
    top: list[EventRow]  # at most TOP events with registrations in the period, most first
    upcoming: int = 0  # events that have not started yet
    # Money per currency, all events: paid, awaiting payment, refunded (services/payments/summary.py).
    money: list[summary.Revenue] = field(default_factory=list)

    @property
    def revenue(self) -> dict[str, int]:
        """Currency -> minor units of confirmed paid orders, all events."""
        total: dict[str, int] = {}
        for row in self.events:
            for currency, value in row.revenue.items():
                total[currency] = total.get(currency, 0) + value
        return total

    @property
    def totals(self) -> dict[str, int]:
        return {"tickets": sum(e.tickets for e in self.events), "in_period": sum(w.tickets for w in self.weeks),
                "cancelled": sum(w.cancelled for w in self.weeks)}


def weeks_count(raw: object) -> int:
    """A number of weeks from a form or a query; ValidationError({"weeks": ...}) unless 1..MAX_WEEKS."""
    text = str(raw if raw is not None else "").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_WEEKS:
        raise ValidationError({"weeks": "analytics.org.weeks_invalid"})
    return int(text)


def org_analytics(session: Session, principal: Principal, organization_id: int, weeks: int = 12,
                  now: datetime | None = None) -> OrgAnalytics:
    """The organization's analytics over the last `weeks` weeks (the current one included). VIEW_ATTENDEES roles
    only: the same people who see each event's analytics."""
    got = access(session, principal, organization_id, VIEW_ATTENDEES)
    weeks = weeks_count(weeks)
    org = got.organization
    try:
        zone = ZoneInfo(org.time_zone)
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    now = _as_utc(now or utcnow())
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    bounds = [_midnight(d, zone) for d in starts] + [_midnight(monday + timedelta(weeks=1), zone)]

    events = list(session.execute(select(Event.id, Event.title, Event.status, Event.starts_at, Event.time_zone,
                                         Event.capacity).where(Event.organization_id == organization_id)).all())
    in_org = Event.organization_id == organization_id
    holding = dict(session.execute(
        select(Ticket.event_id, func.count()).join(Event, Event.id == Ticket.event_id)
        .where(in_org, Ticket.status == TicketStatus.VALID).group_by(Ticket.event_id)).all())
    type_capacity = dict(session.execute(
        select(TicketType.event_id, func.sum(TicketType.quantity)).join(Event, Event.id == TicketType.event_id)
        .where(in_org).group_by(TicketType.event_id)).all())
    traffic = {event_id: (int(v or 0), int(c or 0)) for event_id, v, c in session.execute(
        select(EventTraffic.event_id, func.sum(EventTraffic.visitors), func.sum(EventTraffic.confirmed))
        .join(Event, Event.id == EventTraffic.event_id).where(in_org).group_by(EventTraffic.event_id)).all()}
    revenue: dict[int, dict[str, int]] = {}
    for event_id, currency, total in session.execute(
            select(Order.event_id, Order.currency, func.sum(Order.total_minor))
            .where(Order.organization_id == organization_id, Order.status == OrderStatus.CONFIRMED,
                   Order.total_minor > 0).group_by(Order.event_id, Order.currency)).all():
        revenue.setdefault(event_id, {})[currency] = int(total)

    registered = select().select_from(Ticket).join(Order, Order.id == Ticket.order_id).where(
        Order.organization_id == organization_id, Order.status.in_(REGISTERED_ORDER))
    per_week = [[0, 0] for _ in starts]
    per_event: dict[int, int] = {}
    for index, event_id, n in _per_day(session, registered, Ticket.created_at, bounds, Ticket.event_id):
        per_week[index][0] += n
        per_event[event_id] = per_event.get(event_id, 0) + n
    cancelled_at = func.coalesce(Ticket.cancelled_at, Order.cancelled_at)
    for index, n in _per_day(session, registered.where(Ticket.status == TicketStatus.CANCELLED), cancelled_at,
                             bounds):
        per_week[index][1] += n

    rows = []
    for e in events:
        capacity = e.capacity if e.capacity is not None else (
            int(type_capacity[e.id]) if type_capacity.get(e.id) is not None else None)
        tickets = holding.get(e.id, 0)
        visitors, confirmed = traffic.get(e.id, (0, 0))
        rows.append(EventRow(
            e.id, e.title, e.status, _as_utc(e.starts_at), e.time_zone, tickets, capacity,
            tickets / capacity if capacity else None, visitors, confirmed,
            # capped: a visitor who saw the page just before midnight and registered after is one day's
            # registration without that day's visit
            min(1.0, confirmed / visitors) if visitors else None, revenue.get(e.id, {}), per_event.get(e.id, 0)))
    upcoming = sorted((r for r in rows if r.starts_at >= now), key=lambda r: (r.starts_at, r.event_id))
    past = sorted((r for r in rows if r.starts_at < now), key=lambda r: (r.starts_at, r.event_id), reverse=True)
    top = sorted((r for r in rows if r.in_period), key=lambda r: (-r.in_period, r.title, r.event_id))[:TOP]
    return OrgAnalytics(organization_id, str(zone), [Week(d, t, c) for d, (t, c) in zip(starts, per_week)],
                        upcoming + past, top, len(upcoming), summary.revenue(session, organization_id))
