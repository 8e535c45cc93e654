"""Registration: confirmed orders with outbox and audit in one transaction, limits, windows, idempotency."""
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from aqstream.models import AuditEntry, Event, Order, OutboxMessage, Ticket, TicketType
from aqstream.services.accounts import accounts
from aqstream.services.clock import utcnow
from aqstream.services.errors import Conflict, NotFound, RegistrationClosed, SoldOut, ValidationError
from aqstream.services.sales import registration
from tests.conftest import unique


def reg(session, org, event, tt, **kw):
    args = dict(org_slug=org.slug, event_slug=event.slug, ticket_type_id=tt.id, buyer_name="Ivan Petrov",
                buyer_email=f"{unique('b')}@example.com")
    args.update(kw)
    return registration.register(session, **args)


def test_registration_confirms_an_order_with_ticket_outbox_and_audit(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(5,))
    result = reg(session, org, event, tt, buyer_email="Ivan@Example.COM")
    order = session.get(Order, result.order.id)
    assert order.status == "confirmed" and order.buyer_email == "ivan@example.com"
    (ticket,) = session.exec(select(Ticket).where(Ticket.order_id == order.id)).all()
    assert len(ticket.code) >= 22 and ticket.attendee_name == "Ivan Petrov"  # >= 128 bits, URL-safe
    mail = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == "ivan@example.com")).one()
    assert mail.kind == registration.CONFIRMATION_EMAIL and mail.status == "pending"
    assert [t["code"] for t in mail.payload["tickets"]] == [ticket.code]
    assert mail.payload["access_token"] == order.access_token
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "order.create",
                                                 AuditEntry.object_id == order.id)).one()
    assert session.get(TicketType, tt.id).sold == 1 and session.get(Event, event.id).sold == 1


def test_ticket_codes_are_unique_and_unguessable(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(50,))
    codes = [reg(session, org, event, tt).tickets[0].code for _ in range(20)]
    assert len(set(codes)) == 20 and all(len(c) >= 22 for c in codes)


def test_sold_out_ticket_type_refuses_and_leaves_nothing_behind(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(2,))
    reg(session, org, event, tt)
    reg(session, org, event, tt)
    late = f"{unique('late')}@example.com"
    with pytest.raises(SoldOut):
        reg(session, org, event, tt, buyer_email=late)
    assert session.exec(select(Order).where(Order.buyer_email == late)).first() is None
    assert session.exec(select(OutboxMessage).where(OutboxMessage.recipient == late)).first() is None
    assert session.get(TicketType, tt.id).sold == 2


def test_event_capacity_is_shared_by_all_ticket_types(make, session):
    owner, org = make.org()
    event, (a, b) = make.event(owner, org, quantities=(3, 3), capacity=4)
    for _ in range(3):
        reg(session, org, event, a)
    reg(session, org, event, b)
    with pytest.raises(SoldOut):
        reg(session, org, event, b)  # b has 2 places of its own, but the event is full
    assert session.get(TicketType, b.id).sold == 1 and session.get(Event, event.id).sold == 4


def test_draft_event_cannot_be_registered_for(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, publish=False)
    with pytest.raises(NotFound):
        reg(session, org, event, tt)


def test_registration_closes_when_the_event_has_ended(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, starts="2020-01-01T10:00", ends="2020-01-01T12:00")
    with pytest.raises(RegistrationClosed) as err:
        reg(session, org, event, tt)
    assert err.value.message_key == "registration.event_over"


def test_registration_window_not_yet_open(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    row = session.get(Event, event.id)
    row.registration_opens_at = utcnow() + timedelta(days=1)
    session.add(row)
    session.commit()
    with pytest.raises(RegistrationClosed) as err:
        reg(session, org, event, tt)
    assert err.value.message_key == "registration.not_open_yet"


def test_ticket_type_of_another_event_is_refused(make, session):
    owner, org = make.org()
    event, _ = make.event(owner, org)
    _other, (foreign,) = make.event(owner, org)
    with pytest.raises(NotFound):
        reg(session, org, event, foreign)


def test_bad_input_names_the_fields_and_saves_nothing(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    with pytest.raises(ValidationError) as err:
        reg(session, org, event, tt, buyer_name="  ", buyer_email="nope", quantity=0)
    assert set(err.value.errors) == {"name", "email", "quantity"}
    assert session.get(TicketType, tt.id).sold == 0


def test_same_idempotency_key_returns_the_same_order(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(5,))
    first = reg(session, org, event, tt, buyer_email="same@example.com", idempotency_key="k-1")
    again = reg(session, org, event, tt, buyer_email="same@example.com", idempotency_key="k-1")
    assert again.replayed and again.order.id == first.order.id
    assert [t.code for t in again.tickets] == [t.code for t in first.tickets]
    assert session.get(TicketType, tt.id).sold == 1
    assert len(session.exec(select(Order).where(Order.event_id == event.id)).all()) == 1


def test_idempotency_key_reused_for_different_data_is_a_conflict(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    reg(session, org, event, tt, buyer_email="one@example.com", idempotency_key="k-2")
    with pytest.raises(Conflict):
        reg(session, org, event, tt, buyer_email="two@example.com", idempotency_key="k-2")
    with pytest.raises(Conflict):
        reg(session, org, event, tt, buyer_email="one@example.com", buyer_name="Someone Else", idempotency_key="k-2")


def test_a_request_racing_the_organizer_cancelling_the_event_takes_no_place(make, session, monkeypatch):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    real_load = registration._load_context

    def cancelled_after_read(s, request):
        # The organizer's change commits right after this request read the event as published.
        ctx = real_load(s, request)
        s.exec(update(Event).where(Event.id == ctx.event.id).values(status="cancelled"))
        s.commit()
        return ctx

    monkeypatch.setattr(registration, "_load_context", cancelled_after_read)
    with pytest.raises(RegistrationClosed):
        reg(session, org, event, tt)
    monkeypatch.undo()
    session.rollback()
    assert session.get(TicketType, tt.id).sold == 0


def test_guest_orders_join_the_account_once_its_email_is_confirmed(make, session):
    from aqstream.models import OutboxMessage
    from aqstream.services.errors import Forbidden

    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    address = f"{unique('g')}@example.com"
    order = reg(session, org, event, tt, buyer_email=address).order
    assert order.user_id is None
    user = accounts.sign_up(session, name="Guest", email=address, password="a-good-long-passphrase")
    # Not yet: anyone could sign up with someone else's address.
    assert session.get(Order, order.id).user_id is None
    mail = session.exec(select(OutboxMessage).where(OutboxMessage.kind == accounts.VERIFY_EMAIL,
                                                    OutboxMessage.recipient == address)).one()
    token = mail.payload["verify_path"].rsplit("/", 1)[1]
    with pytest.raises(Forbidden):
        accounts.verify_email(session, token[:-2] + "xx")
    with pytest.raises(Forbidden):
        accounts.verify_email(session, accounts.email_verification_token(user.id, "other@example.com"))
    assert accounts.verify_email(session, token).email_verified_at is not None
    session.rollback()
    assert session.get(Order, order.id).user_id == user.id


def test_confirmation_link_shows_the_order(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    result = reg(session, org, event, tt)
    view = registration.get_order_by_token(session, result.order.access_token)
    assert view.order.id == result.order.id and view.tickets[0][1] == tt.name
    with pytest.raises(NotFound):
        registration.get_order_by_token(session, "guess")


def test_a_form_with_several_mistakes_gets_every_error_at_once(make, session):
    """A blank name, a bad address and an unanswered required question, per order and per attendee: all
    named in one answer, not the answers only after the name and address are put right."""
    from aqstream.services.errors import ValidationError
    from aqstream.services.events import questions as qs
    from aqstream.services.org.permissions import Principal
    from aqstream.services.sales.registration import TicketRequest

    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    company = qs.add_question(session, Principal(owner.id), org.id, event.id,
                              qs.QuestionInput(label="Company", kind="short_text", required=True, scope="order"))
    meal = qs.add_question(session, Principal(owner.id), org.id, event.id,
                           qs.QuestionInput(label="Meal", kind="single_choice", options=["Meat", "Vegan"],
                                            required=True, scope="attendee"))
    with pytest.raises(ValidationError) as refused:
        registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name=" ",
                              buyer_email="not-an-address", tickets=[TicketRequest(tt.id), TicketRequest(tt.id)])
    assert set(refused.value.errors) == {"name", "email", f"answers.{company.id}", f"tickets.0.answers.{meal.id}",
                                         f"tickets.1.answers.{meal.id}"}
    # Only the answers wrong: the same keys as before, from the registration's own check.
    with pytest.raises(ValidationError) as refused:
        registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Ann",
                              buyer_email="ann@example.com", tickets=[TicketRequest(tt.id)])
    assert set(refused.value.errors) == {f"answers.{company.id}", f"tickets.0.answers.{meal.id}"}


def test_a_blank_attendee_name_stays_blank_and_is_never_the_buyers(make, session):
    """The buyer may be buying for someone else: a ticket whose name was left blank says so (the organizer sees
    "name not given") instead of carrying the buyer's name. Tickets bought by count name nobody, so the first is
    the buyer's own and the others have no name yet."""
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(10,))
    listed = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Anna Petrova",
                                   buyer_email="anna@example.com",
                                   tickets=[registration.TicketRequest(tt.id, "Anna Petrova"),
                                            registration.TicketRequest(tt.id, "   ")])
    assert [t.attendee_name for t in listed.tickets] == ["Anna Petrova", ""]
    by_count = reg(session, org, event, tt, quantity=2, buyer_name="Boris Orlov")
    assert [t.attendee_name for t in by_count.tickets] == ["Boris Orlov", ""]
