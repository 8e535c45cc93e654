"""Organizer pages: the organization's events, the new-event form, and one event with its attendees."""
import reflex as rx

from aqstream.components.event_fields import event_field
from aqstream.components.event_forms import description_with_preview, email_settings, payments_card
from aqstream.components.org_banners import org_banners
from aqstream.components.ui import (
    T,
    checkbox_field,
    form_error,
    person_name,
    shell,
    var_field,
    when_loaded,
)
from aqstream.components.workspace import status_badge
from aqstream.pages.home import tz_select
from aqstream.pages.organizer.attendee_payment import payment_section, refund_button
from aqstream.pages.organizer.team import org_nav
from aqstream.state.organizer import AttendeeState, DashboardState, EventFormState


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


SECTIONS = (("upcoming", "dashboard.upcoming", DashboardState.upcoming),
            ("draft", "dashboard.drafts", DashboardState.drafts),
            ("past", "dashboard.past", DashboardState.past),
            ("archived", "dashboard.archived", DashboardState.archived))


def event_section(name: str, title_key: str, rows) -> rx.Component:
    """One section: its heading with the number of its events, its cards (the first few on the overview, one
    page of them in the section's own view) and, on the overview, the link to all of them."""
    s = DashboardState
    heading_id = f"section-{name}"
    return rx.cond(
        rows.length() > 0,
        rx.el.section(
            rx.vstack(
                # The section's own header (not a div: the cards' column is the nearest div around the heading).
                rx.el.header(
                    rx.heading(T(title_key), size="5", as_="h2", id=heading_id),
                    rx.badge(s.counts[name], color_scheme="gray", size="2"),
                    style={"display": "flex", "align_items": "center", "gap": "8px"},
                ),
                rx.foreach(rows, event_card),
                rx.cond(
                    s.more.contains(name),
                    rx.link(s.more[name], rx.icon("arrow-right", size=16, aria_hidden="true"),
                            href="/o/" + s.org_slug + "?section=" + name, weight="medium",
                            padding_y="10px", display="inline-flex", align_items="center", gap="6px"),
                    rx.fragment(),
                ),
                width="100%",
                spacing="3",
            ),
            aria_labelledby=heading_id,
            width="100%",
        ),
        rx.fragment(),
    )


def dashboard_pager() -> rx.Component:
    """The pages of one section: links (the page is in the URL), shown when there is more than one."""
    s = DashboardState
    base = "/o/" + s.org_slug + "?section=" + s.section + "&page="

    def step(label_key: str, aria_key: str, icon: str, target, enabled, icon_first: bool) -> rx.Component:
        parts = [rx.icon(icon, size=16, aria_hidden="true"), T(label_key)]
        inner = rx.flex(*(parts if icon_first else parts[::-1]), align="center", gap="6px")
        return rx.cond(
            enabled,
            rx.link(inner, href=base + target.to_string(), aria_label=T(aria_key), padding="10px",
                    weight="medium"),
            rx.text(inner, color_scheme="gray", aria_hidden="true", padding="10px"),
        )

    return rx.cond(
        s.pages > 1,
        rx.el.nav(
            rx.flex(
                step("catalog.previous", "catalog.previous_page", "chevron-left", s.page - 1, s.page > 1, True),
                rx.text(s.page_text),
                step("catalog.next", "catalog.next_page", "chevron-right", s.page + 1, s.page < s.pages, False),
                spacing="3",
                align="center",
                justify="center",
                wrap="wrap",
            ),
            aria_label=T("catalog.pages"),
            width="100%",
        ),
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


def door_events() -> rx.Component:
    """Check-in staff's dashboard: the events whose door they may run, each leading to its Check-in tab."""
    s = DashboardState
    return rx.cond(
        s.door.length() > 0,
        rx.el.section(
            rx.vstack(
                rx.heading(T("dashboard.door_title"), size="5", as_="h2", id="section-door"),
                rx.text(T("dashboard.door_hint"), color_scheme="gray", size="2"),
                rx.foreach(s.door, lambda e: rx.card(rx.flex(
                    rx.vstack(rx.text(e["title"], size="4", weight="bold"),
                              rx.text(e["when"], size="2", color_scheme="gray"), spacing="1"),
                    rx.spacer(),
                    rx.link(rx.icon("scan-line", size=18, aria_hidden="true"), T("dashboard.door_open"),
                            href=e["href"], aria_label=T("dashboard.door_open") + ": " + e["title"],
                            weight="medium", padding_y="10px", display="inline-flex",
                            align_items="center", gap="6px"),
                    width="100%", wrap="wrap", spacing="3", align="center"), width="100%")),
                spacing="3",
                width="100%",
            ),
            aria_labelledby="section-door",
            width="100%",
        ),
        rx.callout.root(rx.callout.text(T("dashboard.door_empty")), width="100%"),
    )


def dashboard() -> rx.Component:
    s = DashboardState
    # Not offered to who cannot create one now: a suspended organization, the platform admin's support view.
    new_event_link = rx.cond(
        s.org_suspended | (s.role == "support") | (s.role == "checkin"),
        rx.fragment(),
        rx.link(rx.button(rx.icon("plus"), T("dashboard.new_event"), size="3", min_height="44px"),
                href="/o/" + s.org_slug + "/events/new"))
    return shell(
        when_loaded(
            s.loaded,
            s.found,
            rx.vstack(
                org_banners(s),
                org_switcher(),
                org_nav(s, "events"),
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
                    s.role == "checkin",
                    door_events(),
                    rx.cond(
                    s.has_events,
                    rx.vstack(
                        rx.cond(
                            s.section != "",
                            rx.link(rx.icon("arrow-left", size=16, aria_hidden="true"), T("dashboard.all_sections"),
                                    href="/o/" + s.org_slug, padding_y="10px", display="inline-flex",
                                    align_items="center", gap="6px"),
                            rx.fragment(),
                        ),
                        *[event_section(name, key, rows) for name, key, rows in SECTIONS],
                        dashboard_pager(),
                        spacing="5",
                        width="100%",
                    ),
                    rx.callout.root(
                        rx.callout.text(T("dashboard.empty")),
                        width="100%",
                    ),
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
    price = "tt." + row.to_string() + ".price"
    return rx.card(
        rx.flex(
            rx.box(var_field(T("event.ticket_type.name"), name, EventFormState.errors, max_length=120), flex="2 1 200px"),
            rx.box(var_field(T("event.ticket_type.quantity"), quantity, EventFormState.errors, type="number", min=1,
                             max=1000000, input_mode="numeric"), flex="1 1 120px"),
            rx.box(var_field(T("event.ticket_type.price"), price, EventFormState.errors, input_mode="decimal",
                             max_length=20, auto_complete="off", placeholder="0.00"), flex="1 1 120px"),
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
                        event_field("title", errors),
                        description_with_preview(EventFormState, errors, rows="5"),
                        event_field("venue", errors),
                        event_field("online_url", errors),
                        event_field("city", errors, auto_complete="address-level2"),
                        event_field("tags", errors),
                        checkbox_field(T("event.listed"), "listed", default_checked=True),
                        checkbox_field(T("event.attendees_can_edit_names"), "attendees_can_edit_names",
                                       default_checked=True),
                        rx.flex(
                            rx.box(event_field("starts_at", errors), flex="1 1 220px"),
                            rx.box(event_field("ends_at", errors), flex="1 1 220px"),
                            spacing="3",
                            wrap="wrap",
                            width="100%",
                        ),
                        tz_select("time_zone", "event.time_zone", EventFormState.org_time_zone),
                        rx.text(rx.cond(errors.contains("time_zone"), errors["time_zone"], ""), color_scheme="red",
                                size="2", role="alert"),
                        event_field("capacity", errors),
                        rx.flex(
                            rx.box(event_field("registration_opens_at", errors), flex="1 1 220px"),
                            rx.box(event_field("registration_closes_at", errors), flex="1 1 220px"),
                            spacing="3",
                            wrap="wrap",
                            width="100%",
                        ),
                        checkbox_field(T("event.one_per_email"), "one_registration_per_email"),
                        email_settings(errors),
                        payments_card(errors, EventFormState.pay_methods, "/o/" + EventFormState.org_slug + "/settings/payments",
                                      currency=EventFormState.org_currency),
                        rx.heading(T("event.ticket_types"), size="5", as_="h2"),
                        rx.text(T("event.ticket_type.price_hint"), size="2", color_scheme="gray"),
                        rx.text(rx.cond(errors.contains("ticket_types"), errors["ticket_types"], ""), color_scheme="red",
                                size="2", role="alert"),
                        rx.foreach(EventFormState.tt_rows, ticket_type_row),
                        rx.button(
                            rx.icon("plus"), T("event.add_ticket_type"), type="button", variant="outline",
                            on_click=EventFormState.add_ticket_type, min_height="44px",
                        ),
                        rx.card(
                            rx.vstack(
                                rx.heading(T("event.cover"), size="4", as_="h2"),
                                rx.text(T("event.new_cover_hint"), size="2", color_scheme="gray"),
                                spacing="1",
                            ),
                            width="100%",
                        ),
                        rx.flex(
                            rx.button(T("event.save_draft"), type="submit", size="3", loading=EventFormState.busy,
                                      on_click=EventFormState.set_then_cover(False), min_height="44px"),
                            rx.button(rx.icon("image-up"), T("event.save_and_cover"), type="submit", size="3",
                                      variant="soft", on_click=EventFormState.set_then_cover(True), min_height="44px"),
                            spacing="3",
                            wrap="wrap",
                        ),
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
            # Its on_load starts the form afresh (one ticket type row, the connected payment methods): a row
            # added before it ran would be dropped.
            fresh=True,
        ),
        size="2",
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
                        rx.foreach(s.checkins, lambda c: rx.text(c, size="2", id="attendee-checkin")),
                        spacing="2", width="100%",
                    ),
                    width="100%",
                ),
                rx.cond(
                    s.can_manage & (s.checkins.length() > 0),
                    rx.button(rx.icon("undo-2", size=16, aria_hidden="true"), T("attendee.undo_checkin"),
                              variant="soft", color_scheme="orange", on_click=s.undo_checkin, min_height="44px",
                              width="fit-content"),
                    rx.fragment(),
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
                payment_section(),
                rx.heading(T("attendee.answers"), size="5", as_="h2"),
                rx.cond(s.answers.length() > 0,
                        rx.vstack(rx.foreach(s.answers, lambda a: line_var(a["label"], a["value"])), width="100%"),
                        rx.text(T("attendee.no_answers"), color_scheme="gray")),
                rx.cond(s.others.length() > 0, rx.vstack(
                    rx.heading(T("attendee.same_order"), size="5", as_="h2"),
                    rx.foreach(s.others, lambda o: rx.flex(rx.link(person_name(o["name"]), href=o["href"]),
                                                           refund_button(o["id"], o["name"]), spacing="2",
                                                           align="center", wrap="wrap")),
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

