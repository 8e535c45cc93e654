"""Reminders before an event, the organizer's notice of each registration, the organizer's own words in the
emails, and emails that lost their reason before they were sent. The clock is moved, and the emails are read
off a real SMTP server on 127.0.0.1."""
from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from aqstream.models import Event, Order, OutboxMessage
from aqstream.services import clock
from aqstream.services.errors import ValidationError
from aqstream.services.events import event_lifecycle, events
from aqstream.services.notify import mail_delivery, reminders
from aqstream.services.org.permissions import Principal
from aqstream.services.sales import orders, registration
from aqstream.services.sales.registration import TicketRequest as TR
from tests.conftest import Factory
from tests.services.conftest import settings, wait_until, worker_process

ZONE = "Europe/Berlin"


def local(dt) -> str:
    from zoneinfo import ZoneInfo

    return dt.astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%dT%H:%M")


def soon_event(session, *, days=3, reminder_hours=24, **fields):
    """A published event starting `days` from now, with its organizer."""
    make = Factory(session)
    owner, org = make.org()
    starts = clock.utcnow().replace(second=0, microsecond=0) + timedelta(days=days)
    data = events.EventInput(title="Evening of jazz", starts_local=local(starts),
                             ends_local=local(starts + timedelta(hours=3)), time_zone=ZONE, venue="Main hall",
                             reminder_hours=reminder_hours,
                             ticket_types=[events.TicketTypeInput("Standard", 50)], **fields)
    event = events.create_event(session, Principal(owner.id), org.id, data)
    event = events.publish_event(session, Principal(owner.id), org.id, event.id)
    return owner, org, event, events.list_ticket_types(session, event.id)[0]


def buy(session, org, event, tt, email, *people, locale="en"):
    return registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name=email.split("@")[0],
                                 buyer_email=email, locale=locale,
                                 tickets=[TR(tt.id, n, e) for n, e in people] or [TR(tt.id)])


def queued(engine, kind) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind)
                                 .order_by(OutboxMessage.id)).all())


def only(engine, kind):
    """Mark every other message sent, so a delivery run reads only this kind."""
    from sqlalchemy import update

    with Session(engine) as session:
        session.exec(update(OutboxMessage).where(OutboxMessage.kind != kind).values(status="sent"))
        session.commit()


def test_each_attendee_gets_exactly_one_reminder_when_the_clock_moves(fresh, smtp_server):
    _url, engine = fresh
    inbox, port = smtp_server()
    with Session(engine) as session:
        owner, org, event, tt = soon_event(session, reminder_text="Doors open at 18:30.\nBring your ticket.")
        buy(session, org, event, tt, "ann@example.com")
        buy(session, org, event, tt, "bob@example.com", ("Bob", ""), ("Cleo", "cleo@example.com"))
        buy(session, org, event, tt, "ann@example.com", ("Ann's friend", ""))  # Ann's second order
        gone = buy(session, org, event, tt, "dan@example.com")
        orders.cancel_by_token(session, gone.order.access_token)
        starts = event.starts_at

        # Two days before: nothing is due.
        assert reminders.enqueue_due(session) == 0
        with clock.travel(starts - timedelta(hours=23) - clock.utcnow()):
            # Someone registering after the reminder time gets their confirmation, not a reminder.
            buy(session, org, event, tt, "late@example.com")
            assert reminders.enqueue_due(session) == 3
            assert reminders.enqueue_due(session) == 0
            with clock.travel(timedelta(hours=20)):
                assert reminders.enqueue_due(session) == 0  # and never again, however often it runs
            only(engine, reminders.REMINDER_EMAIL)
            report = mail_delivery.deliver_once(engine, settings(port))
    assert (report.sent, report.failed, report.skipped) == (3, 0, 0)
    received = {rcpt[0]: message for rcpt, message in inbox.messages}
    assert Counter(rcpt[0] for rcpt, _m in inbox.messages) == {"ann@example.com": 1, "bob@example.com": 1,
                                                               "cleo@example.com": 1}
    # Ann gets both of her orders' tickets, Bob (the buyer) both of his, Cleo only her own.
    qr = {who: sum(p.get_content_type() == "image/png" for p in m.walk()) for who, m in received.items()}
    assert qr == {"ann@example.com": 2, "bob@example.com": 2, "cleo@example.com": 1}
    ann = received["ann@example.com"]
    assert "Reminder: Evening of jazz" in ann["Subject"]
    text = ann.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Doors open at 18:30.\nBring your ticket." in text and "/order/" in text
    assert "/order/" not in received["cleo@example.com"].get_body(("plain",)).get_content().replace("\r\n", "\n")  # not her order


def test_two_schedulers_at_once_on_postgresql_remind_each_person_once(smtp_server):
    from aqstream.db import make_engine
    from tests.conftest import BACKENDS, alembic_upgrade, new_database_url

    if "postgresql" not in BACKENDS:
        pytest.skip("AQSTREAM_SKIP_PG=1")
    url, drop = new_database_url("postgresql")
    alembic_upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            _owner, org, event, tt = soon_event(session, days=2)
            for i in range(40):
                buy(session, org, event, tt, f"guest{i}@example.com")
            starts = event.starts_at
        counts, errors = [], []
        gate = threading.Barrier(4)

        def scheduler():
            try:
                gate.wait()
                with Session(engine) as session:
                    for _ in range(5):
                        counts.append(reminders.enqueue_due(session))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        with clock.travel(starts - timedelta(hours=1) - clock.utcnow()):
            threads = [threading.Thread(target=scheduler) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert not errors
        assert sum(counts) == 40
        sent = queued(engine, reminders.REMINDER_EMAIL)
        assert sorted(m.recipient for m in sent) == sorted(f"guest{i}@example.com" for i in range(40))
    finally:
        engine.dispose()
        drop()


def test_two_worker_processes_with_the_clock_moved_send_each_person_one_reminder(fresh, smtp_server):
    """Real `aqstream worker` processes whose clock is moved past the reminder time (the environment's clock
    offset) schedule and send the reminders themselves: each person gets one."""
    url, engine = fresh
    inbox, port = smtp_server()
    with Session(engine) as session:
        _owner, org, event, tt = soon_event(session, days=2)
        for i in range(12):
            buy(session, org, event, tt, f"guest{i}@example.com")
        offset = (event.starts_at - timedelta(hours=2) - clock.utcnow()).total_seconds()
    only(engine, reminders.REMINDER_EMAIL)  # the confirmations are not what this test reads
    workers = [worker_process(url, port, AQSTREAM_CLOCK_OFFSET_SECONDS=str(offset), AQSTREAM_SCHEDULE_SECONDS="0.5")
               for _ in range(2)]
    try:
        wait_until(lambda: len(inbox.messages) >= 12, timeout=60)
        time.sleep(2)  # a few more scheduling rounds of both workers: nothing more may come
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)
    assert Counter(rcpt[0] for rcpt, _m in inbox.messages) == {f"guest{i}@example.com": 1 for i in range(12)}
    assert all("Reminder" in m["Subject"] for _r, m in inbox.messages)


def test_moving_the_event_reminds_again_and_cancelling_it_stops_a_queued_reminder(fresh, smtp_server):
    _url, engine = fresh
    inbox, port = smtp_server()
    with Session(engine) as session:
        owner, org, event, tt = soon_event(session, days=2)
        buy(session, org, event, tt, "ann@example.com")
        with clock.travel(timedelta(hours=30)):  # inside the 24 hours
            assert reminders.enqueue_due(session) == 1
            only(engine, reminders.REMINDER_EMAIL)
            assert mail_delivery.deliver_once(engine, settings(port)).sent == 1
            # A week later now: Ann will be reminded of the new time.
            new_start = event.starts_at + timedelta(days=7)
            event_lifecycle.update_event(session, Principal(owner.id), org.id, event.id, events.EventInput(
                title=event.title, starts_local=local(new_start), ends_local=local(new_start + timedelta(hours=3)),
                time_zone=ZONE, venue=event.venue, reminder_hours=24))
            assert session.exec(select(Order.reminder_sent_at)).all() == [None]
            assert reminders.enqueue_due(session) == 0  # not yet: a week away
        with clock.travel(timedelta(days=7, hours=30)):
            assert reminders.enqueue_due(session) == 1
            event_lifecycle.cancel_event(session, Principal(owner.id), org.id, event.id, "The hall flooded.")
            only(engine, reminders.REMINDER_EMAIL)
            report = mail_delivery.deliver_once(engine, settings(port))
    # The second reminder, queued before the cancellation, is skipped, not sent.
    assert (report.sent, report.skipped, report.failed) == (0, 1, 0)
    assert len(inbox.messages) == 1
    statuses = sorted(m.status for m in queued(engine, reminders.REMINDER_EMAIL))
    assert statuses == ["sent", "skipped"]


def test_no_reminder_when_the_organizer_turns_it_off(make, session):
    owner, org, event, tt = soon_event(session, days=2, reminder_hours=0)
    buy(session, org, event, tt, "ann@example.com")
    with clock.travel(timedelta(hours=47)):
        assert all(e.id != event.id for e in reminders.due_events(session, clock.utcnow()))


def test_reminder_hours_and_notice_address_are_checked(make, session):
    owner, org = make.org()
    base = dict(title="Checked", starts_local="2031-06-01T18:00", ends_local="2031-06-01T21:00", time_zone=ZONE,
                venue="Hall", ticket_types=[events.TicketTypeInput("Standard", 5)])
    with pytest.raises(ValidationError) as caught:
        events.create_event(session, Principal(owner.id), org.id, events.EventInput(
            **base, reminder_hours=200, notify_email="not an address", confirmation_text="x" * 2001))
    assert caught.value.errors == {"reminder_hours": "field.number_range", "notify_email": "field.emails_invalid",
                                   "confirmation_text": "field.too_long"}
    # One bad address among good ones is refused as a whole; so are more than five.
    for typed, key in [("desk@example.com, boss@", "field.emails_invalid"),
                       (", ".join(f"p{i}@example.com" for i in range(6)), "field.emails_too_many")]:
        with pytest.raises(ValidationError) as caught:
            events.create_event(session, Principal(owner.id), org.id, events.EventInput(**base, notify_email=typed))
        assert caught.value.errors == {"notify_email": key}
    assert session.exec(select(Event).where(Event.organization_id == org.id)).all() == []
    event = events.create_event(session, Principal(owner.id), org.id, events.EventInput(
        **base, reminder_hours=3, notify_email=" Desk@Example.com; boss@example.com desk@example.com ",
        reminder_text="  See you!  "))
    assert (event.reminder_hours, event.notify_email, event.reminder_text) == (
        3, "desk@example.com, boss@example.com", "See you!")
    copy = event_lifecycle.duplicate_event(session, Principal(owner.id), org.id, event.id)
    assert (copy.reminder_hours, copy.notify_email) == (3, "desk@example.com, boss@example.com")


def test_the_organizer_hears_of_each_registration_when_the_event_names_an_address(fresh, smtp_server):
    _url, engine = fresh
    inbox, port = smtp_server()
    with Session(engine) as session:
        from aqstream.services.accounts import accounts

        boss = accounts.sign_up(session, name="Борис", email="boss@example.com", password="a-good-long-passphrase")
        boss.locale = "ru"  # an address with an account gets the notice in that account's language
        session.add(boss)
        session.commit()
        owner, org, event, tt = soon_event(session, days=20, notify_email="desk@example.com, boss@example.com",
                                           confirmation_text="Parking is behind the hall.")
        buy(session, org, event, tt, "ann@example.com", ("Ann", ""), ("Ben", ""), locale="ru")
        from aqstream.services.sales import attendees

        # An organizer adding someone themselves is not news to them.
        attendees.add_attendee(session, Principal(owner.id), org.id, event.id, name="Quiet", email="q@example.com",
                               ticket_type_id=tt.id, notify=False)
        _o2, org2, other, tt2 = soon_event(session, days=20)  # no address: no notice
        buy(session, org2, other, tt2, "zed@example.com")
        org_slug, event_id = org.slug, event.id
    notices = queued(engine, registration.NOTICE_EMAIL)
    assert sorted(m.recipient for m in notices) == ["boss@example.com", "desk@example.com"]  # one email each
    only(engine, registration.NOTICE_EMAIL)
    assert mail_delivery.deliver_once(engine, settings(port)).sent == 2
    received = {rcpt[0]: message for rcpt, message in inbox.messages}
    assert sorted(received) == ["boss@example.com", "desk@example.com"]
    assert received["boss@example.com"]["Subject"].startswith("Новая регистрация")
    notice = received["desk@example.com"]
    text = notice.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "New registration: Evening of jazz (ann)" == notice["Subject"]  # the organization speaks English
    assert "ann <ann@example.com>" in text and "Standard: Ann" in text and "Standard: Ben" in text
    # How full the event is when the notice goes out (the organizer's own guest counts too).
    assert "Registered so far: 3 tickets" in text and f"/o/{org_slug}/events/{event_id}" in text

    # The buyer's confirmation carries the organizer's words, in both parts.
    inbox.messages.clear()
    only(engine, registration.CONFIRMATION_EMAIL)
    with Session(engine) as session:
        from sqlalchemy import update

        session.exec(update(OutboxMessage).where(OutboxMessage.recipient == "ann@example.com")
                     .values(status="pending"))
        session.commit()
    assert mail_delivery.deliver_once(engine, settings(port)).sent == 1
    ((_r, confirmation),) = inbox.messages
    assert "Parking is behind the hall." in confirmation.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Parking is behind the hall." in confirmation.get_body(("html",)).get_content()


def test_a_confirmation_is_skipped_when_the_order_was_cancelled_before_it_was_sent(fresh, smtp_server):
    _url, engine = fresh
    inbox, port = smtp_server()
    with Session(engine) as session:
        owner, org, event, tt = soon_event(session, days=10, notify_email="desk@example.com")
        result = buy(session, org, event, tt, "ann@example.com")
        orders.cancel_by_token(session, result.order.access_token)
        with Session(engine) as other:  # the sign-up emails of the factory are not part of this
            from sqlalchemy import update

            other.exec(update(OutboxMessage).where(OutboxMessage.kind.like("email.verify%")).values(status="sent"))
            other.commit()
    report = mail_delivery.deliver_once(engine, settings(port))
    # The cancellation arrives; the confirmation and the organizer's notice lost their reason.
    assert (report.sent, report.skipped, report.failed) == (1, 2, 0)
    ((rcpt, message),) = inbox.messages
    assert rcpt == ["ann@example.com"] and "cancel" in message["Subject"].lower()
    skipped = {m.kind: m.last_error for m in queued(engine, registration.CONFIRMATION_EMAIL)
               + queued(engine, registration.NOTICE_EMAIL)}
    assert "cancelled before" in skipped[registration.CONFIRMATION_EMAIL]
    assert all(m.status == "skipped" for m in queued(engine, registration.NOTICE_EMAIL))


def test_a_russian_buyer_gets_the_reminder_in_russian(make, session):
    from aqstream.services.notify import email_render

    owner, org, event, tt = soon_event(session, days=2, reminder_text="Вход со двора.")
    buy(session, org, event, tt, "anna@example.com", ("Анна", ""), locale="ru")
    with clock.travel(timedelta(hours=30)):
        assert reminders.enqueue_due(session) >= 1
    (message,) = [m for m in session.exec(select(OutboxMessage).where(
        OutboxMessage.kind == reminders.REMINDER_EMAIL, OutboxMessage.recipient == "anna@example.com")).all()]
    email = email_render.render(session, message)
    assert email["Subject"].startswith("Напоминание: Evening of jazz")
    text = email.get_body(("plain",)).get_content()
    assert "Здравствуйте, anna!" in text and "Сообщение от организатора" in text and "Вход со двора." in text
