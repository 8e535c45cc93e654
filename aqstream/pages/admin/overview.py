"""The platform overview (/admin): organizations, upcoming events and emails as tiles, tickets registered per week
across the platform (Plotly's basic bundle, with a one-line summary and the same numbers as a table), and the
installation itself (SMTP, version, migrations). Anyone who is not a platform admin sees "not found"."""
import reflex as rx

from aqstream.components.ui import T, shell, when_loaded
from aqstream.pages.organizer.event_analytics import as_table
from aqstream.state.admin import AdminOverviewState as S


def admin_nav(current: str) -> rx.Component:
    """The admin pages' own links (the header links to the overview)."""
    def link(key: str, href: str, name: str) -> rx.Component:
        return rx.link(T(key), href=href, weight=rx.cond(current == name, "bold", "regular"),
                       aria_current=rx.cond(current == name, "page", "false"), padding_y="10px",
                       white_space="nowrap")

    return rx.el.nav(
        rx.hstack(link("admin.nav.overview", "/admin", "overview"),
                  link("admin.nav.organizations", "/admin/organizations", "organizations"),
                  link("admin.admins.title", "/admin/admins", "admins"),
                  link("nav.platform_mail", "/admin/mail", "mail"), spacing="4", wrap="wrap"),
        aria_label=T("admin.nav.label"),
    )


def weeks_chart(state) -> rx.Component:
    return rx.vstack(
        rx.heading(T("admin.chart_title"), size="4", as_="h2"),
        rx.text(state.summary, size="2", color_scheme="gray", id="admin-weeks-summary"),
        rx.box(rx.plotly.basic(data=state.fig_weeks, config=state.plot_config, use_resize_handler=True, width="100%",
                               height="280px"), width="100%", aria_hidden="true", id="admin-weeks-chart"),
        as_table(rx.box(rx.table.root(
            rx.table.header(rx.table.row(rx.table.column_header_cell(T("admin.col.week")),
                                         rx.table.column_header_cell(T("admin.chart.tickets")))),
            rx.table.body(rx.foreach(state.week_rows, lambda w: rx.table.row(
                rx.table.row_header_cell(w["week"]), rx.table.cell(w["tickets"])))),
            size="1"), max_height="320px", overflow_y="auto")),
        spacing="2",
        width="100%",
    )


def tile(t: rx.Var) -> rx.Component:
    body = rx.vstack(rx.text(t["label"], size="2", color_scheme="gray"),
                     rx.text(t["value"], size="6", weight="bold"), spacing="1")
    return rx.card(rx.cond(t["href"] != "", rx.link(body, href=t["href"], underline="none", color="inherit"), body))


def overview_page() -> rx.Component:
    return shell(
        when_loaded(
            S.loaded,
            S.found,
            rx.vstack(
                admin_nav("overview"),
                rx.heading(T("admin.overview.title"), size="7", as_="h1"),
                rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert", width="100%"),
                        rx.fragment()),
                rx.grid(rx.foreach(S.tiles, tile), columns=rx.breakpoints(initial="2", sm="3"), spacing="3",
                        width="100%", id="admin-tiles"),
                weeks_chart(S),
                rx.vstack(
                    rx.heading(T("admin.system.title"), size="4", as_="h2"),
                    rx.el.dl(rx.foreach(S.system, lambda f: rx.fragment(
                        rx.el.dt(f["label"], style={"color": "var(--gray-11)"}),
                        rx.el.dd(f["value"], style={"margin": "0", "overflow_wrap": "anywhere"}))),
                        style={"display": "grid", "grid_template_columns": "minmax(0, 1fr) minmax(0, 1fr)",
                               "gap": "6px 16px", "width": "100%", "margin": "0"}, id="admin-system"),
                    spacing="2", width="100%",
                ),
                spacing="5",
                width="100%",
            ),
        )
    )
