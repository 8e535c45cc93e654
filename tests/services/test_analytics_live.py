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
