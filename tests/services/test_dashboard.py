"""The organizer dashboard reads one page: the first few events of each section, or one section's page,
with every section counted by the database; the order of each section and the organization's scope hold."""
from datetime import datetime, timezone

import pytest

from aqstream.services import clock
from aqstream.services.errors import NotFound
from aqstream.services.events import event_lifecycle, events
from aqstream.services.org.permissions import Principal


def _world(make, session):
    """An organization with 7 upcoming events (1..7 June 2031), 3 past ones (May), 2 drafts, 1 cancelled and 1
    archived; seen on 1 June 2031 at 00:00 UTC, before the first upcoming one starts."""
    owner, org = make.org()
    me = Principal(owner.id)
    upcoming = [make.event(owner, org, starts=f"2031-06-0{d}T18:00", ends=f"2031-06-0{d}T21:00")[0] for d in range(1, 8)]
    past = [make.event(owner, org, starts=f"2031-05-1{d}T18:00", ends=f"2031-05-1{d}T21:00")[0] for d in range(3)]
    drafts = [make.event(owner, org, publish=False, starts=f"2031-07-0{d}T18:00", ends=f"2031-07-0{d}T21:00")[0]
              for d in range(1, 3)]
    cancelled = make.event(owner, org, starts="2031-06-20T18:00", ends="2031-06-20T21:00")[0]
    event_lifecycle.cancel_event(session, me, org.id, cancelled.id, "Sorry, the venue is closed.")
    archived = make.event(owner, org, starts="2031-05-01T18:00", ends="2031-05-01T21:00")[0]
    return owner, org, me, upcoming, past, drafts, cancelled, archived


@pytest.fixture
def at_june_first():
    """The clock on 1 June 2031, 00:00 UTC."""
    with clock.travel(datetime(2031, 6, 1, tzinfo=timezone.utc) - clock.utcnow()):
        yield


def ids(page) -> list[int]:
    return [r.event.id for r in page.rows]


def test_the_overview_shows_the_first_of_each_section_and_counts_them_all(make, session, at_june_first):
    owner, org, me, upcoming, past, drafts, cancelled, archived = _world(make, session)
    event_lifecycle.archive_event(session, me, org.id, archived.id)
    page = events.dashboard(session, me, org.id, preview=3)
    assert page.counts == {"upcoming": 7, "draft": 2, "past": 4, "archived": 1}
    assert (page.section, page.page, page.pages) == ("", 1, 1)
    by_section = {name: [r.event.id for r in page.rows if r.section == name] for name in events.DASHBOARD_SECTIONS}
    assert by_section["upcoming"] == [e.id for e in upcoming[:3]]  # soonest first
    assert by_section["draft"] == [drafts[1].id, drafts[0].id]  # most recent first
    assert by_section["past"] == [cancelled.id, past[2].id, past[1].id]  # cancelled ones are with the past
    assert by_section["archived"] == [archived.id]


def test_a_section_is_read_page_by_page_and_the_page_is_kept_in_range(make, session, at_june_first):
    owner, org, me, upcoming, *_ = _world(make, session)
    first = events.dashboard(session, me, org.id, section="upcoming", page=1, per_page=3)
    assert (first.section, first.page, first.pages) == ("upcoming", 1, 3)
    assert ids(first) == [e.id for e in upcoming[:3]]
    third = events.dashboard(session, me, org.id, section="upcoming", page=3, per_page=3)
    assert ids(third) == [upcoming[6].id]
    # Past the last page: the last page; before the first: the first.
    assert ids(events.dashboard(session, me, org.id, section="upcoming", page=99, per_page=3)) == ids(third)
    assert events.dashboard(session, me, org.id, section="upcoming", page=99, per_page=3).page == 3
    assert ids(events.dashboard(session, me, org.id, section="upcoming", page=-4, per_page=3)) == ids(first)
    # An empty section has one (empty) page; an unknown one is the overview.
    empty = events.dashboard(session, me, org.id, section="archived", page=2)
    assert (empty.rows, empty.page, empty.pages) == ([], 1, 1)
    assert events.dashboard(session, me, org.id, section="<script>", page=2).section == ""


def test_only_the_organization_s_own_events_are_counted_and_shown(make, session, at_june_first):
    owner, org, me, *_ = _world(make, session)
    stranger, other_org = make.org()
    make.event(stranger, other_org, starts="2031-06-03T18:00", ends="2031-06-03T21:00")
    assert events.dashboard(session, me, org.id).counts["upcoming"] == 7
    theirs = events.dashboard(session, Principal(stranger.id), other_org.id)
    assert theirs.counts == {"upcoming": 1, "draft": 0, "past": 0, "archived": 0}
    with pytest.raises(NotFound):  # another tenant does not learn it exists
        events.dashboard(session, Principal(stranger.id), org.id)
