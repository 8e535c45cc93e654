"""Layout and form pieces shared by every page. Text comes from the catalogues through T()."""
from __future__ import annotations

import reflex as rx

from aqstream.state.base import AppState, signout_script, translated


def T(key: str) -> rx.Var:
    """The translation of a catalogue key in the visitor's language: a frontend expression holding the texts
    of both languages, picked by `AppState.lang` (the catalogue is not in the page state)."""
    return translated(key)


def language_switch() -> rx.Component:
    def button(code: str, label: str, name: str) -> rx.Component:
        return rx.button(
            label,
            on_click=AppState.set_language(code),
            variant=rx.cond(AppState.lang == code, "solid", "soft"),
            size="2",
            aria_label=name,
            aria_pressed=rx.cond(AppState.lang == code, "true", "false"),
            min_height="44px",
            min_width="44px",
        )

    return rx.hstack(
        button("en", "EN", "English"),
        button("ru", "RU", "Русский"),
        spacing="1",
        role="group",
        aria_label="Language / Язык",
    )


def person_name(name: rx.Var) -> rx.Var | rx.Component:
    """A ticket holder's name; a ticket whose person deleted their account has none left, and says so."""
    return rx.cond(name != "", name, T("attendees.deleted_person"))


def signout_button(everywhere: bool = False, size: str = "2") -> rx.Component:
    script = signout_script(everywhere)
    return rx.button(
        T("nav.signout_everywhere") if everywhere else T("nav.signout"),
        on_click=rx.call_script(script),
        variant="ghost",
        size=size,
        min_height="44px",
    )


def header() -> rx.Component:
    """Brand, main navigation and the language switch. On a phone the brand and the language share the first
    row and the links take the second, in one line (see .site-header in aqstream.css)."""
    link = {"padding_y": "10px", "white_space": "nowrap"}
    return rx.el.header(
        rx.el.div(
            rx.link(rx.text("AqStream", size="5", weight="bold"), href="/", underline="none", class_name="site-brand"),
            rx.el.nav(
                rx.hstack(
                    rx.link(T("nav.catalog"), href="/events", **link),
                    rx.cond(
                        AppState.signed_in,
                        rx.fragment(
                            rx.link(T("nav.dashboard"), href="/", **link),
                            rx.link(T("nav.my_tickets"), href="/account/tickets", **link),
                            rx.cond(AppState.platform_admin,
                                    rx.fragment(rx.link(T("nav.platform_admin"), href="/admin", **link),
                                                rx.link(T("nav.platform_mail"), href="/admin/mail", **link)),
                                    rx.fragment()),
                            signout_button(size="3"),  # the links' text size
                        ),
                        rx.fragment(
                            rx.link(T("nav.signin"), href="/signin", **link),
                            rx.link(T("nav.signup"), href="/signup", **link),
                        ),
                    ),
                    align="center",
                    spacing="3",
                    wrap="wrap",
                ),
                aria_label=T("nav.main"),
                class_name="site-nav",
            ),
            rx.box(language_switch(), class_name="site-lang"),
            class_name="site-header",
        ),
        style={"padding": "12px 16px", "border_bottom": "1px solid var(--gray-a5)"},
    )


def shell(*children: rx.Component, size: str = "3") -> rx.Component:
    return rx.box(
        header(),
        rx.el.main(
            rx.container(rx.vstack(*children, spacing="5", width="100%"), size=size, padding_x="16px", padding_y="24px"),
        ),
        width="100%",
        overflow_x="hidden",
    )


def field(
    label_key: str,
    name: str,
    errors: rx.Var,
    *,
    type: str = "text",
    hint_key: str | None = None,
    default_value: str | rx.Var | None = None,
    **props,
) -> rx.Component:
    """A labelled input with its hint and, when the server refused it, the error right below it."""
    field_id = f"f-{name.replace('.', '-')}"
    has_error = errors.contains(name)
    described = f"{field_id}-error" + (f" {field_id}-hint" if hint_key else "")
    return rx.vstack(
        rx.el.label(T(label_key), html_for=field_id, style={"font_weight": "500"}),
        rx.input(
            id=field_id,
            name=name,
            type=type,
            default_value=default_value,
            aria_invalid=rx.cond(has_error, "true", "false"),
            aria_describedby=described,
            size="3",
            width="100%",
            **props,
        ),
        *([rx.text(T(hint_key), id=f"{field_id}-hint", size="2", color_scheme="gray")] if hint_key else []),
        rx.text(rx.cond(has_error, errors[name], ""), id=f"{field_id}-error", size="2", color_scheme="red", role="alert"),
        spacing="1",
        width="100%",
        align="stretch",
    )


def error_text(errors: rx.Var, name, field_id) -> rx.Component:
    """The server's message for one input, announced to screen readers, right below it."""
    return rx.text(rx.cond(errors.contains(name), errors[name], ""), id=field_id + "-error", size="2",
                   color_scheme="red", role="alert")


def var_field(label: rx.Var, name: rx.Var, errors: rx.Var, *, type: str = "text", **props) -> rx.Component:
    """A labelled input whose name is only known at run time (one per attendee or ticket-type row)."""
    field_id = "f-" + name.replace(".", "-")
    return rx.vstack(
        rx.el.label(label, html_for=field_id, style={"font_weight": "500"}),
        rx.input(
            id=field_id,
            name=name,
            type=type,
            size="3",
            width="100%",
            aria_describedby=field_id + "-error",
            aria_invalid=rx.cond(errors.contains(name), "true", "false"),
            **props,
        ),
        error_text(errors, name, field_id),
        spacing="1",
        width="100%",
    )


def form_error(errors: rx.Var) -> rx.Component:
    return rx.cond(
        errors.contains("form"),
        rx.callout(errors["form"], icon="triangle_alert", color_scheme="red", role="alert", width="100%"),
        rx.fragment(),
    )


def loading() -> rx.Component:
    return rx.center(rx.spinner(size="3"), padding="48px", width="100%", aria_busy="true")


def when_loaded(loaded: rx.Var, found: rx.Var, content: rx.Component, *, fresh: bool = False) -> rx.Component:
    """The page's content once on_load has answered; a spinner before, "not found" if nothing was there.

    `loaded` lives on a state several pages share, so right after a navigation it may still be true from the
    page before. A form filled from the server passes `fresh=True`: it waits until this page's own on_load has
    run (Reflex sets `is_hydrated` false when the route changes), so nobody types into a form that the values
    just read would then rebuild and wipe."""
    return rx.cond(freshly(loaded) if fresh else loaded, rx.cond(found, content, not_found_block()), loading())


def freshly(loaded: rx.Var) -> rx.Var:
    """`loaded`, but only once this page's own on_load has run: false from the moment the route changes."""
    return loaded & rx.State.is_hydrated


def not_found_block() -> rx.Component:
    return rx.vstack(
        rx.heading(T("error.not_found"), size="7"),
        rx.text(T("error.not_found_lead")),
        rx.link(T("nav.home"), href="/"),
    )


def confirm_box(on_yes, on_no) -> rx.Component:
    """Asks before a cancellation: the place goes back on sale, so one click must not do it."""
    return rx.callout.root(
        rx.flex(
            rx.text(T("confirmation.cancel_question")),
            rx.flex(
                rx.button(T("confirmation.cancel_confirm"), color_scheme="red", on_click=on_yes, min_height="44px"),
                rx.button(T("confirmation.keep"), variant="soft", on_click=on_no, min_height="44px"),
                spacing="2",
            ),
            direction="column",
            spacing="3",
        ),
        color_scheme="red",
        role="alertdialog",
        width="100%",
    )


SELECT_STYLE = {"padding": "10px", "font_size": "16px", "border_radius": "6px", "border": "1px solid var(--gray-a7)",
                "width": "100%", "min_height": "44px", "background": "var(--color-background)",
                "color": "var(--gray-12)"}


def labelled_select(field_id: str, label: rx.Component | rx.Var, *options, **props) -> rx.Component:
    """A native select with a visible label (native: the phone's own picker, and screen readers know it)."""
    return rx.vstack(
        rx.el.label(label, html_for=field_id, style={"font_weight": "500"}),
        rx.el.select(*options, id=field_id, style=SELECT_STYLE, **props),
        spacing="1",
        width="100%",
    )


def checkbox_field(label: rx.Component | rx.Var, name: str, **props) -> rx.Component:
    """A checkbox whose whole label is the tap target (at least 44 px high)."""
    field_id = f"f-{name}"
    return rx.el.label(
        rx.el.input(type="checkbox", name=name, id=field_id, style={"width": "20px", "height": "20px"}, **props),
        rx.text(label, as_="span"),
        html_for=field_id,
        style={"display": "flex", "gap": "10px", "align_items": "center", "min_height": "44px", "cursor": "pointer"},
    )


def markdown_text(text: rx.Var) -> rx.Component:
    """An organizer's Markdown as attendees see it: no raw HTML (an organizer's <script> or <iframe> must not
    run on a public page), no maths, and code blocks as plain <pre>, which keeps the renderer's JS small."""
    return rx.markdown(
        text,
        use_raw=False,
        use_math=False,
        use_katex=False,
        component_map={"pre": lambda value, **_: rx.el.pre(rx.el.code(value))},
    )


def upload_with_label(upload: rx.Component, label: rx.Var | str) -> rx.Component:
    """Name the hidden file input inside an rx.upload drop zone: Reflex renders it with no props of ours, and
    screen readers (and axe) need a name for it."""
    stack = [upload]
    while stack:
        node = stack.pop()
        if getattr(node, "tag", None) == "input":
            node.custom_attrs = {**(node.custom_attrs or {}), "aria-label": label}
            return upload
        stack.extend(getattr(node, "children", []) or [])
    raise ValueError("no file input in this upload")
