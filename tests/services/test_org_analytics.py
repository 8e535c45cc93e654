"""An organization's analytics (services/reports/org_analytics.py): one row per event with the same numbers as
the event's own tiles, weeks cut on Mondays in the organization's zone (across a clock change), cancellations in
their own week, top events, conversion from the privacy-first counts, revenue, tenants and roles."""
from datetime import date, timedelta

import pytest
from sqlalchemy import update

from aqstream.models import Order, Organization
from aqstream.services.errors import Forbidden, NotFound, ValidationError
from aqstream.services.org.permissions import Principal
from aqstream.services.reports import analytics, org_analytics, traffic
from aqstream.services.sales import orders
from tests.services.test_analytics import buy, cancelled_at, local
from tests.services.test_event_lifecycle import member

Z = "America/New_York"  # clocks go back at 02:00 on Sunday 2031-11-02
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


def org_in(make, session, zone=Z):
    owner, org = make.org()
    session.exec(update(Organization).where(Organization.id == org.id).values(time_zone=zone))
    session.commit()
    return owner, org


def test_weeks_start_on_monday_in_the_org_zone_and_rows_match_the_event_tiles(make, session):
    owner, org = org_in(make, session)
    p = Principal(owner.id)
    big, (a, b) = make.event(owner, org, quantities=(10, 5), time_zone="Europe/Berlin", starts="2031-12-01T18:00",
                             ends="2031-12-01T21:00")
    small, (c,) = make.event(owner, org, quantities=(4,), capacity=3, time_zone=Z, starts="2031-10-01T18:00",
                             ends="2031-10-01T21:00")
    empty, _ = make.event(owner, org, quantities=(7,), starts="2032-01-10T18:00", ends="2032-01-10T21:00")
    # Weeks of Monday 2031-10-20, 10-27 and 11-03 (New York): Sunday 23:30 local is still the week before.
    buy(session, org, big, [a.id, a.id], local(Z, "2031-10-26T23:30"))  # week of 10-20
    r = buy(session, org, big, [b.id], local(Z, "2031-10-27T00:30"))  # week of 10-27
    buy(session, org, small, [c.id, c.id], local(Z, "2031-11-02T23:30"))  # the 25-hour Sunday: week of 10-27
    buy(session, org, small, [c.id], local(Z, "2031-11-03T00:30"))  # week of 11-03
    buy(session, org, big, [a.id], local(Z, "2031-09-01T12:00"))  # before the weeks shown
    orders.cancel_order(session, p, org.id, r.order.id)
    cancelled_at(session, [r.tickets[0].id], local(Z, "2031-11-04T09:00"))  # cancelled in the week of 11-03
    session.exec(update(Order).where(Order.id == r.order.id).values(total_minor=1500, currency="EUR"))
    paid = buy(session, org, big, [a.id], local(Z, "2031-11-05T10:00"))
    session.exec(update(Order).where(Order.id == paid.order.id).values(total_minor=2500, currency="EUR"))
    session.commit()

    now = local(Z, "2031-11-06T12:00")
    result = org_analytics.org_analytics(session, p, org.id, weeks=3, now=now)
    assert result.time_zone == Z
    assert [(w.start, w.tickets, w.cancelled) for w in result.weeks] == [
        (date(2031, 10, 20), 2, 0), (date(2031, 10, 27), 3, 0), (date(2031, 11, 3), 2, 1)]
    rows = {row.event_id: row for row in result.events}
    assert set(rows) == {big.id, small.id, empty.id}
    # Upcoming first (soonest first), then past events, latest first.
    assert [row.event_id for row in result.events] == [big.id, empty.id, small.id]
    for event in (big, small, empty):  # the same figures as the event's own tiles
        tiles = analytics.event_analytics(session, p, org.id, event.id, "30d", now=now).tiles
        assert (rows[event.id].tickets, rows[event.id].capacity) == (tiles.tickets, tiles.capacity)
        assert rows[event.id].revenue == tiles.revenue
    assert (rows[big.id].tickets, rows[big.id].capacity, rows[big.id].fill) == (4, 15, 4 / 15)
    assert (rows[small.id].tickets, rows[small.id].capacity, rows[small.id].fill) == (3, 3, 1.0)  # event capacity
    assert (rows[empty.id].tickets, rows[empty.id].fill, rows[empty.id].in_period) == (0, 0.0, 0)
    assert rows[big.id].revenue == {"EUR": 2500}  # the cancelled order's money is not revenue
    assert (rows[big.id].in_period, rows[small.id].in_period) == (4, 3)
    assert [row.event_id for row in result.top] == [big.id, small.id]  # no registrations: not a top event
    assert result.totals == {"tickets": 7, "in_period": 7, "cancelled": 1}


def test_conversion_comes_from_the_event_page_counts(make, session):
    owner, org = org_in(make, session, "UTC")
    event, (a,) = make.event(owner, org, quantities=(10,))
    other, _ = make.event(owner, org, quantities=(10,))
    now = local("UTC", "2031-05-05T12:00")
    for i in range(4):
        assert traffic.count(session, event, "view", client_ip=f"203.0.113.{i}", user_agent=BROWSER, now=now)
    assert traffic.count(session, event, "confirmed", client_ip="203.0.113.1", user_agent=BROWSER, now=now)
    rows = {row.event_id: row for row in org_analytics.org_analytics(session, Principal(owner.id), org.id,
                                                                      now=now).events}
    assert (rows[event.id].visitors, rows[event.id].registered_visitors, rows[event.id].conversion) == (4, 1, 0.25)
    assert (rows[other.id].visitors, rows[other.id].conversion) == (0, None)


def test_another_tenant_sees_nothing_and_every_role_that_sees_attendees_sees_it(make, session):
    owner, org = org_in(make, session)
    event, (a,) = make.event(owner, org, quantities=(10,))
    outsider, theirs = make.org()
    make.event(outsider, theirs, quantities=(10,))
    with pytest.raises(NotFound):
        org_analytics.org_analytics(session, Principal(outsider.id), org.id)
    mine = org_analytics.org_analytics(session, Principal(outsider.id), theirs.id)
    assert event.id not in {row.event_id for row in mine.events}
    for role in ("admin", "staff"):
        got = org_analytics.org_analytics(session, member(session, org, role), org.id)
        assert [row.event_id for row in got.events] == [event.id]
    with pytest.raises(Forbidden):  # check-in staff see the scanner and the lists, not the numbers
        org_analytics.org_analytics(session, member(session, org, "checkin"), org.id)


@pytest.mark.parametrize("weeks", [0, -1, 105, "12a", "", None, 10**9])
def test_a_bad_number_of_weeks_is_refused(make, session, weeks):
    owner, org = org_in(make, session)
    with pytest.raises(ValidationError) as caught:
        org_analytics.org_analytics(session, Principal(owner.id), org.id, weeks=weeks)
    assert caught.value.errors == {"weeks": "analytics.org.weeks_invalid"}


def test_a_year_of_weeks(make, session):
    owner, org = org_in(make, session)
    now = local(Z, "2031-11-06T12:00")
    result = org_analytics.org_analytics(session, Principal(owner.id), org.id, weeks=52, now=now)
    assert len(result.weeks) == 52 and result.weeks[-1].start == date(2031, 11, 3)
    assert all(b.start - a.start == timedelta(weeks=1) for a, b in zip(result.weeks, result.weeks[1:]))
