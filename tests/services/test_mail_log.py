"""The mail log: an organization's owners and admins see their own emails (and nobody else's), filter and count
them by status, read one as its recipient gets it, and send a failed one again; platform admins see every
organization's mail and the platform's own."""
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from aqstream.models import AuditEntry, OutboxMessage, User
from aqstream.services.accounts import accounts
from aqstream.services.clock import travel, utcnow
from aqstream.services.errors import Conflict, Forbidden, NotFound, ValidationError
from aqstream.services.notify import outbox
from aqstream.services.org.permissions import Principal
from aqstream.services.reports import mail_log
from aqstream.services.sales import orders, registration
from tests.conftest import unique
from tests.services.test_event_lifecycle import member


def register(session, org, event, tt, email, name="Anna Buyer", quantity=1):
    return registration.register(session, org_slug=org.slug, event_slug=event.slug, ticket_type_id=tt.id,
                                 buyer_name=name, buyer_email=email, quantity=quantity)


def confirmation_of(session, email) -> OutboxMessage:
    session.rollback()
    return session.exec(select(OutboxMessage).where(OutboxMessage.kind == registration.CONFIRMATION_EMAIL,
                                                    OutboxMessage.recipient == email)).one()


def set_status(session, message_id, status, **values):
    session.rollback()
    session.exec(update(OutboxMessage).where(OutboxMessage.id == message_id).values(status=status, **values))
    session.commit()


def platform_admin(session) -> Principal:
    user = accounts.sign_up(session, name="Root", email=f"{unique('root')}@example.com",
                            password="a-good-long-passphrase")
    session.exec(update(User).where(User.id == user.id).values(is_platform_admin=True))
    session.commit()
    return Principal(user.id)


@pytest.fixture
def two_orgs(make, session):
    alice, org_a = make.org()
    bob, org_b = make.org()
    event_a, (tt_a,) = make.event(alice, org_a)
    event_b, (tt_b,) = make.event(bob, org_b)
    ann, bea = f"{unique('ann')}@example.com", f"{unique('bea')}@example.com"
    register(session, org_a, event_a, tt_a, ann)
    register(session, org_b, event_b, tt_b, bea)
    a_mail = confirmation_of(session, ann).id
    b_mail = confirmation_of(session, bea).id
    set_status(session, b_mail, "failed", attempts=10, last_error="SMTP 550: 'mailbox unavailable'")
    return dict(alice=Principal(alice.id), org_a=org_a, bob=Principal(bob.id), org_b=org_b, a_mail=a_mail,
                b_mail=b_mail, event_a=event_a, ann=ann, bea=bea)


def test_an_admin_sees_only_their_organizations_mail(session, two_orgs):
    w = two_orgs
    alice, org_a, org_b = w["alice"], w["org_a"], w["org_b"]
    listed = mail_log.list_messages(session, alice, org_a.id)
    assert [r.id for r in listed.rows] == [w["a_mail"]]
    row = listed.rows[0]
    assert (row.recipient, row.status, row.kind_label, row.attempts) == (w["ann"], "pending",
                                                                          "Registration confirmation", 0)
    assert row.subject == f"You are registered: {w['event_a'].title}" and row.render_error == ""
    assert row.next_attempt_at is not None and row.sent_at is None and row.organization_name == org_a.name

    # B's organization, B's message through A's organization, and B's message directly: not found.
    for call in (
        lambda: mail_log.list_messages(session, alice, org_b.id),
        lambda: mail_log.counts(session, alice, org_b.id),
        lambda: mail_log.preview(session, alice, org_b.id, w["b_mail"]),
        lambda: mail_log.preview(session, alice, org_a.id, w["b_mail"]),
        lambda: mail_log.send_again(session, alice, org_a.id, w["b_mail"]),
        lambda: mail_log.send_again(session, alice, org_b.id, w["b_mail"]),
        lambda: mail_log.list_messages(session, alice, None),  # the platform's log
        lambda: mail_log.preview(session, alice, None, w["a_mail"]),
        lambda: mail_log.send_again(session, alice, None, w["b_mail"]),
    ):
        with pytest.raises(NotFound):
            call()
    session.rollback()
    assert session.get(OutboxMessage, w["b_mail"]).status == "failed"  # B's failed message was left alone


@pytest.mark.parametrize("role", ["staff", "checkin"])
def test_staff_and_check_in_cannot_open_the_mail_log(session, two_orgs, role):
    w = two_orgs
    someone = member(session, w["org_a"], role)
    for call in (
        lambda: mail_log.list_messages(session, someone, w["org_a"].id),
        lambda: mail_log.counts(session, someone, w["org_a"].id),
        lambda: mail_log.preview(session, someone, w["org_a"].id, w["a_mail"]),
        lambda: mail_log.send_again(session, someone, w["org_a"].id, w["a_mail"]),
    ):
        with pytest.raises(Forbidden):
            call()
    with pytest.raises(NotFound):
        mail_log.list_messages(session, someone, None)


def test_an_admin_role_may_open_it(session, two_orgs):
    admin = member(session, two_orgs["org_a"], "admin")
    assert [r.id for r in mail_log.list_messages(session, admin, two_orgs["org_a"].id).rows] == [two_orgs["a_mail"]]


def test_the_platform_admin_sees_every_organization_and_platform_mail(session, two_orgs):
    w = two_orgs
    root = platform_admin(session)
    newcomer = accounts.sign_up(session, name="Nina New", email=f"{unique('nina')}@example.com",
                                password="a-good-long-passphrase")
    everything = mail_log.list_messages(session, root, None, per_page=100)
    by_id = {r.id: r for r in everything.rows}
    assert {w["a_mail"], w["b_mail"]} <= set(by_id)
    assert by_id[w["a_mail"]].organization_slug == w["org_a"].slug
    assert by_id[w["b_mail"]].organization_name == w["org_b"].name
    platform = [r for r in everything.rows if r.recipient == newcomer.email]
    assert [(r.kind, r.organization_id, r.organization_name, r.kind_label) for r in platform] == [
        (accounts.VERIFY_EMAIL, None, "", "Email address confirmation")]
    assert platform[0].subject == "Confirm your email address for AqStream"
    # Newest first: the address confirmation was queued after the two organizations' mail. (Other tests share
    # this database, some with the clock moved ahead, so only the order of these three is this test's own.)
    order = [r.id for r in everything.rows]
    assert order.index(platform[0].id) < order.index(w["b_mail"]) and order.index(platform[0].id) < order.index(w["a_mail"])

    shown = mail_log.preview(session, root, None, platform[0].id)
    assert "/verify/" in shown.text and shown.recipients == [newcomer.email]
    # A platform admin may also open any organization's own log, and send its failed mail again.
    assert [r.id for r in mail_log.list_messages(session, root, w["org_b"].id).rows] == [w["b_mail"]]
    again = mail_log.send_again(session, root, None, w["b_mail"])
    assert again.status == "pending"


def test_filters_counts_and_pages(session, make):
    owner, org = make.org()
    me = Principal(owner.id)
    event, (tt,) = make.event(owner, org, quantities=(100,))
    ids, tag = [], unique("p")
    for i in range(30):
        with travel(timedelta(seconds=i)):
            register(session, org, event, tt, f"{tag}.{i}@example.com")
        ids.append(confirmation_of(session, f"{tag}.{i}@example.com").id)
    set_status(session, ids[0], "sent", sent_at=utcnow(), attempts=1)
    set_status(session, ids[1], "sent", sent_at=utcnow(), attempts=1)
    set_status(session, ids[2], "failed", attempts=10, last_error="SMTP 550: no such user")
    set_status(session, ids[3], "sending", attempts=1, locked_until=utcnow() + timedelta(minutes=5))
    set_status(session, ids[4], "skipped")  # a status this version does not know is still listed

    found = mail_log.counts(session, me, org.id)
    assert (found.all, found.waiting, found.sent, found.failed) == (30, 26, 2, 1)
    assert found.by_status["skipped"] == 1

    first = mail_log.list_messages(session, me, org.id)
    assert (first.total, first.pages, len(first.rows)) == (30, 2, 25)
    assert [r.id for r in first.rows] == ids[::-1][:25]  # newest first
    second = mail_log.list_messages(session, me, org.id, page=2)
    assert [r.id for r in second.rows] == ids[4::-1]
    assert second.rows[0].status == "skipped"

    failed = mail_log.list_messages(session, me, org.id, status="failed")
    assert [(r.id, r.last_error, r.attempts, r.next_attempt_at) for r in failed.rows] == [
        (ids[2], "SMTP 550: no such user", 10, None)]
    assert failed.total == 1 and failed.counts.all == 30
    waiting = mail_log.list_messages(session, me, org.id, status="waiting", per_page=100)
    assert waiting.total == 26 and {r.status for r in waiting.rows} == {"pending", "sending"}
    sent = mail_log.list_messages(session, me, org.id, status="sent")
    assert [r.id for r in sent.rows] == [ids[1], ids[0]] and all(r.sent_at for r in sent.rows)
    assert all(r.next_attempt_at is None for r in sent.rows)
    with pytest.raises(ValidationError) as bad:
        mail_log.list_messages(session, me, org.id, status="everything")
    assert bad.value.errors == {"status": "mail.status_invalid"}


def test_send_again_only_for_failed_messages_with_an_audit_entry(session, two_orgs):
    w = two_orgs
    bob, org_b = w["bob"], w["org_b"]
    row = mail_log.send_again(session, bob, org_b.id, w["b_mail"])
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, "")
    session.rollback()
    message = session.get(OutboxMessage, w["b_mail"])
    assert message.status == "pending" and message.next_attempt_at <= utcnow()
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "mail.send_again",
                                                  AuditEntry.object_id == w["b_mail"])).one()
    assert (entry.organization_id, entry.actor_user_id, entry.data["recipient"]) == (org_b.id, bob.user_id, w["bea"])
    # Now it waits: sending it "again" is refused, and so is a sent one.
    with pytest.raises(Conflict) as refused:
        mail_log.send_again(session, bob, org_b.id, w["b_mail"])
    assert refused.value.message_key == "mail.not_failed"
    set_status(session, w["b_mail"], "sent", sent_at=utcnow())
    with pytest.raises(Conflict):
        mail_log.send_again(session, bob, org_b.id, w["b_mail"])
    session.rollback()
    assert session.get(OutboxMessage, w["b_mail"]).status == "sent"
    assert len(session.exec(select(AuditEntry).where(AuditEntry.action == "mail.send_again",
                                                     AuditEntry.object_id == w["b_mail"])).all()) == 1


def test_preview_of_a_registration_confirmation(session, make):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    vera = f"{unique('vera')}@example.com"
    done = register(session, org, event, tt, vera, name="Vera Preview", quantity=2)
    message = confirmation_of(session, vera)
    shown = mail_log.preview(session, Principal(owner.id), org.id, message.id)
    assert shown.error == "" and shown.recipients == [vera]
    assert shown.subject == f"You are registered: {event.title}"
    # The list reads only the subject (without building QR codes and the calendar file): the same line.
    assert mail_log.list_messages(session, Principal(owner.id), org.id).rows[0].subject == shown.subject
    for ticket in done.tickets:
        assert ticket.code in shown.text and ticket.code in shown.html
    assert "Hello, Vera Preview" in shown.text
    assert [(a.name, a.content_type) for a in shown.attachments] == [(f"{event.slug}.ics", "text/calendar")]
    assert shown.attachments[0].size > 100
    # One QR image per ticket, inline; the display copy of the HTML carries them as data: URLs.
    assert [i.content_type for i in shown.images] == ["image/png", "image/png"]
    assert "cid:" in shown.html and "cid:" not in shown.html_for_display
    assert shown.html_for_display.count("data:image/png;base64,") == 2


def test_a_message_that_cannot_be_rendered_shows_why(session, make):
    owner, org = make.org()
    bad = outbox.enqueue(session, kind="email.something_new", recipient="x@example.com", payload={},
                         organization_id=org.id)
    session.commit()
    row = mail_log.list_messages(session, Principal(owner.id), org.id).rows[0]
    assert row.id == bad.id and row.subject == "" and "unknown email kind" in row.render_error
    assert row.kind_label == "Something new"
    shown = mail_log.preview(session, Principal(owner.id), org.id, bad.id)
    assert "unknown email kind" in shown.error and shown.text == "" and shown.attachments == []


def test_only_emails_are_listed(session, make):
    owner, org = make.org()
    outbox.enqueue(session, kind="webhook.order_created", recipient="https://example.com/hook", payload={},
                   organization_id=org.id)
    session.commit()
    assert mail_log.list_messages(session, Principal(owner.id), org.id).total == 0


def test_smtp_configured_follows_the_setting(monkeypatch):
    monkeypatch.delenv("AQSTREAM_SMTP_HOST", raising=False)
    assert mail_log.smtp_configured() is False
    monkeypatch.setenv("AQSTREAM_SMTP_HOST", "smtp.example.com")
    assert mail_log.smtp_configured() is True


def test_an_email_that_lost_its_reason_says_why(session, make):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    buyer = f"{unique('gone')}@example.com"
    done = register(session, org, event, tt, buyer)
    orders.cancel_order(session, Principal(owner.id), org.id, done.order.id)
    rows = {r.kind: r for r in mail_log.list_messages(session, Principal(owner.id), org.id).rows}
    confirmation = rows[registration.CONFIRMATION_EMAIL]
    assert confirmation.subject == ""
    assert confirmation.render_error == "Obsolete: the order was cancelled before its confirmation was sent"
    assert rows[orders.CANCELLATION_EMAIL].subject.startswith("Registration cancelled")
