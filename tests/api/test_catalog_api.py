"""The public catalog and organization page over REST: no token needed, filters and pages, 4xx JSON on bad
input, nothing unpublished or unlisted, unknown and suspended organizations are 404."""
from sqlalchemy import update

from aqstream.models import Organization
from tests.conftest import unique
from tests.services.test_catalog import ev


def test_catalog_filters_pages_and_refuses_bad_input(client, make, session):
    owner, org = make.org()
    word = unique("apiword")
    ev(session, owner, org, f"First {word}", day="2031-09-01", city="Kazan", tags="jazz")
    ev(session, owner, org, f"Second {word}", day="2031-09-02", venue="", online_url="https://meet.example.org/a")
    ev(session, owner, org, f"Third {word}", day="2031-09-03", city="Kazan")
    ev(session, owner, org, f"Hidden {word}", day="2031-09-04", listed=False)
    ev(session, owner, org, f"Draft {word}", day="2031-09-04", publish=False)

    body = client.get("/api/v1/public/catalog", params={"q": word.upper(), "page_size": 2}).json()
    assert body["total"] == 3 and body["pages"] == 2 and body["page"] == 1
    first = body["items"][0]
    assert first["title"] == f"First {word}" and first["organization"] == org.slug and first["tags"] == ["jazz"]
    assert first["url"].endswith(f"/e/{org.slug}/{first['slug']}") and first["min_price_minor"] == 0
    second_page = client.get("/api/v1/public/catalog", params={"q": word, "page_size": 2, "page": 2}).json()
    assert [i["title"] for i in second_page["items"]] == [f"Third {word}"]
    online = client.get("/api/v1/public/catalog", params={"q": word, "mode": "online"}).json()
    assert [i["title"] for i in online["items"]] == [f"Second {word}"] and online["items"][0]["online"] is True
    kazan = client.get("/api/v1/public/catalog", params={"q": word, "city": "kazan", "date_from": "2031-09-02"}).json()
    assert [i["title"] for i in kazan["items"]] == [f"Third {word}"]

    bad = client.get("/api/v1/public/catalog", params={"mode": "teleport", "date_from": "tomorrow", "page_size": 99})
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) == {"mode", "date_from", "page_size"}
    reversed_dates = client.get("/api/v1/public/catalog", params={"date_from": "2031-09-02", "date_to": "2031-09-01"},
                                headers={"Accept-Language": "ru"})
    assert reversed_dates.status_code == 422
    assert reversed_dates.json()["error"]["fields"] == {"date_to": "Дата «по» раньше даты «с»."}
    too_long = client.get("/api/v1/public/catalog", params={"q": "x" * 201})
    assert too_long.status_code == 422 and "q" in too_long.json()["error"]["fields"]


def test_organization_page(client, make, session):
    owner, org = make.org()
    ev(session, owner, org, "Listed soon", day="2031-10-01")
    ev(session, owner, org, "Unlisted soon", day="2031-10-02", listed=False)
    page = client.get(f"/api/v1/public/organizations/{org.slug.upper()}")
    assert page.status_code == 200
    body = page.json()
    assert body["name"] == org.name and body["slug"] == org.slug and body["logo_url"] is None
    assert [e["title"] for e in body["upcoming"]] == ["Listed soon"] and body["past"] == [] and body["past_pages"] == 1
    assert client.get("/api/v1/public/organizations/no-such-org").status_code == 404
    assert client.get(f"/api/v1/public/organizations/{org.slug}", params={"past_page": "0"}).status_code == 422
    session.exec(update(Organization).where(Organization.id == org.id).values(status="suspended"))
    session.commit()
    gone = client.get(f"/api/v1/public/organizations/{org.slug}")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"
