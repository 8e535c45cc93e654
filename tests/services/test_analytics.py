"""An event's analytics (services/reports/analytics.py): days cut in the event's zone across daylight-saving
changes, cancellations on their own day and never as registrations, held and expired places left out, the
cumulative line, ticket types, tiles equal to the attendee list's counts, the range's checks, tenants and roles."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from aqstream.models import Order, Ticket
from aqstream.services.errors import Forbidden, NotFound, ValidationError
from aqstream.services.org.permissions import Principal
from aqstream.services.reports import analytics
from aqstream.services.sales import attendees, orders, pending_orders, registration
from aqstream.services.sales.attendees import AttendeeQuery as Q
from aqstream.services.sales.registration import TicketRequest as TR
from tests.services.test_event_lifecycle import member

UTC = timezone.utc


def local(zone: str, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def buy(session, org, event, type_ids, at: datetime, **kw):
    """A registration made at `at` (its order and tickets' created_at moved there)."""
    result = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Buyer",
                                   buyer_email=f"b{datetime.now().timestamp()}@example.com",
                                   tickets=[TR(t, f"Guest {i}") for i, t in enumerate(type_ids)], **kw)
    session.exec(update(Order).where(Order.id == result.order.id).values(created_at=at))
    session.exec(update(Ticket).where(Ticket.order_id == result.order.id).values(created_at=at))
    session.commit()
    return result


def cancelled_at(session, ticket_ids, at: datetime):
    session.exec(update(Ticket).where(Ticket.id.in_(ticket_ids)).values(cancelled_at=at))
    session.commit()


def berlin_event(make, session):
    owner, org = make.org()
    event, (a, b) = make.event(owner, org, quantities=(10, 5), time_zone="Europe/Berlin")
    return owner, org, event, a, b


def test_days_in_the_event_zone_across_the_spring_change(make, session):
    owner, org, event, a, b = berlin_event(make, session)
    p = Principal(owner.id)
    z = "Europe/Berlin"  # clocks go forward at 02:00 on 2031-03-30: that day has 23 hours
    buy(session, org, event, [a.id], local(z, "2031-03-20T12:00"))  # before the period
    r1 = buy(session, org, event, [a.id, a.id], local(z, "2031-03-29T23:30"))
    buy(session, org, event, [b.id], local(z, "2031-03-30T00:30"))  # the same UTC date as r1, the next local day
    r3 = buy(session, org, event, [a.id], local(z, "2031-03-30T23:30"))
    buy(session, org, event, [b.id], local(z, "2031-03-31T00:30"))
    # A place held by a pending order, and one whose order expired: neither registrations nor cancellations.
    held = buy(session, org, event, [a.id], local(z, "2031-03-31T10:00"), hold_for=timedelta(minutes=5))
    session.exec(update(Order).where(Order.id == held.order.id).values(expires_at=local(z, "2031-12-31T00:00")))
    session.commit()
    expired = buy(session, org, event, [b.id], local(z, "2031-03-31T11:00"), hold_for=timedelta(minutes=5))
    session.exec(update(Order).where(Order.id == expired.order.id).values(expires_at=local(z, "2031-03-31T11:05")))
    session.commit()
    pending_orders.expire_due(session, now=local(z, "2031-03-31T11:06"))
    # One ticket of r1 cancelled on April 1st, the whole of r3 on April 2nd.
    orders.cancel_ticket(session, p, org.id, r1.tickets[0].id)
    cancelled_at(session, [r1.tickets[0].id], local(z, "2031-04-01T10:00"))
    orders.cancel_order(session, p, org.id, r3.order.id)
    cancelled_at(session, [r3.tickets[0].id], local(z, "2031-04-02T09:00"))

    result = analytics.event_analytics(session, p, org.id, event.id, "7d", now=local(z, "2031-04-02T12:00"))
    assert result.period == analytics.Period(date(2031, 3, 27), date(2031, 4, 2))
    assert result.time_zone == z and result.title == event.title
    assert result.types == [(a.id, a.name, 10), (b.id, b.name, 5)]
    got = {d.day.isoformat(): (d.orders, d.tickets, d.cancelled, d.net, d.by_type, d.cumulative) for d in result.days}
    assert got == {
        "2031-03-27": (0, 0, 0, 0, {}, 1),
        "2031-03-28": (0, 0, 0, 0, {}, 1),
        "2031-03-29": (1, 2, 0, 2, {a.id: 2}, 3),
        "2031-03-30": (2, 2, 0, 2, {a.id: 1, b.id: 1}, 5),
        "2031-03-31": (1, 1, 0, 1, {b.id: 1}, 6),
        "2031-04-01": (0, 0, 1, -1, {}, 5),
        "2031-04-02": (0, 0, 1, -1, {}, 4),
    }
    tiles = result.tiles
    assert (tiles.tickets, tiles.orders, tiles.today, tiles.last_7_days, tiles.cancelled) == (4, 4, 0, 5, 2)
    assert (tiles.capacity, tiles.capacity_left, tiles.revenue) == (15, 10, {})  # the pending order still holds one
    # The same numbers as the attendee list.
    assert tiles.tickets == attendees.search(session, p, org.id, event.id, Q(status="valid")).total
    assert result.days[-1].cumulative == tiles.tickets
    # Today's tile and the custom range the day after the change.
    later = analytics.event_analytics(session, p, org.id, event.id, "custom", "2031-03-30", "2031-03-30",
                                      now=local(z, "2031-03-30T23:59"))
    assert [(d.day, d.tickets, d.cumulative) for d in later.days] == [(date(2031, 3, 30), 2, 5)]
    assert (later.tiles.today, later.tiles.last_7_days) == (2, 4)


def test_days_in_the_event_zone_across_the_autumn_change(make, session):
    owner, org = make.org()
    event, (a,) = make.event(owner, org, quantities=(20,), time_zone="America/New_York")
    z = "America/New_York"  # clocks go back at 02:00 on 2031-11-02: that day has 25 hours
    for at in ("2031-11-01T23:30", "2031-11-02T00:30", "2031-11-02T23:30", "2031-11-03T00:30"):
        buy(session, org, event, [a.id], local(z, at))
    result = analytics.event_analytics(session, Principal(owner.id), org.id, event.id, "custom", "2031-11-01",
                                       "2031-11-03", now=local(z, "2031-11-10T12:00"))
    assert [(d.day.day, d.tickets, d.cumulative) for d in result.days] == [(1, 1, 1), (2, 2, 3), (3, 1, 4)]


def test_all_starts_when_the_event_was_created_and_counts_revenue_of_paid_orders(make, session):
    owner, org, event, a, b = berlin_event(make, session)
    created = event.created_at.replace(tzinfo=UTC) if event.created_at.tzinfo is None else event.created_at
    now = created + timedelta(days=3)
    buy(session, org, event, [a.id], now - timedelta(hours=1))
    session.exec(update(Order).where(Order.event_id == event.id).values(total_minor=2500, currency="EUR"))
    session.commit()
    result = analytics.event_analytics(session, Principal(owner.id), org.id, event.id, "all", now=now)
    assert result.period.start == created.astimezone(ZoneInfo("Europe/Berlin")).date()
    assert len(result.days) in (3, 4) and result.days[-1].cumulative == 1
    assert result.tiles.revenue == {"EUR": 2500}
    a_year_on = analytics.event_analytics(session, Principal(owner.id), org.id, event.id, "all",
                                          now=now + timedelta(days=800))
    assert len(a_year_on.days) == analytics.MAX_DAYS and a_year_on.days[-1].cumulative == 1


@pytest.mark.parametrize("key,start,end,errors", [
    ("year", None, None, {"range": "analytics.range_invalid"}),
    ("custom", None, "2031-01-10", {"range_start": "analytics.range_invalid"}),
    ("custom", "2031-02-30", "2031-03-01", {"range_start": "analytics.range_invalid"}),
    ("custom", "2031-01-10", "tomorrow", {"range_end": "analytics.range_invalid"}),
    ("custom", "0001-01-01", "0001-01-02", {"range_start": "analytics.range_invalid",
                                            "range_end": "analytics.range_invalid"}),
    ("custom", "2031-01-10", "2031-01-09", {"range_end": "analytics.range_reversed"}),
    ("custom", "2030-01-01", "2031-01-02", {"range_end": "analytics.range_too_long"}),
])
def test_a_bad_range_is_refused_with_its_field(make, session, key, start, end, errors):
    owner, org, event, a, b = berlin_event(make, session)
    with pytest.raises(ValidationError) as caught:
        analytics.event_analytics(session, Principal(owner.id), org.id, event.id, key, start, end)
    assert caught.value.errors == errors


def test_period_limits():
    class E:
        created_at, time_zone = datetime(2031, 1, 1, tzinfo=UTC), "UTC"
    today = date(2031, 6, 30)
    assert analytics.period(E, "30d", None, None, today) == analytics.Period(date(2031, 6, 1), today)
    longest = analytics.period(E, "custom", "2030-01-01", "2031-01-01", today)  # 366 days
    assert (longest.end - longest.start).days + 1 == analytics.MAX_DAYS


def test_other_tenants_and_roles(make, session):
    owner, org, event, a, b = berlin_event(make, session)
    stranger, other = make.org()
    with pytest.raises(NotFound):
        analytics.event_analytics(session, Principal(stranger.id), other.id, event.id)
    with pytest.raises(NotFound):
        analytics.event_analytics(session, Principal(stranger.id), org.id, event.id)
    # Every role that sees the attendees sees the analytics; a role outside VIEW_ATTENDEES does not.
    assert analytics.event_analytics(session, member(session, org, "staff"), org.id, event.id).event_id == event.id
    with pytest.raises(Forbidden):
        analytics.event_analytics(session, member(session, org, "checkin"), org.id, event.id)
    with pytest.raises(Forbidden):
        analytics.event_analytics(session, member(session, org, "guest"), org.id, event.id)


def test_the_funnel_and_sources_of_the_period_come_with_the_numbers(make, session):
    """The tab's funnel and sources are the event page's privacy-first counts over the same days."""
    from aqstream.services.reports import traffic

    owner, org, event, a, b = berlin_event(make, session)
    now = datetime.now(UTC)
    browser = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"
    for i, referrer in enumerate(["https://t.me/some/post", "https://t.me/other", None]):
        assert traffic.count(session, event, "view", client_ip=f"203.0.113.{i}", user_agent=browser,
                             referrer=referrer, now=now)
    assert traffic.count(session, event, "confirmed", client_ip="203.0.113.0", user_agent=browser, now=now)
    result = analytics.event_analytics(session, Principal(owner.id), org.id, event.id, "7d", now=now)
    # Registered implies the steps before it (the form was started and sent) that day.
    assert [(f.step, f.count) for f in result.funnel] == [("view", 3), ("form_started", 1), ("submitted", 1),
                                                        ("confirmed", 1)]
    by_label = {r.label: (r.visitors, r.confirmed) for r in result.sources}
    assert by_label == {"t.me": (2, 1), traffic.DIRECT: (1, 0)}


def test_arrivals_per_quarter_hour_in_the_event_zone_and_only_of_valid_tickets(make, session):
    owner, org, event, a, b = berlin_event(make, session)
    now = datetime.now(UTC)
    tickets = [buy(session, org, event, [a.id], now - timedelta(hours=2)) for _ in range(4)]
    ids = [t.tickets[0].id for t in tickets]
    door = [local("Europe/Berlin", "2031-06-01T18:59"), local("Europe/Berlin", "2031-06-01T19:00"),
            local("Europe/Berlin", "2031-06-01T19:14"), local("Europe/Berlin", "2031-06-01T19:15")]
    for ticket_id, at in zip(ids, door):
        session.exec(update(Ticket).where(Ticket.id == ticket_id).values(checked_in_at=at))
    session.commit()
    before = analytics.event_analytics(session, Principal(owner.id), org.id, event.id, "7d", now=now)
    assert before.checked_in == 4
    assert [(at.strftime("%H:%M"), n) for at, n in before.arrivals] == [("18:45", 1), ("19:00", 2), ("19:15", 1)]
    # A cancelled ticket no longer counts as arrived.
    orders.cancel_ticket(session, Principal(owner.id), org.id, ids[3])
    after = analytics.event_analytics(session, Principal(owner.id), org.id, event.id, "7d", now=now)
    assert after.checked_in == 3 and [n for _, n in after.arrivals] == [1, 2]


def test_no_arrivals_before_anyone_checks_in(make, session):
    owner, org, event, a, b = berlin_event(make, session)
    buy(session, org, event, [a.id], datetime.now(UTC) - timedelta(hours=1))
    result = analytics.event_analytics(session, Principal(owner.id), org.id, event.id, "7d")
    assert result.checked_in == 0 and result.arrivals == []
