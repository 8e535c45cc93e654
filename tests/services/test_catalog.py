"""The public catalog: who may be found, each filter, search words (Cyrillic too), pages, bad input; an
organization's public page; recommendations.

The database is shared by the whole test session, so each test works in its own far-future year and
passes `now` just before it: other tests' events have ended by then and stay out of the answers."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import update

from aqstream.models import Event, Organization, TicketType
from aqstream.services.errors import NotFound, ValidationError
from aqstream.services.events import catalog, event_lifecycle, events
from aqstream.services.events.catalog import CatalogQuery as Q
from aqstream.services.org.permissions import Principal
from aqstream.services.sales import registration


def ev(session, owner, org, title, *, day, at="18:00", hours=2, tz="Europe/Moscow", venue="Hall 1", online_url="",
       city="", tags="", locale="", listed=True, publish=True, description="", price=0):
    event = events.create_event(session, Principal(owner.id), org.id, events.EventInput(
        title=title, starts_local=f"{day}T{at}", ends_local=f"{day}T{int(at[:2]) + hours:02d}{at[2:]}", time_zone=tz,
        venue=venue, online_url=online_url, city=city, tags=tags, locale=locale, listed=listed,
        description=description, ticket_types=[events.TicketTypeInput("General", 50)]))
    if price:  # paid tickets are not offered by the services yet; the catalog already tells them apart
        session.exec(update(TicketType).where(TicketType.event_id == event.id).values(price_minor=price))
        session.commit()
    if publish:
        event = events.publish_event(session, Principal(owner.id), org.id, event.id)
    return event


def at(year, month=1, day=1):
    return datetime(year, month, day, tzinfo=timezone.utc)


def titles(page):
    return [card.title for card in page.rows]


def test_only_published_listed_upcoming_events_of_active_organizations(make, session):
    owner, org = make.org()
    ev(session, owner, org, "Visible gathering", day="2040-03-10")
    ev(session, owner, org, "Draft gathering", day="2040-03-10", publish=False)
    ev(session, owner, org, "Unlisted gathering", day="2040-03-10", listed=False)
    ev(session, owner, org, "Ended gathering", day="2040-01-05")
    cancelled = ev(session, owner, org, "Cancelled gathering", day="2040-03-11")
    event_lifecycle.cancel_event(session, Principal(owner.id), org.id, cancelled.id, "Sorry")
    other_owner, suspended = make.org()
    ev(session, other_owner, suspended, "Suspended gathering", day="2040-03-10")
    session.exec(update(Organization).where(Organization.id == suspended.id).values(status="suspended"))
    session.commit()

    found = catalog.search_catalog(session, Q(words="gathering"), now=at(2040, 2))
    assert titles(found) == ["Visible gathering"] and found.total == 1
    # An event still running counts as upcoming until it ends.
    assert titles(catalog.search_catalog(session, Q(words="gathering"), now=datetime(2040, 3, 10, 16, tzinfo=timezone.utc)))\
        == ["Visible gathering"]
    assert catalog.search_catalog(session, Q(words="gathering"), now=at(2040, 4)).total == 0

    page = catalog.organization_events(session, org.slug, now=at(2040, 2))
    assert [c.title for c in page.upcoming] == ["Visible gathering"]
    assert [c.title for c in page.past] == ["Ended gathering"]
    with pytest.raises(NotFound):
        catalog.organization_events(session, suspended.slug, now=at(2040, 2))
    with pytest.raises(NotFound):
        catalog.organization_events(session, "no-such-organization")


def test_each_filter(make, session):
    owner, org = make.org()
    ev(session, owner, org, "Jazz night in Kazan", day="2041-05-01", city="Kazan", tags="jazz, music", locale="ru")
    ev(session, owner, org, "Online jazz lecture", day="2041-05-02", venue="", online_url="https://meet.example.org/x",
       tags="jazz", locale="en")
    ev(session, owner, org, "Paid jazz concert", day="2041-05-03", city="kazan", price=1500, locale="en")
    ev(session, owner, org, "Hybrid jazz jam", day="2041-05-04", city="Samara", online_url="https://meet.example.org/y")
    now = at(2041, 4)

    def run(**kw):
        return titles(catalog.search_catalog(session, Q(words="jazz", **kw), now=now))

    assert run() == ["Jazz night in Kazan", "Online jazz lecture", "Paid jazz concert", "Hybrid jazz jam"]
    assert run(mode="online") == ["Online jazz lecture"]
    assert run(mode="offline") == ["Jazz night in Kazan", "Paid jazz concert", "Hybrid jazz jam"]
    assert run(city="KAZAN") == ["Jazz night in Kazan", "Paid jazz concert"]
    assert run(language="en") == ["Online jazz lecture", "Paid jazz concert"]
    assert run(language="ru") == ["Jazz night in Kazan"]
    assert run(price="paid") == ["Paid jazz concert"]
    assert run(price="free") == ["Jazz night in Kazan", "Online jazz lecture", "Hybrid jazz jam"]
    assert run(date_from="2041-05-02", date_to="2041-05-03") == ["Online jazz lecture", "Paid jazz concert"]
    assert run(date_from=date(2041, 5, 4)) == ["Hybrid jazz jam"]
    assert run(date_to="2041-05-01") == ["Jazz night in Kazan"]
    assert run(city="Kazan", price="free", mode="offline") == ["Jazz night in Kazan"]

    cards = {c.title: c for c in catalog.search_catalog(session, Q(words="jazz"), now=now).rows}
    assert cards["Paid jazz concert"].min_price_minor == 1500 and cards["Jazz night in Kazan"].min_price_minor == 0
    assert cards["Online jazz lecture"].online and not cards["Hybrid jazz jam"].online
    assert cards["Jazz night in Kazan"].tags == ["jazz", "music"] and cards["Jazz night in Kazan"].org_slug == org.slug
    cities = catalog.known_cities(session, now=now)
    assert "Samara" in cities and len([c for c in cities if c.lower() == "kazan"]) == 1


def test_dates_are_days_in_the_events_own_zone(make, session):
    owner, org = make.org()
    # 01:00 on 1 July in Vladivostok is still 30 June in UTC; 23:00 on 1 July in New York is 2 July in UTC.
    ev(session, owner, org, "Vladivostok dawn", day="2042-07-01", at="01:00", tz="Asia/Vladivostok")
    ev(session, owner, org, "New York late show", day="2042-07-01", at="21:00", hours=2, tz="America/New_York")
    ev(session, owner, org, "Moscow next day", day="2042-07-02", at="01:00")
    got = catalog.search_catalog(session, Q(date_from="2042-07-01", date_to="2042-07-01"), now=at(2042, 6))
    assert titles(got) == ["Vladivostok dawn", "New York late show"]


def test_words_match_every_column_and_cyrillic_ignores_case(make, session):
    owner, org = make.org()
    ev(session, owner, org, "Вечер ДЖАЗА на крыше", day="2043-02-01", description="Саксофон и контрабас")
    ev(session, owner, org, "Reading club", day="2043-02-02", venue="Библиотека имени Пушкина", city="Тверь",
       tags="books, литература")
    ev(session, owner, org, "100%_literal test", day="2043-02-03")
    now = at(2043, 1)
    assert titles(catalog.search_catalog(session, Q(words="джаза"), now=now)) == ["Вечер ДЖАЗА на крыше"]
    assert titles(catalog.search_catalog(session, Q(words="САКСОФОН"), now=now)) == ["Вечер ДЖАЗА на крыше"]
    assert titles(catalog.search_catalog(session, Q(words="тверь"), now=now)) == ["Reading club"]
    assert titles(catalog.search_catalog(session, Q(words="ПУШКИНА club"), now=now)) == ["Reading club"]
    assert titles(catalog.search_catalog(session, Q(words="Литература"), now=now)) == ["Reading club"]
    assert catalog.search_catalog(session, Q(words="пушкина джаза"), now=now).total == 0  # every word must match
    # The organizer's name is searched too; % and _ are literal characters, not wildcards.
    assert catalog.search_catalog(session, Q(words=org.name.upper()), now=now).total == 3
    assert titles(catalog.search_catalog(session, Q(words="100%_"), now=now)) == ["100%_literal test"]
    assert catalog.search_catalog(session, Q(words="1%l"), now=now).total == 0


def test_pages_are_counted_and_clamped(make, session):
    owner, org = make.org()
    for i in range(5):
        ev(session, owner, org, f"Paged talk {i}", day=f"2044-03-0{i + 1}")
    now = at(2044, 2)
    seen = []
    for number in (1, 2, 3):
        page = catalog.search_catalog(session, Q(words="paged", page=number, page_size=2), now=now)
        assert page.total == 5 and page.pages == 3 and page.page == number
        seen += titles(page)
    assert seen == [f"Paged talk {i}" for i in range(5)]
    last = catalog.search_catalog(session, Q(words="paged", page=40, page_size=2), now=now)
    assert last.page == 3 and titles(last) == ["Paged talk 4"]
    empty = catalog.search_catalog(session, Q(words="nothing-like-this"), now=now)
    assert empty.total == 0 and empty.pages == 1 and empty.rows == []


def test_bad_input_names_the_fields(session):
    with pytest.raises(ValidationError) as err:
        catalog.search_catalog(session, Q(date_from="31.12.2030", mode="hybrid", price="cheap", language="de",
                                          page="x", page_size=500))
    assert set(err.value.errors) == {"date_from", "mode", "price", "language", "page", "page_size"}
    with pytest.raises(ValidationError) as err:
        catalog.search_catalog(session, Q(date_from="2030-05-02", date_to="2030-05-01"))
    assert err.value.errors == {"date_to": "catalog.dates_reversed"}


def test_recommendations_for_an_event_rank_what_it_shares(make, session):
    owner, org = make.org()
    other_owner, other = make.org()
    base = ev(session, owner, org, "Python conference Moscow", day="2045-04-01", tags="python, backend")
    same_org = ev(session, owner, org, "Gardening for beginners", day="2045-04-05")
    tags_and_word = ev(session, other_owner, other, "Python testing day", day="2045-04-06", tags="python, testing")
    one_tag = ev(session, other_owner, other, "Backend at scale", day="2045-04-02", tags="backend")
    ev(session, other_owner, other, "Knitting circle", day="2045-04-03")  # nothing in common
    ev(session, other_owner, other, "Moscow by night", day="2045-04-04", listed=False)  # a shared word, unlisted
    # Shares only stop words ("conference") and nothing else: not a recommendation.
    ev(session, other_owner, other, "The conference of birds", day="2045-04-07")
    got = catalog.recommend_for_event(session, base.id, limit=10, now=at(2045, 3))
    # Same organizer 3; python tag 2 + the word "python" 1 = 3 (the later of the two); backend tag 2.
    assert [c.slug for c in got] == [same_org.slug, tags_and_word.slug, one_tag.slug]
    assert [c.title for c in got] == ["Gardening for beginners", "Python testing day", "Backend at scale"]
    assert [c.slug for c in catalog.recommend_for_event(session, base.id, limit=1, now=at(2045, 3))] == [same_org.slug]
    assert catalog.recommend_for_event(session, 10**9) == []


def test_recommendations_for_a_user_follow_their_registrations(make, session):
    owner, org = make.org()
    other_owner, other = make.org()
    third_owner, third = make.org()
    user = make.user()
    went = ev(session, owner, org, "Jazz evening", day="2046-02-01", tags="jazz")
    holding = ev(session, third_owner, third, "Jazz festival", day="2046-03-03", tags="jazz, festival")
    for event in (went, holding):
        tt = events.list_ticket_types(session, event.id)[0]
        registration.register(session, org_slug=event_org(session, event).slug, event_slug=event.slug,
                              ticket_type_id=tt.id, buyer_name="Fan", buyer_email=user.email, user_id=user.id)
    soonest = ev(session, other_owner, other, "Soonest unrelated", day="2046-03-01")
    tagged = ev(session, other_owner, other, "Blues and jazz", day="2046-03-05", tags="blues, jazz")
    same_org = ev(session, owner, org, "Poetry reading", day="2046-03-06")
    now = at(2046, 2, 15)  # the jazz evening is over; the festival, for which the user holds a place, is not
    got = catalog.recommend_for_user(session, user.id, limit=3, now=now)
    assert [c.slug for c in got] == [tagged.slug, same_org.slug, soonest.slug]
    assert holding.slug not in [c.slug for c in catalog.recommend_for_user(session, user.id, limit=10, now=now)]

    newcomer = make.user()
    fallback = catalog.recommend_for_user(session, newcomer.id, limit=2, now=now)
    assert [c.title for c in fallback] == ["Soonest unrelated", "Jazz festival"]


def event_org(session, event):
    return session.get(Organization, event.organization_id)


def test_organization_page_lists_past_events_newest_first_a_page_at_a_time(make, session):
    owner, org = make.org()
    for i in range(11):
        ev(session, owner, org, f"Old talk {i:02d}", day=f"2047-01-{i + 1:02d}")
    archived = ev(session, owner, org, "Archived one", day="2047-02-01")
    # Archiving waits for the event's end on the real clock; here the test's clock says it is over.
    session.exec(update(Event).where(Event.id == archived.id).values(status="archived"))
    session.commit()
    ev(session, owner, org, "Old unlisted", day="2047-01-20", listed=False)
    ev(session, owner, org, "Old draft", day="2047-01-21", publish=False)
    ev(session, owner, org, "Still to come", day="2047-07-01")
    now = at(2047, 3)
    first = catalog.organization_events(session, org.slug, now=now)
    assert first.past_total == 12 and first.past_pages == 2 and first.past_page == 1
    assert [c.title for c in first.past][:3] == ["Archived one", "Old talk 10", "Old talk 09"]
    assert [c.title for c in first.upcoming] == ["Still to come"]
    second = catalog.organization_events(session, org.slug, now=now, past_page=2)
    assert [c.title for c in second.past] == ["Old talk 01", "Old talk 00"]
    assert catalog.organization_events(session, org.slug, now=now, past_page=9).past_page == 2
    with pytest.raises(ValidationError):
        catalog.organization_events(session, org.slug, now=now, past_page="first")
