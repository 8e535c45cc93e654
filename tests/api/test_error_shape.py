"""Every answer under /api/v1 that is not a success is `{"error": {"code", "message"}}` JSON, whatever went
wrong: an id the database cannot hold, an unknown path, a wrong method, a body that is not JSON, an
ambiguous registration. Walks the API's own OpenAPI document, so a new route is covered without a new test."""
import re

import pytest

from aqstream.api.app import create_api
from aqstream.models import TicketType

HUGE_IDS = ["2147483648", "9223372036854775808", "99999999999999999999999"]


def assert_error_shape(response, *statuses):
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json"), response.headers["content-type"]
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str), body
    return body["error"]


def operations():
    document = create_api().openapi()
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method.upper(), operation


def test_every_integer_parameter_and_id_has_bounds_in_the_document():
    """An unbounded integer is how a huge id reached the database and gave a 500: none may come back."""
    document = create_api().openapi()
    loose = []
    for path, method, operation in operations():
        for param in operation.get("parameters", []):
            for schema in param["schema"].get("anyOf", [param["schema"]]):
                if schema.get("type") == "integer" and not {"minimum", "maximum"} <= set(schema):
                    loose.append(f"{method} {path} {param['name']}")
    for name, schema in document["components"]["schemas"].items():
        if not name.endswith(("In", "Request", "Confirm")):
            continue
        for field, prop in schema.get("properties", {}).items():
            for option in prop.get("anyOf", [prop]):
                if option.get("type") == "integer" and not {"minimum", "maximum"} <= set(option):
                    loose.append(f"{name}.{field}")
    assert not loose, loose


def test_huge_ids_are_a_json_error_on_every_route(client, login, make):
    owner, org = make.org()
    headers = login(owner)
    tried = 0
    for path, method, operation in operations():
        if "_id}" not in path:
            continue
        for huge in HUGE_IDS:
            url = re.sub(r"\{\w+_id\}", huge, path)
            url = url.replace("{fmt}", "csv").replace("{slug}", org.slug).replace("{access_token}", "x" * 20)
            body = {} if method in ("POST", "PUT", "PATCH") else None
            response = client.request(method, url, headers=headers, json=body)
            assert_error_shape(response, 404, 422)
            tried += 1
    assert tried >= 60  # every id route of the document, three sizes each


def test_unknown_paths_and_wrong_methods_answer_json(client):
    error = assert_error_shape(client.get("/api/v1/no-such-thing"), 404)
    assert error["code"] == "not_found"
    assert_error_shape(client.post("/api/v1/events/1/no-such-thing", json={}), 404)
    response = client.delete("/api/v1/events")
    error = assert_error_shape(response, 405)
    assert error["code"] == "method_not_allowed"
    assert set(response.headers["allow"].split(", ")) == {"GET", "POST"}
    response = client.put("/api/v1/public/catalog")
    assert_error_shape(response, 405)
    assert response.headers["allow"] == "GET"


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2", b'{"email": "a@b.cd", "password": '])
def test_a_body_that_is_not_json_is_a_400_in_the_json_shape(client, raw):
    response = client.post("/api/v1/auth/token", content=raw, headers={"content-type": "application/json"})
    assert response.status_code in (400, 422)
    error = assert_error_shape(response, 400, 422)
    if raw:
        assert response.status_code == 400 and error["code"] == "invalid_json"


def test_unknown_fields_and_unstorable_text_are_refused_by_field(client):
    response = client.post("/api/v1/auth/token", json={"email": "a@b.cd", "password": "x", "pasword": "y"})
    assert assert_error_shape(response, 422)["fields"] == {"pasword": "Extra inputs are not permitted"}
    response = client.post("/api/v1/auth/token", json={"email": "a\x00@b.cd", "password": "x"})
    assert "email" in assert_error_shape(response, 422)["fields"]


def test_a_registration_naming_tickets_both_ways_is_refused_and_nothing_is_saved(client, make, session):
    owner, org = make.org()
    event, types = make.event(owner, org, quantities=(5, 5))
    url = f"/api/v1/public/events/{org.slug}/{event.slug}/registrations"
    for extra in ({"ticket_type_id": types[1].id}, {"quantity": 2}, {"ticket_type_id": types[1].id, "quantity": 3}):
        body = {"name": "Ann", "email": "ann@example.com", "tickets": [{"ticket_type_id": types[0].id}], **extra}
        error = assert_error_shape(client.post(url, json=body), 422)
        assert set(error["fields"]) == {"tickets", *extra}, error
        assert "not both" in error["fields"]["tickets"]
    session.expire_all()
    assert [session.get(TicketType, t.id).sold for t in types] == [0, 0]
    # Each way on its own still works.
    ok = client.post(url, json={"name": "Ann", "email": "ann@example.com", "tickets": [{"ticket_type_id": types[0].id}]})
    assert ok.status_code == 201, ok.text
    ok = client.post(url, json={"name": "Bo", "email": "bo@example.com", "ticket_type_id": types[1].id, "quantity": 2})
    assert ok.status_code == 201, ok.text
