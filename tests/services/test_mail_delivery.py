"""Email delivery from the outbox against a real SMTP server on 127.0.0.1 (aiosmtpd): messages arrive, wait
and retry while the server is down, survive a killed worker, and two workers never send one message twice."""
from __future__ import annotations

import os
import signal
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, update
from sqlmodel import Session, select

from aqstream.db import make_engine
from aqstream.models import OutboxMessage
from aqstream.services.accounts import accounts
from aqstream.services.clock import travel, utcnow
from aqstream.services.notify import mail_delivery, outbox
from tests.conftest import BACKENDS, alembic_upgrade, new_database_url
from tests.services.conftest import free_port, settings, wait_until, worker_process

ROOT = Path(__file__).resolve().parents[2]


def sign_ups(engine, count: int) -> list[str]:
    """Real messages: each sign-up writes an address-confirmation email into the outbox."""
    with Session(engine) as session:
        return [accounts.sign_up(session, name=f"Person {i}", email=f"person{i}@example.com",
                                 password="a-good-long-passphrase").email for i in range(count)]


def copies(engine, count: int) -> None:
    """Many messages fast: copies of one real sign-up email to different addresses."""
    (first,) = sign_ups(engine, 1)
    with Session(engine) as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == first)).one()
        session.execute(insert(OutboxMessage), [
            outbox.message_row(kind=row.kind, recipient=f"copy{i}@example.com", payload=row.payload)
            for i in range(count - 1)])
        session.commit()


def statuses(engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    return dict(rows)


def arrivals(*inboxes) -> Counter:
    """How often each (recipient, Message-ID) came, over every server a test started."""
    return Counter((rcpt[0], message["Message-ID"]) for inbox in inboxes for rcpt, message in inbox.messages)


def rows(engine) -> dict[str, OutboxMessage]:
    with Session(engine) as session:
        return {m.recipient: m for m in session.exec(select(OutboxMessage)).all()}


def deliver_until_done(engine, port: int, count: int, rounds: int = 8) -> list[mail_delivery.Report]:
    """Send, then move the clock past the longest backoff and send again, until all `count` are sent."""
    reports = []
    for hours in range(rounds):
        with travel(timedelta(hours=2 * hours)):
            reports.append(mail_delivery.deliver_once(engine, settings(port)))
        if statuses(engine) == {"sent": count}:
            break
    return reports


def test_messages_arrive_with_their_recipients(fresh, smtp_server):
    _url, engine = fresh
    inbox, port = smtp_server()
    addresses = sign_ups(engine, 3)
    report = mail_delivery.deliver_once(engine, settings(port))
    assert (report.sent, report.retried, report.failed) == (3, 0, 0)
    assert sorted(rcpt[0] for rcpt, _m in inbox.messages) == sorted(addresses)
    for rcpt, message in inbox.messages:
        assert message["To"] == rcpt[0] and message["From"] == "AqStream <no-reply@example.com>"
        assert message["Subject"] and message["Message-ID"].startswith("<outbox-")
    assert statuses(engine) == {"sent": 3}
    assert mail_delivery.deliver_once(engine, settings(port)).sent == 0  # nothing twice


def test_smtp_down_messages_wait_then_all_arrive_once(fresh, smtp_server):
    _url, engine = fresh
    addresses = sign_ups(engine, 4)
    port = free_port()  # nobody listens yet
    report = mail_delivery.deliver_once(engine, settings(port))
    assert (report.sent, report.retried) == (0, 4) and "connect" in report.errors[0]
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage)).all()
        assert {r.status for r in rows} == {"pending"} and {r.attempts for r in rows} == {1}
        # The next try waits 15-30 s (backoff with jitter), so an immediate second run sends nothing.
        assert all(timedelta(seconds=14) < r.next_attempt_at - utcnow() <= timedelta(seconds=30) for r in rows)
    assert mail_delivery.deliver_once(engine, settings(port)).sent + mail_delivery.deliver_once(
        engine, settings(port)).retried == 0
    # An hour later the server is up again: everything arrives, once.
    with Session(engine) as session:
        session.exec(update(OutboxMessage).values(next_attempt_at=utcnow()))
        session.commit()
    inbox, _ = smtp_server(port)
    assert mail_delivery.deliver_once(engine, settings(port)).sent == 4
    assert mail_delivery.deliver_once(engine, settings(port)).sent == 0
    assert sorted(r[0] for r, _m in inbox.messages) == sorted(addresses)
    assert statuses(engine) == {"sent": 4}


def test_a_greylisted_address_waits_and_then_gets_its_message_once(fresh, smtp_server):
    """A greylisting server answers 451 at RCPT TO the first time it sees an address and accepts it on a later
    try: the message waits the usual backoff instead of failing, then arrives once."""
    _url, engine = fresh
    inbox, port = smtp_server()
    inbox.answer("RCPT", "451 4.7.1 Greylisted, try again later", first=1)
    addresses = sign_ups(engine, 3)
    report = mail_delivery.deliver_once(engine, settings(port))
    assert (report.sent, report.retried, report.failed) == (0, 3, 0)
    assert inbox.messages == []
    for row in rows(engine).values():
        assert (row.status, row.attempts) == ("pending", 1)
        assert "451" in row.last_error and "Greylisted, try again later" in row.last_error
        assert timedelta(seconds=14) < row.next_attempt_at - utcnow() <= timedelta(seconds=30)
    assert mail_delivery.deliver_once(engine, settings(port)).sent == 0  # not before the backoff
    with travel(timedelta(minutes=1)):
        report = mail_delivery.deliver_once(engine, settings(port))
    assert (report.sent, report.retried, report.failed) == (3, 0, 0)
    assert statuses(engine) == {"sent": 3}
    assert sorted(rcpt for rcpt, _id in arrivals(inbox)) == sorted(addresses)
    assert set(arrivals(inbox).values()) == {1}
    assert {inbox.tries[("RCPT", address)] for address in addresses} == {2}


@pytest.mark.parametrize("stage, reply", [
    ("MAIL", "451 4.3.2 System not accepting network messages"),
    ("RCPT", "450 4.2.1 Mailbox busy, try again later"),
    ("RCPT", "452 4.2.2 Mailbox full"),
    ("RCPT", "421 4.3.2 Service shutting down, closing channel"),  # the client hangs up: the batch's rest waits too
    ("DATA command", "451 4.3.0 Queue full, try again"),  # smtplib does not reset it: the next message must not pay
    ("DATA", "451 4.3.0 Local error in processing, try again"),
    ("DATA", "421 4.4.5 Too busy, closing channel"),
], ids=lambda v: v[:3] if v[0].isdigit() else v)
def test_a_temporary_answer_is_retried_until_every_message_arrives_once(fresh, smtp_server, stage, reply):
    _url, engine = fresh
    inbox, port = smtp_server()
    inbox.answer(stage, reply, first=1)  # each recipient's first try (at MAIL: the sender's, so one message's)
    addresses = sign_ups(engine, 3)
    reports = deliver_until_done(engine, port, 3)
    assert reports[0].failed == 0 and reports[0].retried >= 1
    assert reply[:3] in reports[0].errors[0] and reply[4:] in reports[0].errors[0]  # the code and the server's words
    assert sum(r.failed for r in reports) == 0  # none failed: every one was delivered by a later try
    assert statuses(engine) == {"sent": 3}
    got = arrivals(inbox)
    assert sorted(rcpt for rcpt, _id in got) == sorted(addresses) and set(got.values()) == {1}
    assert len({message_id for _rcpt, message_id in got}) == 3


@pytest.mark.parametrize("stage, reply", [
    ("RCPT", "550 5.1.1 No such user here"),
    ("RCPT", "553 5.1.3 Bad recipient address syntax"),
    ("DATA", "554 5.7.1 Message rejected as spam"),
], ids=lambda v: v[:3] if v[0].isdigit() else v)
def test_a_permanent_answer_fails_at_once_and_the_batch_goes_on(fresh, smtp_server, stage, reply):
    _url, engine = fresh
    inbox, port = smtp_server()
    addresses = sign_ups(engine, 3)
    refused = addresses[1]
    inbox.answer(stage, reply, to=refused)
    report = mail_delivery.deliver_once(engine, settings(port))
    assert (report.sent, report.retried, report.failed) == (2, 0, 1)
    row = rows(engine)[refused]
    assert (row.status, row.attempts) == ("failed", 1)
    assert reply[:3] in row.last_error and reply[4:] in row.last_error
    with travel(timedelta(hours=2)):  # failed is final: no more tries (until an admin sends it again)
        report = mail_delivery.deliver_once(engine, settings(port))
    assert (report.sent, report.retried, report.failed) == (0, 0, 0)
    assert inbox.tries[(stage, refused)] == 1
    assert sorted(rcpt for rcpt, _id in arrivals(inbox)) == sorted(a for a in addresses if a != refused)


def test_a_message_that_fails_to_render_is_retried_then_failed_never_stuck_or_blocking(fresh, smtp_server, monkeypatch):
    """A bug in rendering one email (any exception) must not leave it "sending" forever, re-claimed at every lease,
    nor stop the batch: it waits like a busy server's refusal and fails after the last attempt."""
    from aqstream.services.notify import email_render

    _url, engine = fresh
    inbox, port = smtp_server()
    addresses = sign_ups(engine, 3)
    broken = addresses[1]
    real = email_render.render

    def render(session, message):
        if message.recipient == broken:
            raise TypeError("a bug in a template")
        return real(session, message)

    monkeypatch.setattr(email_render, "render", render)
    monkeypatch.setattr(mail_delivery, "max_attempts", lambda: 2)
    report = mail_delivery.deliver_once(engine, settings(port))
    assert (report.sent, report.retried, report.failed) == (2, 1, 0)
    row = rows(engine)[broken]
    assert (row.status, row.attempts) == ("pending", 1) and "TypeError: a bug in a template" in row.last_error
    with travel(timedelta(hours=2)):
        report = mail_delivery.deliver_once(engine, settings(port))
    assert (report.sent, report.retried, report.failed) == (0, 0, 1)
    assert rows(engine)[broken].status == "failed"
    assert sorted(rcpt for rcpt, _id in arrivals(inbox)) == sorted(a for a in addresses if a != broken)


def test_a_server_that_goes_away_mid_batch_loses_nothing_and_fails_nothing(fresh, smtp_server):
    """The server takes the third message and disappears before it answers: the two before are sent, the third
    and the rest wait while it is down (none failed), and when it is back they all arrive; the third twice,
    with its one Message-ID."""
    _url, engine = fresh
    inbox, port = smtp_server()
    inbox.vanish_at = 3
    addresses = sign_ups(engine, 6)
    report = mail_delivery.deliver_once(engine, settings(port))
    assert (report.sent, report.retried, report.failed) == (2, 4, 0)
    assert "SMTPServerDisconnected" in report.errors[0]
    assert all("closed the connection" in e and "@" not in e for e in report.errors[1:])  # no one else's address
    with travel(timedelta(hours=2)):  # still down
        report = mail_delivery.deliver_once(engine, settings(port))
    assert (report.sent, report.retried, report.failed) == (0, 4, 0) and "connect" in report.errors[0]
    back, _ = smtp_server(port)
    with travel(timedelta(hours=4)):
        report = mail_delivery.deliver_once(engine, settings(port))
    assert (report.sent, report.retried, report.failed) == (4, 0, 0)
    assert statuses(engine) == {"sent": 6}
    got = arrivals(inbox, back)
    assert sorted(rcpt for rcpt, _id in got) == sorted(addresses)  # one Message-ID per message
    assert [got[pair] for pair in sorted(got, key=lambda pair: addresses.index(pair[0]))] == [1, 1, 2, 1, 1, 1]


def test_after_the_last_attempt_a_message_fails_and_can_be_sent_again(fresh, smtp_server, monkeypatch):
    _url, engine = fresh
    monkeypatch.setenv("AQSTREAM_MAIL_MAX_ATTEMPTS", "3")
    sign_ups(engine, 1)
    port = free_port()
    for attempt in range(3):
        with Session(engine) as session:
            session.exec(update(OutboxMessage).values(next_attempt_at=utcnow()))
            session.commit()
        mail_delivery.deliver_once(engine, settings(port))
    assert statuses(engine) == {"failed": 1}
    with Session(engine) as session:
        message = session.exec(select(OutboxMessage)).one()
        assert message.attempts == 3 and "connect" in message.last_error
        assert mail_delivery.retry_now(session, message.id)
    inbox, _ = smtp_server(port)
    assert mail_delivery.deliver_once(engine, settings(port)).sent == 1 and len(inbox.messages) == 1


def test_backoff_grows_with_jitter_and_a_ceiling():
    import random

    rng = random.Random(7)
    waits = [mail_delivery.backoff(n, rng) for n in (1, 2, 3, 4, 20)]
    assert timedelta(seconds=15) <= waits[0] <= timedelta(seconds=30)
    assert timedelta(seconds=30) <= waits[1] <= timedelta(seconds=60)
    assert timedelta(seconds=120) <= waits[3] <= timedelta(seconds=240)
    assert timedelta(minutes=30) <= waits[4] <= timedelta(hours=1)
    assert len({mail_delivery.backoff(1, rng) for _ in range(5)}) == 5  # jitter: workers spread out


def test_a_claim_whose_worker_died_is_taken_again(fresh, smtp_server):
    _url, engine = fresh
    inbox, port = smtp_server()
    sign_ups(engine, 2)
    with Session(engine) as session:
        assert len(mail_delivery.claim(session, "dead-worker")) == 2  # ...and then the worker died
    assert mail_delivery.deliver_once(engine, settings(port)).sent == 0  # its lease still holds
    with Session(engine) as session:
        session.exec(update(OutboxMessage).values(locked_until=utcnow() - timedelta(seconds=1)))
        session.commit()
    assert mail_delivery.deliver_once(engine, settings(port)).sent == 2
    with Session(engine) as session:
        assert {m.attempts for m in session.exec(select(OutboxMessage)).all()} == {2}
        # The dead worker's late word cannot undo what the new one recorded.
        assert not mail_delivery._finish(session, 1, "dead-worker", status="pending")


def test_a_worker_killed_mid_batch_loses_nothing(fresh, smtp_server):
    url, engine = fresh
    inbox, port = smtp_server(delay=0.05)  # a slow server: the kill lands in the middle of a batch
    copies(engine, 60)
    first = worker_process(url, port, lease=3)
    wait_until(lambda: len(inbox.messages) >= 5)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert 0 < len(inbox.messages) < 60
    assert statuses(engine).get("sending", 0) > 0  # claimed and never finished
    second = worker_process(url, port, lease=3)
    try:
        wait_until(lambda: statuses(engine) == {"sent": 60})
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    # Every message arrived; a message the killed worker handed to SMTP but could not record may come twice,
    # with its one Message-ID; only the one in flight at the kill can.
    got = arrivals(inbox)
    assert len(set(inbox.ids())) == 60 and len(got) == 60 and len({rcpt for rcpt, _id in got}) == 60
    assert sum(got.values()) <= 61


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="AQSTREAM_SKIP_PG=1")
def test_two_workers_on_postgresql_send_each_message_exactly_once(smtp_server):
    url, drop = new_database_url("postgresql")
    alembic_upgrade(url)
    engine = make_engine(url)
    try:
        inbox, port = smtp_server()
        copies(engine, 1000)
        workers = [worker_process(url, port), worker_process(url, port)]
        try:
            wait_until(lambda: statuses(engine) == {"sent": 1000}, timeout=300)
        finally:
            for w in workers:
                w.send_signal(signal.SIGTERM)
            errors = [w.communicate(timeout=30)[1].decode() for w in workers]
        ids = inbox.ids()
        assert len(ids) == 1000 and len(set(ids)) == 1000, errors
        with Session(engine) as session:
            by_worker = dict(session.exec(select(OutboxMessage.claimed_by, func.count())
                                          .group_by(OutboxMessage.claimed_by)).all())
        assert by_worker == {"": 1000}
        assert all("mail worker" in e for e in errors)  # both really ran
    finally:
        engine.dispose()
        drop()


def test_a_confirmation_arrives_whole_over_smtp(fresh, smtp_server):
    """Over the wire: recipient, subject in the buyer's language, text and HTML parts, a QR image per
    ticket, the .ics attachment."""
    from aqstream.services.sales import registration
    from aqstream.services.sales.registration import TicketRequest
    from tests.conftest import Factory

    _url, engine = fresh
    inbox, port = smtp_server()
    with Session(engine) as session:
        make = Factory(session)
        owner, org = make.org()
        event, types = make.event(owner, org)
        title = event.title
        registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Анна",
                              buyer_email="anna@example.com", locale="ru",
                              tickets=[TicketRequest(types[0].id, "Анна"), TicketRequest(types[0].id, "Пётр")])
        session.exec(update(OutboxMessage).where(OutboxMessage.recipient != "anna@example.com")
                     .values(status="sent"))  # the sign-up emails are not what this test reads
        session.commit()
    assert mail_delivery.deliver_once(engine, settings(port)).sent == 1
    ((rcpt, message),) = inbox.messages
    assert rcpt == ["anna@example.com"] and title in message["Subject"]
    assert any(ch in message["Subject"] for ch in "абвгдеёжзийклмнопрстуфхцчшщыэюя")
    parts = {part.get_content_type(): part for part in message.walk()}
    assert "Анна" in parts["text/plain"].get_content() and "/order/" in parts["text/html"].get_content()
    pngs = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(pngs) == 2 and all(p.get_content().startswith(b"\x89PNG") for p in pngs)
    ics = parts["text/calendar"]
    assert ics.get_filename().endswith(".ics") and b"BEGIN:VEVENT" in ics.get_content().encode()
