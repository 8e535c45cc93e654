"""Multi-ticket orders, questions and answers, hidden and windowed ticket types, the per-email limit,
and cancellations that give places back at once."""
from datetime import timedelta

import pytest
from sqlmodel import select

from aqstream.models import Answer, AuditEntry, Event, Order, OutboxMessage, Ticket, TicketType
from aqstream.services.accounts import accounts
from aqstream.services.clock import utcnow
from aqstream.services.errors import Conflict, Forbidden, NotFound, RegistrationClosed, SoldOut, ValidationError
from aqstream.services.events import events, questions
from aqstream.services.org.permissions import Principal
from aqstream.services.sales import orders, registration
from aqstream.services.sales.registration import TicketRequest as TR
from tests.conftest import unique


def email():
    return f"{unique('o')}@example.com"


def reg(session, org, event, tickets, **kw):
    return registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Buyer",
                                 buyer_email=kw.pop("buyer_email", email()), tickets=tickets, **kw)


def ask(session, owner, org, event, label, kind, **kw):
    return questions.add_question(session, Principal(owner.id), org.id, event.id,
                                  questions.QuestionInput(label=label, kind=kind, **kw))


def test_one_buyer_several_attendees_each_with_a_ticket(make, session):
    owner, org = make.org()
    event, (ga, vip) = make.event(owner, org, quantities=(10, 5))
    result = reg(session, org, event, [TR(ga.id, "Anna", "anna@example.com"), TR(ga.id, "Boris"), TR(vip.id, "Vera")])
    names = [(t.attendee_name, t.ticket_type_id) for t in result.tickets]
    assert names == [("Anna", ga.id), ("Boris", ga.id), ("Vera", vip.id)]
    assert result.tickets[0].attendee_email == "anna@example.com" and result.tickets[1].attendee_email == ""
    assert len({t.code for t in result.tickets}) == 3
    assert session.get(TicketType, ga.id).sold == 2 and session.get(TicketType, vip.id).sold == 1
    assert session.get(Event, event.id).sold == 3


def test_min_and_max_per_order_are_enforced(make, session):
    owner, org = make.org()
    event, _ = make.event(owner, org)
    tt = events.add_ticket_type(session, Principal(owner.id), org.id, event.id,
                                events.TicketTypeInput("Table of 2-4", 40, min_per_order=2, max_per_order=4))
    with pytest.raises(ValidationError) as err:
        reg(session, org, event, [TR(tt.id)])
    assert err.value.errors == {"tickets": "registration.quantity_out_of_range"}
    with pytest.raises(ValidationError):
        reg(session, org, event, [TR(tt.id)] * 5)
    assert len(reg(session, org, event, [TR(tt.id)] * 3).tickets) == 3


def test_hidden_type_needs_its_direct_link_code(make, session):
    owner, org = make.org()
    event, _ = make.event(owner, org)
    secret = events.add_ticket_type(session, Principal(owner.id), org.id, event.id,
                                    events.TicketTypeInput("Speakers", 5, hidden=True))
    assert len(secret.unlock_code) >= 16
    assert [t.id for t in events.get_public_event(session, org.slug, event.slug)[2]].count(secret.id) == 0
    with pytest.raises(NotFound):
        reg(session, org, event, [TR(secret.id)])
    with pytest.raises(NotFound):
        reg(session, org, event, [TR(secret.id)], unlock_code="guess")
    assert reg(session, org, event, [TR(secret.id)], unlock_code=secret.unlock_code).tickets


def test_sales_window_of_a_ticket_type(make, session):
    owner, org = make.org()
    event, _ = make.event(owner, org, time_zone="UTC")
    later = (utcnow() + timedelta(days=2)).replace(tzinfo=None)
    early = events.add_ticket_type(session, Principal(owner.id), org.id, event.id,
                                   events.TicketTypeInput("Later", 5, sales_start_local=later.isoformat()))
    with pytest.raises(RegistrationClosed) as err:
        reg(session, org, event, [TR(early.id)])
    assert err.value.message_key == "registration.sales_not_started"
    past = (utcnow() - timedelta(days=1)).replace(tzinfo=None)
    ended = events.add_ticket_type(session, Principal(owner.id), org.id, event.id,
                                   events.TicketTypeInput("Early bird", 5, sales_end_local=past.isoformat()))
    with pytest.raises(RegistrationClosed) as err:
        reg(session, org, event, [TR(ended.id)])
    assert err.value.message_key == "registration.sales_ended"


def test_quantity_cannot_shrink_below_what_is_sold(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(5,))
    reg(session, org, event, [TR(tt.id), TR(tt.id), TR(tt.id)])
    with pytest.raises(ValidationError) as err:
        events.update_ticket_type(session, Principal(owner.id), org.id, event.id, tt.id, events.TicketTypeInput("GA", 2))
    assert err.value.errors == {"quantity": "ticket_type.quantity_below_sold"}
    updated = events.update_ticket_type(session, Principal(owner.id), org.id, event.id, tt.id,
                                        events.TicketTypeInput("General", 3))
    assert (updated.name, updated.quantity) == ("General", 3)
    with pytest.raises(SoldOut):
        reg(session, org, event, [TR(tt.id)])


def test_answers_are_checked_on_the_server_and_stored(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    company = ask(session, owner, org, event, "Company", "short_text")
    food = ask(session, owner, org, event, "Food", "single_choice", options=["Meat", "Vegan"], required=True,
               scope="attendee")
    topics = ask(session, owner, org, event, "Topics", "multiple_choice", options=["Web", "Data", "Ops"])
    consent = ask(session, owner, org, event, "I accept the code of conduct", "checkbox", required=True)
    bio = ask(session, owner, org, event, "About you", "long_text", scope="attendee")
    bad = {str(company.id): "x" * 301, str(topics.id): ["Web", "Cooking"], str(consent.id): False, "999999": "?"}
    with pytest.raises(ValidationError) as err:
        reg(session, org, event, [TR(tt.id, answers={str(food.id): "Fish"}), TR(tt.id)], answers=bad)
    assert err.value.errors == {
        f"answers.{company.id}": "field.too_long",
        f"answers.{topics.id}": "question.answer_invalid",
        f"answers.{consent.id}": "question.must_check",
        "answers.999999": "question.unknown",
        f"tickets.0.answers.{food.id}": "question.answer_invalid",
        f"tickets.1.answers.{food.id}": "question.choose_one",
    }
    assert session.get(TicketType, tt.id).sold == 0  # nothing half-saved
    good = {str(company.id): "  ACME  ", str(topics.id): ["Ops", "Web", "Ops"], str(consent.id): "on"}
    result = reg(session, org, event, [TR(tt.id, "A", answers={str(food.id): "Vegan", str(bio.id): "Hi"}),
                                       TR(tt.id, "B", answers={str(food.id): "Meat"})], answers=good)
    stored = {(a.question_id, a.ticket_id): a.value
              for a in session.exec(select(Answer).where(Answer.order_id == result.order.id)).all()}
    first, second = result.tickets
    assert stored == {
        (company.id, None): "ACME",
        (topics.id, None): ["Web", "Ops"],
        (consent.id, None): True,
        (food.id, first.id): "Vegan",
        (bio.id, first.id): "Hi",
        (food.id, second.id): "Meat",
    }
    shown = questions.answers_by_order(session, [result.order.id])[result.order.id]
    assert {q.label for _, q in shown} == {"Company", "Topics", "I accept the code of conduct", "Food", "About you"}


def test_question_editor_validates_and_removal_keeps_old_answers(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    with pytest.raises(ValidationError) as err:
        ask(session, owner, org, event, "", "single_choice", options=["Only one"])
    assert err.value.errors == {"label": "field.required", "options": "question.options_required"}
    with pytest.raises(ValidationError):
        ask(session, owner, org, event, "T-shirt", "dropdown")
    size = ask(session, owner, org, event, "T-shirt", "single_choice", options=["S", "M"])
    order = reg(session, org, event, [TR(tt.id)], answers={str(size.id): "M"}).order
    questions.remove_question(session, Principal(owner.id), org.id, event.id, size.id)
    assert questions.active_questions(session, event.id) == []
    assert questions.answers_by_order(session, [order.id])[order.id][0][0].value == "M"


def test_one_registration_per_email_when_the_organizer_asks(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, one_registration_per_email=True)
    first = reg(session, org, event, [TR(tt.id)], buyer_email="same@example.com")
    with pytest.raises(Conflict) as err:
        reg(session, org, event, [TR(tt.id)], buyer_email="SAME@example.com")
    assert err.value.message_key == "registration.already_registered" and err.value.field == "email"
    orders.cancel_by_token(session, first.order.access_token)
    assert reg(session, org, event, [TR(tt.id)], buyer_email="same@example.com").order.status == "confirmed"


def test_attendee_cancels_by_link_and_the_place_returns_at_once(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(2,))
    first = reg(session, org, event, [TR(tt.id), TR(tt.id)])
    with pytest.raises(SoldOut):
        reg(session, org, event, [TR(tt.id)])
    one = first.tickets[0].id
    assert orders.cancel_by_token(session, first.order.access_token, one) == [one]
    session.rollback()
    assert session.get(TicketType, tt.id).sold == 1 and session.get(Order, first.order.id).status == "confirmed"
    assert reg(session, org, event, [TR(tt.id)]).tickets  # the freed place is sold again
    assert orders.cancel_by_token(session, first.order.access_token) == [first.tickets[1].id]
    session.rollback()
    assert session.get(Order, first.order.id).status == "cancelled"
    with pytest.raises(Conflict):
        orders.cancel_by_token(session, first.order.access_token)  # nothing left: no place returned twice
    assert session.get(TicketType, tt.id).sold == 1 and session.get(Event, event.id).sold == 1
    mails = session.exec(select(OutboxMessage).where(OutboxMessage.kind == orders.CANCELLATION_EMAIL,
                                                     OutboxMessage.recipient == first.order.buyer_email)
                         .order_by(OutboxMessage.id)).all()
    assert len(mails) == 2 and mails[1].payload["whole_order"] is True
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.object_type == "order",
                                                           AuditEntry.object_id == first.order.id)).all()
    assert actions.count("ticket.cancel") == 1 and actions.count("order.cancel") == 1


def test_organizer_cancels_an_order_or_one_ticket(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(5,))
    result = reg(session, org, event, [TR(tt.id), TR(tt.id), TR(tt.id)])
    orders.cancel_ticket(session, Principal(owner.id), org.id, result.tickets[0].id, reason="duplicate")
    assert orders.cancel_order(session, Principal(owner.id), org.id, result.order.id) == [t.id for t in result.tickets[1:]]
    session.rollback()
    assert session.get(TicketType, tt.id).sold == 0
    assert {t.status for t in session.exec(select(Ticket).where(Ticket.order_id == result.order.id)).all()} == {"cancelled"}


def test_other_organizations_cannot_cancel_and_checkin_staff_may_not(make, session):
    from aqstream.models import Membership

    owner, org = make.org()
    stranger, _ = make.org()
    event, (tt,) = make.event(owner, org)
    result = reg(session, org, event, [TR(tt.id)])
    with pytest.raises(NotFound):
        orders.cancel_order(session, Principal(stranger.id), org.id, result.order.id)
    _, other_org = make.org(stranger)
    with pytest.raises(NotFound):
        orders.cancel_ticket(session, Principal(stranger.id), other_org.id, result.tickets[0].id)
    door = make.user()
    session.add(Membership(user_id=door.id, organization_id=org.id, role="checkin", created_at=utcnow()))
    session.commit()
    with pytest.raises(Forbidden):
        orders.cancel_order(session, Principal(door.id), org.id, result.order.id)
    assert session.get(Order, result.order.id).status == "confirmed"


def test_attendee_sees_and_cancels_orders_in_the_account(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    address = email()
    guest = reg(session, org, event, [TR(tt.id)], buyer_email=address)
    user = accounts.sign_up(session, name="Later", email=address, password="a-good-long-passphrase")
    assert orders.my_orders(session, user.id) == []  # until the address is confirmed
    accounts.verify_email(session, accounts.email_verification_token(user.id, address))
    mine = orders.my_orders(session, user.id)
    assert [(o.order_id, o.tickets, o.event_title) for o in mine] == [(guest.order.id, 1, event.title)]
    other = make.user()
    with pytest.raises(NotFound):
        orders.cancel_my_order(session, other.id, guest.order.id)
    orders.cancel_my_order(session, user.id, guest.order.id)
    assert orders.my_orders(session, user.id)[0].status == "cancelled"


def test_attendee_cannot_cancel_once_the_event_has_started(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    result = reg(session, org, event, [TR(tt.id)])
    row = session.get(Event, event.id)
    row.starts_at = utcnow() - timedelta(minutes=5)
    session.add(row)
    session.commit()
    with pytest.raises(Conflict) as err:
        orders.cancel_by_token(session, result.order.access_token)
    assert err.value.message_key == "order.too_late_to_cancel"


def test_two_partial_cancellations_at_once_cancel_the_order(make, session, engine):
    """Each request cancels one of the two tickets; together they must leave the order cancelled."""
    import threading

    from sqlmodel import Session

    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(80,))
    made = [reg(session, org, event, [TR(tt.id), TR(tt.id)]) for _ in range(15)]
    plans = [(r.order.access_token, [t.id for t in r.tickets]) for r in made]
    barrier = threading.Barrier(30)

    def cancel(token, ticket_id):
        barrier.wait()
        with Session(engine) as s:
            orders.cancel_by_token(s, token, ticket_id)

    threads = [threading.Thread(target=cancel, args=(token, tid)) for token, ids in plans for tid in ids]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    session.commit()  # end this session's own snapshot, then read what the others committed
    statuses = {session.get(Order, r.order.id).status for r in made}
    assert statuses == {"cancelled"}
    assert session.get(TicketType, tt.id).sold == 0


def test_the_same_request_sent_twelve_times_at_once_makes_one_order(make, session, engine):
    import threading

    from sqlmodel import Session

    owner, org = make.org()
    event, (tt,) = make.event(owner, org, quantities=(20,))
    slugs = (org.slug, event.slug, tt.id)
    barrier = threading.Barrier(12)
    answers = []

    def send():
        barrier.wait()
        with Session(engine) as s:
            r = registration.register(s, org_slug=slugs[0], event_slug=slugs[1], buyer_name="Same",
                                      buyer_email="same-key@example.com", tickets=[TR(slugs[2])], idempotency_key="k")
            answers.append(r.order.id)

    threads = [threading.Thread(target=send) for _ in range(12)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(answers) == 12 and len(set(answers)) == 1
    session.commit()
    assert session.get(TicketType, tt.id).sold == 1


def test_an_answer_to_a_question_removed_meanwhile_is_dropped_not_refused(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    shirt = ask(session, owner, org, event, "T-shirt", "short_text")
    questions.remove_question(session, Principal(owner.id), org.id, event.id, shirt.id)
    # The visitor's page still had the question: its (empty) answer arrives with the registration.
    result = reg(session, org, event, [TR(tt.id)], answers={str(shirt.id): ""})
    assert result.order.status == "confirmed"
    with pytest.raises(ValidationError):
        reg(session, org, event, [TR(tt.id)], answers={"12345678": "made up"})
