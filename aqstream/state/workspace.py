"""The event workspace: one event's pages are tabs (Overview, Attendees, Tickets and questions, Emails,
Settings), each its own page and state. `EventTabState` is what every tab shares: which event the URL names,
the caller's role, and the header the tabs show (title, status, when and where, the public link)."""
from __future__ import annotations

import reflex as rx

from aqstream import config
from aqstream.db import session_scope
from aqstream.i18n import t
from aqstream.services.errors import DomainError, NotFound
from aqstream.services.events import events
from aqstream.services.org import organizations
from aqstream.services.org.permissions import MANAGE_EVENTS, VIEW_ATTENDEES, VIEW_CHECKIN, Need, Principal, sees
from aqstream.state.base import event_times, when_text
from aqstream.state.organizer import OrgState

# (tab name, path under /o/<org>/events/<id>, catalogue key of its label, roles that see it)
TABS: tuple[tuple[str, str, str, frozenset[str]], ...] = (
    ("overview", "", "workspace.tab.overview", VIEW_ATTENDEES),
    ("attendees", "/attendees", "workspace.tab.attendees", VIEW_ATTENDEES),
    ("tickets", "/tickets", "workspace.tab.tickets", VIEW_ATTENDEES),
    ("analytics", "/analytics", "workspace.tab.analytics", VIEW_ATTENDEES),
    ("checkin", "/checkin", "workspace.tab.checkin", VIEW_CHECKIN),
    ("emails", "/emails", "workspace.tab.emails", MANAGE_EVENTS),
    ("settings", "/settings", "workspace.tab.settings", MANAGE_EVENTS),
)


class EventTabState(OrgState):
    """Shared by the workspace tabs. A tab's own state derives from it and calls `_open_event` in its on_load."""

    event_id: int = 0
    title: str = ""
    status: str = ""
    where: str = ""
    public_path: str = ""
    public_url: str = ""
    can_manage: bool = False
    event_raw: dict[str, str] = {}
    error: str = ""  # a refused action, above the tab's content
    notice: str = ""  # what an action did

    def _enter(self, allowed=VIEW_ATTENDEES):
        """A tab's on_load: the signed-in user (or a redirect to sign in), then the event. Returns
        (redirect, event): the tab reads its own data from `event` when there is one."""
        self.error, self.notice, self.found = "", "", True
        if redirect := self._require_user():
            return redirect, None
        self.loaded = True
        event = self._open_event(allowed)
        if event is None and self._door_only():
            # Check-in staff see the event's Check-in tab and nothing else: every other tab leads there.
            return rx.redirect(f"/o/{self.org_slug}/events/{self.event_id}/checkin"), None
        if event is not None:
            with session_scope() as session:  # sign-in lands on this organization next time
                organizations.remember_last(session, Principal(self._user_id), self._org_id)
        return None, event

    def _door_only(self) -> bool:
        """Whether the caller may not open this tab but may open the event's Check-in tab (check-in staff)."""
        if not self._open_org(VIEW_CHECKIN) or sees(self.role, VIEW_ATTENDEES):
            self.found = False
            return False
        try:
            self.event_id = int(self.router.page.params.get("event_id", "0"))
            with session_scope() as session:
                events.get_event(session, Principal(self._user_id), self._org_id, self.event_id, VIEW_CHECKIN)
        except (ValueError, DomainError):
            self.found = False
            return False
        return True

    def _act(self, action, errors_var: str = "", prefix: str = "") -> bool:
        """Run an organizer action through the services. A refusal becomes the tab's error message or, for a
        form (`errors_var` names its errors), messages next to that form's fields."""
        if exc := self._run(action, MANAGE_EVENTS):
            if errors_var:
                setattr(self, errors_var, {prefix + k: v for k, v in self._errors_text(exc).items()})
            else:
                self.error = self.t(exc.message_key, **exc.params)
            return False
        self.error = ""
        if errors_var:
            setattr(self, errors_var, {})
        return True

    def _open_event(self, allowed=VIEW_ATTENDEES):
        """Read the event the URL names, if the caller's role allows `allowed`. Returns the event (for the tab
        to read more from) or None, with `found` false when there is nothing this caller may see."""
        if not self._open_org(allowed):
            return None
        try:
            self.event_id = int(self.router.page.params.get("event_id", "0"))
            with session_scope() as session:
                event = events.get_event(session, Principal(self._user_id), self._org_id, self.event_id,
                                         Need(allowed, writes=False))  # the role was checked by _open_org
                session.expunge(event)
        except (ValueError, NotFound):
            self.found = False
            return None
        except DomainError:  # a role too small for this tab: as if it were not there
            self.found = False
            return None
        self.title, self.status = event.title, event.status
        self.where = event.venue or event.online_url
        self.event_raw = event_times(event)
        self.public_path = f"/e/{self.org_slug}/{event.slug}"
        self.public_url = config.public_base_url() + self.public_path
        self.can_manage = self.role in MANAGE_EVENTS
        return event

    @rx.var
    def when(self) -> str:
        return when_text(self.event_raw, self.lang)

    @rx.var
    def status_text(self) -> str:
        return t(f"event.status.{self.status}", self.lang) if self.status else ""

    @rx.var
    def base_path(self) -> str:
        return f"/o/{self.org_slug}/events/{self.event_id}"

    def _tab_title(self, key: str) -> str:
        """The browser tab's title: the event and the tab."""
        return " · ".join(part for part in (self.title, t(key, self.lang), "AqStream") if part)

    @rx.var
    def tabs(self) -> list[dict[str, str]]:
        """The tabs this caller's role sees: name, address and label."""
        return [{"name": name, "href": f"/o/{self.org_slug}/events/{self.event_id}{path}", "label": t(key, self.lang)}
                for name, path, key, roles in TABS if sees(self.role, roles)]
