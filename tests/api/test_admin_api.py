"""/api/v1/admin/...: the platform admins' overview, organizations list and one organization; any token of a
platform admin's account works; everyone else, owners included, gets 404 in the JSON error shape; bad query
parameters are 422 with the field named."""
import pytest
from sqlalchemy import update

from aqstream.models import User
from tests.conftest import unique
from tests.services.test_event_lifecycle import member

ROUTES = ["/api/v1/admin/overview", "/api/v1/admin/organizations", "/api/v1/admin/organizations/{slug}"]


def make_admin(session, user):
    session.exec(update(User).where(User.id == user.id).values(is_platform_admin=True))
    session.commit()


@pytest.fixture
def world(make, session):
    root, root_org = make.org()
    make_admin(session, root)
    owner, org = make.org()
    make.event(owner, org)
    staff = member(session, org, "staff")
    return dict(root=root, root_org=root_org, owner=owner, org=org, staff=session.get(User, staff.user_id))


def test_everyone_but_a_platform_admin_gets_404(client, login, make, world):
    outsider = make.user()
    tokens = [None, login(world["owner"], organization=world["org"].slug), login(outsider),
              login(world["staff"], organization=world["org"].slug)]
    for headers in tokens:
        for route in ROUTES:
            response = client.get(route.format(slug=world["org"].slug), headers=headers or {})
            expected = 401 if headers is None else 404
            assert response.status_code == expected, (route, response.text)
            assert set(response.json()["error"]) >= {"code", "message"}
            if headers is not None:
                assert response.json()["error"]["code"] == "not_found"


def test_a_platform_admin_with_any_token(client, login, world):
    for auth in (login(world["root"], organization=world["root_org"].slug), login(world["root"])):
        overview = client.get("/api/v1/admin/overview", headers=auth)
        assert overview.status_code == 200, overview.text
        body = overview.json()
        assert body["organizations_active"] >= 2 and len(body["weeks"]) == 12
        assert body["code_head"] and body["migrations_current"] is True


def test_list_search_and_detail(client, login, world):
    auth = login(world["root"])
    org, staff = world["org"], world["staff"]
    found = client.get("/api/v1/admin/organizations", params={"q": staff.email.upper(), "sort": "-tickets"},
                       headers=auth)
    assert found.status_code == 200, found.text
    body = found.json()
    assert (body["total"], body["pages"], body["page"], body["sort"]) == (1, 1, 1, "-tickets")
    (row,) = body["organizations"]
    assert (row["slug"], row["status"], row["owner_email"], row["members"], row["events_all"]) == (
        org.slug, "active", world["owner"].email, 2, 1)
    paged = client.get("/api/v1/admin/organizations", params={"per_page": 1, "page": 2, "status": "active"},
                       headers=auth).json()
    assert paged["page"] == 2 and paged["per_page"] == 1 and len(paged["organizations"]) == 1

    detail = client.get(f"/api/v1/admin/organizations/{org.slug}", headers=auth)
    assert detail.status_code == 200, detail.text
    d = detail.json()
    assert d["slug"] == org.slug and d["status"] == "active" and d["suspension_reason"] == ""
    assert [(m["email"], m["role"]) for m in d["members"]] == [(world["owner"].email, "owner"), (staff.email, "staff")]
    assert len(d["events"]) == 1 and d["events"][0]["capacity"] == 10 and len(d["weeks"]) == 12
    assert d["audit"] and d["failed_emails"] == []
    missing = client.get(f"/api/v1/admin/organizations/{unique('none')}", headers=auth)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("params,field", [
    ({"sort": "bogus"}, "sort"), ({"status": "deleted"}, "status"), ({"page": "abc"}, "page"), ({"page": 0}, "page"),
    ({"per_page": 1000}, "per_page"), ({"q": "x" * 300}, "q"), ({"sort": "x" * 100}, "sort"),
    ({"page": "9" * 40}, "page"),
])
def test_bad_parameters_are_422(client, login, world, params, field):
    response = client.get("/api/v1/admin/organizations", params=params, headers=login(world["root"]))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"]


def test_a_long_slug_is_422_not_500(client, login, world):
    auth = login(world["root"])
    assert client.get("/api/v1/admin/organizations/" + "a" * 100, headers=auth).status_code == 422
    assert client.get("/api/v1/admin/organizations/%00", headers=auth).status_code in (404, 422)
