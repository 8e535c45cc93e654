"""Inputs for an event's custom questions, named `{prefix}q.{id}` so the state can read them back."""
from __future__ import annotations

import reflex as rx

from aqstream.components.ui import T, error_text

_BOX = {"width": "20px", "height": "20px", "flex_shrink": "0", "margin": "2px 0 0 0"}


def _typed(q: rx.Var) -> dict:
    """The question's fields as typed vars (the state keeps questions as plain dicts)."""
    return {"id": q["id"].to(str), "label": q["label"].to(str), "kind": q["kind"].to(str), "help": q["help"].to(str),
            "required": q["required"].to(bool), "options": q["options"].to(list[str])}


def _required(q) -> rx.Component:
    return rx.cond(q["required"], rx.text(" (", T("public.required_mark"), ")", as_="span", color_scheme="gray"), rx.fragment())


def _choice(kind: str, name: rx.Var, value, field_id: rx.Var, text) -> rx.Component:
    return rx.el.label(
        rx.el.input(type=kind, name=name, value=value, id=field_id, style=_BOX),
        rx.text(text, as_="span"),
        html_for=field_id,
        style={"display": "flex", "gap": "10px", "align_items": "flex-start", "min_height": "44px", "padding": "10px 0",
               "cursor": "pointer"},
    )


def question_input(q: rx.Var, prefix: rx.Var | str, errors: rx.Var) -> rx.Component:
    q = _typed(q)
    name = prefix + "q." + q["id"]
    field_id = "f-" + name.replace(".", "-")
    help_text = rx.cond(q["help"] != "", rx.text(q["help"], size="2", color_scheme="gray"), rx.fragment())
    text_input = rx.vstack(
        rx.el.label(q["label"], _required(q), html_for=field_id, style={"font_weight": "500"}),
        help_text,
        rx.cond(
            q["kind"] == "long_text",
            rx.text_area(id=field_id, name=name, rows="4", width="100%", max_length=5000,
                         aria_describedby=field_id + "-error"),
            rx.input(id=field_id, name=name, size="3", width="100%", max_length=300, aria_describedby=field_id + "-error"),
        ),
        error_text(errors, name, field_id),
        spacing="1",
        width="100%",
    )
    choices = rx.el.fieldset(
        rx.el.legend(q["label"], _required(q), style={"font_weight": "500"}),
        help_text,
        rx.foreach(
            q["options"],
            lambda opt, i: rx.cond(
                q["kind"] == "single_choice",
                _choice("radio", name, opt, field_id + "-" + i.to_string(), opt),
                _choice("checkbox", name + ".opt." + i.to_string(), "on", field_id + "-" + i.to_string(), opt),
            ),
        ),
        error_text(errors, name, field_id),
        aria_describedby=field_id + "-error",
        style={"border": "none", "padding": 0, "margin": 0, "width": "100%"},
    )
    checkbox = rx.vstack(
        _choice("checkbox", name, "on", field_id, rx.fragment(q["label"], _required(q))),
        help_text,
        error_text(errors, name, field_id),
        spacing="0",
        width="100%",
    )
    return rx.match(
        q["kind"],
        ("single_choice", choices),
        ("multiple_choice", choices),
        ("checkbox", checkbox),
        text_input,
    )
