"""The Analytics tab: the range, the tiles, three charts (Plotly's basic bundle, loaded only here), each with a
one-line summary, its numbers as a table and its data as CSV."""
import reflex as rx

from aqstream.components.money import money_table
from aqstream.components.ui import T, error_text, labelled_select
from aqstream.components.workspace import workspace
from aqstream.state.event_analytics import EventAnalyticsState as S

RANGES = (("7d", "analytics.range.7d"), ("30d", "analytics.range.30d"), ("all", "analytics.range.all"),
          ("custom", "analytics.range.custom"))


def range_form() -> rx.Component:
    e = S.range_errors
    return rx.form(
        rx.flex(
            rx.box(labelled_select("f-range", T("analytics.range"), *[rx.el.option(T(k), value=v) for v, k in RANGES],
                                   name="range", default_value=S.range_key, key=S.range_key), flex="1 1 180px"),
            *[rx.box(rx.vstack(
                rx.el.label(T(f"analytics.range_{part}"), html_for=f"f-range_{part}", style={"font_weight": "500"}),
                rx.input(id=f"f-range_{part}", name=part, type="date", size="3", width="100%",
                         default_value=getattr(S, f"range_{part}"), key=getattr(S, f"range_{part}"),
                         aria_describedby=f"f-range_{part}-error",
                         aria_invalid=rx.cond(e.contains(f"range_{part}"), "true", "false")),
                error_text(e, f"range_{part}", f"f-range_{part}"),
                spacing="1", width="100%"), flex="1 1 160px") for part in ("start", "end")],
            rx.button(T("analytics.apply"), type="submit", min_height="44px", align_self="end"),
            spacing="3", wrap="wrap", width="100%",
        ),
        rx.cond(e.contains("range"), rx.text(e["range"], color_scheme="red", size="2", role="alert"), rx.fragment()),
        on_submit=S.set_range,
        reset_on_submit=False,
        width="100%",
    )


def tiles() -> rx.Component:
    return rx.grid(
        rx.foreach(S.tiles, lambda tile: rx.card(rx.vstack(
            rx.text(tile["label"], size="2", color_scheme="gray"),
            rx.text(tile["value"], size="6", weight="bold"), spacing="1"))),
        columns=rx.breakpoints(initial="2", sm="4"),
        spacing="3",
        width="100%",
        id="analytics-tiles",
        aria_live="polite",
    )


def days_table(columns: tuple[tuple[str, str], ...]) -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(key)) for _, key in columns])),
            rx.table.body(rx.foreach(S.rows, lambda r: rx.table.row(
                rx.table.row_header_cell(r[columns[0][0]]), *[rx.table.cell(r[c]) for c, _ in columns[1:]]))),
            size="1", width="100%",
        ),
        max_height="320px", overflow_y="auto", width="100%",
    )


def plot(figure, height: str = "280px") -> rx.Component:
    """A chart drawn by Plotly's basic bundle in the reader's language. Hidden from screen readers: the summary
    above it and the table below it say what it shows."""
    return rx.box(rx.plotly.basic(data=figure, config=S.plot_config, use_resize_handler=True, width="100%",
                                  height=height), width="100%", aria_hidden="true")


def download(chart_name: str, title_key: str) -> rx.Component:
    """The chart's data as CSV; the button's name says which chart (several sit on one page)."""
    return rx.button(rx.icon("download", aria_hidden="true"), T("analytics.download_csv"), variant="ghost", size="2",
                     on_click=S.download_csv(chart_name), min_height="44px",
                     aria_label=T("analytics.download_csv") + ": " + T(title_key))


def as_table(*children) -> rx.Component:
    return rx.el.details(
        rx.el.summary(T("analytics.show_table"), style={"cursor": "pointer", "min_height": "44px",
                                                         "padding": "10px 0"}),
        *children,
    )


def chart(title_key: str, figure, summary_key: str, columns, csv_name: str) -> rx.Component:
    return rx.vstack(
        rx.heading(T(title_key), size="4", as_="h2"),
        rx.text(S.summary[summary_key], size="2", color_scheme="gray"),
        plot(figure),
        rx.flex(as_table(days_table(columns)), download(csv_name, title_key), justify="between", align="start",
                wrap="wrap", width="100%"),
        spacing="2",
        width="100%",
    )


DAY = ("day", "analytics.col.day")


def small_table(caption_key: str, rows, columns: tuple[tuple[str, str], ...], empty_key: str,
                csv_name: str, figure=None) -> rx.Component:
    return rx.vstack(
        rx.heading(T(caption_key), size="4", as_="h2"),
        rx.cond(S.funnel_summary != "", rx.vstack(rx.text(S.funnel_summary, size="2", color_scheme="gray"),
                                                  plot(figure, "220px"), width="100%"), rx.fragment())
        if figure is not None else rx.fragment(),
        rx.cond(
            rows.length() > 0,
            rx.box(rx.table.root(
                rx.el.caption(T(caption_key), class_name="sr-only"),
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(k)) for _, k in columns])),
                rx.table.body(rx.foreach(rows, lambda r: rx.table.row(
                    rx.table.row_header_cell(r[columns[0][0]]), *[rx.table.cell(r[c]) for c, _ in columns[1:]]))),
                size="1", width="100%"), download(csv_name, caption_key), width="100%", overflow_x="auto"),
            rx.text(T(empty_key), color_scheme="gray", size="2"),
        ),
        spacing="2",
        width="100%",
    )


def analytics_tab() -> rx.Component:
    return workspace(
        S,
        "analytics",
        rx.box(on_mount=S.watch, on_unmount=S.stop_watching),
        range_form(),
        tiles(),
        money_table(S.money, "analytics-money"),
        chart("analytics.chart.regs_title", S.fig_regs, "regs",
              (DAY, ("orders", "analytics.col.orders"), ("tickets", "analytics.col.tickets")), "registrations"),
        chart("analytics.chart.total_title", S.fig_total, "total", (DAY, ("cumulative", "analytics.col.cumulative")),
              "total"),
        chart("analytics.chart.cancel_title", S.fig_cancel, "cancel",
              (DAY, ("cancelled", "analytics.col.cancelled"), ("net", "analytics.col.net")), "cancellations"),
        rx.vstack(
            rx.heading(T("analytics.chart.arrivals_title"), size="4", as_="h2"),
            rx.text(S.summary["door"], size="2", color_scheme="gray"),
            rx.cond(
                S.arrivals.length() > 0,
                rx.vstack(
                    plot(S.fig_arrivals),
                    rx.flex(
                        as_table(rx.table.root(
                            rx.table.header(rx.table.row(rx.table.column_header_cell(T("analytics.col.quarter")),
                                                         rx.table.column_header_cell(T("analytics.col.arrived")))),
                            rx.table.body(rx.foreach(S.arrivals, lambda a: rx.table.row(
                                rx.table.row_header_cell(a["time"]), rx.table.cell(a["count"])))),
                            size="1")),
                        download("arrivals", "analytics.chart.arrivals_title"),
                        justify="between", align="start", wrap="wrap", width="100%",
                    ),
                    width="100%",
                ),
                rx.fragment(),
            ),
            spacing="2",
            width="100%",
        ),
        small_table("analytics.funnel.title", S.funnel, (("step", "analytics.col.step"), ("count", "analytics.col.people"),
                    ("rate", "analytics.col.rate")), "analytics.funnel.none", "funnel", S.fig_funnel),
        small_table("analytics.sources.title", S.sources, (("label", "analytics.col.source"),
                    ("visitors", "analytics.col.visitors"), ("confirmed", "analytics.col.registered"),
                    ("conversion", "analytics.col.conversion")), "analytics.sources.none", "sources"),
    )
