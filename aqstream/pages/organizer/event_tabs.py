"""The event workspace's tabs: Overview, Tickets and questions, Emails, Settings. Every form stays closed
until it is asked for; each tab is its own page under /o/<org>/events/<id>."""
import reflex as rx

from aqstream.components.event_fields import event_field
from aqstream.components.event_forms import (
    KINDS,
    LOCALES,
    SCOPES,
    choice,
    cover_chooser,
    description_with_preview,
    email_settings,
    payments_card,
    select_field,
    ticket_type_fields,
)
from aqstream.components.ui import T, checkbox_field, error_text, field, form_error
from aqstream.components.workspace import workspace
from aqstream.pages.home import tz_select
from aqstream.state.event_tabs import EventEmailsState, EventOverviewState, EventSettingsState, EventTicketsState

BUTTON = {"min_height": "44px"}


def _row(*children, **props) -> rx.Component:
    return rx.flex(*children, **{"spacing": "2", "wrap": "wrap", "width": "100%", **props})


# Overview -----------------------------------------------------------------------------------------------------


def _stat(label_key: str, value: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(rx.text(T(label_key), size="2", color_scheme="gray"), rx.text(value, size="6", weight="bold"),
                  spacing="1"),
        flex="1 1 150px",
    )


def numbers() -> rx.Component:
    s = EventOverviewState
    n = s.numbers
    registered = rx.cond(s.counts["capacity"] > 0, n["registered"] + " / " + n["capacity"], n["registered"])
    return rx.vstack(
        rx.heading(T("overview.numbers"), size="5", as_="h2"),
        _row(
            _stat("overview.registered", registered),
            _stat("overview.today", n["today"]),
            _stat("overview.cancelled_today", n["cancelled_today"]),
            _stat("overview.cancelled", n["cancelled"]),
            spacing="3",
        ),
        rx.el.table(
            rx.el.caption(T("overview.by_type"), style={"text_align": "left", "font_weight": "500",
                                                          "padding_bottom": "4px"}),
            rx.el.thead(rx.el.tr(rx.el.th(T("event.ticket_type.name"), scope="col", style={"text_align": "left"}),
                                 rx.el.th(T("overview.sold_of"), scope="col", style={"text_align": "right"}))),
            rx.el.tbody(rx.foreach(s.type_counts, lambda tt: rx.el.tr(
                rx.el.th(tt["name"], rx.cond(tt["hidden"] != "", rx.badge(T("ticket_type.hidden_badge"), margin_left="6px"),
                                             rx.fragment()),
                         scope="row", style={"text_align": "left", "font_weight": "normal", "padding": "6px 0"}),
                rx.el.td(tt["sold"] + " / " + tt["quantity"], style={"text_align": "right", "white_space": "nowrap"}),
            ))),
            style={"width": "100%", "border_collapse": "collapse"},
        ),
        spacing="3",
        width="100%",
    )


def share_link() -> rx.Component:
    s = EventOverviewState
    return rx.card(
        rx.vstack(
            rx.text(T("event.published_notice"), weight="medium"),
            rx.flex(
                rx.link(s.public_url, href=s.public_path, id="public-link", word_break="break-all"),
                rx.button(rx.icon("copy"), T("overview.copy"), variant="soft", on_click=s.copy_link,
                          aria_label=T("overview.copy_label"), **BUTTON),
                spacing="3", wrap="wrap", align="center", width="100%",
            ),
            rx.text(rx.cond(s.copied, T("overview.copied"), ""), role="status", size="2"),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def event_actions() -> rx.Component:
    s = EventOverviewState
    editable = (s.status == "draft") | (s.status == "published")
    return rx.vstack(
        rx.heading(T("overview.actions"), size="5", as_="h2"),
        _row(
            rx.link(rx.button(rx.icon("eye"), T("event.preview"), variant="soft", **BUTTON),
                    href=s.public_path + "?preview=1", is_external=True),
            rx.cond(s.status == "published",
                    rx.button(T("event.unpublish"), variant="soft", on_click=s.unpublish, **BUTTON), rx.fragment()),
            rx.button(rx.icon("copy-plus"), T("event.duplicate"), variant="soft", on_click=s.duplicate, **BUTTON),
            rx.cond((s.status != "archived") & (s.status != "published"),
                    rx.button(rx.icon("archive"), T("event.archive"), variant="soft", color_scheme="gray",
                              on_click=s.archive, **BUTTON), rx.fragment()),
            rx.cond(editable & ~s.cancelling,
                    rx.button(T("event.cancel_event"), variant="soft", color_scheme="red", on_click=s.ask_cancel_event,
                              **BUTTON), rx.fragment()),
        ),
        rx.cond(s.cancelling, cancel_event_form(), rx.fragment()),
        spacing="3",
        width="100%",
    )


def cancel_event_form() -> rx.Component:
    s = EventOverviewState
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(T("event.cancel_title"), size="4", as_="h3"),
                rx.text(T("event.cancel_explain")),
                rx.el.label(T("event.cancel_message"), html_for="f-cancel_message", style={"font_weight": "500"}),
                rx.text_area(id="f-cancel_message", name="cancel_message", rows="4", width="100%", max_length=5000,
                             aria_describedby="f-cancel_message-error",
                             aria_invalid=rx.cond(s.cancel_errors.contains("cancel_message"), "true", "false")),
                error_text(s.cancel_errors, "cancel_message", "f-cancel_message"),
                _row(
                    rx.button(T("event.cancel_confirm"), type="submit", color_scheme="red", **BUTTON),
                    rx.button(T("event.cancel_keep"), type="button", variant="soft", on_click=s.keep_event, **BUTTON),
                ),
                spacing="2",
                width="100%",
            ),
            on_submit=s.cancel_event,
            no_validate=True,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )


def overview_tab() -> rx.Component:
    s = EventOverviewState
    return workspace(
        s, "overview",
        rx.cond(
            s.status == "draft",
            rx.callout.root(
                rx.flex(
                    rx.text(T("event.publish_hint")),
                    rx.cond(s.can_manage, rx.button(T("event.publish"), on_click=s.publish, size="3", **BUTTON),
                            rx.fragment()),
                    spacing="3", wrap="wrap", align="center",
                ),
                width="100%",
            ),
            rx.cond(s.status == "published", share_link(), rx.fragment()),
        ),
        numbers(),
        rx.cond(s.can_manage, event_actions(), rx.fragment()),
    )


# Tickets and questions ----------------------------------------------------------------------------------------


def _form_buttons(save_key: str) -> rx.Component:
    return _row(
        rx.button(T(save_key), type="submit", **BUTTON),
        rx.button(T("ticket_type.cancel_edit"), type="button", variant="soft", on_click=EventTicketsState.close, **BUTTON),
    )


def ticket_type_form(tt=None) -> rx.Component:
    """Adding a ticket type (tt None) or editing `tt`."""
    s = EventTicketsState
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(T("ticket_type.add_title"), size="4", as_="h3") if tt is None else rx.fragment(),
                *ticket_type_fields("tt_", s.errors, tt),
                form_error(s.errors),
                _form_buttons("event.add_ticket_type" if tt is None else "ticket_type.save"),
                spacing="3",
                width="100%",
            ),
            on_submit=s.save_new_tt if tt is None else s.save_tt,
            no_validate=True,
            reset_on_submit=False,
            key=s.form_version.to_string(),
            width="100%",
        ),
        width="100%",
    )


def ticket_type_row(tt) -> rx.Component:
    s = EventTicketsState
    return rx.vstack(
        rx.flex(
            rx.text(tt["name"], weight="bold"),
            rx.cond(tt["hidden"] != "", rx.badge(T("ticket_type.hidden_badge")), rx.fragment()),
            rx.spacer(),
            rx.badge(rx.cond(tt["price_text"] != "", tt["price_text"], T("event.ticket_type.free")),
                     color_scheme=rx.cond(tt["price_text"] != "", "blue", "gray"), high_contrast=True, size="2"),
            rx.text(tt["sold"] + " / " + tt["quantity"]),
            rx.cond(s.can_manage & (s.editing_tt != tt["id"]),
                    rx.button(rx.icon("pencil"), variant="ghost", on_click=s.edit_tt(tt["id"]),
                              aria_label=T("ticket_type.edit") + ": " + tt["name"], min_width="44px", **BUTTON),
                    rx.fragment()),
            width="100%", spacing="2", align="center",
        ),
        rx.cond(s.editing_tt == tt["id"], ticket_type_form(tt), rx.fragment()),
        rx.cond(tt["link"] != "",
                rx.text(T("ticket_type.direct_link"), ": ", rx.code(tt["link"], word_break="break-all"), size="2"),
                rx.fragment()),
        width="100%",
        spacing="1",
        padding_y="6px",
        border_bottom="1px solid var(--gray-a4)",
    )


def question_form(q=None) -> rx.Component:
    """Adding a question (q None) or editing `q`. Choices are asked for the choice kinds only."""
    s = EventTicketsState
    e = s.errors
    value = (lambda key: q[key]) if q is not None else (lambda key: None)
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(T("question.add_title"), size="4", as_="h3") if q is None else rx.fragment(),
                field("question.label", "q_label", e, max_length=300, default_value=value("label")),
                rx.flex(
                    rx.box(select_field("q_kind", "question.kind", KINDS, on_change=s.set_kind, default_value=s.kind,
                                        aria_describedby="f-q_kind-error"),
                           error_text(e, "q_kind", "f-q_kind"), flex="1 1 200px"),
                    rx.box(select_field("q_scope", "question.scope", SCOPES,
                                        default_value=value("scope") if q is not None else "order",
                                        aria_describedby="f-q_scope-error"),
                           error_text(e, "q_scope", "f-q_scope"), flex="1 1 200px"),
                    spacing="3", wrap="wrap", width="100%",
                ),
                rx.cond(
                    (s.kind == "single_choice") | (s.kind == "multiple_choice"),
                    rx.vstack(
                        rx.el.label(T("question.options"), html_for="f-q_options", style={"font_weight": "500"}),
                        rx.text_area(id="f-q_options", name="q_options", rows="4", width="100%",
                                     default_value=value("options"), aria_describedby="f-q_options-error",
                                     aria_invalid=rx.cond(e.contains("q_options"), "true", "false")),
                        error_text(e, "q_options", "f-q_options"),
                        spacing="1", width="100%",
                    ),
                    rx.fragment(),
                ),
                checkbox_field(T("question.required"), "q_required",
                               **({"default_checked": q["required"] != ""} if q is not None else {})),
                form_error(e),
                _form_buttons("question.add" if q is None else "question.save"),
                spacing="3",
                width="100%",
            ),
            on_submit=s.save_new_q if q is None else s.save_q,
            no_validate=True,
            reset_on_submit=False,
            key=s.form_version.to_string(),
            width="100%",
        ),
        width="100%",
    )


def _kind_text(kind: rx.Var) -> rx.Var:
    return rx.match(kind, *[(value, T(key)) for value, key in KINDS], kind)


def question_row(q) -> rx.Component:
    s = EventTicketsState
    return rx.vstack(
        rx.flex(
            rx.vstack(
                rx.text(q["label"], weight="bold"),
                rx.text(_kind_text(q["kind"]), " · ",
                        rx.cond(q["scope"] == "attendee", T("question.scope.attendee"), T("question.scope.order")),
                        rx.cond(q["required"] != "", rx.fragment(" · ", T("question.required")), rx.fragment()),
                        size="2", color_scheme="gray"),
                rx.cond(q["options"] != "", rx.text(q["options"], size="2", white_space="pre-line"), rx.fragment()),
                spacing="1",
                flex="1",
            ),
            rx.cond(
                s.can_manage & (s.editing_q != q["id"]),
                rx.flex(
                    rx.button(rx.icon("pencil"), variant="ghost", on_click=s.edit_q(q["id"]),
                              aria_label=T("question.edit") + ": " + q["label"], min_width="44px", **BUTTON),
                    rx.button(rx.icon("trash-2"), variant="soft", color_scheme="red", on_click=s.remove_q(q["id"]),
                              aria_label=T("question.remove") + ": " + q["label"], min_width="44px", **BUTTON),
                    spacing="2",
                ),
                rx.fragment(),
            ),
            width="100%", spacing="2", align="center",
        ),
        rx.cond(s.editing_q == q["id"], question_form(q), rx.fragment()),
        width="100%",
        padding_y="6px",
        border_bottom="1px solid var(--gray-a4)",
    )


def tickets_tab() -> rx.Component:
    s = EventTicketsState
    return workspace(
        s, "tickets",
        rx.vstack(
            rx.heading(T("event.ticket_types"), size="5", as_="h2"),
            rx.foreach(s.ticket_types, ticket_type_row),
            rx.cond(s.can_manage,
                    rx.cond(s.adding_tt, ticket_type_form(),
                            rx.button(rx.icon("plus"), T("ticket_type.add_title"), variant="outline", on_click=s.add_tt,
                                      **BUTTON)),
                    rx.fragment()),
            spacing="2",
            width="100%",
        ),
        rx.vstack(
            rx.heading(T("event.questions"), size="5", as_="h2"),
            rx.cond(s.questions.length() > 0, rx.foreach(s.questions, question_row),
                    rx.text(T("event.questions_none"), color_scheme="gray")),
            rx.cond(s.can_manage,
                    rx.cond(s.adding_q, question_form(),
                            rx.button(rx.icon("plus"), T("question.add_title"), variant="outline", on_click=s.add_q,
                                      **BUTTON)),
                    rx.fragment()),
            spacing="2",
            width="100%",
        ),
    )


# Emails -------------------------------------------------------------------------------------------------------


def emails_tab() -> rx.Component:
    s = EventEmailsState
    return workspace(
        s, "emails",
        rx.cond(
            s.editable,
            rx.form(
                rx.vstack(
                    email_settings(s.errors, s.values),
                    rx.button(T("event.emails_save"), type="submit", size="3", **BUTTON),
                    spacing="4",
                    width="100%",
                ),
                on_submit=s.save,
                no_validate=True,
                reset_on_submit=False,
                width="100%",
                key=s.form_version.to_string(),
            ),
            rx.text(T("event.not_editable"), color_scheme="gray"),
        ),
        fresh=True,
    )


# Settings -----------------------------------------------------------------------------------------------------


def settings_tab() -> rx.Component:
    s = EventSettingsState
    errors = s.errors
    v = s.values
    flags = s.flags

    def flag(label_key: str, name: str, key: str) -> rx.Component:
        return checkbox_field(T(label_key), name, default_checked=flags[key], key=flags[key].to_string())

    def pair(*fields) -> rx.Component:
        return rx.flex(*[rx.box(f, flex="1 1 220px") for f in fields], spacing="3", wrap="wrap", width="100%")

    return workspace(
        s, "settings",
        rx.cond(
            s.editable,
            rx.vstack(
                cover_chooser(s),
                rx.form(
                    rx.vstack(
                        rx.heading(T("settings.details"), size="5", as_="h2"),
                        form_error(errors),
                        event_field("title", errors, v["title"]),
                        description_with_preview(s, errors),
                        event_field("venue", errors, v["venue"]),
                        event_field("online_url", errors, v["online_url"]),
                        event_field("city", errors, v["city"], auto_complete="address-level2"),
                        event_field("tags", errors, v["tags"]),
                        flag("event.listed", "listed", "listed"),
                        flag("event.attendees_can_edit_names", "attendees_can_edit_names", "names_editable"),
                        pair(event_field("starts_at", errors, v["starts_at"]), event_field("ends_at", errors, v["ends_at"])),
                        tz_select("time_zone", "event.time_zone", v["time_zone"]),
                        error_text(errors, "time_zone", "f-time_zone"),
                        event_field("capacity", errors, v["capacity"]),
                        pair(event_field("registration_opens_at", errors, v["registration_opens_at"]),
                             event_field("registration_closes_at", errors, v["registration_closes_at"])),
                        choice("locale", "event.locale", [rx.el.option(T(k), value=c) for c, k in LOCALES],
                               v["locale"]),
                        error_text(errors, "locale", "f-locale"),
                        flag("event.one_per_email", "one_registration_per_email", "one_per_email"),
                        payments_card(errors, s.pay_methods, "/o/" + s.org_slug + "/settings/payments", v),
                        rx.button(T("event.save_changes"), type="submit", size="3", loading=s.busy, **BUTTON),
                        spacing="4",
                        width="100%",
                    ),
                    on_submit=s.save,
                    no_validate=True,
                    reset_on_submit=False,
                    width="100%",
                    # A new key on every read: the inputs are uncontrolled, so only a fresh form shows the
                    # values just read (not those of an earlier visit in this tab).
                    key=s.form_version.to_string(),
                ),
                spacing="5",
                width="100%",
            ),
            rx.text(T("event.not_editable"), color_scheme="gray"),
        ),
        fresh=True,
    )
