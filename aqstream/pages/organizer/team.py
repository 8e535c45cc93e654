"""Organizer pages for owners and admins: the team and its invitations, the organization's settings, the
audit log; and the page an invitation link opens."""
import reflex as rx

from aqstream.components.org_banners import org_banners
from aqstream.components.ui import (
    SELECT_STYLE,
    T,
    error_text,
    field,
    form_error,
    labelled_select,
    loading,
    shell,
    signout_button,
    upload_with_label,
    when_loaded,
)
from aqstream.pages.home import tz_select
from aqstream.state.base import AppState
from aqstream.state.team import AuditState, InviteState, SettingsState, TeamState

LOGO_TYPES = {"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/webp": [".webp"], "image/gif": [".gif"]}


def org_nav(state, current: str) -> rx.Component:
    """Links between the organization's pages the caller's role opens; the current one is marked for screen
    readers."""
    base = "/o/" + state.org_slug

    def link(key: str, path: str, name: str) -> rx.Component:
        here = name == current
        return rx.link(T(key), href=base + path, padding_y="10px", weight="bold" if here else "regular",
                       **({"aria_current": "page"} if here else {}))

    return rx.el.nav(
        rx.flex(
            link("dashboard.title", "", "events"),
            rx.cond(state.role == "checkin", rx.fragment(),  # check-in staff: the events, no numbers
                    link("workspace.tab.analytics", "/analytics", "analytics")),
            rx.cond(  # the team's pages are for owners and admins; analytics for everyone who sees attendees
                (state.role == "owner") | (state.role == "admin"),
                rx.fragment(
                    link("team.title", "/team", "team"),
                    link("org.settings.title", "/settings", "settings"),
                    link("payset.title", "/settings/payments", "payments"),
                    link("audit.title", "/audit", "audit"),
                    link("mail.title", "/mail", "mail"),
                ),
                rx.fragment(),
            ),
            spacing="4",
            wrap="wrap",
        ),
        aria_label=T("team.org_nav"),
    )


def page_top(state, current: str, title_key: str) -> rx.Component:
    return rx.vstack(
        org_banners(state),
        rx.text(state.org_name, color_scheme="gray"),
        org_nav(state, current),
        rx.heading(T(title_key), size="7", as_="h1"),
        spacing="2",
        width="100%",
    )


def messages(error: rx.Var, notice: rx.Var) -> rx.Component:
    return rx.fragment(
        rx.cond(error != "", rx.callout(error, icon="triangle_alert", color_scheme="red", role="alert", width="100%"),
                rx.fragment()),
        rx.cond(notice != "", rx.callout(notice, icon="circle_check", color_scheme="green", role="status",
                                         width="100%"), rx.fragment()),
    )


# --- team ----------------------------------------------------------------------------------------------


def member_card(m: rx.Var) -> rx.Component:
    s = TeamState
    select_id = "role-" + m["user_id"]
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text(m["name"], rx.cond(m["me"] != "", rx.text(" (", T("team.you"), ")", as_="span"), rx.fragment()),
                        weight="bold", size="3"),
                rx.text(m["email"], size="2", word_break="break-all"),
                rx.text(T("team.joined"), " ", m["joined"], size="2", color_scheme="gray"),
                spacing="1",
                flex="1 1 220px",
                min_width="0",
            ),
            rx.cond(
                m["can_edit"] != "",
                rx.box(
                    rx.el.label(T("team.role"), html_for=select_id, style={"font_weight": "500"}),
                    rx.el.select(
                        rx.foreach(s.role_options, lambda o: rx.el.option(o["text"], value=o["value"])),
                        id=select_id,
                        value=m["role"],
                        on_change=lambda role: s.change_role(m["user_id"], role),
                        aria_label=AppState.tr["team.role"] + ": " + m["name"],
                        style=SELECT_STYLE,
                    ),
                    flex="0 1 200px",
                    min_width="160px",
                ),
                rx.badge(m["role_text"], size="2", color_scheme="indigo"),
            ),
            rx.cond(
                m["can_edit"] != "",
                rx.button(
                    m["remove_text"],
                    variant="soft",
                    color_scheme="red",
                    on_click=s.ask_remove(m["user_id"]),
                    aria_label=m["remove_text"] + ": " + m["name"],
                    min_height="44px",
                    align_self="end",
                ),
                rx.fragment(),
            ),
            spacing="3",
            wrap="wrap",
            align="end",
            width="100%",
        ),
        width="100%",
    )


def remove_confirmation() -> rx.Component:
    s = TeamState
    return rx.callout.root(
        rx.flex(
            rx.text(s.confirm_text),
            rx.flex(
                rx.button(s.confirm_button, color_scheme="red", on_click=s.remove_confirmed, min_height="44px"),
                rx.button(T("team.keep"), variant="soft", on_click=s.keep, min_height="44px"),
                spacing="2",
                wrap="wrap",
            ),
            direction="column",
            spacing="3",
        ),
        color_scheme="red",
        role="alertdialog",
        width="100%",
    )


def invitation_card(i: rx.Var) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text(i["email"], weight="bold", word_break="break-all"),
                rx.text(i["role_text"], " · ", T("team.expires"), " ", i["expires"], size="2", color_scheme="gray"),
                spacing="1",
                flex="1 1 220px",
                min_width="0",
            ),
            rx.cond(
                i["can_revoke"] != "",
                rx.button(T("team.revoke"), variant="soft", color_scheme="red", on_click=TeamState.revoke(i["id"]),
                          aria_label=AppState.tr["team.revoke"] + ": " + i["email"], min_height="44px"),
                rx.fragment(),
            ),
            spacing="3",
            wrap="wrap",
            align="center",
            width="100%",
        ),
        width="100%",
    )


def invite_form() -> rx.Component:
    s = TeamState
    e = s.invite_errors
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(T("team.invite.title"), size="4", as_="h2"),
                rx.text(T("team.invite.lead"), size="2", color_scheme="gray"),
                rx.flex(
                    rx.box(field("team.invite.email", "invite_email", e, type="email", auto_complete="off",
                                 max_length=254), flex="2 1 240px"),
                    rx.box(
                        labelled_select(
                            "f-invite_role", T("team.role"),
                            rx.foreach(s.role_options, lambda o: rx.el.option(o["text"], value=o["value"])),
                            name="invite_role", default_value="staff",
                            aria_describedby="f-invite_role-error f-invite_role-hint",
                        ),
                        error_text(e, "invite_role", "f-invite_role"),
                        flex="1 1 160px",
                    ),
                    spacing="3",
                    wrap="wrap",
                    width="100%",
                ),
                rx.text(T("team.roles_hint"), id="f-invite_role-hint", size="2", color_scheme="gray"),
                rx.button(rx.icon("send"), T("team.invite.button"), type="submit", size="3", min_height="44px"),
                spacing="3",
                width="100%",
            ),
            on_submit=s.invite,
            no_validate=True,
            reset_on_submit=False,
            key=s.form_version.to_string(),
            width="100%",
        ),
        width="100%",
    )


def team_page() -> rx.Component:
    s = TeamState
    return shell(
        when_loaded(
            s.loaded,
            s.found,
            rx.vstack(
                page_top(s, "team", "team.title"),
                messages(s.error, s.notice),
                rx.cond(
                    s.invite_link != "",
                    rx.callout.root(
                        rx.vstack(
                            rx.text(T("team.invite_link")),
                            rx.code(s.invite_link, id="invite-link", word_break="break-all"),
                            spacing="2",
                        ),
                        width="100%",
                    ),
                    rx.fragment(),
                ),
                rx.heading(T("team.members"), size="5", as_="h2"),
                rx.cond(s.confirming != "", remove_confirmation(), rx.fragment()),
                rx.vstack(rx.foreach(s.members, member_card), width="100%", id="members"),
                rx.heading(T("team.pending"), size="5", as_="h2"),
                rx.cond(
                    s.invitations.length() > 0,
                    rx.vstack(rx.foreach(s.invitations, invitation_card), width="100%", id="invitations"),
                    rx.text(T("team.pending_none"), color_scheme="gray"),
                ),
                invite_form(),
                spacing="4",
                width="100%",
            ),
        )
    )


# --- settings ------------------------------------------------------------------------------------------


def logo_section() -> rx.Component:
    s = SettingsState
    return rx.card(
        rx.vstack(
            rx.heading(T("org.settings.logo"), size="4", as_="h2"),
            rx.cond(
                s.logo_url != "",
                rx.image(src=s.logo_url, alt=T("org.settings.logo_alt"), max_height="96px", max_width="100%",
                         id="current-logo"),
                rx.text(T("org.settings.no_logo"), color_scheme="gray"),
            ),
            upload_with_label(rx.upload(
                rx.flex(
                    rx.button(rx.icon("image"), T("org.settings.choose_logo"), type="button", variant="outline",
                              min_height="44px", aria_describedby="logo-hint logo-error"),
                    rx.text(rx.cond(rx.selected_files("logo").length() > 0, rx.selected_files("logo")[0],
                                    T("org.settings.drop_logo")), size="2", word_break="break-all"),
                    spacing="3",
                    align="center",
                    wrap="wrap",
                ),
                id="logo",
                accept=LOGO_TYPES,
                multiple=False,
                max_files=1,
                on_drop_rejected=s.logo_rejected,
                border="1px dashed var(--gray-a8)",
                padding="12px",
                border_radius="8px",
                width="100%",
            ), T("org.settings.choose_logo")),
            rx.text(T("org.settings.logo_hint"), id="logo-hint", size="2", color_scheme="gray"),
            error_text(s.errors, "logo", "logo"),
            rx.flex(
                rx.button(T("org.settings.upload_logo"), on_click=s.upload_logo(rx.upload_files(upload_id="logo")),
                          min_height="44px"),
                rx.cond(
                    s.logo_url != "",
                    rx.button(T("org.settings.remove_logo"), variant="soft", color_scheme="red",
                              on_click=s.remove_logo, min_height="44px"),
                    rx.fragment(),
                ),
                spacing="3",
                wrap="wrap",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def settings_form() -> rx.Component:
    s = SettingsState
    e = s.errors
    v = s.values
    return rx.form(
        rx.vstack(
            form_error(e),
            field("org.name", "name", e, default_value=v["name"], max_length=200),
            field("org.slug", "slug", e, default_value=v["slug"], hint_key="org.settings.slug_hint", max_length=63),
            rx.box(
                labelled_select(
                    "f-default_locale", T("org.settings.default_locale"),
                    rx.el.option(T("org.settings.locale.en"), value="en"),
                    rx.el.option(T("org.settings.locale.ru"), value="ru"),
                    name="default_locale", default_value=v["default_locale"],
                    aria_describedby="f-default_locale-error",
                ),
                error_text(e, "default_locale", "f-default_locale"),
                width="100%",
            ),
            field("org.settings.currency", "currency", e, default_value=v["currency"], max_length=3,
                  hint_key="org.settings.currency_hint", auto_complete="off"),
            rx.box(
                tz_select("time_zone", "org.time_zone", v["time_zone"]),
                error_text(e, "time_zone", "f-time_zone"),
                width="100%",
            ),
            field("org.settings.contact_email", "contact_email", e, type="email", default_value=v["contact_email"],
                  hint_key="org.settings.contact_email_hint", max_length=254),
            rx.button(T("org.settings.save"), type="submit", size="3", loading=s.busy, min_height="44px"),
            spacing="4",
            width="100%",
        ),
        on_submit=s.save,
        no_validate=True,
        reset_on_submit=False,
        key=s.form_version.to_string(),
        width="100%",
    )


def settings_page() -> rx.Component:
    s = SettingsState
    return shell(
        when_loaded(
            s.loaded,
            s.found,
            rx.vstack(
                page_top(s, "settings", "org.settings.title"),
                messages(rx.Var.create(""), s.notice),
                logo_section(),
                rx.heading(T("org.settings.details"), size="5", as_="h2"),
                settings_form(),
                spacing="4",
                width="100%",
            ),
            fresh=True,
        ),
        size="2",
    )


# --- audit log -----------------------------------------------------------------------------------------


def audit_filters() -> rx.Component:
    s = AuditState
    e = s.errors
    return rx.form(
        rx.flex(
            rx.box(
                labelled_select(
                    "f-action", T("audit.action"),
                    rx.el.option(T("audit.filter.all"), value=""),
                    rx.foreach(s.action_options, lambda o: rx.el.option(o["text"], value=o["value"])),
                    name="action", default_value=s.filters["action"],
                ),
                flex="1 1 180px",
            ),
            rx.box(field("audit.actor", "actor", e, default_value=s.filters["actor"], max_length=254,
                         hint_key="audit.actor_hint"), flex="1 1 180px"),
            rx.box(field("audit.date_from", "date_from", e, type="date", default_value=s.filters["date_from"]),
                   flex="1 1 150px"),
            rx.box(field("audit.date_to", "date_to", e, type="date", default_value=s.filters["date_to"]),
                   flex="1 1 150px"),
            spacing="3",
            wrap="wrap",
            width="100%",
            align="start",
        ),
        rx.flex(
            rx.button(rx.icon("filter"), T("audit.apply"), type="submit", min_height="44px"),
            rx.button(T("audit.clear"), type="button", variant="soft", on_click=s.clear_filters, min_height="44px"),
            spacing="3",
            wrap="wrap",
            margin_top="12px",
        ),
        on_submit=s.apply_filters,
        no_validate=True,
        reset_on_submit=False,
        key=s.form_version.to_string(),
        width="100%",
    )


def audit_table() -> rx.Component:
    s = AuditState
    return rx.box(
        rx.table.root(
            rx.el.caption(T("audit.title"), class_name="sr-only"),
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell(T("audit.when")),
                    rx.table.column_header_cell(T("audit.actor")),
                    rx.table.column_header_cell(T("audit.action")),
                    rx.table.column_header_cell(T("audit.object")),
                    rx.table.column_header_cell(T("audit.details")),
                )
            ),
            rx.table.body(
                rx.foreach(
                    s.entries,
                    lambda a: rx.table.row(
                        rx.table.row_header_cell(a["when"], white_space="nowrap"),
                        rx.table.cell(rx.vstack(rx.text(a["actor_text"]),
                                                rx.text(a["actor_email"], size="1", color_scheme="gray"),
                                                spacing="0")),
                        rx.table.cell(a["action_text"]),
                        rx.table.cell(a["object"]),
                        rx.table.cell(a["details"], min_width="200px", word_break="break-word"),
                    ),
                )
            ),
            width="100%",
        ),
        width="100%",
        overflow_x="auto",
    )


def audit_page() -> rx.Component:
    s = AuditState
    return shell(
        when_loaded(
            s.loaded,
            s.found,
            rx.vstack(
                page_top(s, "audit", "audit.title"),
                audit_filters(),
                rx.cond(s.entries.length() > 0, audit_table(), rx.text(T("audit.empty"), color_scheme="gray")),
                rx.flex(
                    rx.button(T("audit.previous"), variant="soft", on_click=s.go_page(-1), disabled=s.page <= 1,
                              min_height="44px"),
                    rx.text(s.page_text, size="2", role="status"),
                    rx.button(T("audit.next"), variant="soft", on_click=s.go_page(1), disabled=s.page >= s.pages,
                              min_height="44px"),
                    spacing="3",
                    align="center",
                    wrap="wrap",
                ),
                spacing="4",
                width="100%",
            ),
        )
    )


# --- the invitation link -------------------------------------------------------------------------------


def invite_page() -> rx.Component:
    s = InviteState
    signed_out = rx.vstack(
        rx.text(s.signed_out_text),
        rx.flex(
            rx.link(rx.button(T("nav.signin"), size="3", min_height="44px"), href="/signin?next=" + s.here),
            rx.link(rx.button(T("invite.create_account"), size="3", variant="outline", min_height="44px"),
                    href="/signup?next=" + s.here),
            spacing="3",
            wrap="wrap",
        ),
        spacing="3",
        width="100%",
    )
    signed_in = rx.cond(
        s.email_matches,
        rx.vstack(
            rx.button(T("invite.accept"), size="3", on_click=s.accept, loading=s.busy, min_height="44px"),
            spacing="3",
        ),
        rx.vstack(
            rx.callout(s.wrong_email_text, icon="triangle_alert", color_scheme="amber", role="alert", width="100%"),
            signout_button(),
            spacing="3",
            width="100%",
        ),
    )
    return shell(
        rx.cond(
            s.loaded,
            rx.cond(
                s.valid,
                rx.vstack(
                    rx.heading(s.title, size="7", as_="h1"),
                    rx.text(s.lead),
                    rx.cond(s.error != "", rx.callout(s.error, color_scheme="red", role="alert", width="100%"),
                            rx.fragment()),
                    rx.cond(AppState.signed_in, signed_in, signed_out),
                    spacing="4",
                    width="100%",
                ),
                rx.vstack(
                    rx.heading(T("invite.unusable"), size="7", as_="h1"),
                    rx.callout(s.problem, icon="triangle_alert", color_scheme="red", role="alert", width="100%"),
                    rx.link(T("nav.home"), href="/"),
                    spacing="4",
                    width="100%",
                ),
            ),
            loading(),
        ),
        size="2",
    )
