"""Every /api/v1/admin route, found in the API itself (so a route added later is walked too), answers 404 with
the JSON error shape to everyone who is not a platform admin: each organization role (owners included) and an
account with no organization; and 401 without a token. Nothing is changed by trying."""
import re

import pytest
from sqlmodel import select

from aqstream.api.app import api_routes
from aqstream.models import Organization
from tests.services.test_event_lifecycle import member

ROLES = ("owner", "admin", "staff", "checkin")


def admin_routes() -> list[tuple[str, str]]:
    routes = []
    for route in api_routes():
        if route.path.startswith("/api/v1/admin"):
            routes += [(method, route.path) for method in sorted(route.methods - {"HEAD", "OPTIONS"})]
    return routes


def test_there_are_admin_routes_to_walk():
    assert len(admin_routes()) >= 6


def fill(path: str, slug: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: slug if "slug" in m.group(0) else "1", path)


@pytest.mark.parametrize("role", [*ROLES, "no organization"])
def test_every_admin_route_is_a_404_to_anyone_but_a_platform_admin(client, login, make, session, role):
    owner, org = make.org()
    if role == "owner":
        auth = login(owner)
    elif role == "no organization":
        loner = make.user("Loner")
        auth = login(loner)
    else:
        person = member(session, org, role)
        from aqstream.models import User

        auth = login(session.get(User, person.user_id), organization=org.slug)
    for method, path in admin_routes():
        url = fill(path, org.slug)
        response = client.request(method, url, headers=auth, json={"email": owner.email, "reason": "x",
                                                                    "confirm_slug": org.slug,
                                                                    "max_published_events": 1})
        assert response.status_code == 404, (role, method, url, response.status_code, response.text[:200])
        assert response.json()["error"]["code"] == "not_found"
        anonymous = client.request(method, url, json={})
        assert anonymous.status_code in (401, 404), (method, url, anonymous.status_code)
    session.expire_all()
    assert session.exec(select(Organization.status).where(Organization.id == org.id)).one() == "active"
