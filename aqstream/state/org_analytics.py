"""The organization's analytics page (/o/<org>/analytics?weeks=12): tiles, tickets registered per week across
all events (a Plotly chart with its summary, table and CSV), the top events and one row per event. The numbers
are the service's (services/reports/org_analytics.py); they are kept on the server as read (`_got`) and
formatted here for the reader's language, again when the language changes."""
from __future__ import annotations

from datetime import date, datetime

import plotly.graph_objects as go
import reflex as rx

from aqstream.db import session_scope
from aqstream.i18n import format_datetime, format_number, tn
from aqstream.services.errors import DomainError
from aqstream.services.org.permissions import VIEW_ATTENDEES, Principal
from aqstream.services.payments import summary
from aqstream.services.reports import org_analytics
from aqstream.state import charts
from aqstream.state.organizer import OrgState

CSV_NAMES = ("weeks", "events")
WEEK_MS = 7 * 24 * 3600 * 1000


def _week_label(start: date, lang: str) -> str:
    return start.strftime("%d.%m.%Y") if lang == "ru" else start.strftime("%b %d, %Y")


class OrgAnalyticsState(OrgState):
    weeks: str = "12"
    weeks_refused: bool = False  # the period asked for is not a number of weeks the service takes
    _got: dict = {}  # the service's figures as plain data: {"time_zone", "weeks": [...], "events": [...], "top"}

    @rx.event
    def on_load(self):
        self._got, self.weeks_refused, self.loaded = {}, False, False
        if redirect := self._require_user():
            return redirect
        self.loaded = True
        raw = self.router.url.query_parameters.get("weeks", "12")
        self.weeks = str(raw)[:4]
        if self._open_org(VIEW_ATTENDEES):
            self._read()

    def _read(self) -> None:
        try:
            with session_scope() as session:
                got = org_analytics.org_analytics(session, Principal(self._user_id), self._org_id, self.weeks)
        except DomainError:  # the only refusal left once the organization is open: the number of weeks
            self.weeks_refused = True
            return
        self.weeks_refused = False
        self._got = {
            "time_zone": got.time_zone,
            "weeks": [(w.start.isoformat(), w.tickets, w.cancelled) for w in got.weeks],
            "events": [{"id": e.event_id, "title": e.title, "status": e.status, "starts": e.starts_at.isoformat(),
                        "tz": e.time_zone, "tickets": e.tickets, "capacity": e.capacity, "fill": e.fill,
                        "visitors": e.visitors, "registered_visitors": e.registered_visitors,
                        "conversion": e.conversion, "revenue": dict(e.revenue), "in_period": e.in_period}
                       for e in got.events],
            "top": [e.event_id for e in got.top],
            "totals": got.totals,
            "upcoming": got.upcoming,
            "revenue": got.revenue,
            "money": [(r.currency, r.paid_minor, r.pending_minor, r.refunded_minor) for r in got.money],
        }

    @rx.event
    def set_weeks(self, form: dict):
        choice = str(form.get("weeks", "12"))[:4]
        if not self._load_user() or not self._open_org(VIEW_ATTENDEES):
            return
        self.weeks = choice
        self._read()
        if not self.weeks_refused:
            return rx.call_script(f"window.history.replaceState(null, '', '/o/{self.org_slug}/analytics?weeks="
                                  f"{int(self.weeks)}')")

    @rx.event
    def download_csv(self, name: str):
        if name not in CSV_NAMES or not self._got:
            return
        if name == "weeks":
            data = charts.csv_text(["week from", "registered", "cancelled"], self._got["weeks"])
        else:
            data = charts.csv_text(
                ["event", "starts", "status", "registered", "capacity", "fill", "visitors", "visitors who registered",
                 "conversion", "revenue (minor units)", "registered in these weeks"],
                [[e["title"], e["starts"], e["status"], e["tickets"], "" if e["capacity"] is None else e["capacity"],
                  "" if e["fill"] is None else round(e["fill"], 4), e["visitors"], e["registered_visitors"],
                  "" if e["conversion"] is None else round(e["conversion"], 4),
                  " ".join(f"{v} {c}" for c, v in sorted(e["revenue"].items())), e["in_period"]]
                 for e in self._got["events"]])
        return rx.download(data=data, filename=f"analytics-{self.org_slug}-{name}.csv")

    @rx.var
    def weeks_error(self) -> str:
        return self.t("analytics.org.weeks_invalid") if self.weeks_refused else ""

    @rx.var
    def plot_config(self) -> dict:
        return charts.plot_config(self.lang)

    @rx.var
    def tiles(self) -> list[dict[str, str]]:
        if not self._got:
            return []
        lang = self.lang
        totals = self._got["totals"]
        n = lambda v: format_number(v, lang)  # noqa: E731
        return [
            {"label": self.t("analytics.org.tile.tickets"), "value": n(totals["tickets"])},
            {"label": self.t("analytics.org.tile.in_period"), "value": n(totals["in_period"])},
            {"label": self.t("analytics.org.tile.cancelled"), "value": n(totals["cancelled"])},
            {"label": self.t("analytics.org.tile.upcoming"), "value": n(self._got["upcoming"])},
            {"label": self.t("analytics.org.tile.revenue"), "value": charts.money(self._got["revenue"], lang)},
        ]

    @rx.var
    def money(self) -> list[dict[str, str]]:
        """Paid, awaiting payment and refunded per currency, all events."""
        return charts.money_rows([summary.Revenue(*r) for r in self._got.get("money", [])], self.lang)

    @rx.var
    def week_rows(self) -> list[dict[str, str]]:
        lang = self.lang
        return [{"week": _week_label(date.fromisoformat(start), lang), "tickets": format_number(t, lang),
                 "cancelled": format_number(c, lang)} for start, t, c in self._got.get("weeks", [])]

    @rx.var
    def summary(self) -> str:
        weeks = self._got.get("weeks", [])
        total = sum(w[1] for w in weeks)
        if not total:
            return self.t("analytics.org.summary_none") if self._got else ""
        lang = self.lang
        best = max(weeks, key=lambda w: w[1])
        return tn("analytics.org.summary", total, lang, weeks=format_number(len(weeks), lang),
                      best=_week_label(date.fromisoformat(best[0]), lang), best_count=format_number(best[1], lang))

    @rx.var
    def fig_weeks(self) -> go.Figure:
        lang = self.lang
        weeks = self._got.get("weeks", [])
        fig = go.Figure(layout=charts.layout(lang, barmode="group"))
        starts = [w[0] for w in weeks]
        fig.add_bar(x=starts, y=[w[1] for w in weeks], name=self.t("analytics.org.chart.tickets"),
                    marker_color=charts.PALETTE[0])
        fig.add_bar(x=starts, y=[w[2] for w in weeks], name=self.t("analytics.org.chart.cancelled"),
                    marker_color="#e54666")
        if starts:  # a tick on a week's Monday, every week or every few weeks: at most about 8 labels
            fig.update_xaxes(tick0=starts[0], dtick=WEEK_MS * max(1, -(-len(starts) // 8)))
        return charts.whole(fig, max([w[1] for w in weeks] + [w[2] for w in weeks] + [0]))

    def _event_row(self, e: dict) -> dict[str, str]:
        lang = self.lang
        n = lambda v: format_number(v, lang)  # noqa: E731
        return {
            "id": str(e["id"]),
            "href": f"/o/{self.org_slug}/events/{e['id']}/analytics",
            "title": e["title"],
            "date": format_datetime(datetime.fromisoformat(e["starts"]), e["tz"], lang),
            "registered": n(e["tickets"]) + " / " + ("—" if e["capacity"] is None else n(e["capacity"])),
            "fill": charts.percent(e["fill"], lang),
            "conversion": charts.percent(e["conversion"], lang),
            "revenue": charts.money(e["revenue"], lang),
            "in_period": n(e["in_period"]),
        }

    @rx.var
    def event_rows(self) -> list[dict[str, str]]:
        return [self._event_row(e) for e in self._got.get("events", [])]

    @rx.var
    def top_rows(self) -> list[dict[str, str]]:
        by_id = {e["id"]: e for e in self._got.get("events", [])}
        return [self._event_row(by_id[i]) for i in self._got.get("top", []) if i in by_id]
