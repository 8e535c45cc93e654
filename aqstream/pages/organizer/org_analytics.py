"""The organization's analytics (/o/<org>/analytics): the period in weeks, tiles, tickets registered per week
across all events (Plotly's basic bundle, loaded only on analytics pages) with a one-line summary, a table and
CSV, the top events, and one row per event (a table on a desktop, cards on a phone) with its CSV."""
import reflex as rx

from aqstream.components.money import money_table
from aqstream.components.ui import T, labelled_select, shell, when_loaded
from aqstream.pages.organizer.event_analytics import as_table
from aqstream.pages.organizer.team import page_top
from aqstream.services.reports.org_analytics import WEEKS
from aqstream.state.org_analytics import OrgAnalyticsState as S


def weeks_form() -> rx.Component:
    return rx.form(
        rx.flex(
            rx.box(
                labelled_select("f-weeks", T("analytics.org.weeks"),
                                *[rx.el.option(T(f"analytics.org.weeks_{w}"), value=str(w)) for w in WEEKS],
                                name="weeks", default_value=S.weeks, key=S.weeks, aria_describedby="f-weeks-error",
                                aria_invalid=rx.cond(S.weeks_error != "", "true", "false")),
                rx.text(S.weeks_error, id="f-weeks-error", color_scheme="red", size="2"),
                flex="1 1 220px",
            ),
            rx.button(T("analytics.apply"), type="submit", min_height="44px", align_self="center"),
            spacing="3", wrap="wrap", width="100%", align="end",
        ),
        on_submit=S.set_weeks,
        reset_on_submit=False,
        width="100%",
    )


def download(name: str, what: rx.Var) -> rx.Component:
    return rx.button(rx.icon("download", aria_hidden="true"), T("analytics.download_csv"), variant="ghost", size="2",
                     on_click=S.download_csv(name), min_height="44px",
                     aria_label=T("analytics.download_csv") + ": " + what)


def tiles() -> rx.Component:
    return rx.grid(
        rx.foreach(S.tiles, lambda tile: rx.card(rx.vstack(
            rx.text(tile["label"], size="2", color_scheme="gray"),
            rx.text(tile["value"], size="6", weight="bold"), spacing="1"))),
        columns=rx.breakpoints(initial="2", sm="3", md="5"),
        spacing="3",
        width="100%",
        id="org-analytics-tiles",
    )


def weeks_chart() -> rx.Component:
    return rx.vstack(
        rx.heading(T("analytics.org.chart_title"), size="4", as_="h2"),
        rx.text(S.summary, size="2", color_scheme="gray"),
        rx.box(rx.plotly.basic(data=S.fig_weeks, config=S.plot_config, use_resize_handler=True, width="100%",
                               height="280px"), width="100%", aria_hidden="true"),
        rx.flex(
            as_table(rx.box(rx.table.root(
                rx.table.header(rx.table.row(rx.table.column_header_cell(T("analytics.org.col.week")),
                                             rx.table.column_header_cell(T("analytics.org.chart.tickets")),
                                             rx.table.column_header_cell(T("analytics.org.chart.cancelled")))),
                rx.table.body(rx.foreach(S.week_rows, lambda w: rx.table.row(
                    rx.table.row_header_cell(w["week"]), rx.table.cell(w["tickets"]), rx.table.cell(w["cancelled"])))),
                size="1"), max_height="320px", overflow_y="auto")),
            download("weeks", T("analytics.org.chart_title")),
            justify="between", align="start", wrap="wrap", width="100%",
        ),
        spacing="2",
        width="100%",
    )


COLUMNS = (("registered", "analytics.org.col.registered"), ("fill", "analytics.org.col.fill"),
           ("conversion", "analytics.org.col.conversion"), ("revenue", "analytics.org.col.revenue"),
           ("in_period", "analytics.org.col.in_period"))


def event_link(row: rx.Var) -> rx.Component:
    return rx.link(row["title"], href=row["href"], weight="medium")


def events_table(rows: rx.Var) -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(
                rx.table.column_header_cell(T("analytics.org.col.event")),
                rx.table.column_header_cell(T("analytics.org.col.date")),
                *[rx.table.column_header_cell(T(key)) for _, key in COLUMNS])),
            rx.table.body(rx.foreach(rows, lambda r: rx.table.row(
                rx.table.row_header_cell(event_link(r)), rx.table.cell(r["date"]),
                *[rx.table.cell(r[c]) for c, _ in COLUMNS]))),
            size="1", width="100%",
        ),
        display=rx.breakpoints(initial="none", md="block"),
        width="100%",
        overflow_x="auto",
    )


def event_cards(rows: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.foreach(rows, lambda r: rx.card(rx.vstack(
            event_link(r),
            rx.text(r["date"], size="2", color_scheme="gray"),
            rx.el.dl(*[rx.fragment(rx.el.dt(T(key), style={"color": "var(--gray-11)", "font_size": "14px"}),
                                   rx.el.dd(r[c], style={"margin": "0", "text_align": "right"})) for c, key in COLUMNS],
                     style={"display": "grid", "grid_template_columns": "1fr auto", "gap": "4px 12px",
                            "align_items": "baseline", "width": "100%", "margin": "4px 0 0 0"}),
            spacing="1", width="100%"), width="100%")),
        display=rx.breakpoints(initial="flex", md="none"),
        spacing="2",
        width="100%",
    )


def events_section(title_key: str, rows: rx.Var, empty_key: str, csv: bool) -> rx.Component:
    return rx.vstack(
        rx.heading(T(title_key), size="4", as_="h2"),
        rx.cond(rows.length() > 0, rx.fragment(events_table(rows), event_cards(rows)),
                rx.text(T(empty_key), color_scheme="gray", size="2")),
        download("events", T("analytics.org.events_csv")) if csv else rx.fragment(),
        spacing="2",
        width="100%",
    )


def org_analytics_page() -> rx.Component:
    return shell(
        when_loaded(
            S.loaded,
            S.found,
            rx.vstack(
                page_top(S, "analytics", "workspace.tab.analytics"),
                weeks_form(),
                tiles(),
                money_table(S.money, "org-analytics-money"),
                weeks_chart(),
                events_section("analytics.org.top_title", S.top_rows, "analytics.org.top_none", False),
                events_section("analytics.org.events_title", S.event_rows, "analytics.org.events_none", True),
                spacing="5",
                width="100%",
            ),
        )
    )
