import pytest
from fastapi.testclient import TestClient

from aqstream.api.app import create_api


@pytest.fixture
def client(use_db):
    with TestClient(create_api()) as c:
        yield c


@pytest.fixture
def login(client):
    """Bearer headers for a user's organization."""

    def _login(user, password="a-good-long-passphrase", organization=None):
        body = {"email": user.email, "password": password}
        if organization:
            body["organization"] = organization
        response = client.post("/api/v1/auth/token", json=body)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return _login
