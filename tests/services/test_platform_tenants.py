"""Platform administration (services/platform/): admins granted and revoked (never the last), suspension with a
reason blocking every organizer write and registration while reads, issued tickets and attendee self-service
keep working, reactivation restoring everything, the owners' emails and the audit trail, limits, and the
read-only support view that replaced the platform admin's silent owner rights."""
import pytest
from sqlalchemy import update
from sqlmodel import select

from aqstream.cli import main as cli
from aqstream.models import AuditEntry, OutboxMessage, User
from aqstream.services.errors import Conflict, NotFound, OrganizationSuspended, ValidationError
from aqstream.services.events import events
from aqstream.services.events.events import get_public_event
from aqstream.services.notify import email_kinds
from aqstream.services.org.permissions import MANAGE_EVENTS, SUPPORT, VIEW_ATTENDEES, Principal, access
from aqstream.services.platform import admins, tenants
from aqstream.services.sales import orders, registration
from tests.services.test_event_lifecycle import member
from tests.services.test_role_matrix import ACTIONS, WRITING, _world


def platform_admin(make, session) -> Principal:
    user = make.user("Root Admin")
    admins.grant(session, None, user.email)
    return Principal(user.id)


def test_admins_are_granted_and_revoked_but_never_the_last(make, session):
    session.exec(update(User).values(is_platform_admin=False))  # admins other tests made: this one is alone
    session.commit()
    first = make.user("First")
    second = make.user("Second")
    assert admins.grant(session, None, first.email.upper()).is_platform_admin  # the email as typed
    root = Principal(first.id)
    assert admins.grant(session, root, second.email).is_platform_admin
    assert not admins.revoke(session, Principal(second.id), first.email).is_platform_admin
    with pytest.raises(NotFound):  # no longer an admin: not even told the action exists
        admins.grant(session, root, first.email)
    with pytest.raises(Conflict) as caught:  # the last one stays, whoever asks
        admins.revoke(session, None, second.email)
    assert caught.value.message_key == "admin.last_admin"
    with pytest.raises(NotFound):
        admins.grant(session, None, "nobody@example.com")
    actions = [(a.action, a.actor_label) for a in session.exec(
        select(AuditEntry).where(AuditEntry.action.like("platform.admin%")).order_by(AuditEntry.id)).all()]
    assert actions[-3:] == [("platform.admin_grant", "command line"), ("platform.admin_grant", ""),
                            ("platform.admin_revoke", "")]


def test_the_command_line(make, session, capsys, monkeypatch):
    import contextlib

    import aqstream.db

    monkeypatch.setattr(aqstream.db, "session_scope", lambda: contextlib.nullcontext(session))  # the test database
    user = make.user("Cli Person")
    assert cli(["admin", "grant", user.email]) == 0
    assert f"{user.email} is a platform admin" in capsys.readouterr().out
    session.expire_all()
    assert session.get(User, user.id).is_platform_admin
    assert cli(["admin", "list"]) == 0 and user.email in capsys.readouterr().out
    assert cli(["admin", "grant", "nobody-here@example.com"]) == 1
    assert "No account has this email address." in capsys.readouterr().err
    assert cli(["admin", "frobnicate"]) == 2


@pytest.mark.parametrize("action", sorted(WRITING))
def test_suspension_blocks_each_organizer_write_and_reactivation_restores_it(make, session, action):
    owner, org, event, tt, q, bought = _world(make, session)
    w = {"org": org, "event": event, "tt": tt, "q": q, "bought": bought}
    root = platform_admin(make, session)
    tenants.suspend(session, root, org.id, "Unpaid invoices")
    _allowed, run = ACTIONS[action]
    for who in (Principal(owner.id), member(session, org, "admin")):
        with pytest.raises(OrganizationSuspended):
            run(session, who, w)
        session.rollback()
    tenants.reactivate(session, root, org.id)
    run(session, Principal(owner.id), w)


@pytest.mark.parametrize("action", sorted(a for a in ACTIONS if a not in WRITING))
def test_suspended_members_still_read(make, session, action):
    owner, org, event, tt, q, bought = _world(make, session)
    tenants.suspend(session, platform_admin(make, session), org.id, "Review")
    role = "checkin" if "checkin" in ACTIONS[action][0] else "staff"  # the smallest role allowed
    ACTIONS[action][1](session, member(session, org, role), {"org": org, "event": event, "tt": tt, "q": q,
                                                              "bought": bought})


def test_registration_is_refused_while_tickets_and_self_service_keep_working(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(10,))
    bought = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Ann",
                                   buyer_email="ann@example.com", ticket_type_id=tt.id, quantity=2)
    root = platform_admin(make, session)
    tenants.suspend(session, root, org.id, "  Spam   reports  ")
    with pytest.raises(OrganizationSuspended) as caught:
        registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Bob",
                              buyer_email="bob@example.com", ticket_type_id=tt.id, quantity=1)
    assert caught.value.code == "organization_suspended" and caught.value.message_key == "registration.org_suspended"
    # The public page still finds the event, and says it is unavailable.
    found_org, found_event, _types = get_public_event(session, org.slug, event.slug)
    assert registration.registration_closed_reason(found_event, found_org) == "registration.org_suspended"
    # The attendee still has their tickets and may cancel one of them themselves.
    assert orders.cancel_by_token(session, bought.order.access_token, bought.tickets[0].id)
    # The owners were told why; the audit says who and why.
    mails = session.exec(select(OutboxMessage).where(OutboxMessage.kind == email_kinds.ORGANIZATION_SUSPENDED,
                                                     OutboxMessage.organization_id == org.id)).all()
    assert [(m.recipient, m.payload["reason"]) for m in mails] == [(owner.email, "Spam reports")]
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "platform.suspend",
                                                  AuditEntry.organization_id == org.id)).one()
    assert (entry.organization_id, entry.actor_user_id, entry.data) == (org.id, root.user_id, {"reason": "Spam reports"})

    tenants.reactivate(session, root, org.id)
    registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Bob",
                          buyer_email="bob@example.com", ticket_type_id=tt.id, quantity=1)
    assert session.exec(select(OutboxMessage).where(
        OutboxMessage.kind == email_kinds.ORGANIZATION_REACTIVATED,
        OutboxMessage.organization_id == org.id)).one().recipient == owner.email
    with pytest.raises(Conflict):
        tenants.reactivate(session, root, org.id)


def test_suspension_needs_a_reason_and_a_platform_admin(make, session):
    owner, org = make.org()
    root = platform_admin(make, session)
    with pytest.raises(ValidationError) as caught:
        tenants.suspend(session, root, org.id, "   ")
    assert caught.value.errors == {"reason": "field.required"}
    with pytest.raises(ValidationError):
        tenants.suspend(session, root, org.id, "x" * 501)
    for stranger in (Principal(owner.id), Principal(make.user().id)):  # an owner is no platform admin
        with pytest.raises(NotFound):
            tenants.suspend(session, stranger, org.id, "Because")
    with pytest.raises(NotFound):
        tenants.suspend(session, root, 10**9, "No such organization")
    tenants.suspend(session, root, org.id, "Because")
    with pytest.raises(Conflict):
        tenants.suspend(session, root, org.id, "Again")


def test_the_support_view_reads_and_never_writes(make, session):
    owner, org = make.org()
    root = platform_admin(make, session)
    got = access(session, root, org.id, VIEW_ATTENDEES)
    assert got.role == SUPPORT and got.organization.id == org.id
    with pytest.raises(NotFound):  # no silent owner rights any more
        access(session, root, org.id, MANAGE_EVENTS)
    tenants.record_support_visit(session, root, org.id, "/o/x/events/1/attendees")
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "platform.support_view",
                                                  AuditEntry.organization_id == org.id)).one()
    assert entry.actor_user_id == root.user_id and entry.data["page"] == "/o/x/events/1/attendees"
    with pytest.raises(NotFound):
        tenants.record_support_visit(session, Principal(owner.id), org.id, "/o/x")


def test_limits_on_published_events_and_places_per_event(make, session):
    owner, org = make.org()
    me = Principal(owner.id)
    root = platform_admin(make, session)
    with pytest.raises(ValidationError) as caught:
        tenants.set_limits(session, root, org.id, max_published_events="0", max_tickets_per_event="lots")
    assert set(caught.value.errors) == {"max_published_events", "max_tickets_per_event"}
    tenants.set_limits(session, root, org.id, max_published_events="1", max_tickets_per_event=100)
    first, (a,) = make.event(owner, org, quantities=(60,))  # published
    second, _ = make.event(owner, org, quantities=(10,), publish=False)
    with pytest.raises(Conflict) as caught:
        events.publish_event(session, me, org.id, second.id)
    assert caught.value.message_key == "admin.limit.published_events" and caught.value.params == {"limit": 1}
    with pytest.raises(ValidationError) as caught:
        events.add_ticket_type(session, me, org.id, first.id, events.TicketTypeInput("More", 41))
    assert caught.value.errors == {"quantity": "admin.limit.tickets_per_event"}
    events.add_ticket_type(session, me, org.id, first.id, events.TicketTypeInput("More", 40))
    with pytest.raises(ValidationError):
        events.create_event(session, me, org.id, events.EventInput(
            title="Too big", starts_local="2031-07-01T10:00", ends_local="2031-07-01T12:00", time_zone="UTC",
            venue="Hall", ticket_types=[events.TicketTypeInput("GA", 101)]))
    events.create_event(session, me, org.id, events.EventInput(  # a capacity within the limit bounds the types
        title="Capped", starts_local="2031-07-01T10:00", ends_local="2031-07-01T12:00", time_zone="UTC",
        venue="Hall", capacity=100, ticket_types=[events.TicketTypeInput("GA", 80), events.TicketTypeInput("VIP", 80)]))
    tenants.set_limits(session, root, org.id, max_published_events="", max_tickets_per_event=None)  # cleared
    events.publish_event(session, me, org.id, second.id)
    session.exec(update(User).where(User.id == root.user_id).values(is_platform_admin=False))
    session.commit()
    with pytest.raises(NotFound):
        tenants.set_limits(session, root, org.id, max_published_events="3", max_tickets_per_event="")
