"""A published event's page with its registration form, phone first."""
import reflex as rx

from aqstream.components.ui import T, field, form_error, shell, when_loaded
from aqstream.state.public import PublicEventState as S


def ticket_choice(tt: rx.Var) -> rx.Component:
    choice_id = "tt-" + tt["id"]
    return rx.el.label(
        rx.flex(
            rx.el.input(
                type="radio",
                name="ticket_type_id",
                value=tt["id"],
                id=choice_id,
                disabled=tt["sold_out"] != "",
                default_checked=S.single_type_id == tt["id"],
                style={"width": "22px", "height": "22px", "flex_shrink": "0", "margin_top": "2px"},
            ),
            rx.vstack(
                rx.text(tt["name"], weight="bold"),
                rx.cond(tt["description"] != "", rx.text(tt["description"], size="2"), rx.fragment()),
                rx.text(T("event.ticket_type.free") + " · " + tt["availability"], size="2", color_scheme="gray"),
                spacing="1",
            ),
            spacing="3",
            align="start",
        ),
        html_for=choice_id,
        style={"display": "block", "width": "100%", "padding": "12px", "border": "1px solid var(--gray-a6)",
               "border_radius": "8px", "min_height": "44px", "cursor": "pointer"},
    )


def registration_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(T("public.register.title"), size="5", as_="h2"),
            form_error(S.errors),
            rx.el.fieldset(
                rx.el.legend(T("public.ticket_type"), style={"font_weight": "500", "margin_bottom": "6px"}),
                rx.vstack(rx.foreach(S.ticket_types, ticket_choice), spacing="2", width="100%"),
                rx.text(
                    rx.cond(S.errors.contains("ticket_type_id"), S.errors["ticket_type_id"], ""),
                    id="f-ticket_type_id-error",
                    size="2",
                    color_scheme="red",
                    role="alert",
                ),
                style={"border": "none", "padding": 0, "margin": 0, "width": "100%"},
            ),
            field("field.name", "name", S.errors, auto_complete="name", max_length=200,
                  default_value=S.user_name),
            field("field.email", "email", S.errors, type="email", auto_complete="email", input_mode="email"),
            rx.button(T("public.register.button"), type="submit", size="4", width="100%", loading=S.busy,
                      min_height="48px"),
            spacing="4",
            width="100%",
        ),
        on_submit=S.register,
        no_validate=True,
        reset_on_submit=False,
        width="100%",
    )


def event_page() -> rx.Component:
    return shell(
        when_loaded(
            S.loaded,
            S.found,
            rx.vstack(
                rx.text(S.org_name, color_scheme="gray"),
                rx.heading(S.title, size="8", as_="h1"),
                rx.vstack(
                    rx.hstack(rx.icon("calendar", aria_hidden="true"), rx.text(S.when), align="start"),
                    rx.hstack(
                        rx.icon("map-pin", aria_hidden="true"),
                        rx.cond(S.venue != "", rx.text(S.venue), rx.text(T("event.online"))),
                        align="start",
                    ),
                    spacing="2",
                ),
                rx.cond(S.description != "", rx.text(S.description, white_space="pre-wrap"), rx.fragment()),
                rx.cond(
                    S.closed_text != "",
                    rx.callout(S.closed_text, icon="info", color_scheme="amber", width="100%", role="status"),
                    rx.card(registration_form(), width="100%"),
                ),
                spacing="4",
                width="100%",
            ),
        ),
        size="2",
    )
