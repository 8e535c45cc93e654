"""Organizer pages: the organization's events, the new-event form, and one event with its attendees."""
import reflex as rx

from aqstream.components.ui import (
    T,
    checkbox_field,
    confirm_box,
    error_text,
    field,
    form_error,
    labelled_select,
    markdown_text,
    person_name,
    shell,
    upload_with_label,
    var_field,
    when_loaded,
)
from aqstream.pages.home import tz_select
from aqstream.pages.organizer.team import org_nav
from aqstream.state.organizer import AttendeeState, DashboardState, EventEditState, EventFormState, EventManageState


def status_badge(status: rx.Var, text: rx.Var) -> rx.Component:
    return rx.badge(
        text,
        color_scheme=rx.match(status, ("published", "green"), ("draft", "gray"), ("cancelled", "red"), "gray"),
        size="2",
    )


def event_card(e) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.link(rx.text(e["title"], size="4", weight="bold"), href=e["href"]),
                rx.text(e["when"], size="2", color_scheme="gray"),
                rx.flex(rx.text(e["numbers"], size="2"),
                        rx.cond(e["today"] != "", rx.badge(e["today"], color_scheme="green"), rx.fragment()),
                        spacing="2", wrap="wrap", align="center"),
                spacing="1",
            ),
            rx.spacer(),
            status_badge(e["status"], e["status_text"]),
            width="100%",
            wrap="wrap",
            spacing="2",
        ),
        width="100%",
    )


def event_section(title_key: str, rows) -> rx.Component:
    return rx.cond(
        rows.length() > 0,
        rx.vstack(rx.heading(T(title_key), size="5", as_="h2"), rx.foreach(rows, event_card), width="100%",
                  spacing="3"),
        rx.fragment(),
    )


def org_switcher() -> rx.Component:
    s = DashboardState
    return rx.cond(
        s.my_orgs.length() > 1,
        rx.vstack(
            rx.el.label(T("dashboard.switch_org"), html_for="f-org-switch", style={"font_weight": "500"}),
            rx.el.select(
                rx.foreach(s.my_orgs, lambda o: rx.el.option(o["name"], value=o["slug"])),
                id="f-org-switch", default_value=s.org_slug, key=s.org_slug, on_change=s.switch_org,
                style={"padding": "8px", "font_size": "16px", "border_radius": "6px", "min_height": "44px",
                       "border": "1px solid var(--gray-a7)", "background": "var(--color-background)",
                       "color": "var(--gray-12)"},
            ),
            spacing="1",
        ),
        rx.text(s.org_name, color_scheme="gray"),
    )


def dashboard() -> rx.Component:
    s = DashboardState
    new_event_link = rx.link(rx.button(rx.icon("plus"), T("dashboard.new_event"), size="3", min_height="44px"),
                             href="/o/" + s.org_slug + "/events/new")
    return shell(
        when_loaded(
            s.loaded,
            s.found,
            rx.vstack(
                org_switcher(),
                rx.cond((s.role == "owner") | (s.role == "admin"), org_nav(s, "events"), rx.fragment()),
                rx.flex(
                    rx.heading(T("dashboard.title"), size="7", as_="h1"),
                    rx.spacer(),
                    new_event_link,
                    width="100%",
                    align="center",
                    wrap="wrap",
                    spacing="3",
                ),
                rx.cond(
                    s.failed_mail > 0,
                    rx.callout.root(
                        rx.callout.icon(rx.icon("mail-warning")),
                        rx.callout.text(s.failed_mail_text, " ",
                                        rx.link(T("dashboard.failed_mail_link"), href="/o/" + s.org_slug + "/mail?status=failed",
                                                weight="bold", underline="always")),
                        color_scheme="red",
                        high_contrast=True,
                        width="100%",
                        id="failed-mail",
                    ),
                    rx.fragment(),
                ),
                rx.cond(
                    s.has_events,
                    rx.vstack(
                        event_section("dashboard.upcoming", s.upcoming),
                        event_section("dashboard.drafts", s.drafts),
                        event_section("dashboard.past", s.past),
                        event_section("dashboard.archived", s.archived),
                        spacing="5",
                        width="100%",
                    ),
                    rx.callout.root(
                        rx.callout.text(T("dashboard.empty")),
                        width="100%",
                    ),
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
            rx.box(var_field(T("event.ticket_type.name"), name, EventFormState.errors, max_length=120), flex="2 1 200px"),
            rx.box(var_field(T("event.ticket_type.quantity"), quantity, EventFormState.errors, type="number", min=1,
                             max=1000000, input_mode="numeric"), flex="1 1 120px"),
            rx.button(
                rx.icon("trash-2"),
                type="button",
                variant="soft",
                color_scheme="red",
                on_click=EventFormState.remove_ticket_type(row),
                aria_label=T("event.remove_ticket_type").replace("{n}", (row + 1).to_string()),
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


REMINDER_CHOICES = (0, 1, 3, 6, 12, 24, 48, 72, 168)


def _long_text(name: str, label_key: str, hint_key: str, errors: rx.Var, value: rx.Var | str) -> rx.Component:
    field_id = f"f-{name}"
    return rx.vstack(
        rx.el.label(T(label_key), html_for=field_id, style={"font_weight": "500"}),
        rx.text(T(hint_key), id=field_id + "-hint", size="2", color_scheme="gray"),
        rx.text_area(id=field_id, name=name, rows="3", width="100%", max_length=2000, default_value=value,
                     aria_describedby=f"{field_id}-hint {field_id}-error",
                     aria_invalid=rx.cond(errors.contains(name), "true", "false")),
        error_text(errors, name, field_id),
        spacing="1",
        width="100%",
    )


def email_settings(errors: rx.Var, values: rx.Var | None = None) -> rx.Component:
    """The event's emails: when the reminder goes, the organizer's own words in the confirmation and the
    reminder, and who hears of each new registration."""
    def value(key: str, default: str = ""):
        return values[key] if values is not None else default

    return rx.vstack(
        rx.heading(T("event.emails"), size="5", as_="h2"),
        _choice("reminder_hours", "event.reminder_hours",
                [rx.el.option(T(f"event.reminder.h{h}"), value=str(h)) for h in REMINDER_CHOICES],
                value("reminder_hours", "24")),
        error_text(errors, "reminder_hours", "f-reminder_hours"),
        _long_text("confirmation_text", "event.confirmation_text", "event.confirmation_text_hint", errors,
                   value("confirmation_text")),
        _long_text("reminder_text", "event.reminder_text", "event.reminder_text_hint", errors, value("reminder_text")),
        field("event.notify_email", "notify_email", errors, type="email", hint_key="event.notify_email_hint",
              max_length=1300, auto_complete="email", multiple=True, default_value=value("notify_email")),
        spacing="3",
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
                        field("event.city", "city", errors, hint_key="event.city_hint", max_length=120,
                              auto_complete="address-level2"),
                        field("event.tags", "tags", errors, hint_key="event.tags_hint", max_length=300),
                        checkbox_field(T("event.listed"), "listed", default_checked=True),
                        checkbox_field(T("event.attendees_can_edit_names"), "attendees_can_edit_names",
                                       default_checked=True),
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
                        rx.flex(
                            rx.box(field("event.registration_opens", "registration_opens_at", errors,
                                         type="datetime-local"), flex="1 1 220px"),
                            rx.box(field("event.registration_closes", "registration_closes_at", errors,
                                         type="datetime-local"), flex="1 1 220px"),
                            spacing="3",
                            wrap="wrap",
                            width="100%",
                        ),
                        checkbox_field(T("event.one_per_email"), "one_registration_per_email"),
                        email_settings(errors),
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


def _select(name: str, label_key: str, options: list[tuple[str, str]], **props) -> rx.Component:
    return labelled_select(f"f-{name}", T(label_key), *[rx.el.option(T(text_key), value=value) for value, text_key in options],
                           name=name, **props)


def ticket_type_fields(prefix: str, e: rx.Var, tt=None) -> list[rx.Component]:
    """A ticket type's inputs, empty for the add form or filled with `tt` for the edit form."""
    def value(key: str, empty: str | None = None):
        return tt[key] if tt is not None else empty

    return [
        rx.flex(
            rx.box(field("event.ticket_type.name", f"{prefix}name", e, max_length=120, default_value=value("name")),
                   flex="2 1 220px"),
            rx.box(field("event.ticket_type.quantity", f"{prefix}quantity", e, type="number", min=1, input_mode="numeric",
                         default_value=value("quantity")), flex="1 1 120px"),
            spacing="3", wrap="wrap", width="100%",
        ),
        field("ticket_type.description", f"{prefix}description", e, max_length=2000, default_value=value("description")),
        rx.flex(
            rx.box(field("ticket_type.min", f"{prefix}min_per_order", e, type="number", min=1, max=100,
                         default_value=value("min", "1")), flex="1 1 140px"),
            rx.box(field("ticket_type.max", f"{prefix}max_per_order", e, type="number", min=1, max=100,
                         default_value=value("max", "10")), flex="1 1 140px"),
            spacing="3", wrap="wrap", width="100%",
        ),
        rx.flex(
            rx.box(field("ticket_type.sales_start", f"{prefix}sales_start_at", e, type="datetime-local",
                         default_value=value("start")), flex="1 1 220px"),
            rx.box(field("ticket_type.sales_end", f"{prefix}sales_end_at", e, type="datetime-local",
                         default_value=value("end")), flex="1 1 220px"),
            spacing="3", wrap="wrap", width="100%",
        ),
        checkbox_field(T("ticket_type.hidden"), f"{prefix}hidden",
                       **({"default_checked": tt["hidden"] != ""} if tt is not None else {})),
    ]


def ticket_type_editor() -> rx.Component:
    s = EventManageState
    e = s.tt_errors
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(T("ticket_type.add_title"), size="4", as_="h3"),
                *ticket_type_fields("tt_", e),
                rx.button(rx.icon("plus"), T("event.add_ticket_type"), type="submit", min_height="44px"),
                spacing="3",
                width="100%",
            ),
            on_submit=s.add_ticket_type,
            no_validate=True,
            reset_on_submit=True,
            key=s.form_version.to_string(),
            width="100%",
        ),
        width="100%",
    )


KINDS = [("short_text", "question.kind.short_text"), ("long_text", "question.kind.long_text"),
         ("single_choice", "question.kind.single_choice"), ("multiple_choice", "question.kind.multiple_choice"),
         ("checkbox", "question.kind.checkbox")]
SCOPES = [("order", "question.scope.order"), ("attendee", "question.scope.attendee")]


def question_editor() -> rx.Component:
    s = EventManageState
    e = s.q_errors
    return rx.card(
        rx.form(
            rx.vstack(
                field("question.label", "q_label", e, max_length=300),
                rx.flex(
                    rx.box(_select("q_kind", "question.kind", KINDS, on_change=s.set_q_kind), flex="1 1 200px"),
                    rx.box(_select("q_scope", "question.scope", SCOPES), flex="1 1 200px"),
                    spacing="3", wrap="wrap", width="100%",
                ),
                rx.cond(
                    (s.q_kind == "single_choice") | (s.q_kind == "multiple_choice"),
                    rx.vstack(
                        rx.el.label(T("question.options"), html_for="f-q_options", style={"font_weight": "500"}),
                        rx.text_area(id="f-q_options", name="q_options", rows="4", width="100%",
                                     aria_describedby="f-q_options-error"),
                        error_text(e, "q_options", "f-q_options"),
                        spacing="1", width="100%",
                    ),
                    rx.fragment(),
                ),
                checkbox_field(T("question.required"), "q_required"),
                rx.button(rx.icon("plus"), T("question.add"), type="submit", min_height="44px"),
                spacing="3",
                width="100%",
            ),
            on_submit=s.add_question,
            no_validate=True,
            reset_on_submit=True,
            key=s.form_version.to_string(),
            width="100%",
        ),
        width="100%",
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
                    rx.table.column_header_cell(T("attendee.answers")),
                    rx.table.column_header_cell(T("attendee.status")),
                    rx.table.column_header_cell(T("attendee.registered_at")),
                    rx.table.column_header_cell(T("attendee.actions")),
                )
            ),
            rx.table.body(
                rx.foreach(
                    s.attendees,
                    lambda a: rx.table.row(
                        rx.table.row_header_cell(rx.link(person_name(a["name"]),
                                                         href="/o/" + s.org_slug + "/tickets/" + a["ticket_id"])),
                        rx.table.cell(a["email"]),
                        rx.table.cell(a["ticket_type"]),
                        rx.table.cell(rx.code(a["code"])),
                        rx.table.cell(a["answers"], min_width="160px"),
                        rx.table.cell(rx.flex(
                            rx.badge(a["status_text"], color_scheme=rx.cond(a["status"] == "valid", "green", "red")),
                            rx.cond(a["checked_in"] != "", rx.badge(T("attendee.checked_in"), color_scheme="blue"),
                                    rx.fragment()),
                            spacing="1", wrap="wrap")),
                        rx.table.cell(a["registered_at"]),
                        rx.table.cell(
                            rx.cond(
                                s.can_manage & (a["status"] == "valid"),
                                rx.flex(
                                    rx.button(T("attendee.cancel_ticket"), size="1", variant="soft", color_scheme="red",
                                              on_click=s.ask_cancel("t:" + a["ticket_id"]), min_height="36px"),
                                    rx.button(T("attendee.cancel_order"), size="1", variant="ghost", color_scheme="red",
                                              on_click=s.ask_cancel("o:" + a["order_id"]), min_height="36px"),
                                    rx.button(T("attendee.resend"), size="1", variant="ghost",
                                              on_click=s.resend(a["order_id"]), min_height="36px"),
                                    spacing="1", wrap="wrap",
                                ),
                                rx.fragment(),
                            )
                        ),
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
                rx.cond(s.can_manage, event_actions(), rx.fragment()),
                rx.cond(s.cancelling_event, cancel_event_form(), rx.fragment()),
                rx.cond(s.error != "", rx.callout(s.error, color_scheme="red", role="alert", width="100%"), rx.fragment()),
                rx.cond(s.notice != "", rx.callout(s.notice, color_scheme="green", role="status", width="100%"),
                        rx.fragment()),
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
                    lambda tt: rx.vstack(
                        rx.flex(
                            rx.text(tt["name"]),
                            rx.cond(tt["hidden"] != "", rx.badge(T("ticket_type.hidden_badge")), rx.fragment()),
                            rx.spacer(),
                            rx.text(tt["sold"] + " / " + tt["quantity"]),
                            rx.cond(s.can_manage & (s.editing_tt != tt["id"]),
                                    rx.button(rx.icon("pencil"), variant="ghost", on_click=s.edit_tt(tt["id"]),
                                              aria_label=T("ticket_type.edit") + ": " + tt["name"], min_height="44px",
                                              min_width="44px"),
                                    rx.fragment()),
                            width="100%",
                            spacing="2",
                            align="center",
                        ),
                        rx.cond(s.editing_tt == tt["id"], ticket_type_edit_form(tt), rx.fragment()),
                        rx.cond(
                            tt["link"] != "",
                            rx.text(T("ticket_type.direct_link"), ": ", rx.code(tt["link"], word_break="break-all"),
                                    size="2"),
                            rx.fragment(),
                        ),
                        width="100%",
                        spacing="1",
                    ),
                ),
                rx.cond(s.can_manage, ticket_type_editor(), rx.fragment()),
                rx.heading(T("event.questions"), size="5", as_="h2"),
                rx.cond(
                    s.question_rows.length() > 0,
                    rx.vstack(
                        rx.foreach(
                            s.question_rows,
                            lambda q: rx.flex(
                                rx.vstack(
                                    rx.text(q["label"], weight="bold"),
                                    rx.text(q["kind_text"] + " · " + q["scope_text"]
                                            + rx.cond(q["required"] != "", " · ✱", ""), size="2", color_scheme="gray"),
                                    rx.cond(q["options"] != "", rx.text(q["options"], size="2"), rx.fragment()),
                                    spacing="1",
                                    flex="1",
                                ),
                                rx.cond(
                                    s.can_manage,
                                    rx.button(rx.icon("trash-2"), variant="soft", color_scheme="red",
                                              aria_label=T("question.remove") + ": " + q["label"],
                                              on_click=s.remove_question(q["id"]), min_height="44px", min_width="44px"),
                                    rx.fragment(),
                                ),
                                width="100%",
                                spacing="2",
                                align="center",
                            ),
                        ),
                        width="100%",
                    ),
                    rx.text(T("event.questions_none"), color_scheme="gray"),
                ),
                rx.cond(s.can_manage, question_editor(), rx.fragment()),
                rx.heading(T("event.attendees"), size="5", as_="h2"),
                attendee_filters(),
                rx.cond(s.confirming != "", confirm_box(s.cancel_confirmed, s.keep), rx.fragment()),
                rx.cond(s.attendees.length() > 0, attendees_table, rx.text(T("event.attendees_empty"))),
                pager(),
                rx.cond(s.can_manage, add_attendee_form(), rx.fragment()),
                spacing="4",
                width="100%",
            ),
        )
    )


def event_actions() -> rx.Component:
    s = EventManageState
    editable = (s.status == "draft") | (s.status == "published")
    return rx.flex(
        rx.cond(editable, rx.link(rx.button(rx.icon("pencil"), T("event.edit"), variant="soft", min_height="44px"),
                                  href="/o/" + s.org_slug + "/events/" + s.event_id.to_string() + "/edit"),
                rx.fragment()),
        rx.link(rx.button(rx.icon("eye"), T("event.preview"), variant="soft", min_height="44px"),
                href=s.public_path + "?preview=1", is_external=True),
        rx.cond(s.status == "published",
                rx.button(T("event.unpublish"), variant="soft", on_click=s.unpublish, min_height="44px"), rx.fragment()),
        rx.button(rx.icon("copy"), T("event.duplicate"), variant="soft", on_click=s.duplicate, min_height="44px"),
        rx.cond((s.status != "archived") & (s.status != "published"),
                rx.button(rx.icon("archive"), T("event.archive"), variant="soft", color_scheme="gray",
                          on_click=s.archive, min_height="44px"), rx.fragment()),
        rx.cond(editable, rx.button(T("event.cancel_event"), variant="soft", color_scheme="red",
                                    on_click=s.ask_cancel_event, min_height="44px"), rx.fragment()),
        spacing="2",
        wrap="wrap",
        width="100%",
    )


def cancel_event_form() -> rx.Component:
    s = EventManageState
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(T("event.cancel_title"), size="4", as_="h2"),
                rx.text(T("event.cancel_explain")),
                rx.el.label(T("event.cancel_message"), html_for="f-cancel_message", style={"font_weight": "500"}),
                rx.text_area(id="f-cancel_message", name="cancel_message", rows="4", width="100%", max_length=5000,
                             aria_describedby="f-cancel_message-error"),
                error_text(s.cancel_errors, "cancel_message", "f-cancel_message"),
                rx.flex(
                    rx.button(T("event.cancel_confirm"), type="submit", color_scheme="red", min_height="44px"),
                    rx.button(T("event.cancel_keep"), type="button", variant="soft", on_click=s.keep_event,
                              min_height="44px"),
                    spacing="2", wrap="wrap",
                ),
                spacing="2",
                width="100%",
            ),
            on_submit=s.cancel_event,
            no_validate=True,
            width="100%",
        ),
        width="100%",
    )


def _choice(name: str, label_key: str, options, value: rx.Var | str) -> rx.Component:
    """A select showing `value`, rebuilt when the state changes it."""
    return labelled_select(f"f-{name}", T(label_key), *options, name=name, default_value=value, key=value)


def attendee_filters() -> rx.Component:
    s = EventManageState
    return rx.form(
        rx.flex(
            rx.box(field("attendees.search", "a_search", s.filter_errors, type="search", default_value=s.a_search,
                         max_length=200), flex="2 1 220px"),
            rx.box(_choice("a_type", "attendees.filter_type",
                           [rx.el.option(T("attendees.any"), value=""),
                            rx.foreach(s.type_options, lambda o: rx.el.option(o["name"], value=o["id"]))],
                           s.a_type), flex="1 1 150px"),
            rx.box(_choice("a_status", "attendees.filter_status",
                           [rx.el.option(T("attendees.any"), value=""),
                            rx.el.option(T("ticket.status.valid"), value="valid"),
                            rx.el.option(T("ticket.status.cancelled"), value="cancelled")], s.a_status),
                   flex="1 1 150px"),
            rx.box(_choice("a_checked", "attendees.filter_checked_in",
                           [rx.el.option(T("attendees.any"), value=""), rx.el.option(T("attendees.yes"), value="yes"),
                            rx.el.option(T("attendees.no"), value="no")], s.a_checked), flex="1 1 150px"),
            rx.box(_choice("a_sort", "attendees.sort",
                           [rx.el.option(T("attendees.sort_registered"), value="registered"),
                            rx.el.option(T("attendees.sort_name"), value="name"),
                            rx.el.option(T("attendees.sort_email"), value="email"),
                            rx.el.option(T("attendees.sort_type"), value="type")], s.a_sort), flex="1 1 150px"),
            rx.button(rx.icon("search"), T("attendees.apply"), type="submit", min_height="44px", align_self="end"),
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        on_submit=s.filter_attendees,
        reset_on_submit=False,
        width="100%",
        role="search",
    )


def pager() -> rx.Component:
    s = EventManageState
    return rx.flex(
        rx.button(rx.icon("chevron-left"), T("attendees.previous"), variant="soft", on_click=s.go_page(-1),
                  disabled=s.a_page <= 1, min_height="44px"),
        rx.text(s.page_text, aria_live="polite"),
        rx.button(T("attendees.next"), rx.icon("chevron-right"), variant="soft", on_click=s.go_page(1),
                  disabled=s.a_page >= s.a_pages, min_height="44px"),
        rx.spacer(),
        rx.link(rx.button(rx.icon("download"), T("attendees.export_csv"), variant="outline", min_height="44px"),
                href="/export/" + s.org_slug + "/" + s.event_id.to_string() + ".csv?" + s.export_query,
                is_external=True),
        rx.link(rx.button(rx.icon("download"), T("attendees.export_xlsx"), variant="outline", min_height="44px"),
                href="/export/" + s.org_slug + "/" + s.event_id.to_string() + ".xlsx?" + s.export_query,
                is_external=True),
        spacing="2",
        align="center",
        wrap="wrap",
        width="100%",
    )


def add_attendee_form() -> rx.Component:
    s = EventManageState
    e = s.add_errors
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(T("attendee.add_title"), size="4", as_="h3"),
                rx.flex(
                    rx.box(field("attendee.name", "add_name", e, max_length=200), flex="1 1 200px"),
                    rx.box(field("attendee.email", "add_email", e, type="email", max_length=254), flex="1 1 200px"),
                    rx.box(_choice("add_type", "attendee.ticket_type",
                                   [rx.foreach(s.type_options, lambda o: rx.el.option(o["name"], value=o["id"]))], ""),
                           flex="1 1 160px"),
                    spacing="3", wrap="wrap", width="100%",
                ),
                error_text(e, "add_ticket_type_id", "f-add_type"),
                *[rx.cond(e.contains(k), rx.callout(e[k], color_scheme="red", role="alert", width="100%"), rx.fragment())
                  for k in ("add_form", "add_tickets")],
                checkbox_field(T("attendee.add_notify"), "add_notify", default_checked=True),
                rx.button(rx.icon("user-plus"), T("attendee.add"), type="submit", min_height="44px"),
                spacing="3",
                width="100%",
            ),
            on_submit=s.add_attendee,
            no_validate=True,
            reset_on_submit=True,
            key=s.form_version.to_string(),
            width="100%",
        ),
        width="100%",
    )


LOCALES = [("", "event.locale_visitor"), ("en", "event.locale_en"), ("ru", "event.locale_ru")]


def edit_event() -> rx.Component:
    s = EventEditState
    errors = s.errors
    v = s.values
    return shell(
        when_loaded(
            s.loaded,
            s.found,
            rx.vstack(
                rx.link(T("event.back_to_event"), href="/o/" + s.org_slug + "/events/" + s.event_id.to_string()),
                rx.heading(T("event.edit_title"), size="7", as_="h1"),
                cover_editor(),
                rx.form(
                    rx.vstack(
                        form_error(errors),
                        field("event.title", "title", errors, max_length=200, default_value=v["title"]),
                        rx.vstack(
                            rx.el.label(T("event.description"), html_for="f-description", style={"font_weight": "500"}),
                            rx.text(T("event.description_hint"), id="f-description-hint", size="2", color_scheme="gray"),
                            rx.text_area(id="f-description", name="description", rows="8", width="100%",
                                         max_length=20000, default_value=s.description, on_blur=s.set_description,
                                         aria_describedby="f-description-hint f-description-error"),
                            error_text(errors, "description", "f-description"),
                            spacing="1",
                            width="100%",
                        ),
                        rx.cond(
                            s.description != "",
                            rx.card(
                                rx.text(T("event.description_preview"), size="2", weight="bold", color_scheme="gray"),
                                markdown_text(s.description),
                                width="100%",
                                aria_label=T("event.description_preview"),
                            ),
                            rx.fragment(),
                        ),
                        field("event.venue", "venue", errors, max_length=300, default_value=v["venue"]),
                        field("event.online_url", "online_url", errors, type="url", hint_key="event.online_url_hint",
                              default_value=v["online_url"]),
                        field("event.city", "city", errors, hint_key="event.city_hint", max_length=120,
                              auto_complete="address-level2", default_value=v["city"]),
                        field("event.tags", "tags", errors, hint_key="event.tags_hint", max_length=300,
                              default_value=v["tags"]),
                        checkbox_field(T("event.listed"), "listed", default_checked=s.listed, key=s.listed.to_string()),
                        checkbox_field(T("event.attendees_can_edit_names"), "attendees_can_edit_names",
                                       default_checked=s.names_editable, key=s.names_editable.to_string()),
                        rx.flex(
                            rx.box(field("event.starts_at", "starts_at", errors, type="datetime-local",
                                         default_value=v["starts_at"]), flex="1 1 220px"),
                            rx.box(field("event.ends_at", "ends_at", errors, type="datetime-local",
                                         default_value=v["ends_at"]), flex="1 1 220px"),
                            spacing="3",
                            wrap="wrap",
                            width="100%",
                        ),
                        tz_select("time_zone", "event.time_zone", v["time_zone"]),
                        error_text(errors, "time_zone", "f-time_zone"),
                        field("event.capacity", "capacity", errors, type="number", hint_key="event.capacity_hint",
                              min=1, max=1000000, input_mode="numeric", default_value=v["capacity"]),
                        rx.flex(
                            rx.box(field("event.registration_opens", "registration_opens_at", errors,
                                         type="datetime-local", default_value=v["registration_opens_at"]),
                                   flex="1 1 220px"),
                            rx.box(field("event.registration_closes", "registration_closes_at", errors,
                                         type="datetime-local", default_value=v["registration_closes_at"]),
                                   flex="1 1 220px"),
                            spacing="3",
                            wrap="wrap",
                            width="100%",
                        ),
                        _choice("locale", "event.locale", [rx.el.option(T(k), value=c) for c, k in LOCALES],
                                v["locale"]),
                        error_text(errors, "locale", "f-locale"),
                        checkbox_field(T("event.one_per_email"), "one_registration_per_email",
                                       default_checked=s.one_per_email, key=s.one_per_email.to_string()),
                        email_settings(errors, v),
                        rx.text(T("event.edit_types_hint"), size="2", color_scheme="gray"),
                        rx.button(T("event.save_changes"), type="submit", size="3", loading=s.busy, min_height="44px"),
                        spacing="4",
                        width="100%",
                    ),
                    on_submit=s.save,
                    no_validate=True,
                    reset_on_submit=False,
                    width="100%",
                    # A new key on every load: the inputs are uncontrolled, so only a fresh form shows the
                    # values just read (not those of an earlier visit in this tab).
                    key=s.form_version.to_string(),
                ),
                spacing="4",
                width="100%",
            ),
            fresh=True,
        ),
        size="2",
    )


def cover_editor() -> rx.Component:
    s = EventEditState
    return rx.card(
        rx.vstack(
            rx.text(T("event.cover"), weight="bold", as_="p"),
            rx.cond(
                s.cover_url != "",
                rx.image(src=s.cover_url, alt=T("event.cover"), width="100%", max_height="240px", object_fit="cover",
                         border_radius="8px"),
                rx.text(T("event.cover_none"), color_scheme="gray", size="2"),
            ),
            upload_with_label(rx.upload.root(
                rx.button(rx.icon("image-up"), T("event.cover_choose"), type="button", variant="soft",
                          min_height="44px"),
                id="cover",
                accept={"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/webp": [".webp"],
                        "image/gif": [".gif"]},
                max_files=1,
                multiple=False,
                on_drop=s.upload_cover(rx.upload_files(upload_id="cover")),
                border="none",
                padding="0",
            ), T("event.cover_choose")),
            rx.text(T("event.cover_hint"), size="2", color_scheme="gray"),
            rx.text(rx.cond(s.errors.contains("cover"), s.errors["cover"], ""), id="f-cover-error", size="2",
                    color_scheme="red", role="alert"),
            rx.cond(s.cover_url != "", rx.button(T("event.cover_remove"), type="button", variant="ghost",
                                                  color_scheme="red", on_click=s.remove_cover, min_height="44px"),
                    rx.fragment()),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def attendee_page() -> rx.Component:
    s = AttendeeState
    tk = s.ticket

    def line(label_key: str, value) -> rx.Component:
        return rx.flex(rx.text(T(label_key), color_scheme="gray", min_width="140px"), rx.text(value, word_break="break-all"),
                       spacing="3", wrap="wrap", width="100%")

    return shell(
        when_loaded(
            s.loaded,
            s.found,
            rx.vstack(
                rx.link(T("attendee.back_to_attendees"), href=tk["event_href"]),
                rx.text(tk["event"], color_scheme="gray"),
                rx.flex(rx.heading(person_name(tk["name"]), size="7", as_="h1"),
                        rx.badge(s.status_text, color_scheme=rx.cond(tk["status"] == "valid", "green", "red")),
                        spacing="3", align="center", wrap="wrap"),
                rx.cond(s.error != "", rx.callout(s.error, color_scheme="red", role="alert", width="100%"), rx.fragment()),
                rx.cond(s.notice != "", rx.callout(s.notice, color_scheme="green", role="status", width="100%"),
                        rx.fragment()),
                rx.card(
                    rx.vstack(
                        rx.cond(tk["email"] != "", line("attendee.email", tk["email"]), rx.fragment()),
                        line("attendee.buyer", person_name(tk["buyer"])),
                        line("attendee.ticket_type", tk["type"]),
                        line("attendee.code", rx.code(tk["code"])),
                        rx.cond(tk["checked_in"] != "", line("attendee.checked_in", "✓"), rx.fragment()),
                        spacing="2", width="100%",
                    ),
                    width="100%",
                ),
                rx.cond(
                    s.can_manage & (tk["status"] == "valid"),
                    rx.flex(
                        rx.button(T("attendee.resend"), variant="soft", on_click=s.resend, min_height="44px"),
                        rx.button(T("attendee.cancel_ticket"), variant="soft", color_scheme="red", on_click=s.cancel_ticket,
                                  min_height="44px"),
                        spacing="2", wrap="wrap",
                    ),
                    rx.fragment(),
                ),
                rx.heading(T("attendee.answers"), size="5", as_="h2"),
                rx.cond(s.answers.length() > 0,
                        rx.vstack(rx.foreach(s.answers, lambda a: line_var(a["label"], a["value"])), width="100%"),
                        rx.text(T("attendee.no_answers"), color_scheme="gray")),
                rx.cond(s.others.length() > 0, rx.vstack(
                    rx.heading(T("attendee.same_order"), size="5", as_="h2"),
                    rx.foreach(s.others, lambda o: rx.link(person_name(o["name"]), href=o["href"])),
                    width="100%"), rx.fragment()),
                rx.heading(T("attendee.history"), size="5", as_="h2"),
                rx.el.ol(
                    rx.foreach(s.history, lambda h: rx.el.li(
                        rx.text(rx.text.strong(h["action"]), " · ", h["meta"], size="2"))),
                    style={"padding_left": "20px", "display": "flex", "flex_direction": "column", "gap": "6px"},
                ),
                spacing="4",
                width="100%",
            ),
        ),
        size="2",
    )


def line_var(label, value) -> rx.Component:
    return rx.flex(rx.text(label, color_scheme="gray", min_width="140px"), rx.text(value), spacing="3", wrap="wrap",
                   width="100%")


def ticket_type_edit_form(tt) -> rx.Component:
    s = EventManageState
    e = s.edit_tt_errors
    return rx.card(
        rx.form(
            rx.vstack(
                *ticket_type_fields("et_", e, tt),
                rx.flex(
                    rx.button(T("ticket_type.save"), type="submit", min_height="44px"),
                    rx.button(T("ticket_type.cancel_edit"), type="button", variant="soft", on_click=s.stop_edit_tt,
                              min_height="44px"),
                    spacing="2", wrap="wrap",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=s.save_tt,
            no_validate=True,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )
