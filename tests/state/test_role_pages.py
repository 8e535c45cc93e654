"""Which tabs of an event's workspace each role sees (the page tests open them: tests/browser/test_checkin_tab.py,
tests/browser/test_event_workspace.py): organizers every tab, check-in staff the Check-in tab only, the platform
admins' support view every tab that only reads."""
import pytest

from aqstream.services.org.permissions import CHECK_IN, MANAGE_EVENTS, SUPPORT, VIEW_ATTENDEES, VIEW_CHECKIN, sees
from aqstream.state.workspace import TABS

EVERY_TAB = ["overview", "attendees", "tickets", "analytics", "checkin", "emails", "settings"]


@pytest.mark.parametrize("role, shown", [
    ("owner", EVERY_TAB),
    ("admin", EVERY_TAB),
    ("staff", EVERY_TAB),
    ("checkin", ["checkin"]),
    (SUPPORT, ["overview", "attendees", "tickets", "analytics", "checkin"]),
    ("stranger", []),
])
def test_each_role_sees_its_tabs(role, shown):
    assert [name for name, _path, _key, roles in TABS if sees(role, roles)] == shown


def test_check_in_staff_use_the_door_and_nothing_more():
    assert sees("checkin", VIEW_CHECKIN) and sees("checkin", CHECK_IN)
    assert not sees("checkin", VIEW_ATTENDEES) and not sees("checkin", MANAGE_EVENTS)
    assert not sees(SUPPORT, CHECK_IN)  # the support view reads; it lets nobody in
