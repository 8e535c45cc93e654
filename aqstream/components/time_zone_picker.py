"""The time-zone picker: a native select of the current zones ("UTC+03:00 · Москва (Россия)"), with a search
field above it that narrows the list as one types a city, a country or an offset. The form submits the
zone's IANA name, as before."""
from __future__ import annotations

import reflex as rx

from aqstream.components.ui import SELECT_STYLE, T
from aqstream.services.events import time_zones
from aqstream.state.time_zones import TimeZonePickerState

_CURRENT = rx.Var.create(list(time_zones.current_zones()))


def _kept_option(default: rx.Var | str) -> rx.Component:
    """A zone the list does not offer (an alias an API client saved, such as US/Eastern) stays selectable as
    it is, so saving the form never changes it unasked."""
    if isinstance(default, str):
        return rx.fragment() if not default or default in time_zones.current_zones() else rx.el.option(default,
                                                                                                      value=default)
    return rx.cond((default != "") & ~_CURRENT.contains(default), rx.el.option(default, value=default), rx.fragment())


def time_zone_picker(name: str, label: rx.Var | rx.Component, default: rx.Var | str) -> rx.Component:
    field_id = f"f-{name}"
    search_id = f"{field_id}-search"
    s = TimeZonePickerState
    return rx.vstack(
        rx.el.label(label, html_for=field_id, style={"font_weight": "500"}),
        rx.el.label(T("tz.search_label"), html_for=search_id, style={"font_size": "14px", "color": "var(--gray-11)"}),
        rx.input(
            id=search_id,
            type="search",
            value=s.tz_query,
            on_change=s.set_tz_query,
            debounce_timeout=250,
            on_mount=s.set_tz_query(""),
            placeholder=T("tz.search_placeholder"),
            auto_complete="off",
            aria_controls=field_id,
            # Not part of the event's form: Enter here must not submit it, and the text is not sent.
            form="tz-search-only",
            name="tz_search",
            size="3",
            width="100%",
            max_length=100,
        ),
        rx.cond(s.tz_no_match, rx.text(T("tz.no_match"), size="2", color_scheme="amber", role="status"),
                rx.fragment()),
        rx.el.select(
            _kept_option(default),
            rx.foreach(s.tz_matches, lambda z: rx.el.option(z["label"], value=z["value"], key=z["value"])),
            id=field_id,
            name=name,
            default_value=default,
            key=default,
            aria_describedby=f"{field_id}-error",
            style=SELECT_STYLE,
        ),
        spacing="1",
        width="100%",
    )
