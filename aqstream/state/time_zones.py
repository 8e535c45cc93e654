"""The time-zone picker's state: what the visitor typed to narrow the list, and the zones that match, named in
their language (the list itself is the service's: services/events/time_zones.py)."""
from __future__ import annotations

import reflex as rx

from aqstream.services.events import time_zones
from aqstream.state.base import AppState

MAX_QUERY = 100


class TimeZonePickerState(AppState):
    tz_query: str = ""
    # Set when a picker is on the page (its on_mount): until then the list is empty, so the zones (about 25 KB)
    # are sent only to pages that show a picker, not in every page's state.
    tz_shown: bool = False

    @rx.event
    def set_tz_query(self, text: str):
        self.tz_query = (text or "")[:MAX_QUERY]
        self.tz_shown = True

    @rx.var
    def tz_matches(self) -> list[dict[str, str]]:
        """The zones matching what was typed; every zone when nothing was typed or nothing matches."""
        if not self.tz_shown:
            return []
        found = time_zones.search(self.lang, self.tz_query) or time_zones.choices(self.lang)
        return [{"value": c.name, "label": c.label} for c in found]

    @rx.var
    def tz_no_match(self) -> bool:
        return bool(self.tz_query.strip()) and not time_zones.search(self.lang, self.tz_query)
