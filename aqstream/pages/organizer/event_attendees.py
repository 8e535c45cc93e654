"""The Attendees tab of an event's workspace: search and filters (in the address), the list (a table on a wide
screen, cards on a phone, each with its status), pages with a jump to any page, adding an attendee, and
cancelling with a question that names the person."""
import reflex as rx

from aqstream.components.ui import T, checkbox_field, error_text, field, labelled_select
from aqstream.components.workspace import workspace
from aqstream.state.event_attendees import AttendeesTabState as S

WIDE = rx.breakpoints(initial="none", sm="block")  # the table from 768 px
NARROW = rx.breakpoints(initial="flex", sm="none")  # the cards below


def _choice(name: str, label_key: str, options, value) -> rx.Component:
    return labelled_select(f"f-{name}", T(label_key), *options, name=name, default_value=value)


def filters() -> rx.Component:
    """Rebuilt on every load (its key), so it always shows what the list shows, never text not yet applied."""
    return rx.form(
        rx.flex(
            rx.box(field("attendees.search", "q", S.filter_errors, type="search", default_value=S.search, max_length=200),
                   flex="3 1 240px"),
            rx.box(_choice("type", "attendees.filter_type",
                           [rx.el.option(T("attendees.any"), value=""),
                            rx.foreach(S.type_options, lambda o: rx.el.option(o["name"], value=o["id"]))],
                           S.type_filter), flex="1 1 150px"),
            rx.box(_choice("status", "attendees.filter_status",
                           [rx.el.option(T("attendees.any"), value=""),
                            rx.el.option(T("ticket.status.valid"), value="valid"),
                            rx.el.option(T("ticket.status.cancelled"), value="cancelled")], S.status_filter),
                   flex="1 1 130px"),
            rx.box(_choice("checked", "attendees.filter_checked_in",
                           [rx.el.option(T("attendees.any"), value=""), rx.el.option(T("attendees.yes"), value="yes"),
                            rx.el.option(T("attendees.no"), value="no")], S.checked_filter), flex="1 1 130px"),
            rx.box(_choice("sort", "attendees.sort",
                           [rx.el.option(T("attendees.sort_registered"), value="registered"),
                            rx.el.option(T("attendees.sort_name"), value="name"),
                            rx.el.option(T("attendees.sort_email"), value="email"),
                            rx.el.option(T("attendees.sort_type"), value="type"),
                            rx.el.option(T("attendees.sort_status"), value="status")], S.sort), flex="1 1 150px"),
            rx.flex(
                rx.button(rx.icon("search"), T("attendees.apply"), type="submit", min_height="44px"),
                rx.cond((S.search != "") | (S.type_filter != "") | (S.status_filter != "") | (S.checked_filter != ""),
                        rx.button(T("attendees.clear"), type="button", variant="soft", on_click=S.clear,
                                  min_height="44px"),
                        rx.fragment()),
                spacing="2", align_self="end",
            ),
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        on_submit=S.apply,
        reset_on_submit=False,
        key="filters-" + S.filter_version.to_string(),
        width="100%",
        role="search",
    )


def person(a) -> rx.Component:
    """The ticket holder's name, or in grey why there is none."""
    return rx.cond(
        a["name_state"] == "",
        rx.text(a["name"], weight="medium"),
        rx.text(rx.cond(a["name_state"] == "missing", T("attendees.no_name"), T("attendees.deleted_person")),
                color_scheme="gray", style={"font_style": "italic"}),
    )


def status(a) -> rx.Component:
    return rx.flex(
        rx.badge(rx.match(a["status"], ("valid", T("ticket.status.valid")),
                          ("cancelled", T("ticket.status.cancelled")), ("held", T("ticket.status.held")), a["status"]),
                 color_scheme=rx.match(a["status"], ("valid", "green"), ("cancelled", "red"), "amber"), size="2",
                 high_contrast=True),
        rx.cond(a["checked_in"] != "", rx.badge(T("attendee.checked_in"), color_scheme="blue", size="2",
                                                high_contrast=True),
                rx.fragment()),
        rx.cond(a["device"] != "", rx.text(T("attendee.on_device") + ": " + a["device"], size="1",
                                           color_scheme="gray", width="100%"), rx.fragment()),
        spacing="1", wrap="wrap",
    )


PAYMENT_COLORS = (("free", "gray"), ("awaiting", "amber"), ("unpaid", "gray"), ("paid", "green"),
                  ("partly_refunded", "orange"), ("refunded", "red"))


def payment(a) -> rx.Component:
    """The order's total and its payment status."""
    return rx.flex(
        rx.cond(a["pay"] != "free", rx.text(a["total"], size="2", white_space="nowrap"), rx.fragment()),
        rx.badge(rx.match(a["pay"], *[(k, T(f"payment_status.{k}")) for k, _ in PAYMENT_COLORS], a["pay"]),
                 color_scheme=rx.match(a["pay"], *PAYMENT_COLORS, "gray"), size="1", variant="soft"),
        spacing="1", wrap="wrap", align="center", class_name="attendee-payment",
    )


def contact(a) -> rx.Component:
    """The attendee's own email, then the buyer's when it is someone else's (or the attendee gave none)."""
    return rx.vstack(
        rx.cond(a["email"] != "", rx.text(a["email"], size="2", word_break="break-all"), rx.fragment()),
        rx.cond(a["buyer_email"] != "",
                rx.text(T("attendees.buyer").replace("{email}", a["buyer_email"]), size="2", color_scheme="gray",
                        word_break="break-all"),
                rx.fragment()),
        spacing="0",
    )


def actions(a, size: str = "1", height: str = "32px", column: bool = False) -> rx.Component:
    label = rx.cond(a["name"] != "", a["name"], a["code"])
    return rx.cond(
        S.can_manage & (a["status"] == "valid"),
        rx.flex(
            rx.button(T("attendee.cancel_ticket"), size=size, variant="soft", color_scheme="red", min_height=height,
                      on_click=S.ask_cancel("ticket", a["ticket_id"]),
                      aria_label=T("attendee.cancel_ticket") + ": " + label),
            rx.button(T("attendee.cancel_order"), size=size, variant="ghost", color_scheme="red", min_height=height,
                      on_click=S.ask_cancel("order", a["ticket_id"]),
                      aria_label=T("attendee.cancel_order") + ": " + label),
            rx.button(T("attendee.resend"), size=size, variant="ghost", min_height=height,
                      on_click=S.resend(a["order_id"]), aria_label=T("attendee.resend") + ": " + label),
            spacing="1", wrap="wrap", direction="column" if column else "row", align="start",
        ),
        rx.fragment(),
    )


def table() -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.el.caption(T("event.attendees"), class_name="sr-only"),
            rx.table.header(rx.table.row(
                rx.table.column_header_cell(T("attendee.name")),
                rx.table.column_header_cell(T("attendee.ticket_type")),
                rx.table.column_header_cell(T("attendee.status")),
                rx.table.column_header_cell(T("attendee.payment")),
                rx.table.column_header_cell(T("attendee.registered_at")),
                rx.table.column_header_cell(T("attendee.actions")),
            )),
            rx.table.body(rx.foreach(S.rows, lambda a: rx.table.row(
                rx.table.row_header_cell(rx.vstack(rx.link(person(a), href=a["href"]), contact(a), spacing="1"),
                                         max_width="360px"),
                rx.table.cell(rx.vstack(rx.text(a["type"]), rx.code(a["code"], size="1", variant="ghost"),
                                        spacing="1")),
                rx.table.cell(status(a)),
                rx.table.cell(payment(a)),
                rx.table.cell(a["registered"], white_space="nowrap"),
                rx.table.cell(actions(a, column=True)),
                class_name=rx.cond(a["status"] == "valid", "", "attendee-inactive"),
            ))),
            width="100%",
            layout="auto",
        ),
        width="100%",
        display=WIDE,
        id="attendee-table",
    )


def cards() -> rx.Component:
    return rx.el.ul(
        rx.foreach(S.rows, lambda a: rx.el.li(rx.card(
            rx.vstack(
                rx.flex(rx.link(person(a), href=a["href"]), status(a), justify="between", align="start", wrap="wrap",
                        spacing="2", width="100%"),
                contact(a),
                rx.text(a["type"] + " · " + a["registered"], size="2", color_scheme="gray"),
                payment(a),
                actions(a, size="2", height="44px"),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ), style={"list_style": "none"})),
        aria_label=T("event.attendees"),
        style={"padding": 0, "margin": 0, "flex_direction": "column", "gap": "8px", "width": "100%"},
        display=NARROW,
        id="attendee-cards",
    )


def pager() -> rx.Component:
    at_first, at_last = S.page <= 1, S.page >= S.pages
    return rx.el.nav(
        rx.text(S.page_text, aria_live="polite", id="page-text", margin_bottom="8px"),
        rx.flex(
            rx.flex(
                rx.button(rx.icon("chevrons-left"), variant="soft", min_height="44px", min_width="44px",
                          disabled=at_first, on_click=rx.redirect(S.first_href), aria_label=T("attendees.first")),
                rx.button(rx.icon("chevron-left"), T("attendees.previous"), variant="soft", min_height="44px",
                          disabled=at_first, on_click=rx.redirect(S.prev_href)),
                rx.button(T("attendees.next"), rx.icon("chevron-right"), variant="soft", min_height="44px",
                          disabled=at_last, on_click=rx.redirect(S.next_href)),
                rx.button(rx.icon("chevrons-right"), variant="soft", min_height="44px", min_width="44px",
                          disabled=at_last, on_click=rx.redirect(S.last_href), aria_label=T("attendees.last")),
                spacing="2", align="center",
            ),
            rx.cond(S.pages > 1, jump_form(), rx.fragment()),
            spacing="3", align="end", wrap="wrap", width="100%", justify="between",
        ),
        aria_label=T("attendees.pages"),
        width="100%",
    )


def jump_form() -> rx.Component:
    has_error = S.page_error != ""
    return rx.form(
        rx.flex(
            rx.vstack(
                rx.el.label(T("attendees.go_to_page"), html_for="f-go_page", style={"font_weight": "500"}),
                rx.input(id="f-go_page", name="go_page", type="number", min=1, max=S.pages, input_mode="numeric",
                         size="3", width="120px", aria_describedby="f-go_page-error",
                         aria_invalid=rx.cond(has_error, "true", "false")),
                spacing="1",
            ),
            rx.button(T("attendees.go"), type="submit", variant="soft", min_height="44px"),
            spacing="2", align="end",
        ),
        rx.text(S.page_error, id="f-go_page-error", size="2", color_scheme="red", role="alert"),
        on_submit=S.jump,
        no_validate=True,
        reset_on_submit=False,
    )


def exports() -> rx.Component:
    base = "/export/" + S.org_slug + "/" + S.event_id.to_string()
    return rx.flex(
        rx.link(rx.button(rx.icon("download"), T("attendees.export_csv"), variant="outline", min_height="44px"),
                href=base + ".csv?" + S.export_query, is_external=True),
        rx.link(rx.button(rx.icon("download"), T("attendees.export_xlsx"), variant="outline", min_height="44px"),
                href=base + ".xlsx?" + S.export_query, is_external=True),
        spacing="2", wrap="wrap",
    )


def add_form() -> rx.Component:
    e = S.add_errors
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(T("attendee.add_title"), size="4", as_="h2"),
                rx.flex(
                    rx.box(field("attendee.name", "add_name", e, max_length=200), flex="1 1 200px"),
                    rx.box(field("attendee.email", "add_email", e, type="email", max_length=254), flex="1 1 200px"),
                    rx.box(labelled_select("f-add_type", T("attendee.ticket_type"),
                                           rx.foreach(S.type_options, lambda o: rx.el.option(o["name"], value=o["id"])),
                                           name="add_type"), flex="1 1 160px"),
                    spacing="3", wrap="wrap", width="100%",
                ),
                error_text(e, "add_ticket_type_id", "f-add_type"),
                *[rx.cond(e.contains(k), rx.callout(e[k], color_scheme="red", role="alert", width="100%"), rx.fragment())
                  for k in ("add_form", "add_tickets")],
                checkbox_field(T("attendee.add_notify"), "add_notify", default_checked=True),
                rx.flex(
                    rx.button(rx.icon("user-plus"), T("attendee.add"), type="submit", min_height="44px"),
                    rx.button(T("attendees.add_close"), type="button", variant="soft", on_click=S.toggle_add,
                              min_height="44px"),
                    spacing="2", wrap="wrap",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=S.add_attendee,
            no_validate=True,
            reset_on_submit=True,
            key="add-" + S.add_version.to_string(),
            width="100%",
        ),
        width="100%",
    )


def cancel_dialog() -> rx.Component:
    is_ticket = S.confirm_kind == "ticket"
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(rx.cond(is_ticket, T("attendees.cancel_ticket_title"),
                                          T("attendees.cancel_order_title"))),
            rx.alert_dialog.description(S.confirm_text),
            rx.flex(
                rx.alert_dialog.cancel(rx.button(T("attendees.keep"), variant="soft", min_height="44px")),
                rx.button(rx.cond(is_ticket, T("attendees.cancel_ticket_yes"), T("attendees.cancel_order_yes")),
                          color_scheme="red", on_click=S.cancel_confirmed, min_height="44px"),
                spacing="2", justify="end", wrap="wrap", margin_top="16px",
            ),
            max_width="480px",
        ),
        open=S.confirm_kind != "",
        on_open_change=S.confirm_open_change,
    )


def attendees_tab() -> rx.Component:
    return workspace(
        S,
        "attendees",
        filters(),  # the tab's error and notice are shown by the workspace frame, above

        rx.flex(
            rx.cond(S.can_manage & ~S.adding,
                    rx.button(rx.icon("user-plus"), T("attendee.add"), on_click=S.toggle_add, min_height="44px"),
                    rx.fragment()),
            rx.spacer(),
            exports(),
            spacing="2", wrap="wrap", width="100%", align="center",
        ),
        rx.cond(S.can_manage & S.adding, add_form(), rx.fragment()),
        rx.cond(S.rows.length() > 0, rx.fragment(table(), cards()),
                rx.text(rx.cond(S.filtered, T("attendees.none_match"), T("event.attendees_empty")))),
        pager(),
        cancel_dialog(),
    )

