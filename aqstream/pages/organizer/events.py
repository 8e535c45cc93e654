"""Organizer pages: the organization's events, the new-event form, and one event with its attendees."""
import reflex as rx

from aqstream.components.ui import T, field, form_error, shell, when_loaded
from aqstream.pages.home import tz_select
from aqstream.state.organizer import DashboardState, EventFormState, EventManageState


def status_badge(status: rx.Var, text: rx.Var) -> rx.Component:
    return rx.badge(
        text,
        color_scheme=rx.match(status, ("published", "green"), ("draft", "gray"), ("cancelled", "red"), "gray"),
        size="2",
    )


def dashboard() -> rx.Component:
    return shell(
        when_loaded(
            DashboardState.loaded,
            DashboardState.found,
            rx.vstack(
                rx.text(DashboardState.org_name, color_scheme="gray"),
                rx.flex(
                    rx.heading(T("dashboard.title"), size="7", as_="h1"),
                    rx.spacer(),
                    rx.link(
                        rx.button(T("dashboard.new_event"), size="3", min_height="44px"),
                        href="/o/" + DashboardState.org_slug + "/events/new",
                    ),
                    width="100%",
                    align="center",
                    wrap="wrap",
                    spacing="3",
                ),
                rx.cond(
                    DashboardState.rows.length() > 0,
                    rx.vstack(
                        rx.foreach(
                            DashboardState.rows,
                            lambda e: rx.card(
                                rx.flex(
                                    rx.vstack(
                                        rx.link(rx.text(e["title"], size="4", weight="bold"), href=e["href"]),
                                        rx.text(e["when"], size="2", color_scheme="gray"),
                                        rx.text(e["numbers"], size="2"),
                                        spacing="1",
                                    ),
                                    rx.spacer(),
                                    status_badge(e["status"], e["status_text"]),
                                    width="100%",
                                    wrap="wrap",
                                    spacing="2",
                                ),
                                width="100%",
                            ),
                        ),
                        width="100%",
                    ),
                    rx.callout(T("dashboard.empty"), width="100%"),
                ),
                spacing="4",
                width="100%",
            ),
        )
    )


def ticket_type_row(row: rx.Var) -> rx.Component:
    name = "tt." + row.to_string() + ".name"
    quantity = "tt." + row.to_string() + ".quantity"
    return rx.card(
        rx.flex(
            rx.box(_dyn_field("event.ticket_type.name", name, "text"), flex="2 1 200px"),
            rx.box(_dyn_field("event.ticket_type.quantity", quantity, "number"), flex="1 1 120px"),
            rx.button(
                rx.icon("trash-2"),
                type="button",
                variant="soft",
                color_scheme="red",
                on_click=EventFormState.remove_ticket_type(row),
                aria_label=T("event.remove_ticket_type"),
                min_height="44px",
                min_width="44px",
                align_self="center",
            ),
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        width="100%",
    )


def _dyn_field(label_key: str, name: rx.Var, type_: str) -> rx.Component:
    """A field whose name is built at run time (one per ticket-type row)."""
    field_id = "f-" + name.replace(".", "-")
    errors = EventFormState.errors
    return rx.vstack(
        rx.el.label(T(label_key), html_for=field_id, style={"font_weight": "500"}),
        rx.input(
            id=field_id,
            name=name,
            type=type_,
            size="3",
            width="100%",
            aria_describedby=field_id + "-error",
            aria_invalid=rx.cond(errors.contains(name), "true", "false"),
            **({"min": 1, "max": 1000000, "input_mode": "numeric"} if type_ == "number" else {"max_length": 120}),
        ),
        rx.text(rx.cond(errors.contains(name), errors[name], ""), id=field_id + "-error", size="2", color_scheme="red",
                role="alert"),
        spacing="1",
        width="100%",
    )


def new_event() -> rx.Component:
    errors = EventFormState.errors
    return shell(
        when_loaded(
            EventFormState.loaded,
            EventFormState.found,
            rx.vstack(
                rx.link(T("event.back"), href="/o/" + EventFormState.org_slug),
                rx.heading(T("event.new.title"), size="7", as_="h1"),
                rx.form(
                    rx.vstack(
                        form_error(errors),
                        field("event.title", "title", errors, max_length=200),
                        rx.vstack(
                            rx.el.label(T("event.description"), html_for="f-description", style={"font_weight": "500"}),
                            rx.text_area(id="f-description", name="description", rows="5", width="100%", max_length=20000),
                            spacing="1",
                            width="100%",
                        ),
                        field("event.venue", "venue", errors, max_length=300),
                        field("event.online_url", "online_url", errors, type="url", hint_key="event.online_url_hint"),
                        rx.flex(
                            rx.box(field("event.starts_at", "starts_at", errors, type="datetime-local"), flex="1 1 220px"),
                            rx.box(field("event.ends_at", "ends_at", errors, type="datetime-local"), flex="1 1 220px"),
                            spacing="3",
                            wrap="wrap",
                            width="100%",
                        ),
                        tz_select("time_zone", "event.time_zone", EventFormState.org_time_zone),
                        rx.text(rx.cond(errors.contains("time_zone"), errors["time_zone"], ""), color_scheme="red",
                                size="2", role="alert"),
                        field("event.capacity", "capacity", errors, type="number", hint_key="event.capacity_hint",
                              min=1, max=1000000, input_mode="numeric"),
                        rx.heading(T("event.ticket_types"), size="5", as_="h2"),
                        rx.text(rx.cond(errors.contains("ticket_types"), errors["ticket_types"], ""), color_scheme="red",
                                size="2", role="alert"),
                        rx.foreach(EventFormState.tt_rows, ticket_type_row),
                        rx.button(
                            rx.icon("plus"), T("event.add_ticket_type"), type="button", variant="outline",
                            on_click=EventFormState.add_ticket_type, min_height="44px",
                        ),
                        rx.button(T("event.save_draft"), type="submit", size="3", loading=EventFormState.busy,
                                  min_height="44px"),
                        spacing="4",
                        width="100%",
                    ),
                    on_submit=EventFormState.save,
                    no_validate=True,
                    reset_on_submit=False,
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
        ),
        size="2",
    )


def manage_event() -> rx.Component:
    s = EventManageState
    attendees_table = rx.box(
        rx.table.root(
            rx.el.caption(T("event.attendees"), class_name="sr-only"),
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell(T("attendee.name")),
                    rx.table.column_header_cell(T("attendee.email")),
                    rx.table.column_header_cell(T("attendee.ticket_type")),
                    rx.table.column_header_cell(T("attendee.code")),
                    rx.table.column_header_cell(T("attendee.registered_at")),
                )
            ),
            rx.table.body(
                rx.foreach(
                    s.attendees,
                    lambda a: rx.table.row(
                        rx.table.row_header_cell(a["name"]),
                        rx.table.cell(a["email"]),
                        rx.table.cell(a["ticket_type"]),
                        rx.table.cell(rx.code(a["code"])),
                        rx.table.cell(a["registered_at"]),
                    ),
                )
            ),
            width="100%",
        ),
        width="100%",
        overflow_x="auto",
    )
    return shell(
        when_loaded(
            s.loaded,
            s.found,
            rx.vstack(
                rx.link(T("event.back"), href="/o/" + s.org_slug),
                rx.flex(
                    rx.heading(s.title, size="7", as_="h1"),
                    status_badge(s.status, s.status_text),
                    spacing="3",
                    align="center",
                    wrap="wrap",
                ),
                rx.text(s.when),
                rx.text(s.where, color_scheme="gray"),
                rx.cond(s.error != "", rx.callout(s.error, color_scheme="red", role="alert", width="100%"), rx.fragment()),
                rx.cond(
                    s.status == "draft",
                    rx.callout.root(
                        rx.flex(
                            rx.text(T("event.publish_hint")),
                            rx.cond(
                                s.can_manage,
                                rx.button(T("event.publish"), on_click=s.publish, size="3", min_height="44px"),
                                rx.fragment(),
                            ),
                            spacing="3",
                            wrap="wrap",
                            align="center",
                        ),
                        width="100%",
                    ),
                    rx.cond(
                        s.status == "published",
                        rx.callout.root(
                            rx.flex(
                                rx.text(T("event.published_notice")),
                                rx.link(s.public_url, href=s.public_path, id="public-link", word_break="break-all"),
                                spacing="2",
                                wrap="wrap",
                            ),
                            color_scheme="green",
                            width="100%",
                        ),
                        rx.fragment(),
                    ),
                ),
                rx.heading(T("event.ticket_types"), size="5", as_="h2"),
                rx.foreach(
                    s.ticket_types,
                    lambda tt: rx.flex(
                        rx.text(tt["name"]), rx.spacer(), rx.text(tt["sold"] + " / " + tt["quantity"]), width="100%"
                    ),
                ),
                rx.heading(T("event.attendees"), size="5", as_="h2"),
                rx.cond(s.attendees.length() > 0, attendees_table, rx.text(T("event.attendees_empty"))),
                spacing="4",
                width="100%",
            ),
        )
    )
