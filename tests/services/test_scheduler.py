"""The scheduler: each due job runs once however many workers look (two at the same moment, on SQLite and
PostgreSQL), not again before its period, a failing job records its error and runs at its next time, a dead
worker's lease runs out and is taken over; reminders are its first job."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from aqstream.db import make_engine
from aqstream.models import OutboxMessage, ScheduledJob
from aqstream.services import clock, scheduler
from aqstream.services.notify import mail_delivery, reminders
from tests.services.conftest import ROOT, wait_until
from tests.services.test_reminders import buy, soon_event

MINUTE = timedelta(minutes=1)


class Counting:
    """A job's round that counts its runs; it can be told to raise, and takes `seconds` to run."""

    def __init__(self, seconds: float = 0.0, fail: int = 0):
        self.runs: list = []
        self.seconds, self.fail = seconds, fail
        self.lock = threading.Lock()

    def __call__(self, engine, now):
        with self.lock:
            self.runs.append(now)
            failing = len(self.runs) <= self.fail
        time.sleep(self.seconds)
        if failing:
            raise RuntimeError("the payment provider did not answer")
        return "done"


def row(engine, name: str) -> ScheduledJob:
    with Session(engine) as session:
        return session.exec(select(ScheduledJob).where(ScheduledJob.name == name)).one()


def test_a_due_job_runs_once_and_not_again_before_its_period(fresh):
    _url, engine = fresh
    tick, other = Counting(), Counting()
    jobs = [scheduler.Job("tick", MINUTE, tick), scheduler.Job("hourly", timedelta(hours=1), other)]
    t0 = clock.utcnow().replace(microsecond=0)
    assert scheduler.run_due(engine, t0, jobs).ran == ["tick", "hourly"]  # a new job is due at once
    assert scheduler.run_due(engine, t0, jobs).ran == []
    assert scheduler.run_due(engine, t0 + timedelta(seconds=59), jobs).ran == []
    assert scheduler.run_due(engine, t0 + MINUTE, jobs).ran == ["tick"]
    assert scheduler.run_due(engine, t0 + MINUTE + timedelta(seconds=30), jobs).ran == []
    assert tick.runs == [t0, t0 + MINUTE] and other.runs == [t0]
    ticked = row(engine, "tick")
    assert (ticked.last_run_at, ticked.next_run_at, ticked.running_until, ticked.claimed_by, ticked.last_error) == (
        t0 + MINUTE, t0 + 2 * MINUTE, None, "", "")


def test_a_failing_job_records_its_error_and_runs_again_at_its_next_time(fresh):
    _url, engine = fresh
    flaky, steady = Counting(fail=1), Counting()
    jobs = [scheduler.Job("flaky", MINUTE, flaky), scheduler.Job("steady", MINUTE, steady)]
    t0 = clock.utcnow().replace(microsecond=0)
    done = scheduler.run_due(engine, t0, jobs)
    assert done.ran == ["flaky", "steady"]  # the failure does not stop the other job
    assert done.errors == {"flaky": "RuntimeError: the payment provider did not answer"}
    failed = row(engine, "flaky")
    assert failed.last_error == "RuntimeError: the payment provider did not answer"
    assert (failed.last_run_at, failed.next_run_at, failed.running_until) == (t0, t0 + MINUTE, None)
    assert scheduler.run_due(engine, t0 + timedelta(seconds=30), jobs).ran == []  # not at once: at its next time
    done = scheduler.run_due(engine, t0 + MINUTE, jobs)
    assert (done.ran, done.errors) == (["flaky", "steady"], {})
    assert row(engine, "flaky").last_error == "" and len(flaky.runs) == 2


def test_a_lease_that_ran_out_is_taken_over(fresh):
    _url, engine = fresh
    work = Counting()
    job = scheduler.Job("expiry", MINUTE, work, lease=timedelta(minutes=5))
    t0 = clock.utcnow().replace(microsecond=0)
    assert scheduler.run_due(engine, t0, [job]).ran == ["expiry"]
    # A worker takes the job when it is next due and dies before it finishes.
    dead = scheduler.claim(engine, job, "dead-worker", t0 + MINUTE)
    assert dead is not None
    assert row(engine, "expiry").running_until == t0 + 6 * MINUTE
    assert scheduler.run_due(engine, t0 + 2 * MINUTE, [job]).ran == []  # its lease still holds
    assert scheduler.run_due(engine, t0 + 6 * MINUTE, [job]).ran == []
    later = t0 + 6 * MINUTE + timedelta(seconds=1)
    assert scheduler.run_due(engine, later, [job]).ran == ["expiry"]  # the lease ran out: taken over
    assert work.runs == [t0, later]
    # The dead worker's late word cannot undo what the new one recorded.
    assert not scheduler.finish(engine, job, dead, t0 + MINUTE, "too late")
    taken = row(engine, "expiry")
    assert (taken.last_run_at, taken.next_run_at, taken.last_error, taken.running_until) == (
        later, later + MINUTE, "", None)


def race(url: str, monkeypatch, rounds: int = 3) -> tuple[Counting, list[list[str]]]:
    """Two workers (threads, each with its own engine and connections, as two processes have) call `run_due`
    at the same moment, `rounds` times, each time when the job is due again. Both have read that the job is due
    before either writes its claim: the interleaving in which read-then-write would run the job twice."""
    work = Counting(seconds=0.2)
    job = scheduler.Job("race", MINUTE, work)
    engines = [make_engine(url), make_engine(url)]
    t0 = clock.utcnow().replace(microsecond=0)
    ran: list[list[str]] = []
    errors: list[BaseException] = []
    real_claim = scheduler.claim
    gates: list[threading.Barrier] = []

    def claim_together(*args):
        gates[-1].wait(timeout=30)  # the other worker has found the job due too
        return real_claim(*args)

    monkeypatch.setattr(scheduler, "claim", claim_together)
    try:
        # The job has run before (its row exists, both engines are connected); each round starts when it is
        # due again.
        gates.append(threading.Barrier(1))
        assert scheduler.run_due(engines[0], t0 - MINUTE, [job]).ran == ["race"]
        assert scheduler.run_due(engines[1], t0 - MINUTE, [job]).ran == []
        work.runs.clear()
        for i in range(rounds):
            start = threading.Barrier(2)
            gates.append(threading.Barrier(2))

            def worker(engine, name):
                try:
                    start.wait(timeout=30)
                    ran.append(scheduler.run_due(engine, t0 + i * MINUTE, [job], worker=name).ran)
                except Exception as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)

            threads = [threading.Thread(target=worker, args=(engine, f"w{n}")) for n, engine in enumerate(engines)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        for engine in engines:
            engine.dispose()
    assert not errors, errors
    return work, ran


def test_two_workers_at_the_same_moment_run_a_due_job_once(fresh, monkeypatch):
    url, _engine = fresh
    work, ran = race(url, monkeypatch)
    assert len(work.runs) == 3  # once per round, by one of the two
    assert sorted(ran) == [[], [], [], ["race"], ["race"], ["race"]]


def test_without_the_claim_two_workers_at_the_same_moment_both_run_the_job(fresh, monkeypatch):
    """The companion of the test above: it would catch a scheduler that lets both workers run."""
    url, _engine = fresh
    monkeypatch.setattr(scheduler, "CLAIM_GUARD", False)
    work, ran = race(url, monkeypatch)
    assert len(work.runs) == 6 and ran == [["race"]] * 6


def test_reminders_are_a_registered_job_that_queues_each_reminder_once(fresh, monkeypatch):
    _url, engine = fresh
    monkeypatch.setenv("AQSTREAM_SCHEDULE_SECONDS", "90")
    (job,) = [j for j in scheduler.registered() if j.name == "reminders"]
    assert job.period() == timedelta(seconds=90)  # AQSTREAM_SCHEDULE_SECONDS is the reminder job's period
    with Session(engine) as session:
        _owner, org, event, tt = soon_event(session, days=2)
        for i in range(3):
            buy(session, org, event, tt, f"guest{i}@example.com")
        due = event.starts_at - timedelta(hours=2)
    before = due - timedelta(days=1)

    def queued() -> int:
        with Session(engine) as session:
            return len(session.exec(select(OutboxMessage).where(OutboxMessage.kind == reminders.REMINDER_EMAIL)).all())

    assert "reminders" in scheduler.run_due(engine, before).ran  # due at once (nothing to remind of yet)
    assert "reminders" not in scheduler.run_due(engine, before + timedelta(seconds=89)).ran
    assert "reminders" in scheduler.run_due(engine, before + timedelta(seconds=90)).ran
    assert queued() == 0
    assert "reminders" in scheduler.run_due(engine, due).ran
    assert queued() == 3
    assert "reminders" not in scheduler.run_due(engine, due + timedelta(seconds=30)).ran
    assert "reminders" in scheduler.run_due(engine, due + timedelta(seconds=90)).ran
    assert queued() == 3 and row(engine, "reminders").last_error == ""


def test_the_apps_worker_thread_runs_the_scheduled_jobs_without_smtp(fresh, monkeypatch):
    _url, engine = fresh
    monkeypatch.delenv("AQSTREAM_SMTP_HOST", raising=False)
    monkeypatch.delenv("AQSTREAM_MAIL_WORKER", raising=False)
    with Session(engine) as session:
        _owner, org, event, tt = soon_event(session, days=2)
        buy(session, org, event, tt, "ann@example.com")
        starts = event.starts_at
    with clock.travel(starts - timedelta(hours=2) - clock.utcnow()):  # the reminder is due
        stop = mail_delivery.start_in_process(engine)
        try:
            wait_until(lambda: (found := row_or_none(engine, "reminders")) is not None and found.last_run_at, timeout=30)
        finally:
            stop.set()
            for thread in threading.enumerate():
                if thread.name == "aqstream-mail":
                    thread.join(timeout=30)
    assert row(engine, "reminders").last_error == ""
    with Session(engine) as session:
        sent = session.exec(select(OutboxMessage.recipient).where(OutboxMessage.kind == reminders.REMINDER_EMAIL)).all()
    assert sent == ["ann@example.com"]


def row_or_none(engine, name: str) -> ScheduledJob | None:
    with Session(engine) as session:
        return session.get(ScheduledJob, name)


def test_a_job_is_declared_once():
    assert [j.name for j in scheduler.registered()][:1] == ["reminders"]
    job = scheduler.Job("reminders", MINUTE, Counting())
    with pytest.raises(ValueError):
        scheduler.register(job)


def test_a_worker_process_without_smtp_runs_the_scheduled_jobs(fresh):
    """`aqstream worker` without AQSTREAM_SMTP_HOST no longer exits: it runs the jobs, and stops on SIGTERM."""
    url, engine = fresh
    env = {k: v for k, v in os.environ.items() if not k.startswith("AQSTREAM_SMTP_")}
    worker = subprocess.Popen([sys.executable, "-m", "aqstream.cli", "worker"], cwd=ROOT,
                              env={**env, "DATABASE_URL": url}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              start_new_session=True)
    try:
        wait_until(lambda: (found := row_or_none(engine, "reminders")) is not None and found.last_run_at, timeout=60)
    finally:
        worker.send_signal(signal.SIGTERM)
        out, _err = worker.communicate(timeout=30)
    assert worker.returncode == 0 and b"running scheduled jobs only" in out
    assert row(engine, "reminders").last_error == ""
