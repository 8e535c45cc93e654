"""One declared event field (services/events/fields.py) drawn as a labelled input: its label, hint, input type
and browser-side limits come from the declaration, the server's message for it appears right below it.
Pages may use `event_field("capacity", errors, default)` instead of spelling each field out."""
from __future__ import annotations

import reflex as rx

from aqstream.components.time_zone_picker import time_zone_picker
from aqstream.components.ui import SELECT_STYLE, T, checkbox_field, error_text, field
from aqstream.services.events import fields


def event_field(name: str, errors: rx.Var, default: rx.Var | str | bool | None = None, *,
                option_keys: dict[str, str] | None = None, **props) -> rx.Component:
    """`default`: the value shown first (for a checkbox, whether it is ticked). `option_keys`: for a choice,
    the catalogue key naming each value. `props` go to a plain input (e.g. auto_complete)."""
    attrs = fields.form_attrs(name)
    field_id = f"f-{name}"
    kind = attrs["input_type"]
    if kind == "checkbox":
        return checkbox_field(T(attrs["label_key"]), name, default_checked=bool(default) if isinstance(default, bool)
                              else default)
    if name == "time_zone":
        return rx.vstack(time_zone_picker(name, T(attrs["label_key"]), default or "UTC"),
                         error_text(errors, name, field_id), spacing="1", width="100%")
    if kind == "select":
        keys = option_keys or {}
        options = [rx.el.option(T(keys[v]) if v in keys else v, value=v) for v in attrs["choices"]]
        return rx.vstack(
            rx.el.label(T(attrs["label_key"]), html_for=field_id, style={"font_weight": "500"}),
            rx.el.select(*options, id=field_id, name=name, default_value=default or "", style=SELECT_STYLE,
                         aria_describedby=f"{field_id}-error"),
            error_text(errors, name, field_id),
            spacing="1",
            width="100%",
        )
    if kind == "textarea":
        described = f"{field_id}-error" + (f" {field_id}-hint" if attrs["hint_key"] else "")
        return rx.vstack(
            rx.el.label(T(attrs["label_key"]), html_for=field_id, style={"font_weight": "500"}),
            *([rx.text(T(attrs["hint_key"]), id=f"{field_id}-hint", size="2", color_scheme="gray")]
              if attrs["hint_key"] else []),
            rx.text_area(id=field_id, name=name, rows="4", width="100%", max_length=attrs["max_length"],
                         default_value=default or "", aria_describedby=described,
                         aria_invalid=rx.cond(errors.contains(name), "true", "false")),
            error_text(errors, name, field_id),
            spacing="1",
            width="100%",
        )
    limits = {k: attrs[k] for k in ("max_length", "min", "max") if k in attrs}
    if kind == "number":
        limits["input_mode"] = "numeric"
    return field(attrs["label_key"], name, errors, type=kind, hint_key=attrs["hint_key"], default_value=default,
                 **limits, **props)
