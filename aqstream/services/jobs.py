"""Every periodic job, declared in one place: its name, its period and the one round it runs (see scheduler.py).

A job's round must be safe to run again after a crash (the scheduler runs each due job once, but a worker that
dies mid-round leaves work half done for the next round) and must finish well within its lease."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from aqstream import config
from aqstream.db import session_scope
from aqstream.services.notify import domain_events, reminders
from aqstream.services.payments import payments, refunds
from aqstream.services.reports import traffic
from aqstream.services.sales import pending_orders
from aqstream.services.scheduler import job


@job("reminders", every=lambda: timedelta(seconds=config.schedule_seconds()))
def queue_reminders(engine: Engine, now: datetime) -> str:
    """The reminder emails whose time has come go into the outbox."""
    with session_scope(engine) as session:
        queued = reminders.enqueue_due(session, now)
    return f"queued {queued} reminder emails" if queued else ""


@job("pending-order-expiry", every=timedelta(seconds=15))
def expire_pending_orders(engine: Engine, now: datetime) -> str:
    """Pending orders whose hold has run out expire, and their places go back on sale."""
    with session_scope(engine) as session:
        expired = pending_orders.expire_due(session, now)
    return f"expired {expired} pending orders" if expired else ""


@job("domain-events", every=timedelta(seconds=10))
def run_deferred_handlers(engine: Engine, now: datetime) -> str:
    """The deferred handlers of recorded domain events (services/notify/domain_events.py) run, each once."""
    with session_scope(engine) as session:
        ran = domain_events.run_deferred(session, now)
    return f"ran {ran} deferred domain-event handlers" if ran else ""


@job("traffic-prune", every=timedelta(hours=1))
def prune_visitor_hashes(engine: Engine, now: datetime) -> str:
    """The day hashes of event-page visitors are forgotten once their day is over (services/reports/traffic.py)."""
    with session_scope(engine) as session:
        removed = traffic.prune_seen(session, now)
    return f"forgot {removed} visitor hashes" if removed else ""


@job("payment-check", every=timedelta(seconds=60))
def check_pending_payments(engine: Engine, now: datetime) -> str:
    """Open card payments with no word from their provider are fetched back and settled (a lost notification)."""
    with session_scope(engine) as session:
        checked = payments.check_pending(session, now)
    return f"checked {checked} open payments" if checked else ""


@job("refunds", every=timedelta(seconds=30))
def run_refunds(engine: Engine, now: datetime) -> str:
    """Pending refunds whose next attempt has come are asked of their provider again."""
    with session_scope(engine) as session:
        tried = refunds.run_due(session, now)
    return f"tried {tried} refunds" if tried else ""
