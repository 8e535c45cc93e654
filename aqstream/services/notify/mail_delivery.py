"""Delivers the outbox's emails over SMTP, at least once and never by two workers at the same time.

A worker claims a few due messages in one short transaction: on PostgreSQL with FOR UPDATE SKIP LOCKED, so
any number of workers take disjoint rows; on SQLite the write lock serializes claims. A claim marks the row
"sending", counts the attempt and holds a lease. Then the worker renders and sends each message and records
the outcome, guarded by its own claim. A worker that dies leaves its rows "sending" with a lease that runs
out; the next claim takes them again, so a message that belongs to a committed change is delivered even if
the process died mid-send (at least once; the Message-ID is stable, so mail clients show a repeat once).
Every failure is judged by the server's reply code in one place (`classify`): a 5xx is permanent and the
message is "failed" at once; a 4xx (greylisting, a full mailbox, 421), a dropped connection or a timeout waits
with exponential backoff and jitter, and after MAX_ATTEMPTS the message is "failed" too. Failed messages are
shown to admins, who can send them again."""
from __future__ import annotations

import logging
import os
import random
import signal
import smtplib
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from aqstream import config
from aqstream.config import SmtpSettings
from aqstream.db import begin_write, get_engine, session_scope
from aqstream.models import OutboxMessage
from aqstream.services import scheduler
from aqstream.services.clock import utcnow
from aqstream.services.notify import email_render

log = logging.getLogger(__name__)

EMAIL_KINDS = "email.%"
BATCH = 20
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)


def max_attempts() -> int:
    return config.mail_max_attempts()


def lease() -> timedelta:
    """How long a claim holds before another worker may take the message again (a dead worker's rows)."""
    return timedelta(seconds=config.mail_lease_seconds())


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """The wait after the given number of failed attempts: 30 s, 1 min, 2 min, ... up to an hour, each
    between half and all of that ("equal jitter"), so workers that failed together do not retry together."""
    ceiling = min(MAX_DELAY, BASE_DELAY * (2 ** max(0, attempts - 1)))
    return ceiling * (0.5 + 0.5 * (rng or random).random())


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{threading.get_ident() % 100000}"


def _due(now: datetime):
    return and_(
        OutboxMessage.kind.like(EMAIL_KINDS),
        or_(and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
            and_(OutboxMessage.status == "sending", OutboxMessage.locked_until < now)),
    )


def claim(session: Session, worker: str, limit: int = BATCH, now: datetime | None = None) -> list[int]:
    """Take up to `limit` due messages for this worker, oldest first, and commit the claim."""
    now = now or utcnow()
    begin_write(session)
    query = select(OutboxMessage.id).where(_due(now)).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    query = query.limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.exec(query).all())
    if ids:
        session.exec(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(
            status="sending", claimed_by=worker, locked_until=now + lease(), attempts=OutboxMessage.attempts + 1))
    session.commit()
    return ids


def _finish(session: Session, message_id: int, worker: str, **values) -> bool:
    """Record an outcome, only while this worker still holds the claim."""
    begin_write(session)
    done = session.exec(update(OutboxMessage).where(
        OutboxMessage.id == message_id, OutboxMessage.status == "sending", OutboxMessage.claimed_by == worker,
    ).values(claimed_by="", locked_until=None, **values)).rowcount
    session.commit()
    return done == 1


@dataclass(frozen=True)
class Verdict:
    permanent: bool  # sending again will not help: "failed" now, not after the last attempt
    error: str  # what the mail log shows


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _permanent(code: int) -> bool:
    """RFC 5321: 5xx is a permanent refusal; 4xx (421 included) is transient; anything else is no answer."""
    return 500 <= code <= 599


def classify(exc: Exception, connecting: bool = False) -> Verdict:
    """The one place that decides what a failed send means, by the server's reply code wherever there is one:
    5xx is permanent, 4xx waits for the next try (a greylisting server answers "451 4.7.1 Greylisted, try
    again later" at RCPT TO the first time). SMTPRecipientsRefused carries a code per recipient: permanent only
    if every one is 5xx. No answer at all (disconnected, timed out, connection refused, TLS) waits too.
    While `connecting`, nothing is permanent: no message was offered yet, so even a 5xx greeting or a refused
    login is about the server or our settings, and the messages wait until they are fixed (up to max
    attempts). A message that cannot be encoded (ValueError) is permanent: it would fail the same way again."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        refused = exc.recipients.items()
        error = "; ".join(f"SMTP {code} at RCPT TO <{rcpt}>: {_text(reply)}" for rcpt, (code, reply) in refused)
        permanent = all(_permanent(code) for _rcpt, (code, _reply) in refused)
    elif isinstance(exc, smtplib.SMTPResponseException):  # sender refused, after DATA, greeting, HELO, login
        stage = {smtplib.SMTPSenderRefused: " at MAIL FROM", smtplib.SMTPDataError: " at DATA"}.get(type(exc), "")
        error = f"SMTP {exc.smtp_code}{stage}: {_text(exc.smtp_error)}"
        permanent = _permanent(exc.smtp_code)
    else:  # no reply code: disconnected, timed out, refused, TLS (the connection, not the message); or unencodable
        error = f"{type(exc).__name__}: {exc}"
        permanent = isinstance(exc, ValueError)
    if connecting:
        return Verdict(False, f"connect: {error}")
    return Verdict(permanent, error)


@dataclass
class Report:
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.security == "tls":
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        if settings.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
    if settings.user:
        smtp.login(settings.user, settings.password)
    return smtp


def _fail(session: Session, message: OutboxMessage, worker: str, verdict: Verdict, report: Report,
          rng: random.Random | None) -> None:
    now = utcnow()
    if verdict.permanent or message.attempts >= max_attempts():
        _finish(session, message.id, worker, status="failed", last_error=verdict.error[:2000])
        report.failed += 1
    else:
        _finish(session, message.id, worker, status="pending", last_error=verdict.error[:2000],
                next_attempt_at=now + backoff(message.attempts, rng))
        report.retried += 1
    report.errors.append(verdict.error)


def deliver_once(engine: Engine, settings: SmtpSettings, worker: str | None = None, limit: int = BATCH,
                 rng: random.Random | None = None) -> Report:
    """Claim one batch and send it over one SMTP connection. Returns what happened."""
    worker = worker or worker_name()
    report = Report()
    with session_scope(engine) as session:
        ids = claim(session, worker, limit)
        if not ids:
            return report
        messages = list(session.exec(select(OutboxMessage).where(OutboxMessage.id.in_(ids))
                                     .order_by(OutboxMessage.id)).all())
        session.rollback()
        try:
            smtp = _connect(settings)
        except (OSError, smtplib.SMTPException) as exc:  # the server is down: everyone waits and retries
            verdict = classify(exc, connecting=True)
            for message in messages:
                _fail(session, message, worker, verdict, report, rng)
            return report
        try:
            for message in messages:
                if smtp.sock is None:  # the server hung up (421) or went away: the batch's rest waits for a try
                    # (without the earlier message's error: it names another recipient, maybe another organization's)
                    _fail(session, message, worker, Verdict(False, "not sent: the SMTP server closed the connection "
                                                                   "during an earlier message"), report, rng)
                    continue
                _send(session, smtp, settings, message, worker, report, rng)
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
    return report


def _send(session: Session, smtp: smtplib.SMTP, settings: SmtpSettings, message: OutboxMessage, worker: str,
          report: Report, rng) -> None:
    """Render and send one message and record the outcome."""
    try:
        email = email_render.render(session, message)
        email["From"] = settings.from_address
        email["To"] = message.recipient
        email["Message-ID"] = f"<outbox-{message.id}-{message.created_at:%Y%m%d%H%M%S}@{_domain()}>"
    except email_render.Obsolete as exc:  # nothing to tell any more: not sent, and not an error
        session.rollback()
        if _finish(session, message.id, worker, status="skipped", last_error=str(exc)[:2000]):
            report.skipped += 1
        return
    except (ValueError, LookupError) as exc:  # it cannot be rendered: it never will be
        session.rollback()
        _fail(session, message, worker, Verdict(True, f"{type(exc).__name__}: {exc}"), report, rng)
        return
    except Exception as exc:  # a bug, or the database gone for a moment: retried like a busy server, never stuck
        logging.getLogger("aqstream.mail").exception("could not render outbox message %s", message.id)
        session.rollback()
        _fail(session, message, worker, Verdict(False, f"could not render: {type(exc).__name__}: {exc}"), report, rng)
        return
    session.rollback()  # rendering only reads: end its transaction before the slow network part
    try:
        smtp.send_message(email)
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        _reset(smtp)
        _fail(session, message, worker, classify(exc), report, rng)
        return
    if _finish(session, message.id, worker, status="sent", sent_at=utcnow(), last_error=""):
        report.sent += 1


def _reset(smtp: smtplib.SMTP) -> None:
    """End a refused transaction so the next message starts clean: smtplib sends RSET after most refusals,
    but not when the DATA command itself is refused (the next MAIL FROM would get "503 nested MAIL")."""
    if smtp.sock is not None:
        try:
            smtp.rset()
        except (OSError, smtplib.SMTPException):
            pass  # the connection is gone: smtplib closed it, and the batch's rest waits


def _domain() -> str:
    from urllib.parse import urlsplit

    return urlsplit(config.public_base_url()).hostname or "localhost"


class _Jobs:
    """The worker's share of the scheduler: runs the due jobs when it is time to look again (see scheduler.py)."""

    def __init__(self, engine: Engine, worker: str) -> None:
        self.engine, self.worker, self.at = engine, worker, 0.0

    def __call__(self) -> float:
        """Run the due jobs if it is time; the seconds until the next look."""
        if time.monotonic() >= self.at:
            try:
                wait = scheduler.run_due(self.engine, worker=self.worker).wait
            except Exception:  # the database went away for a moment: look again soon
                log.exception("scheduled jobs failed")
                wait = scheduler.MAX_WAIT
            self.at = time.monotonic() + wait
        return max(0.0, self.at - time.monotonic())


def run_worker(engine: Engine, settings: SmtpSettings | None, stop: threading.Event, idle_seconds: float = 2.0) -> None:
    """Until stopped: run the scheduled jobs that are due (reminders, ...), and send batch after batch while
    there is work, then sleep a little. Without SMTP settings it only runs the jobs. Never dies."""
    worker = worker_name()
    if settings is not None:
        log.info("mail worker %s sending through %s:%s", worker, settings.host, settings.port)
    jobs = _Jobs(engine, worker)
    while not stop.is_set():
        until_jobs = jobs()
        if settings is None:
            stop.wait(min(idle_seconds * 5, until_jobs))
            continue
        try:
            report = deliver_once(engine, settings, worker)
        except Exception:  # the database went away for a moment: wait and go on
            log.exception("mail worker batch failed")
            report = Report()
        if report.sent + report.skipped + report.retried + report.failed == 0 or report.retried:
            stop.wait(min(idle_seconds, until_jobs))


def retry_now(session: Session, message_id: int, commit: bool = True) -> bool:
    """Put a failed message back in the queue at once (an admin's "send again"). With commit=False the
    caller's transaction goes on (to record who asked, in the same commit)."""
    begin_write(session)
    done = session.exec(update(OutboxMessage).where(OutboxMessage.id == message_id,
                                                    OutboxMessage.status == "failed")
                        .values(status="pending", attempts=0, next_attempt_at=utcnow(), last_error="")).rowcount
    if commit:
        session.commit()
    return done == 1


def start_in_process(engine: Engine | None = None) -> threading.Event | None:
    """The default for one machine: a worker thread inside the app process, unless AQSTREAM_MAIL_WORKER is
    "off" (set it off when separate `aqstream worker` processes send). Without SMTP settings the thread only
    runs the scheduled jobs (reminders are queued, so the mail log shows them too)."""
    settings = config.smtp_settings()
    if not config.mail_worker_in_process():
        return None
    stop = threading.Event()
    threading.Thread(target=run_worker, args=(engine or get_engine(), settings, stop), name="aqstream-mail",
                     daemon=True).start()
    return stop


def main_loop() -> int:
    """`aqstream worker`: a separate process that runs the scheduled jobs and sends mail, until SIGTERM or
    Ctrl-C. Without AQSTREAM_SMTP_HOST it runs the jobs only."""
    settings = config.smtp_settings()
    if settings is None:
        print("aqstream worker: AQSTREAM_SMTP_HOST is not set; running scheduled jobs only, mail stays in the "
              "app's mail log")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    logging.basicConfig(level=logging.INFO)
    run_worker(get_engine(), settings, stop, idle_seconds=config.worker_idle_seconds())
    return 0
