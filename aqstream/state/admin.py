"""Page state of the platform admins' read-only pages: the overview (/admin), the organizations list
(/admin/organizations?q=&status=&sort=&page=) and one organization (/admin/organizations/<slug>).

Thin: who may see them and every number are in services/platform/directory.py. The figures are kept on the server
as read (`_got`) and formatted here for the reader's language, again when the language changes. Anyone who is
not a platform admin sees the "not found" block (the service answers NotFound), as if the pages did not exist."""
from __future__ import annotations

import json
from datetime import date, datetime
from urllib.parse import urlencode

import plotly.graph_objects as go
import reflex as rx

from aqstream.db import session_scope
from aqstream.i18n import format_datetime, format_number, tn
from aqstream.services.errors import DomainError, NotFound, ValidationError
from aqstream.services.org.permissions import Principal
from aqstream.services.platform import directory
from aqstream.state import charts
from aqstream.state.base import AppState

WEEK_MS = 7 * 24 * 3600 * 1000
SORTS = directory.SORTS
STATUSES = directory.STATUSES


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def _when(iso: str, lang: str) -> str:
    return format_datetime(datetime.fromisoformat(iso), "UTC", lang) if iso else ""


def _week_label(start: str, lang: str) -> str:
    day = date.fromisoformat(start)
    return day.strftime("%d.%m.%Y") if lang == "ru" else day.strftime("%b %d, %Y")


def _weeks(weeks: list[directory.WeekCount]) -> list[tuple[str, int]]:
    return [(w.start.isoformat(), w.tickets) for w in weeks]


class AdminState(AppState):
    """What the three pages share: loaded (on_load has answered) and found (the reader is a platform admin)."""

    loaded: bool = False
    found: bool = True
    error: str = ""

    def _begin(self):
        self.loaded, self.found, self.error = False, True, ""
        if redirect := self._require_user():
            return redirect
        self.loaded = True
        return None

    def _read(self, what):
        """what(session, principal) as the signed-in user; None (and the page says why) when refused."""
        try:
            with session_scope() as session:
                return what(session, Principal(self._user_id))
        except NotFound:
            self.found = False
        except DomainError as exc:
            self.error = self.t(exc.message_key)
        return None

    @rx.var
    def plot_config(self) -> dict:
        return charts.plot_config(self.lang)

    def _fig(self, weeks: list) -> go.Figure:
        if not weeks:  # every page's starting state carries this value: keep it small
            return charts.empty()
        fig = go.Figure(layout=charts.layout(self.lang, showlegend=False))
        starts = [w[0] for w in weeks]
        fig.add_bar(x=starts, y=[w[1] for w in weeks], name=self.t("admin.chart.tickets"),
                    marker_color=charts.PALETTE[0])
        if starts:
            fig.update_xaxes(tick0=starts[0], dtick=WEEK_MS * max(1, -(-len(starts) // 8)))
        return charts.whole(fig, max([w[1] for w in weeks] + [0]))

    def _summary(self, weeks: list) -> str:
        total = sum(w[1] for w in weeks)
        if not weeks:
            return ""
        if not total:
            return self.t("admin.summary_none")
        lang = self.lang
        best = max(weeks, key=lambda w: w[1])
        return tn("admin.summary", total, lang, weeks=format_number(len(weeks), lang),
                  best=_week_label(best[0], lang), best_count=format_number(best[1], lang))

    def _week_rows(self, weeks: list) -> list[dict[str, str]]:
        return [{"week": _week_label(s, self.lang), "tickets": format_number(n, self.lang)} for s, n in weeks]


class AdminOverviewState(AdminState):
    _got: dict = {}

    @rx.event
    def on_load(self):
        self._got = {}
        if redirect := self._begin():
            return redirect
        o = self._read(directory.platform_overview)
        if o is None:
            return
        self._got = {
            "active": o.organizations_active, "suspended": o.organizations_suspended,
            "new": o.organizations_new_this_month, "upcoming": o.events_upcoming, "weeks": _weeks(o.weeks),
            "waiting": o.emails_waiting, "failed": o.emails_failed, "smtp": o.smtp_configured, "version": o.version,
            "db_head": o.database_head, "code_head": o.code_head, "current": o.migrations_current,
        }

    @rx.var
    def tiles(self) -> list[dict[str, str]]:
        g = self._got
        if not g:
            return []
        n = lambda v: format_number(v, self.lang)  # noqa: E731
        return [
            {"label": self.t("admin.tile.active"), "value": n(g["active"]), "href": "/admin/organizations?status=active"},
            {"label": self.t("admin.tile.suspended"), "value": n(g["suspended"]),
             "href": "/admin/organizations?status=suspended"},
            {"label": self.t("admin.tile.new"), "value": n(g["new"]), "href": "/admin/organizations"},
            {"label": self.t("admin.tile.upcoming"), "value": n(g["upcoming"]), "href": ""},
            {"label": self.t("admin.tile.waiting"), "value": n(g["waiting"]), "href": "/admin/mail?status=waiting"},
            {"label": self.t("admin.tile.failed"), "value": n(g["failed"]), "href": "/admin/mail?status=failed"},
        ]

    @rx.var
    def system(self) -> list[dict[str, str]]:
        g = self._got
        if not g:
            return []
        unknown = self.t("admin.unknown")
        return [
            {"label": self.t("admin.system.smtp"),
             "value": self.t("admin.system.smtp_yes" if g["smtp"] else "admin.system.smtp_no")},
            {"label": self.t("admin.system.version"), "value": g["version"] or unknown},
            {"label": self.t("admin.system.database_head"), "value": g["db_head"] or unknown},
            {"label": self.t("admin.system.code_head"), "value": g["code_head"] or unknown},
            {"label": self.t("admin.system.migrations"),
             "value": self.t("admin.system.migrations_current" if g["current"] else "admin.system.migrations_behind")},
        ]

    @rx.var
    def fig_weeks(self) -> go.Figure:
        return self._fig(self._got.get("weeks", []))

    @rx.var
    def summary(self) -> str:
        return self._summary(self._got.get("weeks", []))

    @rx.var
    def week_rows(self) -> list[dict[str, str]]:
        return self._week_rows(self._got.get("weeks", []))


class AdminOrgsState(AdminState):
    q: str = ""
    status: str = "all"
    sort: str = "-created"
    page: int = 1
    pages: int = 1
    total: int = 0
    errors: dict[str, str] = {}
    _rows: list[dict] = []

    def _path(self) -> str:
        params = {k: v for k, v in (("q", self.q), ("status", "" if self.status == "all" else self.status),
                                    ("sort", "" if self.sort == "-created" else self.sort),
                                    ("page", str(self.page) if self.page > 1 else "")) if v}
        return "/admin/organizations" + (f"?{urlencode(params)}" if params else "")

    def _load(self) -> None:
        self.errors = {}
        try:
            with session_scope() as session:
                found = directory.list_organizations(session, Principal(self._user_id), self.q, status=self.status,
                                                     sort=self.sort, page=self.page)
        except NotFound:
            self.found, self._rows = False, []
            return
        except ValidationError as exc:
            self.errors = self._errors_text(exc)
            self._rows, self.total, self.pages = [], 0, 1
            return
        self.page, self.pages, self.total = found.page, found.pages, found.total
        self._rows = [{"name": r.name, "slug": r.slug, "status": r.status, "owner_name": r.owner_name,
                       "owner_email": r.owner_email, "members": r.members, "upcoming": r.events_upcoming,
                       "events": r.events_all, "tickets": r.tickets_sold, "activity": _iso(r.last_activity_at),
                       "created": _iso(r.created_at)} for r in found.rows]

    @rx.event
    def on_load(self):
        self._rows, self.errors = [], {}
        query = self.router.url.query_parameters
        self.q = str(query.get("q") or "")[:directory.QUERY_MAX]
        status = str(query.get("status") or "all").lower()
        self.status = status if status in STATUSES else "all"
        sort = str(query.get("sort") or "-created").lower()
        self.sort = sort if sort in SORTS else "-created"
        raw = str(query.get("page") or "1")
        self.page = int(raw) if raw.isdigit() and len(raw) < 7 and int(raw) > 0 else 1
        if redirect := self._begin():
            return redirect
        self._load()

    def _again(self) -> bool:
        return bool(self._load_user()) and self.found

    def _replace_url(self):
        return rx.call_script(f"window.history.replaceState(null, '', {json.dumps(self._path())})")

    @rx.event
    def search(self, form: dict):
        if not self._again():
            return
        self.q = " ".join(str(form.get("q") or "").split())[:directory.QUERY_MAX + 1]
        status, sort = str(form.get("status") or "all"), str(form.get("sort") or "-created")
        self.status = status if status in STATUSES else "all"
        self.sort = sort if sort in SORTS else "-created"
        self.page = 1
        self._load()
        if not self.errors:
            return self._replace_url()

    @rx.event
    def go_page(self, delta: int):
        if not self._again():
            return
        self.page = min(max(1, self.page + delta), self.pages)
        self._load()
        return [self._replace_url(), rx.call_script("document.getElementById('admin-orgs')?.scrollIntoView()")]

    @rx.var
    def rows(self) -> list[dict[str, str]]:
        lang = self.lang
        n = lambda v: format_number(v, lang)  # noqa: E731
        return [{
            "name": r["name"], "slug": r["slug"], "href": f"/admin/organizations/{r['slug']}",
            "status": self.t(f"admin.status.{r['status']}"), "suspended": "1" if r["status"] == "suspended" else "",
            "owner": r["owner_name"] or "—", "owner_email": r["owner_email"], "members": n(r["members"]),
            "events": n(r["upcoming"]) + " / " + n(r["events"]), "tickets": n(r["tickets"]),
            "activity": _when(r["activity"], lang) or self.t("admin.never"), "created": _when(r["created"], lang),
        } for r in self._rows]

    @rx.var
    def page_text(self) -> str:
        return self.t("admin.page_of", page=format_number(self.page, self.lang),
                      pages=format_number(self.pages, self.lang))

    @rx.var
    def total_text(self) -> str:
        return tn("admin.found", self.total, self.lang)


class AdminOrgState(AdminState):
    slug: str = ""
    _got: dict = {}

    @rx.event
    def on_load(self):
        self._got = {}
        self.slug = str(self.router.page.params.get("slug", ""))[:63]
        if redirect := self._begin():
            return redirect
        d = self._read(lambda session, who: directory.organization_detail(session, who, self.slug, lang=self.lang))
        if d is None:
            return
        self._got = {
            "name": d.name, "slug": d.slug, "status": d.status, "time_zone": d.time_zone, "contact": d.contact_email,
            "created": _iso(d.created_at), "activity": _iso(d.last_activity_at), "suspended": _iso(d.suspended_at),
            "reason": d.suspension_reason, "max_events": d.max_published_events, "max_tickets": d.max_tickets_per_event,
            "members": [{"name": m.name, "email": m.email, "role": m.role, "since": _iso(m.since)} for m in d.members],
            "events": [{"id": e.event_id, "title": e.title, "status": e.status, "starts": _iso(e.starts_at),
                        "tz": e.time_zone, "tickets": e.tickets, "capacity": e.capacity} for e in d.events],
            "audit": [{"at": _iso(a.at), "action": a.action, "object": f"{a.object_type} {a.object_id or ''}".strip(),
                       "actor": a.actor or a.actor_email} for a in d.audit],
            "failed": [{"created": _iso(m.created_at), "recipient": m.recipient, "kind": m.kind_label,
                        "subject": m.subject, "error": m.last_error, "attempts": m.attempts} for m in d.failed_emails],
            "weeks": _weeks(d.weeks),
        }

    @rx.var
    def name(self) -> str:
        return self._got.get("name", "")

    @rx.var
    def suspended(self) -> bool:
        return self._got.get("status") == "suspended"

    @rx.var
    def facts(self) -> list[dict[str, str]]:
        g = self._got
        if not g:
            return []
        lang, none = self.lang, self.t("admin.no_limit")
        limit = lambda v: none if v is None else format_number(v, lang)  # noqa: E731
        facts = [
            {"label": self.t("admin.col.slug"), "value": g["slug"]},
            {"label": self.t("admin.col.status"), "value": self.t(f"admin.status.{g['status']}")},
        ]
        if g["status"] == "suspended":
            facts += [{"label": self.t("admin.suspended_at"), "value": _when(g["suspended"], lang)},
                      {"label": self.t("admin.suspension_reason"), "value": g["reason"]}]
        return facts + [
            {"label": self.t("admin.col.created"), "value": _when(g["created"], lang)},
            {"label": self.t("admin.col.activity"), "value": _when(g["activity"], lang) or self.t("admin.never")},
            {"label": self.t("admin.time_zone"), "value": g["time_zone"]},
            {"label": self.t("admin.contact_email"), "value": g["contact"] or "—"},
            {"label": self.t("admin.max_events"), "value": limit(g["max_events"])},
            {"label": self.t("admin.max_tickets"), "value": limit(g["max_tickets"])},
        ]

    @rx.var
    def members(self) -> list[dict[str, str]]:
        return [{"name": m["name"], "email": m["email"], "role": self.t(f"team.role.{m['role']}"),
                 "since": _when(m["since"], self.lang)} for m in self._got.get("members", [])]

    @rx.var
    def events(self) -> list[dict[str, str]]:
        lang = self.lang
        n = lambda v: format_number(v, lang)  # noqa: E731
        return [{"title": e["title"], "status": self.t(f"event.status.{e['status']}"),
                 "starts": format_datetime(datetime.fromisoformat(e["starts"]), e["tz"], lang),
                 "tickets": n(e["tickets"]) + " / " + ("—" if e["capacity"] is None else n(e["capacity"]))}
                for e in self._got.get("events", [])]

    @rx.var
    def audit(self) -> list[dict[str, str]]:
        return [{**a, "at": _when(a["at"], self.lang), "actor": a["actor"] or self.t("admin.system_actor")}
                for a in self._got.get("audit", [])]

    @rx.var
    def failed(self) -> list[dict[str, str]]:
        return [{**m, "created": _when(m["created"], self.lang), "attempts": format_number(m["attempts"], self.lang)}
                for m in self._got.get("failed", [])]

    @rx.var
    def fig_weeks(self) -> go.Figure:
        return self._fig(self._got.get("weeks", []))

    @rx.var
    def summary(self) -> str:
        return self._summary(self._got.get("weeks", []))

    @rx.var
    def week_rows(self) -> list[dict[str, str]]:
        return self._week_rows(self._got.get("weeks", []))


