"""Every state change of accounts, password resets, reminders, organizations, questions, ticket types, event
creation, duplicates and covers, the mail log's send-again and ticket renames records a named domain event with
a payload of ids and the fields its handlers need; the emails and audit entries are the handlers' and happen
exactly once; no service module writes an outbox email or an audit entry itself."""
from __future__ import annotations

import ast
import io
import re
from datetime import timedelta
from pathlib import Path

from PIL import Image
from sqlalchemy import update
from sqlmodel import select

from aqstream.models import AuditEntry, DomainEvent, OutboxMessage
from aqstream.services import clock
from aqstream.services.accounts import accounts, password_reset
from aqstream.services.events import event_lifecycle, events, questions
from aqstream.services.notify import domain_events, email_kinds, reminders
from aqstream.services.org import organizations
from aqstream.services.org.permissions import Principal
from aqstream.services.reports import mail_log
from aqstream.services.sales import orders, registration
from aqstream.services.sales.registration import TicketRequest as TR
from tests.conftest import unique

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "aqstream" / "services"
PASSWORD = "a-good-long-passphrase"


def events_of(session, name, **payload) -> list[DomainEvent]:
    """The recorded events of `name` whose payload holds every given key/value."""
    session.commit()
    return [e for e in domain_events.events(session, name) if all(e.payload.get(k) == v for k, v in payload.items())]


def one_event(session, name, keys, **payload) -> DomainEvent:
    """The one event of `name` about these ids, with exactly these payload keys."""
    (event,) = events_of(session, name, **payload)
    assert set(event.payload) == set(keys), event.payload
    return event


def audit_entries(session, action, object_type, object_id) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action, AuditEntry.object_type == object_type,
                                                      AuditEntry.object_id == object_id).order_by(AuditEntry.id)).all())


def mails(session, kind, recipient) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind, OutboxMessage.recipient == recipient)
                             .order_by(OutboxMessage.id)).all())


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(out, "PNG")
    return out.getvalue()


# Accounts ----------------------------------------------------------------------------------------------------


def test_sign_up_records_account_created_and_its_handler_sends_one_verification_link(session):
    address = f"{unique('s')}@example.com"
    user = accounts.sign_up(session, name="Sofia Signup", email=address, password=PASSWORD, locale="ru")
    created = one_event(session, "account.created", {"user_id"}, user_id=user.id)
    assert created.actor_user_id == user.id
    (mail,) = mails(session, email_kinds.VERIFY_ADDRESS, address)
    assert mail.payload["name"] == "Sofia Signup" and mail.payload["locale"] == "ru"
    assert mail.payload["verify_path"].startswith("/verify/")
    # The link (which names the address) travels in the email only: the event keeps the account's id.
    assert mail.payload["verify_path"] not in str(created.payload) and address not in str(created.payload)
    (entry,) = audit_entries(session, "user.sign_up", "user", user.id)
    assert entry.actor_user_id == user.id


def test_verifying_an_address_records_account_email_verified_once(session):
    address = f"{unique('v')}@example.com"
    user = accounts.sign_up(session, name="Vera", email=address, password=PASSWORD)
    token = mails(session, email_kinds.VERIFY_ADDRESS, address)[0].payload["verify_path"].removeprefix("/verify/")
    accounts.verify_email(session, token)
    accounts.verify_email(session, token)  # the link opened twice: confirmed once
    one_event(session, "account.email_verified", {"user_id"}, user_id=user.id)
    assert len(audit_entries(session, "user.verify_email", "user", user.id)) == 1


def test_profile_change_and_signing_out_everywhere_record_their_events(make, session):
    user = make.user("Pavel Profile")
    accounts.update_profile(session, user.id, name="Pavel P.", locale="ru")
    updated = one_event(session, "account.updated", {"user_id", "changed"}, user_id=user.id)
    assert sorted(updated.payload["changed"]) == ["locale", "name"]  # which fields, not their values
    assert "Pavel" not in str(updated.payload)
    (entry,) = audit_entries(session, "user.update_profile", "user", user.id)
    assert entry.data == {}
    accounts.create_session(session, user.id)
    accounts.sign_out_everywhere(session, user.id)
    gone = one_event(session, "account.signed_out_everywhere", {"user_id", "sessions"}, user_id=user.id)
    assert gone.payload["sessions"] == 1
    assert len(audit_entries(session, "user.sign_out_everywhere", "user", user.id)) == 1


def test_a_reset_request_records_its_event_without_the_link_and_sends_one_email(make, session):
    user = make.user("Rita Reset")
    password_reset.request_password_reset(session, user.email, address="10.0.0.1", locale="ru")
    requested = one_event(session, "account.password_reset_requested", {"user_id", "reset_id", "expires_at", "locale"},
                          user_id=user.id)
    assert requested.actor_user_id is None  # anyone may ask for any address
    (mail,) = mails(session, email_kinds.PASSWORD_RESET, user.email)
    assert mail.payload["name"] == "Rita Reset" and mail.payload["locale"] == "en"  # the account's own language
    assert mail.payload["expires_at"] == requested.payload["expires_at"]
    token = mail.payload["reset_path"].removeprefix("/reset/")
    assert token and token not in str(requested.payload)  # the usable link is in the email only
    assert not session.exec(select(AuditEntry).where(AuditEntry.object_type == "user", AuditEntry.object_id == user.id,
                                                     AuditEntry.action.like("%reset%"))).all()

    password_reset.reset_password(session, token, "another-long-passphrase")
    changed = one_event(session, "account.password_changed", {"user_id", "address_confirmed"}, user_id=user.id)
    assert changed.payload["address_confirmed"] is True
    one_event(session, "account.email_verified", {"user_id"}, user_id=user.id)  # they read the email
    (entry,) = audit_entries(session, "user.password_reset", "user", user.id)
    assert entry.data == {"address_confirmed": True}


def test_a_quiet_refusal_of_a_reset_request_records_nothing(session):
    before = len(events_of(session, "account.password_reset_requested"))
    password_reset.request_password_reset(session, f"{unique('nobody')}@example.com")
    assert len(events_of(session, "account.password_reset_requested")) == before


def test_account_deletion_records_an_id_only_event_and_one_audit_entry(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    user = make.user("Dmitri Leaving")
    address = user.email
    registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Dmitri Leaving",
                          buyer_email=address, user_id=user.id, tickets=[TR(tt.id, "Dmitri Leaving")])
    accounts.delete_account(session, user.id, PASSWORD)
    deleted = one_event(session, "account.deleted", {"user_id", "cancelled_tickets"}, user_id=user.id)
    assert deleted.payload["cancelled_tickets"] == 1 and deleted.actor_label == ""
    (entry,) = audit_entries(session, "account.delete", "user", user.id)
    assert entry.data == {"cancelled_tickets": 1}
    left = [str(e.payload) + e.actor_label for e in domain_events.events(session)]
    assert not [t for t in left if address in t or "Dmitri Leaving" in t]


# Organizations, questions, ticket types, events --------------------------------------------------------------


def test_organization_creation_and_settings_record_their_events(make, session):
    owner = make.user()
    me = Principal(owner.id)
    slug = unique("org")
    org = organizations.create_organization(session, me, name="Acme Events", slug=slug)
    created = one_event(session, "organization.created", {"organization_id", "slug"}, organization_id=org.id)
    assert created.payload["slug"] == slug and created.organization_id == org.id and created.actor_user_id == owner.id
    (entry,) = audit_entries(session, "organization.create", "organization", org.id)
    assert entry.data == {"slug": slug}
    organizations.update_settings(session, me, org.id, name="Acme Events Ltd", slug=slug, default_locale="ru",
                                  currency="EUR", time_zone="UTC")
    updated = one_event(session, "organization.updated", {"organization_id", "name", "default_locale"},
                        organization_id=org.id)
    assert updated.payload["name"] == "Acme Events Ltd"
    (entry,) = audit_entries(session, "organization.settings_update", "organization", org.id)
    assert entry.data == {"name": "Acme Events Ltd", "default_locale": "ru"}
    organizations.update_settings(session, me, org.id, name="Acme Events Ltd", slug=slug, default_locale="ru",
                                  currency="EUR", time_zone="UTC")  # nothing changed: nothing recorded
    assert len(events_of(session, "organization.updated", organization_id=org.id)) == 1


def test_questions_added_and_removed_record_their_events(make, session):
    owner, org = make.org()
    event, _ = make.event(owner, org)
    me = Principal(owner.id)
    question = questions.add_question(session, me, org.id, event.id,
                                      questions.QuestionInput(label="Dietary needs", kind="short_text"))
    one_event(session, "question.added", {"question_id", "event_id"}, question_id=question.id, event_id=event.id)
    (entry,) = audit_entries(session, "question.create", "question", question.id)
    assert entry.data == {"event_id": event.id} and entry.organization_id == org.id
    questions.remove_question(session, me, org.id, event.id, question.id)
    one_event(session, "question.removed", {"question_id", "event_id"}, question_id=question.id)
    assert len(audit_entries(session, "question.remove", "question", question.id)) == 1


def test_event_creation_and_ticket_types_record_their_events(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, publish=False)
    created = one_event(session, "event.created", {"event_id", "title"}, event_id=event.id)
    assert created.payload["title"] == event.title and created.organization_id == org.id
    assert len(audit_entries(session, "event.create", "event", event.id)) == 1
    me = Principal(owner.id)
    vip = events.add_ticket_type(session, me, org.id, event.id, events.TicketTypeInput("VIP", 5))
    added = one_event(session, "ticket_type.added", {"ticket_type_id", "event_id", "name", "quantity"},
                      ticket_type_id=vip.id)
    assert (added.payload["name"], added.payload["quantity"]) == ("VIP", 5)
    (entry,) = audit_entries(session, "ticket_type.create", "ticket_type", vip.id)
    assert entry.data == {"event_id": event.id, "name": "VIP", "quantity": 5}
    events.update_ticket_type(session, me, org.id, event.id, tt.id, events.TicketTypeInput("Standard", 20))
    changed = one_event(session, "ticket_type.changed", {"ticket_type_id", "event_id", "quantity"},
                        ticket_type_id=tt.id)
    assert changed.payload["quantity"] == 20
    assert [e.data for e in audit_entries(session, "ticket_type.update", "ticket_type", tt.id)] == [
        {"event_id": event.id, "quantity": 20}]


def test_duplicating_an_event_and_its_cover_record_their_events(make, session, tmp_path, monkeypatch):
    monkeypatch.setenv("AQSTREAM_MEDIA_DIR", str(tmp_path))
    owner, org = make.org()
    event, _ = make.event(owner, org)
    me = Principal(owner.id)
    copy = event_lifecycle.duplicate_event(session, me, org.id, event.id)
    one_event(session, "event.duplicated", {"event_id", "from_event_id"}, event_id=copy.id, from_event_id=event.id)
    assert not events_of(session, "event.created", event_id=copy.id)  # a copy is not a second kind of creation
    (entry,) = audit_entries(session, "event.duplicate", "event", copy.id)
    assert entry.data == {"from_event_id": event.id}
    event_lifecycle.set_cover(session, me, org.id, event.id, png())
    event_lifecycle.set_cover(session, me, org.id, event.id, None)
    assert [e.payload for e in events_of(session, "event.cover_changed", event_id=event.id)] == [
        {"event_id": event.id, "removed": False}, {"event_id": event.id, "removed": True}]
    assert [e.data for e in audit_entries(session, "event.cover", "event", event.id)] == [
        {"removed": False}, {"removed": True}]


# Tickets, reminders, the mail log ----------------------------------------------------------------------------


def test_renaming_a_ticket_records_ticket_renamed_once_per_real_change(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)  # attendees may correct names unless the organizer turns it off
    result = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Buyer",
                                   buyer_email="renamer@example.com", tickets=[TR(tt.id, "Anna")])
    ticket, token = result.tickets[0], result.order.access_token
    orders.rename_ticket(session, ticket_id=ticket.id, attendee_name="Anna Karenina", access_token=token)
    orders.rename_ticket(session, ticket_id=ticket.id, attendee_name="Anna Karenina", access_token=token)  # same
    renamed = one_event(session, "ticket.renamed", {"order_id", "ticket_id"}, ticket_id=ticket.id)
    assert renamed.actor_label == "renamer@example.com" and "Anna" not in str(renamed.payload)
    (entry,) = audit_entries(session, "ticket.rename", "order", result.order.id)
    assert entry.data == {"ticket": ticket.id}


def test_the_reminders_job_records_reminder_queued_and_its_handler_writes_each_email_once(make, session):
    owner, org = make.org()
    starts = clock.utcnow().replace(second=0, microsecond=0) + timedelta(days=3)
    event, (tt,) = make.event(owner, org, starts=starts.strftime("%Y-%m-%dT%H:%M"),
                              ends=(starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), time_zone="UTC")
    registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Rem Buyer",
                          buyer_email="rem-buyer@example.com",
                          tickets=[TR(tt.id, "Rem Buyer"), TR(tt.id, "Guest", "rem-guest@example.com")])
    due = event.starts_at - timedelta(hours=12)
    assert reminders.enqueue_due(session, due) >= 2
    assert reminders.enqueue_due(session, due) == 0  # a second round finds every order reminded
    queued = one_event(session, "reminder.queued", {"event_id", "event_title", "starts_at", "order_ids", "recipients"},
                       event_id=event.id)
    assert queued.organization_id == org.id
    assert sorted(r["email"] for r in queued.payload["recipients"]) == ["rem-buyer@example.com",
                                                                        "rem-guest@example.com"]
    (buyer,) = mails(session, email_kinds.EVENT_REMINDER, "rem-buyer@example.com")
    (guest,) = mails(session, email_kinds.EVENT_REMINDER, "rem-guest@example.com")
    assert len(buyer.payload["codes"]) == 2 and len(guest.payload["codes"]) == 1
    assert buyer.payload["order_id"] and guest.payload["order_id"] is None


def test_sending_a_failed_email_again_records_mail_resent_without_the_address(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Failing",
                          buyer_email="bounce@example.com", tickets=[TR(tt.id)])
    (message,) = mails(session, email_kinds.REGISTRATION_CONFIRMATION, "bounce@example.com")
    session.rollback()
    session.exec(update(OutboxMessage).where(OutboxMessage.id == message.id).values(status="failed", attempts=10))
    session.commit()
    mail_log.send_again(session, Principal(owner.id), org.id, message.id)
    resent = one_event(session, "mail.resent", {"message_id", "kind"}, message_id=message.id)
    assert resent.payload["kind"] == email_kinds.REGISTRATION_CONFIRMATION and resent.actor_user_id == owner.id
    (entry,) = audit_entries(session, "mail.send_again", "outbox_message", message.id)
    assert entry.data == {"recipient": "bounce@example.com", "kind": email_kinds.REGISTRATION_CONFIRMATION}


# The rules themselves ----------------------------------------------------------------------------------------


def test_transient_values_reach_in_transaction_handlers_but_are_not_stored(session):
    seen = []
    name = f"test.{unique('t')}"

    @domain_events.handler(name)
    def look(_session, event):
        seen.append(dict(event.payload))

    try:
        recorded = domain_events.record(session, name, {"user_id": 7}, transient={"secret": "s3cr3t"})
        session.commit()
    finally:
        domain_events.unregister(name, look)
    assert seen == [{"user_id": 7, "secret": "s3cr3t"}]
    assert recorded.payload == {"user_id": 7}
    (stored,) = domain_events.events(session, name)
    assert stored.payload == {"user_id": 7}


# What writes an outbox email or an audit entry: only the handlers, and the modules that define the rows.
WRITERS = {("outbox", "enqueue"), ("outbox", "message_row"), ("audit", "record"), ("audit", "entry_row")}
ALLOWED = {SERVICES / "notify" / "notifications.py", SERVICES / "notify" / "outbox.py", SERVICES / "reports" / "audit.py"}


def _writes(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                    and (func.value.id, func.attr) in WRITERS:
                found.append(f"{func.value.id}.{func.attr}(")
            if isinstance(func, ast.Name) and func.id in ("OutboxMessage", "AuditEntry"):
                found.append(f"{func.id}(")
            if isinstance(func, ast.Name) and func.id == "insert" and node.args:
                target = ast.unparse(node.args[0])
                if re.match(r"(OutboxMessage|AuditEntry)\b", target):
                    found.append(f"insert({target})")
        if isinstance(node, ast.ImportFrom) and node.module in ("aqstream.services.notify.outbox",
                                                                 "aqstream.services.reports.audit"):
            found += [f"from {node.module} import {a.name}" for a in node.names
                      if a.name in {"enqueue", "message_row", "record", "entry_row"}]
    return found


def test_no_service_writes_an_outbox_email_or_an_audit_entry_outside_the_handlers():
    offenders = []
    for path in sorted(SERVICES.rglob("*.py")):
        if path not in ALLOWED:
            offenders += [f"{path.relative_to(SERVICES)}: {w}" for w in _writes(ast.parse(path.read_text("utf-8")))]
    assert offenders == []


def test_the_scan_finds_each_kind_of_write():
    sample = ast.parse("outbox.enqueue(s)\naudit.record(s)\nsession.add(AuditEntry())\n"
                       "s.execute(insert(OutboxMessage.__table__), rows)\n"
                       "from aqstream.services.reports.audit import record\n")
    assert len(_writes(sample)) == 5


def test_every_event_a_service_records_has_a_handler_and_is_named_in_the_architecture_doc():
    pattern = re.compile(r'domain_events\.record(?:_many)?\(\s*session,\s*"([a-z_]+\.[a-z_]+)"')
    recorded = set()
    for path in SERVICES.rglob("*.py"):
        recorded |= set(pattern.findall(path.read_text("utf-8")))
    assert {"account.created", "account.deleted", "reminder.queued", "mail.resent", "ticket.renamed"} <= recorded
    handled = {n for n in domain_events.names() if domain_events.handlers_for(n) and not n.startswith("test.")}
    assert recorded - handled - domain_events.UNHANDLED == set()  # UNHANDLED: recorded as what happened, no handler
    doc = (ROOT / "docs" / "architecture.md").read_text("utf-8")
    section = doc[doc.index("## Side effects"):doc.index("## The HTTP edge")]
    assert sorted(n for n in recorded | handled if f"`{n}`" not in section) == []
    assert "Not yet converted" not in section
