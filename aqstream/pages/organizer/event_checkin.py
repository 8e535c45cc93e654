"""The Check-in tab: the event's lists (counts live, per ticket type), each with its scanner's link; the list
form for those who run events; finding a person to check in or undo, with a large answer; the latest scans and
the conflicts of scans made offline."""
import reflex as rx

from aqstream.components.ui import T, error_text, field, labelled_select
from aqstream.components.workspace import workspace
from aqstream.state.event_checkin import EventCheckinState as S

WIDE = rx.breakpoints(initial="none", sm="table-cell")  # from 768 px
NARROW = rx.breakpoints(initial="block", sm="none")
TONE_BG = {"green": "var(--green-3)", "orange": "var(--orange-3)", "red": "var(--red-3)"}


def count_table(item) -> rx.Component:
    """The list's counts per ticket type."""
    return rx.table.root(
        rx.el.caption(T("checkin_tab.per_type") + ": " + item["name"], class_name="sr-only"),
        rx.table.header(rx.table.row(
            rx.table.column_header_cell(T("checkin_tab.col.type")),
            rx.table.column_header_cell(T("checkin_tab.col.inside"), text_align="right"),
            rx.table.column_header_cell(T("checkin_tab.col.checked"), text_align="right"),
            rx.table.column_header_cell(T("checkin_tab.col.total"), text_align="right"),
        )),
        rx.table.body(rx.foreach(S.type_counts, lambda c: rx.cond(
            c["list"] == item["id"],
            rx.table.row(rx.table.row_header_cell(c["name"]), rx.table.cell(c["inside"], text_align="right"),
                         rx.table.cell(c["checked"], text_align="right"),
                         rx.table.cell(c["total"], text_align="right")),
            rx.fragment()))),
        size="1",
        width="100%",
    )


def list_card(item) -> rx.Component:
    manage = rx.cond(
        S.can_manage,
        rx.flex(
            rx.button(rx.icon("pencil", size=16, aria_hidden="true"), T("checkin_tab.list.edit"), variant="soft",
                      on_click=S.edit_list(item["id"]), min_height="44px",
                      aria_label=T("checkin_tab.list.edit") + ": " + item["name"]),
            rx.cond(S.can_delete,
                    rx.button(rx.icon("trash-2", size=16, aria_hidden="true"), T("checkin_tab.list.delete"),
                              variant="soft", color_scheme="red", on_click=S.ask_delete(item["id"]),
                              min_height="44px", aria_label=T("checkin_tab.list.delete") + ": " + item["name"]),
                    rx.fragment()),
            spacing="2", wrap="wrap"),
        rx.fragment(),
    )
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.heading(item["name"], size="5", as_="h3", word_break="break-word"),
                rx.spacer(),
                rx.cond(item["current"] != "", rx.badge(T("checkin_tab.list.current"), color_scheme="blue", size="2",
                                                        high_contrast=True), rx.fragment()),
                width="100%", align="center", wrap="wrap", spacing="2",
            ),
            rx.flex(
                rx.text(item["inside"], size="6", weight="bold"),
                rx.text(item["checked"], size="3", color_scheme="gray"),
                spacing="4", align="baseline", wrap="wrap", aria_live="polite",
            ),
            rx.text(T("checkin_tab.list.types") + ": " + item["types"], size="2"),
            rx.cond(item["window"] != "", rx.text(item["window"], size="2"), rx.fragment()),
            rx.cond(item["reentry"] != "", rx.text(item["reentry"], size="2"), rx.fragment()),
            count_table(item),
            rx.flex(
                # The scanner is a page of its own served by the backend: a full page load, not client routing.
                rx.button(
                    rx.el.a(rx.icon("scan-line", size=18, aria_hidden="true"), T("checkin_tab.open_scanner"),
                            href=item["scanner"], reload_document=True,
                            aria_label=T("checkin_tab.open_scanner") + ": " + item["name"]),
                    as_child=True, size="3", min_height="44px",
                ),
                rx.cond(item["current"] == "",
                        rx.button(T("checkin_tab.list.use"), variant="outline", on_click=S.choose_list(item["id"]),
                                  min_height="44px", aria_label=T("checkin_tab.list.use") + ": " + item["name"]),
                        rx.fragment()),
                manage,
                spacing="2", wrap="wrap", align="center",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def ticked(name_prefix: str, options, label_key: str, chosen, hint_key: str, error_name: str) -> rx.Component:
    """A group of checkboxes (ticket types, questions) named "<prefix><id>"."""
    return rx.el.fieldset(
        rx.el.legend(T(label_key), style={"font_weight": "500", "padding": "0"}),
        rx.text(T(hint_key), size="2", color_scheme="gray", id=f"f-{error_name}-hint"),
        rx.flex(
            rx.foreach(options, lambda o: rx.el.label(
                rx.el.input(type="checkbox", name=name_prefix + o["id"], id="f-" + name_prefix.rstrip(".") + "-" + o["id"],
                            default_checked=chosen.contains(o["id"]), style={"width": "20px", "height": "20px"}),
                rx.text(o["name"], as_="span"),
                html_for="f-" + name_prefix.rstrip(".") + "-" + o["id"],
                style={"display": "flex", "gap": "10px", "align_items": "center", "min_height": "44px",
                       "cursor": "pointer"},
            )),
            direction="column",
        ),
        error_text(S.form_errors, error_name, f"f-{error_name}"),
        aria_describedby=f"f-{error_name}-hint f-{error_name}-error",
        style={"border": "none", "margin": "0", "padding": "0", "min_width": "0"},
    )


def list_form() -> rx.Component:
    e = S.form_errors
    return rx.cond(
        S.editing != "",
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading(rx.cond(S.editing == "new", T("checkin_tab.list.new_title"), T("checkin_tab.list.edit_title")),
                               size="4", as_="h2"),
                    field("checkin_tab.list.name", "name", e, default_value=S.form_values["name"], max_length=120),
                    ticked("type.", S.type_options, "checkin_tab.list.types", S.form_types, "checkin_tab.list.types_hint",
                           "ticket_type_ids"),
                    rx.text(T("checkin_tab.list.window_hint"), size="2", color_scheme="gray"),
                    rx.flex(
                        rx.box(field("checkin_tab.list.opens_at", "opens_at", e, type="datetime-local",
                                     default_value=S.form_values["opens_at"]), flex="1 1 220px"),
                        rx.box(field("checkin_tab.list.closes_at", "closes_at", e, type="datetime-local",
                                     default_value=S.form_values["closes_at"]), flex="1 1 220px"),
                        spacing="3", wrap="wrap", width="100%",
                    ),
                    rx.el.label(
                        rx.el.input(type="checkbox", name="allow_reentry", id="f-allow_reentry", role="switch",
                                    default_checked=S.form_values["allow_reentry"] != "",
                                    style={"width": "20px", "height": "20px"}),
                        rx.text(T("checkin_tab.list.reentry"), as_="span"),
                        html_for="f-allow_reentry",
                        style={"display": "flex", "gap": "10px", "align_items": "center", "min_height": "44px",
                               "cursor": "pointer"},
                    ),
                    rx.cond(S.question_options.length() > 0,
                            ticked("question.", S.question_options, "checkin_tab.list.questions", S.form_questions,
                                   "checkin_tab.list.questions_hint", "question_ids"),
                            rx.text(T("checkin_tab.list.no_questions"), size="2", color_scheme="gray")),
                    rx.cond(e.contains("form"), rx.callout(e["form"], color_scheme="red", role="alert", width="100%"),
                            rx.fragment()),
                    rx.flex(
                        rx.button(T("checkin_tab.list.save"), type="submit", size="3", min_height="44px"),
                        rx.button(T("checkin_tab.list.cancel"), type="button", variant="soft", size="3",
                                  on_click=S.close_form, min_height="44px"),
                        spacing="2", wrap="wrap",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.save_list,
                reset_on_submit=False,
                key="list-form-" + S.form_version.to_string(),
                width="100%",
                id="checkin-list-form",
            ),
            width="100%",
        ),
        rx.fragment(),
    )


def delete_question() -> rx.Component:
    return rx.cond(
        S.deleting_text != "",
        rx.callout.root(
            rx.flex(
                rx.text(S.deleting_text),
                rx.flex(
                    rx.button(T("checkin_tab.list.delete_confirm"), color_scheme="red", on_click=S.delete_list,
                              min_height="44px"),
                    rx.button(T("checkin_tab.list.keep"), variant="soft", on_click=S.keep_list, min_height="44px"),
                    spacing="2", wrap="wrap",
                ),
                direction="column", spacing="3",
            ),
            color_scheme="red", role="alertdialog", width="100%",
        ),
        rx.fragment(),
    )


def result_box() -> rx.Component:
    """The answer to the last check-in on this page, big enough to read at arm's length."""
    r = S.result
    return rx.cond(
        r.contains("tone"),
        rx.box(
            rx.vstack(
                rx.flex(
                    rx.icon(rx.match(r["tone"], ("green", "circle-check"), ("orange", "circle-alert"), "circle-x"),
                            size=40, aria_hidden="true"),
                    rx.text(r["title"], size="8", weight="bold"),
                    align="center", gap="12px", wrap="wrap",
                ),
                rx.cond(r["who"] != "", rx.text(r["who"], size="6", weight="medium"), rx.fragment()),
                rx.cond(r["detail"] != "", rx.text(r["detail"], size="4"), rx.fragment()),
                rx.cond(r["answers"] != "", rx.text(r["answers"], size="4"), rx.fragment()),
                spacing="2",
            ),
            background=rx.match(r["tone"], ("green", TONE_BG["green"]), ("orange", TONE_BG["orange"]),
                                TONE_BG["red"]),
            color=rx.match(r["tone"], ("green", "var(--green-12)"), ("orange", "var(--orange-12)"),
                           "var(--red-12)"),
            border=rx.match(r["tone"], ("green", "3px solid var(--green-9)"), ("orange", "3px solid var(--orange-9)"),
                            "3px solid var(--red-9)"),
            border_radius="12px",
            padding="20px",
            width="100%",
            role="status",
            aria_live="assertive",
            id="checkin-result",
        ),
        rx.fragment(),
    )


def person_row(p) -> rx.Component:
    action = rx.match(
        p["state"],
        ("inside", rx.button(rx.icon("undo-2", size=16, aria_hidden="true"), T("checkin_tab.undo"), variant="soft",
                             color_scheme="orange", size="3", min_height="44px", on_click=S.undo(p["id"]),
                             aria_label=T("checkin_tab.undo") + ": " + p["name"])),
        ("off", rx.fragment()),
        rx.button(rx.icon("log-in", size=16, aria_hidden="true"), T("checkin_tab.check_in"), size="3", min_height="44px",
                  color_scheme="green", on_click=S.check_in(p["id"]), aria_label=T("checkin_tab.check_in") + ": " + p["name"]),
    )
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text(p["name"], size="4", weight="bold", word_break="break-word"),
                rx.text(p["email"], size="2", color_scheme="gray", word_break="break-all"),
                rx.text(p["type"], size="2"),
                rx.text(p["note"], size="2", weight="medium",
                        color_scheme=rx.match(p["state"], ("inside", "green"), ("off", "red"), "gray")),
                spacing="1", flex="1 1 220px", min_width="0",
            ),
            action,
            spacing="3", wrap="wrap", align="center", width="100%",
        ),
        width="100%",
    )


def door() -> rx.Component:
    """Checking people in by hand on the chosen list."""
    return rx.el.section(
        rx.vstack(
            rx.heading(T("checkin_tab.door_title"), size="5", as_="h2", id="checkin-door"),
            rx.cond(S.lists_shown.length() > 1,
                    rx.box(labelled_select("f-checkin-list", T("checkin_tab.which_list"),
                                           rx.foreach(S.lists_shown, lambda o: rx.el.option(o["name"], value=o["id"])),
                                           value=S.current, on_change=S.choose_list), max_width="420px", width="100%"),
                    rx.text(T("checkin_tab.on_list") + ": " + S.current_name, size="2", color_scheme="gray")),
            rx.form(
                rx.flex(
                    rx.box(field("checkin_tab.search", "q", S.form_errors, type="search", max_length=100,
                                 default_value=S.query, hint_key="checkin_tab.search_hint"), flex="1 1 260px"),
                    rx.flex(
                        rx.button(rx.icon("search", aria_hidden="true"), T("checkin_tab.find"), type="submit", size="3",
                                  min_height="44px"),
                        rx.cond(S.query != "", rx.button(T("attendees.clear"), type="button", variant="soft", size="3",
                                                      on_click=S.clear_search, min_height="44px"), rx.fragment()),
                        spacing="2", align_self="start", margin_top="28px",
                    ),
                    spacing="3", wrap="wrap", width="100%",
                ),
                on_submit=S.search,
                reset_on_submit=False,
                key="search-" + S.search_version.to_string(),
                role="search",
                width="100%",
            ),
            result_box(),
            rx.cond(
                S.query != "",
                rx.cond(S.people.length() > 0,
                        rx.vstack(rx.foreach(S.people, person_row), spacing="2", width="100%", id="checkin-people"),
                        rx.text(T("checkin_tab.nobody_found"), color_scheme="gray")),
                rx.fragment(),
            ),
            spacing="3",
            width="100%",
        ),
        aria_labelledby="checkin-door",
        width="100%",
    )


def recent() -> rx.Component:
    return rx.el.section(
        rx.vstack(
            rx.heading(T("checkin_tab.recent_title") + ": " + S.current_name, size="4", as_="h2", id="checkin-recent"),
            rx.cond(
                S.recent_rows.length() > 0,
                rx.box(rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell(T("checkin_tab.col.time")),
                        rx.table.column_header_cell(T("checkin_tab.col.name")),
                        rx.table.column_header_cell(T("checkin_tab.col.result")),
                        rx.table.column_header_cell(T("checkin_tab.col.device"), display=WIDE),
                    )),
                    rx.table.body(rx.foreach(S.recent_rows, lambda r: rx.table.row(
                        rx.table.cell(r["at"]),
                        rx.table.row_header_cell(rx.text(r["name"]),
                                                 # on a phone the device goes under the name: four columns do not fit
                                                 rx.text(r["device"], size="1", color_scheme="gray", display=NARROW)),
                        rx.table.cell(rx.badge(r["result"], color_scheme=r["tone"], size="2", high_contrast=True,
                                               white_space="normal")),
                        rx.table.cell(r["device"], display=WIDE),
                    ))),
                    size="1", width="100%",
                ), width="100%", overflow_x="auto"),
                rx.text(T("checkin_tab.recent_none"), color_scheme="gray", size="2"),
            ),
            spacing="2",
            width="100%",
        ),
        aria_labelledby="checkin-recent",
        width="100%",
    )


def conflicts() -> rx.Component:
    return rx.cond(
        S.conflict_rows.length() > 0,
        rx.el.section(
            rx.vstack(
                rx.heading(T("checkin_tab.conflicts_title"), size="4", as_="h2", id="checkin-conflicts"),
                rx.text(T("checkin_tab.conflicts_hint"), size="2", color_scheme="gray"),
                rx.el.ul(rx.foreach(S.conflict_rows, lambda c: rx.el.li(c, style={"margin_bottom": "6px"})),
                         style={"padding_left": "20px", "margin": "0"}),
                spacing="2",
                width="100%",
            ),
            aria_labelledby="checkin-conflicts",
            width="100%",
        ),
        rx.fragment(),
    )


def checkin_tab() -> rx.Component:
    return workspace(
        S,
        "checkin",
        rx.box(on_mount=S.watch, on_unmount=S.stop_watching),
        rx.flex(
            rx.heading(T("checkin_tab.lists_title"), size="5", as_="h2"),
            rx.spacer(),
            rx.cond(S.can_manage & (S.editing != "new"),
                    rx.button(rx.icon("plus", aria_hidden="true"), T("checkin_tab.list.add"), on_click=S.new_list,
                              size="3", min_height="44px"),
                    rx.fragment()),
            width="100%", align="center", wrap="wrap", spacing="3",
        ),
        rx.text(T("checkin_tab.scanner_hint"), size="2", color_scheme="gray"),
        list_form(),
        delete_question(),
        rx.grid(rx.foreach(S.lists_shown, list_card), columns=rx.breakpoints(initial="1", md="2"), spacing="3",
                width="100%", id="checkin-lists"),
        conflicts(),
        door(),
        recent(),
    )
