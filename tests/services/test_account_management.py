"""The attendee's own account: correcting a name on a ticket, the profile, and deleting the account."""
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from aqstream.models import (
    Answer,
    AuditEntry,
    Event,
    Invitation,
    LoginTicket,
    Membership,
    Order,
    OutboxMessage,
    Ticket,
    TicketType,
    User,
    UserSession,
)
from aqstream.services.accounts import accounts
from aqstream.services.clock import utcnow
from aqstream.services.errors import Conflict, Forbidden, NotFound, ValidationError
from aqstream.services.events import questions
from aqstream.services.org import team
from aqstream.services.org.permissions import Principal
from aqstream.services.sales import attendees, orders, registration
from aqstream.services.sales.registration import TicketRequest as TR
from tests.conftest import unique
from tests.services.test_event_lifecycle import member

PASSWORD = "a-good-long-passphrase"


def email():
    return f"{unique('a')}@example.com"


def reg(session, org, event, tickets, **kw):
    return registration.register(session, org_slug=org.slug, event_slug=event.slug,
                                 buyer_name=kw.pop("buyer_name", "Buyer"), buyer_email=kw.pop("buyer_email", email()),
                                 tickets=tickets, **kw)


def move_event(session, event, *, starts, ends=None):
    row = session.get(Event, event.id)
    row.starts_at = starts
    row.ends_at = ends or starts + timedelta(hours=3)
    session.add(row)
    session.commit()


# --- rename ---------------------------------------------------------------------------------------------


def test_rename_by_link_or_account_changes_only_that_ticket_and_is_in_the_history(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    user = make.user("Anna Buyer")
    result = reg(session, org, event, [TR(tt.id, "Anna"), TR(tt.id, "Oleg")], user_id=user.id,
                 buyer_email=user.email)
    first, second = result.tickets
    renamed = orders.rename_ticket(session, ticket_id=second.id, attendee_name="  Олег Петров ",
                                   access_token=result.order.access_token)
    assert renamed.attendee_name == "Олег Петров"
    assert session.get(Ticket, first.id).attendee_name == "Anna"
    orders.rename_ticket(session, ticket_id=first.id, attendee_name="Anna Karenina", user_id=user.id)
    assert session.get(Ticket, first.id).attendee_name == "Anna Karenina"
    # The organizer's attendee page shows who corrected the name.
    detail = attendees.detail(session, Principal(owner.id), org.id, second.id)
    renames = [h for h in detail.history if h.action == "ticket.rename"]
    assert len(renames) == 2 and {h.actor for h in renames} == {"Anna Buyer"}
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "ticket.rename",
                                                  AuditEntry.object_id == result.order.id)
                         .order_by(AuditEntry.id)).first()
    assert entry.actor_label == user.email and entry.data == {"ticket": second.id}


def test_rename_is_checked_like_registration(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    result = reg(session, org, event, [TR(tt.id, "Anna")])
    ticket, token = result.tickets[0], result.order.access_token
    for bad, key in (("   ", "field.required"), ("x" * 201, "field.too_long"), ("a\x00b", "field.invalid_characters")):
        with pytest.raises(ValidationError) as err:
            orders.rename_ticket(session, ticket_id=ticket.id, attendee_name=bad, access_token=token)
        assert err.value.errors == {"attendee_name": key}
    assert session.get(Ticket, ticket.id).attendee_name == "Anna"
    assert orders.rename_ticket(session, ticket_id=ticket.id, attendee_name="x" * 200,
                                access_token=token).attendee_name == "x" * 200


def test_another_orders_ticket_is_not_found(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    mine = reg(session, org, event, [TR(tt.id, "Mine")])
    theirs = reg(session, org, event, [TR(tt.id, "Theirs")])
    stranger = make.user()
    attempts = [
        dict(access_token=mine.order.access_token),
        dict(user_id=stranger.id),
        dict(access_token="not-a-token"),
        dict(),
    ]
    for who in attempts:
        with pytest.raises(NotFound):
            orders.rename_ticket(session, ticket_id=theirs.tickets[0].id, attendee_name="Hijacked", **who)
    assert session.get(Ticket, theirs.tickets[0].id).attendee_name == "Theirs"


def test_rename_refused_when_off_cancelled_or_started(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    result = reg(session, org, event, [TR(tt.id, "Anna"), TR(tt.id, "Boris")])
    token = result.order.access_token
    first, second = result.tickets

    orders.cancel_by_token(session, token, second.id)
    with pytest.raises(Conflict) as err:
        orders.rename_ticket(session, ticket_id=second.id, attendee_name="Boris B", access_token=token)
    assert err.value.message_key == "order.rename.ticket_cancelled"

    row = session.get(Event, event.id)
    row.attendees_can_edit_names = False
    session.add(row)
    session.commit()
    with pytest.raises(Forbidden) as err:
        orders.rename_ticket(session, ticket_id=first.id, attendee_name="Anna B", access_token=token)
    assert err.value.message_key == "order.rename.not_allowed"
    row = session.get(Event, event.id)
    row.attendees_can_edit_names = True
    session.add(row)
    session.commit()

    move_event(session, event, starts=utcnow() - timedelta(minutes=1))
    with pytest.raises(Conflict) as err:
        orders.rename_ticket(session, ticket_id=first.id, attendee_name="Anna B", access_token=token)
    assert err.value.message_key == "order.rename.too_late"
    assert session.get(Ticket, first.id).attendee_name == "Anna"
    assert session.exec(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "ticket.rename", AuditEntry.object_id == result.order.id)).one() == 0


def test_my_orders_pages_split_upcoming_and_past(make, session):
    owner, org = make.org()
    user = make.user()
    now = utcnow()
    made = []
    for days in (30, 5, -10, 60, -2):
        event, (tt,) = make.event(owner, org)
        reg(session, org, event, [TR(tt.id)], user_id=user.id, buyer_email=user.email)
        move_event(session, event, starts=now + timedelta(days=days))
        made.append((days, event.title))
    upcoming = orders.my_orders_page(session, user.id, past=False)
    assert [o.event_title for o in upcoming.rows] == [t for d, t in sorted(m for m in made if m[0] > 0)]
    past = orders.my_orders_page(session, user.id, past=True)
    assert [o.event_title for o in past.rows] == [t for d, t in sorted((m for m in made if m[0] < 0), reverse=True)]
    assert upcoming.total == 3 and past.total == 2 and not any(o.can_cancel for o in past.rows)
    second = orders.my_orders_page(session, user.id, past=False, page=2, per_page=2)
    assert second.page == 2 and second.pages == 2 and [o.event_title for o in second.rows] == [made[3][1]]
    assert orders.my_orders_page(session, user.id, past=False, page=99, per_page=2).page == 2
    assert orders.my_orders_page(session, make.user().id, past=False).rows == []


# --- profile --------------------------------------------------------------------------------------------


def test_update_profile_checks_each_field(make, session):
    user = make.user("Old Name")
    with pytest.raises(ValidationError) as err:
        accounts.update_profile(session, user.id, name=" ", locale="de")
    assert err.value.errors == {"name": "field.required", "locale": "profile.locale_invalid"}
    assert accounts.get_user(session, user.id).name == "Old Name"
    updated = accounts.update_profile(session, user.id, name=" Новое Имя ", locale="ru")
    assert (updated.name, updated.locale) == ("Новое Имя", "ru")
    session.expire_all()
    assert accounts.get_user(session, user.id).locale == "ru"


# --- deleting an account --------------------------------------------------------------------------------


def test_delete_account_returns_places_and_anonymizes(make, session):
    owner, org = make.org()
    future, (ftt,) = make.event(owner, org, quantities=(5,))
    past, (ptt,) = make.event(owner, org, quantities=(5,))
    q = questions.add_question(session, Principal(owner.id), org.id, future.id,
                               questions.QuestionInput(label="Diet", kind="short_text"))
    user = make.user("Leaving Person")
    mine_future = reg(session, org, future, [TR(ftt.id, "Leaving Person"), TR(ftt.id, "Friend")],
                      user_id=user.id, buyer_email=user.email, buyer_name="Leaving Person",
                      answers={str(q.id): "vegan"})
    mine_past = reg(session, org, past, [TR(ptt.id, "Leaving Person")], user_id=user.id, buyer_email=user.email)
    other = reg(session, org, future, [TR(ftt.id, "Someone Else")])
    move_event(session, past, starts=utcnow() - timedelta(days=3))
    accounts.create_session(session, user.id)
    accounts.create_login_ticket(session, user.id)
    address = user.email
    assert session.exec(select(func.count(AuditEntry.id)).where(AuditEntry.actor_label == address)).one() == 2
    assert session.get(Event, future.id).sold == 3 and session.get(Event, past.id).sold == 1

    accounts.delete_account(session, user.id, PASSWORD)
    session.expire_all()

    # Places of the coming event are back on sale; the past event's counts are as they were.
    assert session.get(Event, future.id).sold == 1 and session.get(TicketType, ftt.id).sold == 1
    assert session.get(Event, past.id).sold == 1 and session.get(TicketType, ptt.id).sold == 1
    assert session.get(Order, mine_future.order.id).status == "cancelled"
    assert session.get(Order, mine_past.order.id).status == "confirmed"
    assert session.get(Order, other.order.id).status == "confirmed"
    for result in (mine_future, mine_past):
        order = session.get(Order, result.order.id)
        assert (order.buyer_name, order.buyer_email) == ("", "")
        assert order.total_minor == result.order.total_minor
        tickets = session.exec(select(Ticket).where(Ticket.order_id == order.id)).all()
        assert len(tickets) == len(result.tickets)
        assert {(t.attendee_name, t.attendee_email) for t in tickets} == {("", "")}
    assert session.get(Ticket, other.tickets[0].id).attendee_name == "Someone Else"
    assert session.exec(select(Answer).where(Answer.order_id == mine_future.order.id)).all() == []
    # No cancellation email to the person who left.
    assert session.exec(select(OutboxMessage).where(OutboxMessage.recipient == address)).all() == []
    # The account row stays, stripped.
    row = session.get(User, user.id)
    assert row.email == f"deleted-{user.id}@deleted.invalid" and row.name == ""
    assert row.deleted_at is not None and row.sessions_revoked_at is not None
    assert session.exec(select(UserSession).where(UserSession.user_id == user.id)).all() == []
    assert session.exec(select(LoginTicket).where(LoginTicket.user_id == user.id)).all() == []
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "account.delete",
                                                  AuditEntry.object_id == user.id)).one()
    assert entry.object_id == user.id and address not in str(entry.data) and entry.actor_label == ""
    assert session.exec(select(func.count(AuditEntry.id)).where(AuditEntry.actor_label == address)).one() == 0
    # The organizer's attendee list still counts the past event's attendee, without a name.
    listed = attendees.search(session, Principal(owner.id), org.id, past.id, attendees.AttendeeQuery())
    assert listed.total == 1 and [r.attendee_name for r in listed.rows] == [""]
    # ... and refuses to "resend" its confirmation to an address that is no longer there.
    with pytest.raises(Conflict) as refused:
        attendees.resend_confirmation(session, Principal(owner.id), org.id, mine_past.order.id)
    assert refused.value.message_key == "attendees.no_address"


def test_deleted_account_cannot_sign_in_and_its_email_is_free(make, session):
    user = make.user()
    user_id, address = user.id, user.email
    token = accounts.create_session(session, user_id)
    accounts.delete_account(session, user_id, PASSWORD)
    assert accounts.user_for_session(session, token) is None
    for tried in (address, accounts.deleted_email(user_id)):
        with pytest.raises(ValidationError):
            accounts.authenticate(session, email=tried, password=PASSWORD)
    again = accounts.sign_up(session, name="Back Again", email=address, password=PASSWORD)
    assert again.id != user_id
    assert accounts.authenticate(session, email=address, password=PASSWORD).id == again.id


def test_delete_account_needs_the_password(make, session):
    user = make.user()
    with pytest.raises(ValidationError) as err:
        accounts.delete_account(session, user.id, "not-my-password")
    assert err.value.errors == {"password": "profile.delete.wrong_password"}
    session.expire_all()
    assert session.get(User, user.id).deleted_at is None


def test_last_owner_cannot_delete_until_someone_else_owns(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    reg(session, org, event, [TR(tt.id)], user_id=owner.id, buyer_email=owner.email)
    with pytest.raises(Conflict) as err:
        accounts.delete_account(session, owner.id, PASSWORD)
    assert err.value.message_key == "profile.delete.last_owner" and err.value.params["organizations"] == org.name
    session.expire_all()
    assert session.get(User, owner.id).deleted_at is None
    assert session.get(Event, event.id).sold == 1  # nothing half-done

    second = member(session, org, "owner")
    accounts.delete_account(session, owner.id, PASSWORD)
    assert session.exec(select(Membership).where(Membership.user_id == owner.id)).all() == []
    assert [m.user_id for m in team.list_members(session, second, org.id)] == [second.user_id]


def test_delete_account_drops_pending_invitations_to_the_address(make, session):
    owner, org = make.org()
    user = make.user()
    address = user.email
    team.invite(session, Principal(owner.id), org.id, email=address, role="staff")
    assert len(session.exec(select(Invitation).where(Invitation.email == address)).all()) == 1
    accounts.delete_account(session, user.id, PASSWORD)
    assert session.exec(select(Invitation).where(Invitation.email == address)).all() == []


def test_delete_account_removes_the_address_from_team_audit_logs(make, session):
    owner, org = make.org()
    user, bystander = make.user(), make.user()
    address = user.email
    # Invited twice (the second replaces the first), joined; a bystander's invitation is someone else's record.
    team.invite(session, Principal(owner.id), org.id, email=address, role="staff")
    issued = team.invite(session, Principal(owner.id), org.id, email=address, role="admin")
    team.accept_invitation(session, Principal(user.id), issued.token)
    team.invite(session, Principal(owner.id), org.id, email=bystander.email, role="staff")

    def logged() -> list[tuple[str, dict]]:
        return [(e.action, e.data) for e in session.exec(select(AuditEntry).where(
            AuditEntry.organization_id == org.id, AuditEntry.object_type == "invitation")
            .order_by(AuditEntry.id)).all()]

    assert [data.get("email") for _a, data in logged()] == [address, address, address, bystander.email]
    accounts.delete_account(session, user.id, PASSWORD)
    session.expire_all()
    after = logged()
    assert [action for action, _d in after] == ["team.invite", "team.invite", "team.join", "team.invite"]
    assert [data.get("email") for _a, data in after] == [None, None, None, bystander.email]
    assert [data["role"] for _a, data in after] == ["staff", "admin", "admin", "staff"]  # the rest stays
