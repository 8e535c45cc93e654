"""Domain events: the named events that organizer and attendee actions record with their payload, in the
transaction of the change; the handlers that turn them into the outbox emails and audit entries; deferred
handlers that run once, across concurrent runs and after a worker died between the commit and the effect."""
from __future__ import annotations

import ast
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import AuditEntry, DomainEvent, DomainEventDelivery, OutboxMessage
from aqstream.services import jobs, scheduler
from aqstream.services.accounts import accounts
from aqstream.services.clock import utcnow
from aqstream.services.events import event_lifecycle, events
from aqstream.services.notify import domain_events, email_kinds
from aqstream.services.org import team
from aqstream.services.org.permissions import ADMIN, STAFF, Principal
from aqstream.services.sales import attendees, orders, pending_orders, registration
from aqstream.services.sales.registration import TicketRequest as TR
from tests.conftest import unique


def buy(session, org, event, tickets, **kw):
    return registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Buyer",
                                 buyer_email=kw.pop("buyer_email", f"{unique('b')}@example.com"), tickets=tickets, **kw)


def recorded(session, name, **payload):
    """The events of `name` whose payload holds every given key/value."""
    session.commit()
    return [e for e in domain_events.events(session, name) if all(e.payload.get(k) == v for k, v in payload.items())]


def outbox_rows(session, kind, **payload):
    return [m for m in session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)).all()
            if all(m.payload.get(k) == v for k, v in payload.items())]


def audit_rows(session, action, object_id):
    return session.exec(select(AuditEntry).where(AuditEntry.action == action, AuditEntry.object_id == object_id)
                        .order_by(AuditEntry.id)).all()


# What organizer and attendee actions record ----------------------------------------------------------------


def test_registering_records_order_placed_and_confirmed_and_its_handlers_write_email_and_audit(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    result = buy(session, org, event, [TR(tt.id, "Anna"), TR(tt.id, "Boris")], buyer_email="anna@example.com")
    order = result.order
    (placed,) = recorded(session, "order.placed", order_id=order.id)
    assert placed.organization_id == org.id and placed.actor_label == "anna@example.com"
    assert placed.payload["tickets"] == {str(tt.id): 2}
    (confirmed,) = recorded(session, "order.confirmed", order_id=order.id)
    assert [t["code"] for t in confirmed.payload["tickets"]] == [t.code for t in result.tickets]
    assert confirmed.payload["buyer_email"] == "anna@example.com" and confirmed.payload["event_title"] == event.title
    (mail,) = outbox_rows(session, email_kinds.REGISTRATION_CONFIRMATION, order_id=order.id)
    assert mail.recipient == "anna@example.com"
    assert [t["attendee"] for t in mail.payload["tickets"]] == ["Anna", "Boris"]
    (entry,) = audit_rows(session, "order.create", order.id)
    assert entry.data == {"event_id": event.id, "tickets": {str(tt.id): 2}}


def test_a_held_order_records_order_placed_only_and_confirming_it_records_order_confirmed(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    order = buy(session, org, event, [TR(tt.id)], hold_for=timedelta(minutes=10)).order
    assert recorded(session, "order.placed", order_id=order.id) and not recorded(session, "order.confirmed",
                                                                                  order_id=order.id)
    assert not outbox_rows(session, email_kinds.REGISTRATION_CONFIRMATION, order_id=order.id)
    pending_orders.confirm_pending(session, order.id)
    (confirmed,) = recorded(session, "order.confirmed", order_id=order.id)
    assert confirmed.payload["held"] is True
    assert len(outbox_rows(session, email_kinds.REGISTRATION_CONFIRMATION, order_id=order.id)) == 1
    (entry,) = audit_rows(session, "order.confirm", order.id)
    assert entry.data == {"tickets": [t["id"] for t in confirmed.payload["tickets"]]}
    pending_orders.confirm_pending(session, order.id)  # confirmed again: nothing new
    assert len(recorded(session, "order.confirmed", order_id=order.id)) == 1


def test_expiring_held_orders_records_order_expired_for_each(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    held = [buy(session, org, event, [TR(tt.id)] * n, hold_for=timedelta(minutes=10)).order for n in (1, 2)]
    pending_orders.expire_due(session, utcnow() + timedelta(minutes=11))
    for order, n in zip(held, (1, 2)):
        (expired,) = recorded(session, "order.expired", order_id=order.id)
        assert expired.organization_id == org.id and expired.payload == {"order_id": order.id, "event_id": event.id,
                                                                         "tickets": n}
        (entry,) = audit_rows(session, "order.expire", order.id)
        assert entry.data == {"event_id": event.id, "tickets": n} and entry.actor_user_id is None


def test_cancelling_an_order_and_a_ticket_record_their_events(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    whole = buy(session, org, event, [TR(tt.id)], buyer_email="whole@example.com")
    orders.cancel_by_token(session, whole.order.access_token)
    (cancelled,) = recorded(session, "order.cancelled", order_id=whole.order.id)
    assert cancelled.payload["by"] == "attendee" and cancelled.payload["whole_order"] is True
    assert cancelled.payload["tickets"] == [whole.tickets[0].id] and cancelled.actor_label == "whole@example.com"
    (mail,) = outbox_rows(session, email_kinds.ORDER_CANCELLED, order_id=whole.order.id)
    assert mail.payload["cancelled_codes"] == [whole.tickets[0].code] and mail.recipient == "whole@example.com"
    assert len(audit_rows(session, "order.cancel", whole.order.id)) == 1

    part = buy(session, org, event, [TR(tt.id), TR(tt.id)])
    orders.cancel_ticket(session, Principal(owner.id), org.id, part.tickets[1].id, reason="No show")
    (ticket,) = recorded(session, "ticket.cancelled", order_id=part.order.id)
    assert ticket.payload["tickets"] == [part.tickets[1].id] and ticket.payload["whole_order"] is False
    assert ticket.actor_user_id == owner.id and ticket.payload["reason"] == "No show"
    assert not recorded(session, "order.cancelled", order_id=part.order.id)
    (entry,) = audit_rows(session, "ticket.cancel", part.order.id)
    assert entry.data == {"by": "organizer", "tickets": [part.tickets[1].id], "whole_order": False}


def test_a_rolled_back_cancellation_leaves_neither_the_event_nor_its_email_nor_its_audit_entry(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    order = buy(session, org, event, [TR(tt.id)]).order
    begin_write(session)
    flipped = orders.cancel_in_transaction(session, order.id, None, by="organizer", actor_user_id=owner.id)
    assert flipped  # inside the transaction the event and its effects are there ...
    assert session.exec(select(func.count()).select_from(DomainEvent).where(DomainEvent.name == "order.cancelled")
                        .where(DomainEvent.organization_id == org.id)).one() == 1
    assert len(outbox_rows(session, email_kinds.ORDER_CANCELLED, order_id=order.id)) == 1
    session.rollback()  # ... and a rollback takes all of them away with the change
    assert not recorded(session, "order.cancelled", order_id=order.id)
    assert not outbox_rows(session, email_kinds.ORDER_CANCELLED, order_id=order.id)
    assert not audit_rows(session, "order.cancel", order.id)


def test_publishing_changing_and_cancelling_an_event_record_their_events(make, session):
    owner, org = make.org()
    me = Principal(owner.id)
    event, (tt,) = make.event(owner, org, publish=False)
    events.publish_event(session, me, org.id, event.id)
    (published,) = recorded(session, "event.published", event_id=event.id)
    assert published.actor_user_id == owner.id and published.organization_id == org.id
    assert len(audit_rows(session, "event.publish", event.id)) == 1

    buy(session, org, event, [TR(tt.id, "Anna", "anna@example.com")])
    data = events.EventInput(title=event.title, starts_local="2031-06-02T18:00", ends_local="2031-06-02T21:00",
                             time_zone=event.time_zone, venue="Another hall", capacity=event.capacity)
    event_lifecycle.update_event(session, me, org.id, event.id, data)
    (changed,) = recorded(session, "event.changed", event_id=event.id)
    assert changed.payload["moved"] == ["starts_at", "ends_at", "venue"]
    assert [r["email"] for r in changed.payload["recipients"]] == ["anna@example.com"]
    (mail,) = outbox_rows(session, email_kinds.EVENT_CHANGED, event_id=event.id)
    assert mail.recipient == "anna@example.com" and mail.payload["venue"] == "Another hall"
    (entry,) = audit_rows(session, "event.update", event.id)
    assert entry.data["attendees_told"] == 1

    event_lifecycle.cancel_event(session, me, org.id, event.id, "The venue flooded.")
    (cancelled,) = recorded(session, "event.cancelled", event_id=event.id)
    assert cancelled.payload["message"] == "The venue flooded."
    assert cancelled.payload["cancelled"] == {"orders_cancelled": 1, "tickets_cancelled": 1}
    (mail,) = outbox_rows(session, email_kinds.EVENT_CANCELLED, event_id=event.id)
    assert mail.recipient == "anna@example.com" and mail.payload["message"] == "The venue flooded."
    (entry,) = audit_rows(session, "event.cancel", event.id)
    assert entry.data == {"message": "The venue flooded.", "attendees_told": 1, "orders_cancelled": 1,
                          "tickets_cancelled": 1}


def test_inviting_a_member_records_member_invited(make, session):
    owner, org = make.org()
    address = f"{unique('new')}@example.com"
    issued = team.invite(session, Principal(owner.id), org.id, email=address, role=STAFF)
    (invited,) = recorded(session, "member.invited", email=address)
    assert invited.payload["invitation_id"] == issued.invitation.id and invited.payload["role"] == STAFF
    (mail,) = [m for m in outbox_rows(session, email_kinds.TEAM_INVITATION) if m.recipient == address]
    assert mail.payload == invited.payload["email_payload"] and mail.payload["accept_url"] == issued.accept_url
    assert len(audit_rows(session, "team.invite", issued.invitation.id)) == 1


def test_team_changes_record_their_events_and_keep_their_audit_entries(make, session):
    owner, org = make.org()
    me = Principal(owner.id)
    person = make.user("Joining Person")
    issued = team.invite(session, me, org.id, email=person.email, role=STAFF)
    team.accept_invitation(session, Principal(person.id), issued.token)
    (joined,) = recorded(session, "member.joined", invitation_id=issued.invitation.id)
    assert joined.actor_user_id == person.id
    (entry,) = audit_rows(session, "team.join", issued.invitation.id)
    assert entry.data == {"email": person.email, "role": STAFF} and entry.object_type == "invitation"
    team.change_role(session, me, org.id, person.id, ADMIN)
    (changed,) = recorded(session, "member.role_changed", user_id=person.id)
    (entry,) = audit_rows(session, "team.role_change", changed.payload["membership_id"])
    assert entry.data == {"user_id": person.id, "from": STAFF, "to": ADMIN} and entry.object_type == "membership"
    team.remove_member(session, me, org.id, person.id)
    (removed,) = recorded(session, "member.removed", user_id=person.id)
    assert audit_rows(session, "team.remove", removed.payload["membership_id"])[0].data == {"user_id": person.id,
                                                                                             "role": ADMIN}
    other = team.invite(session, me, org.id, email=f"{unique('r')}@example.com", role=STAFF)
    team.revoke_invitation(session, me, org.id, other.invitation.id)
    assert recorded(session, "invitation.revoked", invitation_id=other.invitation.id)
    assert len(audit_rows(session, "team.invitation_revoke", other.invitation.id)) == 1


def test_resending_a_confirmation_records_its_event_and_queues_the_email_again(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    order = buy(session, org, event, [TR(tt.id, "Anna")], buyer_email="again@example.com").order
    attendees.resend_confirmation(session, Principal(owner.id), org.id, order.id)
    (resent,) = recorded(session, "order.confirmation_resent", order_id=order.id)
    assert resent.actor_user_id == owner.id
    mails = outbox_rows(session, email_kinds.REGISTRATION_CONFIRMATION, order_id=order.id)
    assert [m.payload.get("resent") for m in mails] == [None, True]
    assert mails[0].payload["tickets"] == mails[1].payload["tickets"]
    assert len(audit_rows(session, "order.resend_confirmation", order.id)) == 1


def test_deleting_an_account_erases_the_person_from_recorded_events(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    user = make.user("Leaving Person")
    mine = buy(session, org, event, [TR(tt.id, "Leaving Person")], user_id=user.id, buyer_email=user.email)
    other = buy(session, org, event, [TR(tt.id, "Someone Else")])
    address = user.email
    assert recorded(session, "order.confirmed", order_id=mine.order.id)
    accounts.delete_account(session, user.id, "a-good-long-passphrase")
    session.commit()
    texts = [str(e.payload) + e.actor_label for e in domain_events.events(session)]
    assert not [t for t in texts if address in t or "Leaving Person" in t]
    assert recorded(session, "order.cancelled", erased=True)  # the deletion's own cancellation, erased too
    (kept,) = recorded(session, "order.confirmed", order_id=other.order.id)
    assert kept.payload["tickets"][0]["attendee"] == "Someone Else"


# Deferred handlers -----------------------------------------------------------------------------------------


class Webhook:
    """A stand-in for an external effect: remembers each event it was called for."""

    def __init__(self):
        self.calls: list[int] = []
        self.lock = threading.Lock()
        self.die_on: set[int] = set()
        self.fail_on: set[int] = set()
        self.pause = 0.0


@pytest.fixture
def webhook():
    hook = Webhook()
    name = f"test.{unique('e')}"

    @domain_events.handler(name, deferred=True)
    def deliver(session, event):
        if event.id in hook.die_on:
            hook.die_on.discard(event.id)
            raise SystemExit("the worker dies between the commit and the side effect")
        if event.id in hook.fail_on:
            raise RuntimeError("the receiver answered 500")
        time.sleep(hook.pause)
        with hook.lock:
            hook.calls.append(event.id)

    hook.name = name
    yield hook
    domain_events.unregister(name, deliver)


def record_some(engine, name, n, org_id=None):
    with Session(engine) as s:
        begin_write(s)
        made = domain_events.record_many(s, name, [{"n": i} for i in range(n)], organization_id=org_id)
        s.commit()
        return [e.id for e in made]


def deliveries(session, ids):
    session.commit()
    return {d.event_id: d for d in session.exec(select(DomainEventDelivery)
                                                 .where(DomainEventDelivery.event_id.in_(ids))).all()}


def test_a_deferred_handler_is_pending_after_the_commit_and_runs_once(webhook, engine, session):
    ids = record_some(engine, webhook.name, 3)
    assert {d.status for d in deliveries(session, ids).values()} == {"pending"}
    assert webhook.calls == []  # nothing ran inside the recording transaction
    domain_events.run_deferred(session)
    domain_events.run_deferred(session)
    assert sorted(webhook.calls) == ids
    assert {d.status for d in deliveries(session, ids).values()} == {"done"}


def test_a_worker_dying_before_the_side_effect_leaves_it_pending_for_the_next_run(webhook, engine, session):
    (first, second) = record_some(engine, webhook.name, 2)
    webhook.die_on = {first}
    with pytest.raises(SystemExit):
        with Session(engine) as dying:
            domain_events.run_deferred(dying)
    assert deliveries(session, [first])[first].status == "pending"
    domain_events.run_deferred(session)
    assert sorted(webhook.calls) == [first, second]  # each once: the dead run's claim did not count
    assert {d.status for d in deliveries(session, [first, second]).values()} == {"done"}


def test_a_failing_deferred_handler_is_retried_later_then_given_up(webhook, engine, session, monkeypatch):
    (event_id,) = record_some(engine, webhook.name, 1)
    webhook.fail_on = {event_id}
    domain_events.run_deferred(session)
    delivery = deliveries(session, [event_id])[event_id]
    assert delivery.status == "pending" and delivery.attempts == 1 and "500" in delivery.last_error
    assert delivery.next_attempt_at > utcnow()
    domain_events.run_deferred(session)  # not due yet
    assert deliveries(session, [event_id])[event_id].attempts == 1
    monkeypatch.setattr(domain_events, "MAX_ATTEMPTS", 2)
    domain_events.run_deferred(session, utcnow() + timedelta(hours=1))
    assert deliveries(session, [event_id])[event_id].status == "failed"
    webhook.fail_on = set()
    domain_events.run_deferred(session, utcnow() + timedelta(days=1))
    assert webhook.calls == []


def test_two_concurrent_runs_handle_each_event_once(webhook, engine, session):
    ids = record_some(engine, webhook.name, 12)
    webhook.pause = 0.02
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            with Session(engine) as s:
                barrier.wait()
                domain_events.run_deferred(s)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert sorted(webhook.calls) == ids  # every event once, none twice
    assert {d.status for d in deliveries(session, ids).values()} == {"done"}


def test_the_scheduler_runs_deferred_handlers_as_a_job(webhook, engine, session):
    assert "domain-events" in {j.name for j in scheduler.registered()}
    ids = record_some(engine, webhook.name, 2)
    jobs.run_deferred_handlers(engine, utcnow())
    assert sorted(webhook.calls) == ids


# The renderer's dependencies -------------------------------------------------------------------------------


def test_the_email_renderer_depends_on_the_list_of_kinds_not_on_domain_modules():
    path = Path(__file__).resolve().parents[2] / "aqstream" / "services" / "notify" / "email_render.py"
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("aqstream"):
            imported |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    domain = {f"aqstream.services.{m}" for m in ("accounts.accounts", "events.event_lifecycle", "sales.orders",
                                                 "accounts.password_reset", "sales.registration",
                                                 "notify.reminders", "org.team", "events.events")}
    assert not imported & domain, imported & domain
    assert "aqstream.services.notify.email_kinds" in imported
    from aqstream.services.notify import email_render
    assert set(email_render._KINDS) == set(email_kinds.ALL)
