"""The platform admins' read-only pages (services/platform/directory.py): the organizations list (search by name,
slug or member email, status filter, every sort, pages counted by the database, bad input refused), the platform
overview's numbers and one organization in detail; NotFound for everyone else, owners of organizations included.

The test database is shared with other tests, so searches use a token unique to the test and the overview's
numbers are checked as differences."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from aqstream.models import Event, Organization, OutboxMessage
from aqstream.services.clock import utcnow
from aqstream.services.errors import NotFound, ValidationError
from aqstream.services.org import organizations
from aqstream.services.org.permissions import Principal
from aqstream.services.platform import directory, tenants
from tests.conftest import unique
from tests.services.test_analytics import buy
from tests.services.test_event_lifecycle import member
from tests.services.test_mail_log import platform_admin

UTC = timezone.utc


@pytest.fixture
def three(make, session):
    """Three organizations named with one token: Alpha (oldest, 5 tickets), Bravo (suspended, most active, 9
    tickets), Charlie (newest, never active, no events), each with an owner; Bravo has a staff member."""
    token = unique("dir")
    made = {}
    for i, label in enumerate(("Alpha", "Bravo", "Charlie")):
        owner = make.user(name=f"{label} Owner")
        org = organizations.create_organization(session, Principal(owner.id), name=f"{label} {token}")
        session.exec(update(Organization).where(Organization.id == org.id).values(
            created_at=datetime(2030, 1, 1 + i, tzinfo=UTC),
            last_activity_at=[datetime(2030, 2, 1, tzinfo=UTC), datetime(2030, 3, 1, tzinfo=UTC), None][i]))
        session.commit()
        made[label] = (owner, org)
    owner, alpha = made["Alpha"]
    event, _ = make.event(owner, alpha, quantities=(10,))
    session.exec(update(Event).where(Event.id == event.id).values(sold=5))
    session.commit()
    owner, bravo = made["Bravo"]
    for n, starts in ((4, "2031-06-01T18:00"), (5, "2020-06-01T18:00")):  # one upcoming, one past
        e, _ = make.event(owner, bravo, quantities=(10,), starts=starts, ends=starts.replace("18:", "21:"),
                          publish=n == 4)
        session.exec(update(Event).where(Event.id == e.id).values(sold=n))
        session.commit()
    staff = member(session, bravo, "staff")
    root = platform_admin(session)
    tenants.suspend(session, root, bravo.id, "Unpaid invoices")
    return dict(token=token, root=root, staff=staff, **{k: v[1] for k, v in made.items()},
                owners={k: v[0] for k, v in made.items()})


def names(result):
    return [r.name.split()[0] for r in result.rows]


def test_everyone_but_platform_admins_gets_not_found(make, session, three):
    owner = Principal(three["owners"]["Alpha"].id)
    ordinary = Principal(make.user().id)
    for who in (owner, ordinary, three["staff"]):
        with pytest.raises(NotFound):
            directory.list_organizations(session, who)
        with pytest.raises(NotFound):
            directory.platform_overview(session, who)
        with pytest.raises(NotFound):
            directory.organization_detail(session, who, three["Alpha"].slug)  # even their own organization


def test_search_by_name_slug_and_member_email(session, three):
    root = three["root"]
    found = directory.list_organizations(session, root, three["token"].upper(), sort="name")
    assert names(found) == ["Alpha", "Bravo", "Charlie"] and found.total == 3
    assert names(directory.list_organizations(session, root, f"  bravo  {three['token']} ")) == ["Bravo"]
    assert names(directory.list_organizations(session, root, three["Charlie"].slug)) == ["Charlie"]
    staff_email = session.get(__import__("aqstream.models", fromlist=["User"]).User, three["staff"].user_id).email
    assert names(directory.list_organizations(session, root, staff_email.upper())) == ["Bravo"]
    owner_email = three["owners"]["Alpha"].email
    assert names(directory.list_organizations(session, root, owner_email[:-len("@example.com")])) == ["Alpha"]
    # LIKE's wildcards are taken literally
    assert directory.list_organizations(session, root, three["token"] + "%").total == 0


def test_columns_of_a_row(session, three):
    rows = {r.name.split()[0]: r for r in directory.list_organizations(
        session, three["root"], three["token"], now=datetime(2026, 1, 1, tzinfo=UTC)).rows}
    alpha, bravo, charlie = rows["Alpha"], rows["Bravo"], rows["Charlie"]
    assert (alpha.slug, alpha.status, alpha.owner_name, alpha.owner_email) == (
        three["Alpha"].slug, "active", "Alpha Owner", three["owners"]["Alpha"].email)
    assert (alpha.members, alpha.events_upcoming, alpha.events_all, alpha.tickets_sold) == (1, 1, 1, 5)
    # A draft and a past event are not upcoming; the staff member counts as a member.
    assert (bravo.status, bravo.members, bravo.events_upcoming, bravo.events_all, bravo.tickets_sold) == (
        "suspended", 2, 1, 2, 9)
    assert (charlie.events_upcoming, charlie.events_all, charlie.tickets_sold, charlie.last_activity_at) == (
        0, 0, 0, None)
    assert alpha.created_at == datetime(2030, 1, 1, tzinfo=UTC)
    assert bravo.last_activity_at == datetime(2030, 3, 1, tzinfo=UTC)


def test_filter_by_status(session, three):
    root, token = three["root"], three["token"]
    assert names(directory.list_organizations(session, root, token, status="suspended")) == ["Bravo"]
    assert names(directory.list_organizations(session, root, token, status="ACTIVE", sort="name")) == [
        "Alpha", "Charlie"]
    assert directory.list_organizations(session, root, token, status="").total == 3  # "" is all


@pytest.mark.parametrize("sort,expected", [
    ("-created", ["Charlie", "Bravo", "Alpha"]),
    ("created", ["Alpha", "Bravo", "Charlie"]),
    ("-activity", ["Bravo", "Alpha", "Charlie"]),  # never active: last
    ("activity", ["Charlie", "Alpha", "Bravo"]),
    ("name", ["Alpha", "Bravo", "Charlie"]),
    ("-tickets", ["Bravo", "Alpha", "Charlie"]),
    ("tickets", ["Charlie", "Alpha", "Bravo"]),
])
def test_each_sort(session, three, sort, expected):
    assert names(directory.list_organizations(session, three["root"], three["token"], sort=sort)) == expected


def test_pages_are_counted_by_the_database(session, three):
    root, token = three["root"], three["token"]
    first = directory.list_organizations(session, root, token, sort="name", per_page=2)
    assert (first.total, first.pages, first.page, names(first)) == (3, 2, 1, ["Alpha", "Bravo"])
    second = directory.list_organizations(session, root, token, sort="name", page="2", per_page=2)
    assert (second.page, names(second)) == (2, ["Charlie"])
    past_the_end = directory.list_organizations(session, root, token, sort="name", page=99, per_page=2)
    assert (past_the_end.page, names(past_the_end)) == (2, ["Charlie"])
    nothing = directory.list_organizations(session, root, unique("nomatch"), page=5)
    assert (nothing.total, nothing.pages, nothing.page, nothing.rows) == (0, 1, 1, [])
    everyone = directory.list_organizations(session, root)
    assert everyone.total >= 3 and len(everyone.rows) == min(everyone.total, directory.PER_PAGE)


@pytest.mark.parametrize("kwargs,field", [
    (dict(sort="bogus"), "sort"), (dict(status="deleted"), "status"), (dict(page="abc"), "page"),
    (dict(page=0), "page"), (dict(page="-1"), "page"), (dict(page="9" * 30), "page"), (dict(per_page=1000), "per_page"),
    (dict(query="x" * 300), "q"),
])
def test_bad_input_is_a_validation_error(session, three, kwargs, field):
    with pytest.raises(ValidationError) as caught:
        directory.list_organizations(session, three["root"], **kwargs)
    assert field in caught.value.errors


def test_overview_numbers(make, session):
    root = platform_admin(session)
    now = datetime(2037, 2, 18, 12, tzinfo=UTC)  # a Wednesday
    before = directory.platform_overview(session, root, now=now)
    owner, org = make.org()
    _, other = make.org()
    event, (tt,) = make.event(owner, org, quantities=(50,), starts="2037-06-01T18:00", ends="2037-06-01T21:00")
    make.event(owner, org, quantities=(5,), starts="2036-06-01T18:00", ends="2036-06-01T21:00")  # past by then
    buy(session, org, event, [tt.id, tt.id], datetime(2037, 2, 16, 0, 30, tzinfo=UTC))  # this week (Monday)
    buy(session, org, event, [tt.id], datetime(2037, 2, 15, 23, 30, tzinfo=UTC))  # last week (Sunday)
    buy(session, org, event, [tt.id], datetime(2036, 11, 1, tzinfo=UTC))  # before the 12 weeks
    tenants.suspend(session, root, other.id, "Spam")
    session.add(OutboxMessage(organization_id=org.id, kind="email.registration_confirmation", recipient="a@b.c",
                              status="failed", next_attempt_at=utcnow(), created_at=utcnow()))
    session.commit()
    after = directory.platform_overview(session, root, now=now)
    assert after.organizations_active - before.organizations_active == 1
    assert after.organizations_suspended - before.organizations_suspended == 1
    assert after.events_upcoming - before.events_upcoming == 1
    assert [w.start.isoformat() for w in after.weeks][-2:] == ["2037-02-09", "2037-02-16"]
    assert len(after.weeks) == 12 and after.weeks[0].start.isoformat() == "2036-12-01"
    deltas = [a.tickets - b.tickets for a, b in zip(after.weeks, before.weeks)]
    assert deltas == [0] * 10 + [1, 2]
    assert after.emails_failed - before.emails_failed == 1
    assert after.emails_waiting >= 0 and after.smtp_configured is False
    # New this month: the month of `now` (the organizations above were created today, not in February 2037).
    assert after.organizations_new_this_month == before.organizations_new_this_month
    today = directory.platform_overview(session, root)
    assert today.organizations_new_this_month >= 2
    assert after.version and after.code_head and after.database_head == after.code_head and after.migrations_current


def test_organization_detail(make, session, three):
    root, bravo = three["root"], three["Bravo"]
    session.add(OutboxMessage(organization_id=bravo.id, kind="email.registration_confirmation", recipient="f@x.y",
                              status="failed", last_error="550 no such user", next_attempt_at=utcnow(),
                              created_at=utcnow()))
    session.add(OutboxMessage(organization_id=bravo.id, kind="email.registration_confirmation", recipient="s@x.y",
                              status="sent", next_attempt_at=utcnow(), created_at=utcnow()))
    session.commit()
    detail = directory.organization_detail(session, root, bravo.slug.upper(), now=datetime(2026, 1, 1, tzinfo=UTC))
    assert (detail.id, detail.name, detail.status, detail.suspension_reason) == (
        bravo.id, bravo.name, "suspended", "Unpaid invoices")
    assert detail.suspended_at is not None and detail.max_published_events is None
    assert [(m.name, m.role) for m in detail.members] == [("Bravo Owner", "owner"), ("staff", "staff")]
    assert [(e.status, e.tickets) for e in detail.events][:1] == [("published", 0)]  # upcoming first
    assert len(detail.events) == 2 and {e.capacity for e in detail.events} == {10}
    assert detail.audit and (detail.audit[0].action, detail.audit[0].actor) == ("platform.suspend", "Root")
    assert [(m.recipient, m.last_error) for m in detail.failed_emails] == [("f@x.y", "550 no such user")]
    assert len(detail.weeks) == 12
    with pytest.raises(NotFound):
        directory.organization_detail(session, root, unique("nope"))
    with pytest.raises(NotFound):
        directory.organization_detail(session, root, "")


def test_detail_for_an_admin_who_is_a_small_member(make, session, three):
    """A platform admin who is also checkin staff of the organization still sees its audit and failed mail."""
    root = three["root"]
    from aqstream.models import Membership
    session.add(Membership(user_id=root.user_id, organization_id=three["Alpha"].id, role="checkin",
                           created_at=utcnow()))
    session.commit()
    detail = directory.organization_detail(session, root, three["Alpha"].slug)
    assert detail.audit and {m.role for m in detail.members} == {"owner", "checkin"}
    assert detail.weeks[-1].start <= (utcnow() + timedelta(days=1)).date()
