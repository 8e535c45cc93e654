"""Periodic jobs (reminders, and later hold expiry, payment checks, waiting-list offers, webhook retries), each run
once when it is due, however many workers look.

Jobs are declared in one place, `services/jobs.py`, with `@job(name, every=...)`; this module knows none of them.
Whoever runs workers (the app's worker thread, every `aqstream worker` process) calls `run_due` now and then.
Each job has a row in `scheduled_job`: when it is next due and, while a worker runs it, that worker's claim and
lease. A worker takes a due job with one guarded write (`UPDATE ... WHERE next_run_at <= now AND the lease is
free`): on PostgreSQL a second worker's UPDATE waits for the first one's row lock and then finds the lease taken;
on SQLite the write lock serializes them. Only the worker whose UPDATE changed the row runs the job. When the run
ends, the job's next time is its start plus its period, and an error it raised is kept in `last_error` (the job
is tried again at its next time, not at once). A worker that dies mid-job leaves a lease that runs out; the next
worker to look takes the job over. The lease must outlast the job's longest run."""
from __future__ import annotations

import importlib
import logging
import os
import secrets
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterable

from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import select

from aqstream.db import begin_write, session_scope
from aqstream.models import ScheduledJob
from aqstream.services.clock import utcnow

log = logging.getLogger(__name__)

DECLARATIONS = "aqstream.services.jobs"  # the module that declares every job (imported on first use)
DEFAULT_LEASE = timedelta(minutes=5)
MAX_WAIT = 10.0  # seconds: a worker looks at the table at least this often, whatever it last read there
MIN_WAIT = 0.1

# The guard that makes a due job run once across workers. Tests turn it off to show that the test of two
# workers at once fails without it; nothing else touches it.
CLAIM_GUARD = True


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta | Callable[[], timedelta]  # the period, or a function that reads it (from config)
    run: Callable[[Engine, datetime], object]  # one round: run(engine, now); what it returns is logged
    lease: timedelta = DEFAULT_LEASE

    def period(self) -> timedelta:
        return self.every() if callable(self.every) else self.every


_registry: dict[str, Job] = {}


def register(job_: Job) -> Job:
    """Declare a job. A name is declared once: two jobs of one name would share one schedule."""
    if job_.name in _registry and _registry[job_.name] is not job_:
        raise ValueError(f"scheduled job {job_.name!r} is declared twice")
    if len(job_.name) > 60:
        raise ValueError(f"scheduled job name {job_.name!r} is longer than 60 characters")
    _registry[job_.name] = job_
    return job_


def job(name: str, every: timedelta | Callable[[], timedelta], lease: timedelta = DEFAULT_LEASE):
    """Decorator form of `register`: `@job("reminders", every=timedelta(minutes=1))` on `def f(engine, now)`."""

    def declare(run: Callable[[Engine, datetime], object]):
        register(Job(name, every, run, lease))
        return run

    return declare


def registered() -> list[Job]:
    """Every declared job, in the order of declaration."""
    importlib.import_module(DECLARATIONS)
    return list(_registry.values())


@dataclass
class Round:
    """What one `run_due` did."""

    ran: list[str] = field(default_factory=list)  # the jobs this worker ran (failed ones included)
    errors: dict[str, str] = field(default_factory=dict)  # job name -> what it raised
    wait: float = MAX_WAIT  # seconds until a job may be due again: when to call `run_due` next


def _rows(engine: Engine, names: list[str]) -> dict[str, ScheduledJob]:
    with session_scope(engine) as session:
        return {row.name: row for row in session.exec(select(ScheduledJob).where(ScheduledJob.name.in_(names))).all()}


def _add_missing(engine: Engine, names: list[str], now: datetime) -> None:
    """A job that has no row yet is due now. Workers that add the same row at once keep the first."""
    with session_scope(engine) as session:
        begin_write(session)
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        rows = [{"name": name, "next_run_at": now, "claimed_by": "", "last_error": ""} for name in names]
        session.connection().execute(insert(ScheduledJob).values(rows).on_conflict_do_nothing(index_elements=["name"]))
        session.commit()


def _due(row: ScheduledJob, now: datetime) -> bool:
    return row.next_run_at <= now and (row.running_until is None or row.running_until < now)


def claim(engine: Engine, job_: Job, worker: str, now: datetime) -> str | None:
    """Take a due job for this worker: the claim's token when this worker's write won, else None."""
    token = f"{secrets.token_hex(6)} {worker}"[:64]
    guard = [ScheduledJob.name == job_.name]
    if CLAIM_GUARD:
        guard += [ScheduledJob.next_run_at <= now,
                  or_(ScheduledJob.running_until.is_(None), ScheduledJob.running_until < now)]
    with session_scope(engine) as session:
        begin_write(session)
        won = session.exec(update(ScheduledJob).where(*guard)
                           .values(claimed_by=token, running_until=now + job_.lease)).rowcount
        session.commit()
    return token if won == 1 else None


def finish(engine: Engine, job_: Job, token: str, started: datetime, error: str) -> bool:
    """Record a run and set the job's next time, only while this worker's claim still holds it (a worker whose
    lease ran out and was taken over cannot overwrite what the new one records)."""
    with session_scope(engine) as session:
        begin_write(session)
        done = session.exec(update(ScheduledJob).where(ScheduledJob.name == job_.name, ScheduledJob.claimed_by == token)
                            .values(claimed_by="", running_until=None, last_run_at=started, last_error=error[:2000],
                                    next_run_at=started + job_.period())).rowcount
        session.commit()
    return done == 1


def _wait(rows: Iterable[ScheduledJob], now: datetime) -> float:
    """Seconds until the earliest of these jobs may be due (its next time, or the end of another's lease)."""
    waits = [MAX_WAIT]
    for row in rows:
        at = max(row.next_run_at, row.running_until or row.next_run_at)
        waits.append((at - now).total_seconds())
    return min(MAX_WAIT, max(MIN_WAIT, min(waits)))


def run_due(engine: Engine, now: datetime | None = None, jobs: Iterable[Job] | None = None,
            worker: str = "") -> Round:
    """Run every due job that no other worker has taken, one after the other, in this thread. A job that raises
    is logged and recorded; the others still run. Safe to call from any number of threads and processes."""
    now = now or utcnow()
    jobs = list(registered() if jobs is None else jobs)
    worker = worker or f"{socket.gethostname()[:40]}:{os.getpid()}:{threading.get_ident() % 100000}"
    done = Round()
    if not jobs:
        return done
    names = [j.name for j in jobs]
    rows = _rows(engine, names)
    if missing := [name for name in names if name not in rows]:
        _add_missing(engine, missing, now)
        rows = _rows(engine, names)
    tried = False
    for job_ in jobs:
        if _due(rows[job_.name], now):
            tried = True
            token = claim(engine, job_, worker, now)
            if token is None:
                continue  # another worker took it first
            error = ""
            try:
                result = job_.run(engine, now)
                if result:
                    log.info("scheduled job %s: %s", job_.name, result)
            except Exception as exc:  # recorded, and tried again at its next time
                log.exception("scheduled job %s failed", job_.name)
                error = f"{type(exc).__name__}: {exc}"
                done.errors[job_.name] = error
            done.ran.append(job_.name)
            if not finish(engine, job_, token, now, error):
                log.warning("scheduled job %s outlived its lease (%s); another worker took it over", job_.name, job_.lease)
    if tried:
        rows = _rows(engine, names)
    done.wait = _wait(rows.values(), utcnow())
    return done
