"""Fuzzing the public registration API with Hypothesis: hundreds of generated requests, well-formed and
not, must never produce a 5xx, must always answer JSON in the documented error shape, and must never
take more places than exist."""
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aqstream.models import TicketType

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=False, allow_infinity=False), text)
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(text, inner, max_size=4)), max_leaves=12)
emails = st.one_of(st.emails(), text)


def valid_bodies(type_ids):
    """Requests a careful client would send, so that some succeed and the event sells out."""
    ticket = st.fixed_dictionaries({"ticket_type_id": st.sampled_from(type_ids)})
    return st.fixed_dictionaries({"name": st.just("Fuzz Buyer"), "email": st.emails().filter(lambda e: len(e) < 80),
                                  "tickets": st.lists(ticket, min_size=1, max_size=2)})


def bodies(type_ids, question_ids):
    ticket = st.fixed_dictionaries(
        {"ticket_type_id": st.one_of(st.sampled_from(type_ids), st.integers(min_value=-5, max_value=2**40), text)},
        optional={"attendee_name": st.one_of(text, scalars), "attendee_email": st.one_of(emails, scalars),
                  "answers": st.dictionaries(st.one_of(st.sampled_from(question_ids), text), json_values, max_size=3)},
    )
    well_formed = st.fixed_dictionaries(
        {"name": st.one_of(text, scalars), "email": emails},
        optional={"tickets": st.one_of(st.lists(ticket, max_size=12), json_values),
                  "ticket_type_id": st.one_of(st.sampled_from(type_ids), scalars),
                  "quantity": st.one_of(st.integers(min_value=-3, max_value=200), scalars),
                  "answers": st.one_of(st.dictionaries(st.sampled_from(question_ids), json_values, max_size=3), json_values),
                  "unlock_code": st.one_of(text, scalars)},
    )
    return st.one_of(well_formed, json_values)


def test_registration_api_never_fails_with_a_5xx(client, make, session):
    from aqstream.services.events import questions
    from aqstream.services.org.permissions import Principal

    owner, org = make.org()
    event, types = make.event(owner, org, quantities=(3, 2), capacity=4)
    asked = [
        questions.add_question(session, Principal(owner.id), org.id, event.id, questions.QuestionInput(
            label=label, kind=kind, options=opts, required=req, scope=scope))
        for label, kind, opts, req, scope in [
            # Optional, so that well-formed requests can succeed and the event can sell out.
            ("Company", "short_text", [], False, "order"),
            ("Meal", "single_choice", ["Meat", "Vegan"], False, "attendee"),
            ("Topics", "multiple_choice", ["A", "B", "C"], False, "order"),
            ("Newsletter", "checkbox", [], False, "order"),
        ]
    ]
    type_ids = [t.id for t in types]
    url = f"/api/v1/public/events/{org.slug}/{event.slug}/registrations"
    seen = {"2xx": 0, "4xx": 0, "sold_out": 0}

    @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(body=st.one_of(valid_bodies(type_ids), bodies(type_ids, [str(q.id) for q in asked])),
           key=st.one_of(st.none(), st.text(alphabet=string.printable.strip(), min_size=1, max_size=250)))
    def one(body, key):
        headers = {"Idempotency-Key": key} if key else {}
        response = client.post(url, json=body, headers=headers)
        assert response.status_code < 500, (body, response.text)
        payload = response.json()
        if response.status_code >= 400:
            assert set(payload["error"]) >= {"code", "message"}, payload
            seen["4xx"] += 1
            seen["sold_out"] += payload["error"]["code"] == "sold_out"
        else:
            assert payload["tickets"], payload
            seen["2xx"] += 1

    one()
    session.expire_all()
    sold = [session.get(TicketType, t).sold for t in type_ids]
    assert sold[0] <= 3 and sold[1] <= 2 and sum(sold) <= 4
    assert seen["4xx"] > 100 and seen["2xx"] >= 1 and seen["sold_out"] >= 1, seen


def test_organizer_api_rejects_garbage_cleanly(client, login, make):
    owner, org = make.org()
    auth = login(owner)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(body=json_values)
    def one(body):
        response = client.post("/api/v1/events", json=body, headers=auth)
        assert response.status_code in (201, 422), response.text
        if response.status_code == 422:
            assert response.json()["error"]["code"] == "validation_error"

    one()
