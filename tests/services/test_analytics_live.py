"""Many organizers watching one event share one read per tick (services/reports/analytics_live.py)."""
import threading
import time

import pytest

from aqstream.services.reports import analytics_live


def test_twenty_watchers_of_one_event_cause_one_read_per_tick():
    analytics_live.forget()
    calls = []

    def read():
        calls.append(1)
        time.sleep(0.2)  # a slow read: the others arrive while it runs and wait for it
        return {"tickets": 7}

    got, barrier = [], threading.Barrier(20)

    def watcher():
        barrier.wait()
        got.append(analytics_live.shared(("event", 1, "30d"), read, ttl=1.0))

    threads = [threading.Thread(target=watcher) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and got == [{"tickets": 7}] * 20
    # Another event is its own read; the same event after the tick is read again.
    analytics_live.shared(("event", 2, "30d"), read, ttl=1.0)
    assert len(calls) == 2
    time.sleep(1.05)
    analytics_live.shared(("event", 1, "30d"), read, ttl=1.0)
    assert len(calls) == 3


def test_a_failed_read_is_not_shared():
    analytics_live.forget()
    attempts = []

    def read():
        attempts.append(1)
        raise ValueError("database down")

    for _ in range(2):
        with pytest.raises(ValueError):
            analytics_live.shared(("event", 3), read)
    assert len(attempts) == 2  # the second caller read again: a failure is not kept for the tick


def test_the_change_stamp_moves_with_every_change_the_tab_shows(make, session):
    from datetime import timedelta

    from sqlalchemy import update

    from aqstream.models import Ticket
    from aqstream.services.clock import utcnow
    from aqstream.services.org.permissions import Principal
    from aqstream.services.reports import analytics
    from aqstream.services.sales import orders, pending_orders, registration
    from aqstream.services.sales.registration import TicketRequest as TR

    owner, org = make.org()
    event, (a,) = make.event(owner, org, quantities=(10,))
    stamp = lambda: analytics.change_stamp(session, org.id, event.id)  # noqa: E731
    marks = [stamp()]
    bought = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="A",
                                   buyer_email="a@example.com", tickets=[TR(a.id, "A"), TR(a.id, "B")])
    marks.append(stamp())
    orders.cancel_ticket(session, Principal(owner.id), org.id, bought.tickets[0].id)
    marks.append(stamp())
    held = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="P",
                                 buyer_email="p@example.com", tickets=[TR(a.id, "P")], hold_for=timedelta(minutes=5))
    marks.append(stamp())
    pending_orders.confirm_pending(session, held.order.id)  # held -> valid: the registrations tile moves
    marks.append(stamp())
    session.exec(update(Ticket).where(Ticket.id == bought.tickets[1].id).values(checked_in_at=utcnow()))
    session.commit()
    marks.append(stamp())
    assert len(set(marks)) == len(marks), marks  # every change gave a new mark
    assert stamp() == marks[-1]  # and nothing else does
    _stranger, theirs = make.org()
    assert analytics.change_stamp(session, theirs.id, event.id) is None  # another tenant's event: nothing


def test_watchers_read_everything_once_per_change_not_once_per_tick(make, session):
    from aqstream.services.reports import analytics

    analytics_live.forget()
    owner, org = make.org()
    event, (a,) = make.event(owner, org, quantities=(10,))
    full_reads = []

    def tick():  # what each open tab does every second (state/event_analytics.py)
        mark = analytics_live.shared(("stamp", event.id), lambda: analytics.change_stamp(session, org.id, event.id),
                                     ttl=0.05)
        return analytics_live.shared(("full", event.id, mark), lambda: full_reads.append(mark) or mark, ttl=60)

    for _ in range(3):  # three ticks of five watchers, nothing changes: one full read
        for _watcher in range(5):
            tick()
        time.sleep(0.06)
    assert len(full_reads) == 1
    from aqstream.services.sales import registration
    from aqstream.services.sales.registration import TicketRequest as TR

    registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="A",
                          buyer_email="a@example.com", tickets=[TR(a.id, "A")])
    for _watcher in range(5):
        tick()
    assert len(full_reads) == 2 and full_reads[-1][0] == 1  # the change is read once, for everyone
