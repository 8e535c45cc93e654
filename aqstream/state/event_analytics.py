"""The Analytics tab: tiles, registrations per day by ticket type, the running total against capacity,
cancellations and net, over a range of days in the event's zone; live while the tab is open. The numbers are
the service's (services/reports/analytics.py); this state turns them into what the page shows, once."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone

import plotly.graph_objects as go
import reflex as rx

from aqstream.db import session_scope
from aqstream.i18n import format_number, tn
from aqstream.services.errors import DomainError
from aqstream.services.org.permissions import VIEW_ATTENDEES, Principal
from aqstream.services.reports import analytics, analytics_live, traffic
from aqstream.state import charts
from aqstream.state.workspace import EventTabState

LIVE_SECONDS = 1.0  # how often an open tab asks whether the numbers changed (a cheap, shared probe)
FULL_READ_SECONDS = 15  # and reads everything again at least this often (visits, arrivals at the door)
LIVE_FOR = 4 * 3600  # a tab left open stops refreshing after this long (a reload starts it again)
CSV_NAMES = ("registrations", "total", "cancellations", "arrivals", "funnel", "sources")


class EventAnalyticsState(EventTabState):
    range_key: str = "30d"
    range_start: str = ""
    range_end: str = ""
    range_errors: dict[str, str] = {}
    tiles: list[dict[str, str]] = []  # label, value
    rows: list[dict[str, str]] = []  # the per-day table: day, orders, tickets, cancelled, net, cumulative
    summary: dict[str, str] = {}  # registrations, cumulative, cancellations: one sentence each, for everyone
    funnel: list[dict[str, str]] = []  # step, count, rate ("" for the first step)
    sources: list[dict[str, str]] = []  # label, visitors, confirmed, conversion
    fig_regs: go.Figure = charts.empty()
    fig_total: go.Figure = charts.empty()
    fig_cancel: go.Figure = charts.empty()
    fig_arrivals: go.Figure = charts.empty()
    fig_funnel: go.Figure = charts.empty()
    funnel_summary: str = ""  # "" while nobody visited in the period: no funnel chart then
    money: list[dict[str, str]] = []  # per currency: paid, pending, refunded, net (formatted from minor units)
    arrivals: list[dict[str, str]] = []  # time, count: the arrivals chart's table (empty: nobody checked in yet)
    plot_config: dict = {}  # Plotly's config with the reader's locale (state/charts.py)
    watching: bool = False
    _csv: dict[str, str] = {}
    _version: str = ""  # what the figures were built from: an unchanged tick sends nothing

    def _read(self) -> None:
        """Show the event's numbers for the chosen range: read again only when the event's change stamp moved
        (a registration, a cancellation) or every FULL_READ_SECONDS (visits, arrivals), and share both the
        stamp and the read with everyone watching the same event in this process (services/reports/
        analytics_live.py)."""
        now = datetime.now(timezone.utc)

        def stamp():
            with session_scope() as session:
                return analytics.change_stamp(session, self._org_id, self.event_id)

        def read():
            with session_scope() as session:
                return analytics.event_analytics(session, Principal(self._user_id), self._org_id, self.event_id,
                                                 self.range_key, self.range_start or None, self.range_end or None,
                                                 now=now)
        mark = analytics_live.shared(("stamp", self._org_id, self.event_id), stamp, ttl=analytics_live.PROBE_TICK)
        key = (self._org_id, self.event_id, self.range_key, self.range_start, self.range_end,
               now.strftime("%Y-%m-%d"), mark, int(time.monotonic() // FULL_READ_SECONDS))
        try:
            got = analytics_live.shared(key, read, ttl=FULL_READ_SECONDS)
        except DomainError as exc:
            self.range_errors = self._errors_text(exc)
            return
        self.range_errors = {}
        version = repr((got.tiles, got.days, got.types, got.funnel, got.sources, got.arrivals, got.money, self.lang))
        if version != self._version:
            self._version = version
            self._show(got)

    def _show(self, got) -> None:
        lang = self.lang
        n = lambda v: format_number(v, lang)  # noqa: E731
        pct = lambda v: charts.percent(v, lang)  # noqa: E731
        t = got.tiles
        steps = {f.step: f.count for f in got.funnel}
        conversion = min(1.0, steps["confirmed"] / steps["view"]) if steps.get("view") else None
        self.plot_config = charts.plot_config(lang)
        self.money = charts.money_rows(got.money, lang)
        self.tiles = [
            {"label": self.t("analytics.tile.tickets"), "value": n(t.tickets)},
            {"label": self.t("analytics.tile.orders"), "value": n(t.orders)},
            {"label": self.t("analytics.tile.capacity_left"), "value": "—" if t.capacity is None else n(t.capacity_left)},
            {"label": self.t("analytics.tile.today"), "value": n(t.today)},
            {"label": self.t("analytics.tile.last_7_days"), "value": n(t.last_7_days)},
            {"label": self.t("analytics.tile.cancelled"), "value": n(t.cancelled)},
            {"label": self.t("analytics.tile.revenue"), "value": charts.money(t.revenue, lang)},
            {"label": self.t("analytics.tile.conversion"), "value": pct(conversion)},
            {"label": self.t("analytics.tile.show_up"), "value": pct(got.checked_in / t.tickets if t.tickets else None)},
        ]
        self.funnel = [{"step": self.t(f"analytics.funnel.{f.step}"), "count": n(f.count),
                        "rate": pct(f.rate) if f.rate is not None else ""} for f in got.funnel]
        source_name = lambda label: label if label not in (traffic.DIRECT, traffic.OTHER) else self.t(  # noqa: E731
            "analytics.source.direct" if label == traffic.DIRECT else "analytics.source.other")
        views = steps.get("view", 0)
        self.funnel_summary = tn("analytics.funnel.summary", views, lang, registered=n(
            steps.get("confirmed", 0)), rate=pct(conversion)) if views else ""
        # The funnel as bars, widest on top, each labelled with its people and the share of the step before.
        shown = list(reversed(got.funnel))
        funnel = go.Figure(layout=charts.layout(lang, barmode="group", showlegend=False, height=220,
                                                margin=dict(l=10, r=10, t=10, b=30),
                                                xaxis=dict(rangemode="tozero", tickformat="d"),
                                                yaxis=dict(type="category", automargin=True)))
        funnel.add_bar(y=[self.t(f"analytics.funnel.{f.step}") for f in shown], x=[f.count for f in shown],
                       orientation="h", marker_color=charts.PALETTE[0], textposition="auto",
                       text=[n(f.count) + ("" if f.rate is None else f" · {pct(f.rate)}") for f in shown])
        top = max((f.count for f in got.funnel), default=0)
        funnel.update_xaxes(tick0=0, dtick=max(1, -(-top // 5)), range=[0, max(top, 1) * 1.05])
        self.fig_funnel = funnel
        self.sources = [{"label": source_name(r.label), "visitors": n(r.visitors), "confirmed": n(r.confirmed),
                         "conversion": pct(r.conversion)} for r in got.sources]
        days = [d.day.isoformat() for d in got.days]
        label = (lambda d: d.strftime("%d.%m")) if lang == "ru" else (lambda d: d.strftime("%b %d"))
        self.rows = [{"day": label(d.day), "orders": n(d.orders), "tickets": n(d.tickets),
                      "cancelled": n(d.cancelled), "net": n(d.net), "cumulative": n(d.cumulative)} for d in got.days]
        layout = charts.layout(lang)
        regs = go.Figure(layout=layout)
        for i, (type_id, name, _quantity) in enumerate(got.types):
            regs.add_bar(x=days, y=[d.by_type.get(type_id, 0) for d in got.days], name=name,
                         marker_color=charts.PALETTE[i % len(charts.PALETTE)])
        self.fig_regs = charts.whole(regs, max((d.tickets for d in got.days), default=0))
        total = go.Figure(layout={**layout, "barmode": "group"})
        total.add_scatter(x=days, y=[d.cumulative for d in got.days], mode="lines+markers",
                          name=self.t("analytics.chart.cumulative"), line=dict(color=charts.PALETTE[0]))
        if t.capacity is not None:
            total.add_scatter(x=days, y=[t.capacity] * len(days), mode="lines", name=self.t("analytics.chart.capacity"),
                              line=dict(color="#8b8d98", dash="dash"))
        self.fig_total = charts.whole(total, max([d.cumulative for d in got.days] + [t.capacity or 0]))
        cancel = go.Figure(layout={**layout, "barmode": "group"})
        cancel.add_bar(x=days, y=[d.cancelled for d in got.days], name=self.t("analytics.chart.cancelled"),
                       marker_color="#e54666")
        cancel.add_scatter(x=days, y=[d.net for d in got.days], mode="lines+markers", name=self.t("analytics.chart.net"),
                           line=dict(color=charts.PALETTE[1]))
        low = min((d.net for d in got.days), default=0)
        cancel = charts.whole(cancel, max([d.cancelled for d in got.days] + [d.net for d in got.days] + [0]))
        if low < 0:
            cancel.update_yaxes(range=[low * 1.1, cancel.layout.yaxis.range[1]])
        self.fig_cancel = cancel
        self.arrivals = [{"time": at.strftime("%d.%m %H:%M" if lang == "ru" else "%b %d %H:%M"), "count": n(c)}
                         for at, c in got.arrivals]
        # One bar per quarter hour with arrivals, named by its start (a category axis: a lone slot is one bar,
        # not a bar stretched over the whole axis).
        door = go.Figure(layout={**layout, "barmode": "group", "xaxis": dict(type="category")})
        door.add_bar(x=[a["time"] for a in self.arrivals], y=[c for _, c in got.arrivals],
                     name=self.t("analytics.chart.arrivals"), marker_color=charts.PALETTE[2])
        pad = max(0.0, (8 - len(got.arrivals)) / 2)  # a few slots keep the width of eight: bars stay bars
        door.update_xaxes(range=[-0.5 - pad, len(got.arrivals) - 0.5 + pad])
        self.fig_arrivals = charts.whole(door, max((c for _, c in got.arrivals), default=0))
        registered = sum(d.tickets for d in got.days)
        cancelled = sum(d.cancelled for d in got.days)
        busiest = max(got.days, key=lambda d: d.tickets, default=None)
        period = f"{label(got.period.start)} – {label(got.period.end)}"
        self.summary = {
            "regs": tn("analytics.summary.regs", registered, lang, period=period,
                           best=label(busiest.day) if busiest and busiest.tickets else "—",
                           best_count=n(busiest.tickets) if busiest else "0"),
            "total": tn("analytics.summary.total", got.days[-1].cumulative if got.days else t.tickets, lang,
                            capacity="—" if t.capacity is None else n(t.capacity)),
            "cancel": self.t("analytics.summary.cancel", cancelled=n(cancelled), net=n(registered - cancelled)),
            "door": self.t("analytics.summary.door", checked_in=n(got.checked_in), tickets=n(t.tickets))
            if got.checked_in else self.t("analytics.summary.no_door"),
        }
        # Each chart's data as CSV, in plain figures (ISO dates, rates as fractions) for a spreadsheet.
        names = [name for _, name, _ in got.types]
        self._csv = {
            "registrations": charts.csv_text(
                ["day", "orders", "tickets", *[f"tickets: {name}" for name in names]],
                [[d.day.isoformat(), d.orders, d.tickets, *[d.by_type.get(i, 0) for i, _, _ in got.types]]
                 for d in got.days]),
            "total": charts.csv_text(["day", "registered in all", "capacity"],
                                     [[d.day.isoformat(), d.cumulative, "" if t.capacity is None else t.capacity]
                                      for d in got.days]),
            "cancellations": charts.csv_text(["day", "cancelled", "net"],
                                             [[d.day.isoformat(), d.cancelled, d.net] for d in got.days]),
            "arrivals": charts.csv_text(["quarter hour from", "arrived"],
                                        [[at.isoformat(), c] for at, c in got.arrivals]),
            "funnel": charts.csv_text(["step", "people", "of the step before"],
                                      [[f.step, f.count, "" if f.rate is None else round(f.rate, 4)]
                                       for f in got.funnel]),
            "sources": charts.csv_text(["source", "visitors", "registered", "conversion"],
                                       [[r.label or "direct", r.visitors, r.confirmed,
                                         "" if r.conversion is None else round(r.conversion, 4)]
                                        for r in got.sources]),
        }

    @rx.event
    def on_load(self):
        self.tiles, self.rows, self.summary, self.range_errors, self._version = [], [], {}, {}, ""
        query = self.router.url.query_parameters
        self.range_key = query.get("range", "30d") if query.get("range", "30d") in analytics.RANGES else "30d"
        self.range_start, self.range_end = query.get("start", "")[:10], query.get("end", "")[:10]
        redirect, event = self._enter(VIEW_ATTENDEES)
        if redirect:
            return redirect
        if event is not None:
            self._read()

    @rx.var
    def page_title(self) -> str:
        return self._tab_title("workspace.tab.analytics")

    @rx.event
    def set_range(self, form: dict):
        key = form.get("range", "30d")
        self.range_key = key if key in analytics.RANGES else "30d"
        self.range_start = (form.get("start") or "")[:10] if self.range_key == "custom" else ""
        self.range_end = (form.get("end") or "")[:10] if self.range_key == "custom" else ""
        if not self._load_user() or self._open_event(VIEW_ATTENDEES) is None:
            return
        self._version = ""
        self._read()

    @rx.event
    def download_csv(self, chart: str):
        """One chart's data (CSV_NAMES) as a CSV file named after the event and the chart."""
        if chart not in CSV_NAMES or chart not in self._csv:
            return
        return rx.download(data=self._csv[chart], filename=f"analytics-{self.event_id}-{chart}.csv")

    @rx.event
    def stop_watching(self):
        self.watching = False

    @rx.event(background=True)
    async def watch(self):
        """While the tab is open: new registrations and cancellations show within a few seconds."""
        async with self:
            if self.watching:
                return  # one loop per open tab
            self.watching = True
        started, ticks = asyncio.get_running_loop().time(), 0
        while asyncio.get_running_loop().time() - started < LIVE_FOR:
            await asyncio.sleep(LIVE_SECONDS)
            ticks += 1
            async with self:
                if not self.watching or not self.found or not self.event_id:
                    return
                # Every half minute: still signed in, still allowed (a removed member stops seeing numbers).
                if ticks % 30 == 0 and (not self._load_user() or self._open_event(VIEW_ATTENDEES) is None):
                    self.watching = False
                    return
                self._read()
        async with self:
            self.watching = False
