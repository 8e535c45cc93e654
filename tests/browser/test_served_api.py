"""The REST API as the production build serves it (granian under `reflex run --env prod --single-port`,
the pages' app mounted under the API): an integration starts from nothing over HTTP, and whatever goes wrong
under /api/v1 answers the JSON error shape, never the app's HTML page or a plain-text error."""
import httpx
import pytest

from tests.conftest import unique

pytestmark = pytest.mark.browser


def error_of(response, status):
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json"), response.headers.get("content-type")
    return response.json()["error"]


def test_the_served_api_answers_json_for_every_kind_of_error(app_url):
    with httpx.Client(base_url=app_url, timeout=30) as http:
        signed_up = http.post("/api/v1/auth/signup", json={
            "name": "Served Api", "email": f"{unique('served')}@example.com", "password": "a-good-long-passphrase"})
        assert signed_up.status_code == 201, signed_up.text
        created = http.post("/api/v1/orgs", json={"name": f"Served {unique()}"},
                            headers={"Authorization": f"Bearer {signed_up.json()['access_token']}"})
        assert created.status_code == 201, created.text
        auth = {"Authorization": f"Bearer {created.json()['access_token']}"}
        assert http.get("/api/v1/events", headers=auth).json() == []

        assert error_of(http.get("/api/v1/no-such-thing"), 404)["code"] == "not_found"
        assert error_of(http.get("/api/v1/events/1/no-such-thing", headers=auth), 404)["code"] == "not_found"
        wrong = http.delete("/api/v1/events", headers=auth)
        assert error_of(wrong, 405)["code"] == "method_not_allowed" and wrong.headers["allow"] == "GET, POST"
        unreadable = http.post("/api/v1/events", content=b"{title:", headers={**auth, "content-type": "application/json"})
        assert error_of(unreadable, 400)["code"] == "invalid_json"
        for path in ("/api/v1/events/2147483648", "/api/v1/tickets/9223372036854775808",
                     "/api/v1/events/2147483648/attendees.xlsx"):
            assert error_of(http.get(path, headers=auth), 422)["code"] == "validation_error"
        for path in ("/api/v1/events/2147483648/publish", "/api/v1/orders/2147483648/cancel",
                     "/api/v1/events/2147483648/archive"):
            assert error_of(http.post(path, headers=auth), 422)["code"] == "validation_error"
        assert error_of(http.get("/api/v1/events/2147483647", headers=auth), 404)["code"] == "not_found"
        # The pages are still the app's: an unknown page outside the API is its HTML page.
        assert http.get("/no-such-page").headers["content-type"].startswith("text/html")
