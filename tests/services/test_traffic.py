"""Privacy-first visitor counting (services/reports/traffic.py), on SQLite and PostgreSQL: a visitor counts once a
day, again the next day; bots and organizers never; counts are rows per event, day and source, not per view; the
funnel's rates and the sources' top 10 with "other"; nothing that identifies a visitor is stored; old hashes go."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import inspect
from sqlmodel import select

from aqstream import config
from aqstream.models import EventTraffic, VisitorSeen
from aqstream.services import jobs, scheduler
from aqstream.services.reports import traffic

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
NOW = datetime(2031, 5, 1, 12, 0, tzinfo=timezone.utc)  # 15:00 in Moscow, the events' zone
DAY = date(2031, 5, 1)


def visit(session, event, step="view", *, ip="203.0.113.7", ua=UA, referrer="", utm=None, now=NOW, **kw):
    return traffic.count(session, event, step, client_ip=ip, user_agent=ua, referrer=referrer, utm=utm or {},
                         now=now, **kw)


def rows(session, event_id):
    session.expire_all()
    return session.exec(select(EventTraffic).where(EventTraffic.event_id == event_id)
                        .order_by(EventTraffic.day, EventTraffic.source, EventTraffic.utm_source)).all()


def new_event(make):
    owner, org = make.org()
    event, _types = make.event(owner, org)
    return owner, event


def test_a_visitor_counts_once_a_day_and_again_the_next_day(make, session):
    _owner, event = new_event(make)
    assert visit(session, event) is True
    assert visit(session, event, now=NOW + timedelta(hours=3)) is False  # same visitor, same day
    assert visit(session, event, ip="198.51.100.9") is True  # another visitor
    assert [(r.day, r.visitors) for r in rows(session, event.id)] == [(DAY, 2)]
    assert visit(session, event, now=NOW + timedelta(days=1)) is True  # a new day, a new salt
    assert [(r.day, r.visitors) for r in rows(session, event.id)] == [(DAY, 2), (DAY + timedelta(days=1), 1)]
    digests = session.exec(select(VisitorSeen.day, VisitorSeen.digest).where(
        VisitorSeen.event_id == event.id, VisitorSeen.step == "view")).all()
    today = {d for day, d in digests if day == DAY}
    assert len(today) == 2 and {d for day, d in digests if day != DAY}.isdisjoint(today)


def test_the_day_is_the_events_own(make, session):
    _owner, event = new_event(make)  # Europe/Moscow, UTC+3
    late = datetime(2031, 5, 1, 22, 30, tzinfo=timezone.utc)  # already 2 May in Moscow
    visit(session, event, now=late)
    assert [r.day for r in rows(session, event.id)] == [date(2031, 5, 2)]


def test_bots_organizers_and_bad_input_are_not_counted_and_never_raise(make, session):
    owner, event = new_event(make)
    for ua in ["", "   ", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
               "facebookexternalhit/1.1", "Mozilla/5.0 HeadlessChrome/120.0", "Slurp", "curl/8.0"]:
        assert visit(session, event, ua=ua) is False
    assert visit(session, event, is_organizer=True) is False
    assert visit(session, event, user_id=owner.id) is False  # a member of the event's organization
    assert visit(session, event, "bogus") is False  # logged, not raised
    assert visit(session, 2**31 - 1) is False  # no such event
    assert rows(session, event.id) == []
    stranger = make.user()
    assert visit(session, event.id, user_id=stranger.id) is True  # signed in elsewhere: a visitor like any


def test_many_views_are_one_row_per_source_and_day(make, session):
    _owner, event = new_event(make)
    own_site = config.public_base_url() + "/catalog"
    for i in range(100):
        ip = f"10.0.{i // 250}.{i % 250}"
        referrer = ["https://www.Google.com/search?q=jazz", "", own_site, "not a url"][i % 4]
        visit(session, event, ip=ip, referrer=referrer)
        visit(session, event, ip=ip, referrer=referrer, now=NOW + timedelta(minutes=5))  # a reload
    got = rows(session, event.id)
    assert [(r.source, r.visitors) for r in got] == [("", 75), ("google.com", 25)]  # own site and junk: direct
    assert session.exec(select(VisitorSeen).where(VisitorSeen.event_id == event.id)).all().__len__() == 100


def test_utm_tags_are_trimmed_lower_cased_and_bounded(make, session):
    _owner, event = new_event(make)
    visit(session, event, utm={"utm_source": "  NewsLetter ", "utm_medium": "E-Mail", "utm_campaign": "x" * 300,
                               "utm_term": "ignored"})
    visit(session, event, ip="1.2.3.4", utm={"utm_source": ["not", "text"], "utm_medium": None})
    got = rows(session, event.id)
    assert [(r.utm_source, r.utm_medium, r.utm_campaign, r.visitors) for r in got] == [
        ("", "", "", 1), ("newsletter", "e-mail", "x" * 100, 1)]


def test_funnel_rates_and_later_steps_credited_to_the_view_source(make, session):
    _owner, event = new_event(make)
    news = {"utm_source": "newsletter", "utm_medium": "email"}
    for i in range(10):
        visit(session, event, ip=f"10.1.0.{i}", utm=news if i < 4 else {}, referrer="" if i < 4 else "https://t.me/x")
    for step, how_many in [("form_started", 5), ("submitted", 4), ("confirmed", 2)]:
        for i in range(how_many):
            visit(session, event, step, ip=f"10.1.0.{i}")  # the form's page has no referrer or tags of its own
            visit(session, event, step, ip=f"10.1.0.{i}")  # twice: once
    assert traffic.funnel(session, event.id, DAY, DAY) == [
        ("view", 10, None), ("form_started", 5, 0.5), ("submitted", 4, 0.8), ("confirmed", 2, 0.5)]
    assert traffic.funnel(session, event.id, DAY + timedelta(days=1), DAY + timedelta(days=9)) == [
        ("view", 0, None), ("form_started", 0, None), ("submitted", 0, None), ("confirmed", 0, None)]
    by = {(r.source, r.utm_source): (r.visitors, r.form_started, r.submitted, r.confirmed) for r in rows(session, event.id)}
    assert by == {("", "newsletter"): (4, 4, 4, 2), ("t.me", ""): (6, 1, 0, 0)}
    # A step without a view today keeps its own origin, and counts the steps before it: whoever sends the form
    # today visited today (a view just before midnight, the form sent after it).
    assert visit(session, event, "submitted", ip="10.9.9.9", referrer="https://example.org/")
    assert any((r.source, r.visitors, r.form_started, r.submitted, r.confirmed) == ("example.org", 1, 1, 1, 0)
               for r in rows(session, event.id))
    assert not visit(session, event, "form_started", ip="10.9.9.9")  # already counted with the form
    assert visit(session, event, "confirmed", ip="10.9.9.9")
    steps = traffic.funnel(session, event.id, DAY, DAY)
    assert [s.count for s in steps] == [11, 6, 5, 3] and all(s.rate is None or s.rate <= 1 for s in steps)


def test_no_rate_or_conversion_above_one_when_visitors_register_after_midnight(make, session):
    _owner, event = new_event(make)
    late = NOW.replace(hour=20, minute=59)  # 23:59 in Moscow
    after = late + timedelta(minutes=2)  # 00:01, the next day
    for i in range(3):
        visit(session, event, ip=f"10.4.0.{i}", referrer="https://vk.com/wall", now=late)
        for step in ("form_started", "submitted", "confirmed"):
            visit(session, event, step, ip=f"10.4.0.{i}", now=after)
    both = traffic.funnel(session, event.id, DAY, DAY + timedelta(days=1))
    assert [s.count for s in both] == [6, 3, 3, 3] and all(s.rate <= 1 for s in both[1:])
    for row in traffic.sources(session, event.id, DAY, DAY + timedelta(days=1)):
        assert row.confirmed <= row.visitors and (row.conversion is None or row.conversion <= 1)
    next_day = traffic.funnel(session, event.id, DAY + timedelta(days=1), DAY + timedelta(days=1))
    assert [s.count for s in next_day] == [3, 3, 3, 3]


def test_sources_top_ten_then_other_with_conversion(make, session):
    _owner, event = new_event(make)
    for n in range(1, 13):  # site n sends n visitors; one of each confirms
        for i in range(n):
            ip = f"10.2.{n}.{i}"
            visit(session, event, ip=ip, referrer=f"https://site{n:02d}.example/page")
            if i == 0:
                visit(session, event, "confirmed", ip=ip)
    visit(session, event, ip="10.3.0.1", utm={"utm_source": "vk", "utm_campaign": "spring"})
    got = traffic.sources(session, event.id, DAY, DAY)
    assert [r.label for r in got] == [f"site{n:02d}.example" for n in range(12, 2, -1)] + [traffic.OTHER]
    assert (got[0].visitors, got[0].confirmed, got[0].conversion) == (12, 1, 1 / 12)
    other = got[-1]  # site02 (2), site01 (1) and vk / spring (1)
    assert (other.visitors, other.confirmed) == (4, 2) and other.conversion == 0.5
    assert traffic.sources(session, event.id, DAY, DAY, top=20)[-1] == traffic.SourceRow("vk / spring", 1, 0, 0.0)
    assert traffic.sources(session, event.id, DAY + timedelta(days=1), DAY + timedelta(days=1)) == []


def test_no_address_agent_or_cookie_is_stored(make, session, engine):
    _owner, event = new_event(make)
    ip, ua = "192.0.2.55", "Mozilla/5.0 UniqueAgent/9.9"
    visit(session, event, ip=ip, ua=ua, referrer="https://news.example/a?email=someone@example.com")
    visit(session, event, "submitted", ip=ip, ua=ua)
    columns = {table: {c["name"] for c in inspect(engine).get_columns(table)}
               for table in ("event_traffic", "visitor_seen")}
    assert columns == {
        "event_traffic": {"id", "event_id", "day", "source", "utm_source", "utm_medium", "utm_campaign", "visitors",
                          "form_started", "submitted", "confirmed"},
        "visitor_seen": {"day", "event_id", "step", "digest", "source", "utm_source", "utm_medium", "utm_campaign"},
    }
    stored = [str(v) for r in session.exec(select(VisitorSeen).where(VisitorSeen.event_id == event.id)).all()
              for v in r.model_dump().values()]
    stored += [str(v) for r in rows(session, event.id) for v in r.model_dump().values()]
    assert not any(ip in v or "UniqueAgent" in v or "someone" in v or "/a" in v for v in stored)
    digest = session.exec(select(VisitorSeen.digest).where(VisitorSeen.event_id == event.id)).first()
    assert len(digest) == 32 and digest == traffic.visitor_digest(DAY, ip, ua, event.id)


def test_the_prune_job_forgets_hashes_of_days_before_yesterday(make, session, engine):
    _owner, event = new_event(make)
    (job,) = [j for j in scheduler.registered() if j.name == "traffic-prune"]
    assert job.period() <= timedelta(hours=1)
    for days_ago in (0, 1, 2, 5):
        visit(session, event, now=NOW - timedelta(days=days_ago))
    jobs.prune_visitor_hashes(engine, NOW)
    session.expire_all()
    left = sorted(session.exec(select(VisitorSeen.day).where(VisitorSeen.event_id == event.id)).all())
    assert left == [DAY - timedelta(days=1), DAY]
    assert sum(r.visitors for r in rows(session, event.id)) == 4  # the counts stay
