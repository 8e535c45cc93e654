"""Domain events: a service that changes state records a named event (`order.cancelled`, `event.published`,
`member.invited`, ...) with its payload in its own transaction; handlers registered by name turn it into side
effects. A service never writes another feature's side effect itself.

Two kinds of handler, both durable and run once:

- `@handler(name)`: runs inside `record`, in the caller's transaction. For effects that are rows of the same
  database (outbox emails, audit entries): they commit or roll back with the change itself. These handlers
  also see the event's `transient` values, which are never stored: a secret that must travel in an email
  (a password-reset link) but must not be kept in the record of events.
- `@handler(name, deferred=True)`: for effects outside the database (webhooks, messages). `record` adds one
  `domain_event_delivery` row per such handler; `run_deferred` (the `domain-events` job in services/jobs.py)
  locks a pending delivery (FOR UPDATE SKIP LOCKED; SQLite's write lock), runs the handler and marks it done
  in that one transaction. A worker that dies first leaves it pending for the next run; two runs at once
  never take the same delivery. A handler that raises is retried with back-off, then marked failed.

The handlers live in the modules named in HANDLER_MODULES (today services/notify/notifications.py), loaded on the
first `record`: they import the services, the services import only this module."""
from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, cast, insert, or_, update
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import DomainEvent, DomainEventDelivery, Organization
from aqstream.services.clock import utcnow

log = logging.getLogger(__name__)

HANDLER_MODULES = ("aqstream.services.notify.notifications", "aqstream.services.payments.handlers")
MAX_ATTEMPTS = 8
# A delivery's own statuses (not the lifecycle's): waiting to run, ran and committed, given up after MAX_ATTEMPTS.
PENDING, DONE, FAILED = "pending", "done", "failed"

Handler = Callable[[Session, DomainEvent], None]
# Recorded as what happened (and for integrations to come) with no handler yet: a check-in is its own row already.
UNHANDLED = frozenset({"ticket.checked_in", "ticket.checked_out"})


@dataclass(frozen=True)
class _Registered:
    key: str  # module.function: the name a delivery row keeps
    function: Callable
    deferred: bool
    batch: bool  # called once with every event of a `record_many`: (session, events) -> None


_HANDLERS: dict[str, list[_Registered]] = {}
_loaded = False


def handler(name: str, *, deferred: bool = False, batch: bool = False) -> Callable[[Callable], Callable]:
    """Register a function `(session, event) -> None` for the domain event `name`; with `batch`, an
    in-transaction handler `(session, events) -> None` that writes the effects of many events in one
    statement (registration records a batch of orders at once)."""
    if deferred and batch:
        raise ValueError("a deferred handler runs per event")

    def register(function: Callable) -> Callable:
        key = f"{function.__module__}.{function.__qualname__}"
        registered = _HANDLERS.setdefault(name, [])
        registered[:] = [r for r in registered if r.key != key]  # a module loaded again replaces its own
        registered.append(_Registered(key, function, deferred, batch))
        return function
    return register


def unregister(name: str, function: Handler) -> None:
    """Remove a handler (tests that register their own)."""
    key = f"{function.__module__}.{function.__qualname__}"
    _HANDLERS[name] = [r for r in _HANDLERS.get(name, []) if r.key != key]


def _load() -> None:
    global _loaded
    if not _loaded:
        for module in HANDLER_MODULES:
            importlib.import_module(module)
        _loaded = True


def names() -> set[str]:
    """Every domain event name some handler listens to."""
    _load()
    return set(_HANDLERS)


def handlers_for(name: str) -> list[_Registered]:
    _load()
    return list(_HANDLERS.get(name, []))


def record(
    session: Session,
    name: str,
    payload: dict[str, Any],
    *,
    organization_id: int | None = None,
    actor_user_id: int | None = None,
    actor_label: str = "",
    transient: dict[str, Any] | None = None,
) -> DomainEvent:
    """Record a domain event in the caller's (write) transaction and run its in-transaction handlers there;
    deferred handlers get a pending delivery row. Nothing is committed here: the caller commits or rolls
    back the change, the event and every effect together. `transient` values are added to the payload the
    in-transaction handlers see, and are not stored (nor seen by deferred handlers)."""
    return record_many(session, name, [payload], organization_id=organization_id, actor_user_id=actor_user_id,
                       actor_label=actor_label, transient=[transient or {}])[0]


def record_many(
    session: Session,
    name: str,
    payloads: list[dict[str, Any]],
    *,
    organization_id: int | None | list[int | None] = None,
    actor_user_id: int | None | list[int | None] = None,
    actor_label: str | list[str] = "",
    transient: list[dict[str, Any]] | None = None,
) -> list[DomainEvent]:
    """`record` for many events of one name at once (in one INSERT); the organization, the actor and the
    transient values may be given per event (lists as long as `payloads`)."""
    n = len(payloads)
    labels = actor_label if isinstance(actor_label, list) else [actor_label] * n
    users = actor_user_id if isinstance(actor_user_id, list) else [actor_user_id] * n
    orgs = organization_id if isinstance(organization_id, list) else [organization_id] * n
    extras = transient or [{}] * n
    return record_all(session, [New(name, payload, org, user, label, extra)
                                for payload, org, user, label, extra in zip(payloads, orgs, users, labels, extras)])


@dataclass(frozen=True)
class New:
    """One domain event to record with `record_all`; `transient` values are seen by the in-transaction handlers
    and never stored."""

    name: str
    payload: dict[str, Any]
    organization_id: int | None = None
    actor_user_id: int | None = None
    actor_label: str = ""
    transient: dict[str, Any] | None = None


def record_all(session: Session, events: list[New]) -> list[DomainEvent]:
    """Events of one or several names in ONE INSERT (a registration batch records its orders placed and
    confirmed together); the handlers of each name then run, names in the order they first appear."""
    if not events:
        return []
    now = utcnow()
    rows = [dict(name=e.name, payload=e.payload, organization_id=e.organization_id, actor_user_id=e.actor_user_id,
                 actor_label=(e.actor_label or "")[:254], occurred_at=now) for e in events]
    table = DomainEvent.__table__
    session.flush()  # what the caller added first comes first
    ids = session.connection().execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                       rows).scalars().all()
    recorded = [DomainEvent(id=event_id, **row) for event_id, row in zip(ids, rows)]  # plain values, not added
    by_name: dict[str, list[tuple[DomainEvent, DomainEvent]]] = {}  # (stored, what in-transaction handlers see)
    for stored, row, new in zip(recorded, rows, events):
        seen = DomainEvent(id=stored.id, **{**row, "payload": {**row["payload"], **new.transient}}) \
            if new.transient else stored
        by_name.setdefault(stored.name, []).append((stored, seen))
    deliveries = []
    for name, pairs in by_name.items():
        seen = [s for _, s in pairs]
        for registered in handlers_for(name):
            if registered.deferred:
                deliveries += [dict(event_id=e.id, handler=registered.key, status=PENDING, attempts=0,
                                    next_attempt_at=now, last_error="", done_at=None) for e, _ in pairs]
            elif registered.batch:
                registered.function(session, seen)
            else:
                for event in seen:
                    registered.function(session, event)
    if deliveries:
        session.connection().execute(insert(DomainEventDelivery.__table__), deliveries)
    _touch_organizations(session, {e.organization_id for e in events if e.organization_id}, now)
    session.flush()
    return recorded


ACTIVITY_STEP = timedelta(hours=1)


def _touch_organizations(session: Session, organization_ids: set[int], now: datetime) -> None:
    """An organization's last activity (the platform admins' list sorts by it), kept to the hour: the row is
    written at most once an hour, so a registration rush does not queue on the organization's row (a WHERE that
    matches nothing takes no lock)."""
    if not organization_ids:
        return
    table = Organization.__table__
    session.connection().execute(
        update(table).where(table.c.id.in_(sorted(organization_ids)),
                            or_(table.c.last_activity_at.is_(None), table.c.last_activity_at < now - ACTIVITY_STEP))
        .values(last_activity_at=now))


def _deferred(key: str) -> Handler | None:
    _load()
    for registered in (r for rs in _HANDLERS.values() for r in rs):
        if registered.key == key and registered.deferred:
            return registered.function
    return None


def run_deferred(session: Session, now: datetime | None = None, limit: int = 100) -> int:
    """Run pending deferred handlers whose time has come, each in its own transaction; returns how many ran."""
    done = 0
    for _ in range(limit):
        outcome = _run_one(session, now or utcnow())
        if outcome is None:
            break
        done += outcome
    return done


def _run_one(session: Session, now: datetime) -> int | None:
    """Claim one due delivery, run its handler and mark it done, all in one transaction. None when nothing is
    due; 1 when a handler ran; 0 when it raised (recorded for a retry)."""
    begin_write(session)
    row = None
    try:
        row = session.exec(
            select(DomainEventDelivery)
            .where(DomainEventDelivery.status == PENDING, DomainEventDelivery.next_attempt_at <= now)
            .order_by(DomainEventDelivery.next_attempt_at, DomainEventDelivery.event_id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            session.rollback()
            return None
        event_id, key, attempts = row.event_id, row.handler, row.attempts
        event = session.get(DomainEvent, event_id)
        function = _deferred(key)
        if function is None:
            raise LookupError(f"no deferred handler {key!r}")
        function(session, event)
        session.exec(update(DomainEventDelivery)
                     .where(DomainEventDelivery.event_id == event_id, DomainEventDelivery.handler == key,
                            DomainEventDelivery.status == PENDING)
                     .values(status=DONE, done_at=utcnow(), attempts=attempts + 1))
    except Exception as exc:  # noqa: BLE001 - recorded on the delivery; a dying process (BaseException) is not
        session.rollback()
        if row is not None:
            _failed(session, event_id, key, attempts + 1, exc, now)
            return 0
        raise
    except BaseException:
        session.rollback()
        raise
    session.commit()
    return 1


def _failed(session: Session, event_id: int, key: str, attempts: int, exc: Exception, now: datetime) -> None:
    log.warning("domain event %s: handler %s failed: %r", event_id, key, exc)
    begin_write(session)
    session.exec(update(DomainEventDelivery)
                 .where(DomainEventDelivery.event_id == event_id, DomainEventDelivery.handler == key,
                        DomainEventDelivery.status == PENDING)
                 .values(attempts=attempts, last_error=repr(exc)[:2000],
                         status=FAILED if attempts >= MAX_ATTEMPTS else PENDING,
                         next_attempt_at=now + timedelta(seconds=30 * 2 ** min(attempts, 10))))
    session.commit()


def forget(session: Session, *, email: str, order_ids: list[int]) -> int:
    """Erase a departing person from recorded events, in the caller's transaction (accounts.delete_account):
    every event about one of their orders or naming their address keeps its name and time, not its payload.
    Returns how many events were erased."""
    mentions = [DomainEvent.actor_label == email,
                cast(DomainEvent.payload, Text).contains(json.dumps(email)[1:-1], autoescape=True)]
    if order_ids:
        mentions.append(DomainEvent.payload["order_id"].as_integer().in_(order_ids))
    return session.exec(update(DomainEvent).where(or_(*mentions))
                        .values(payload={"erased": True}, actor_label="")).rowcount


def events(session: Session, name: str | None = None) -> list[DomainEvent]:
    """Recorded events, oldest first (tests and diagnostics)."""
    query = select(DomainEvent).order_by(DomainEvent.id)
    if name is not None:
        query = query.where(DomainEvent.name == name)
    return list(session.exec(query).all())
