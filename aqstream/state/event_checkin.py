"""The Check-in tab of an event's workspace (/o/<org>/events/<id>/checkin): the event's check-in lists with their
counts (live), managing them (for roles that run events), a link to each list's scanner, finding people by name,
email or code to check them in by hand or undo it, the list's latest scans and the event's offline conflicts.

Thin: the rules and numbers are services/checkin/ (`lists`, `scans`, `list_form`). What the services answered is
kept raw in backend vars and formatted by computed vars in the reader's language, so the language switch and a
live refresh that changed nothing send nothing new."""
from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import reflex as rx

from aqstream.db import session_scope
from aqstream.i18n import format_datetime, format_number, t
from aqstream.services.checkin import list_form, lists, scans
from aqstream.services.errors import DomainError, NotFound
from aqstream.services.events import events, fields, questions
from aqstream.services.org.permissions import CHECK_IN, VIEW_CHECKIN, Principal
from aqstream.state.workspace import EventTabState

LIVE_SECONDS = 2.0  # how often an open tab reads the counts, the latest scans and the conflicts again
LIVE_FOR = 12 * 3600  # a tab left open stops refreshing after this long (a reload starts it again)
RECHECK_TICKS = 15  # every this many ticks: still signed in, still allowed
DEVICE = "Organizer page"  # the device name the tab's own check-ins are recorded with
RECENT = 15
GOOD, WARN = ("ok", "out"), ("already", "not_inside")  # green, orange; every other answer is red


def _when(value: str, zone: str, lang: str) -> str:
    return format_datetime(datetime.fromisoformat(value), zone, lang) if value else ""


def _clock(value: str, zone: str) -> str:
    """A time of the door, as stewards say it: 19:02 in the event's zone."""
    return datetime.fromisoformat(value).astimezone(ZoneInfo(zone)).strftime("%H:%M") if value else ""


class EventCheckinState(EventTabState):
    current: str = ""  # the id of the list the search, the manual check-ins and the latest scans are for
    query: str = ""
    search_version: int = 0
    # The list form: "" closed, "new", or the id of the list being edited.
    editing: str = ""
    form_values: dict[str, str] = {}  # name, opens_at, closes_at (wall clock in the event's zone), allow_reentry
    form_types: list[str] = []  # ticked ticket type ids
    form_questions: list[str] = []
    form_errors: dict[str, str] = {}
    form_version: int = 0
    type_options: list[dict[str, str]] = []  # id, name
    question_options: list[dict[str, str]] = []  # id, name (the question's label)
    deleting: str = ""  # the id of the list whose removal waits for a yes
    watching: bool = False
    _zone: str = "UTC"
    _lists: list[dict] = []  # the services' answers, as plain values (see `_read`)
    _people: list[dict] = []
    _recent: list[dict] = []
    _conflicts: list[dict] = []
    _result: dict = {}  # the last check-in's answer on this page

    # --- reading ---------------------------------------------------------------------------------------------

    def _principal(self) -> Principal:
        return Principal(self._user_id)

    def _read(self) -> None:
        """The lists with their counts, the current list's latest scans and the event's conflicts; a state var is
        assigned only when what it holds changed (a live tick that changed nothing sends nothing)."""
        with session_scope() as session:
            found = lists.event_lists(session, self._principal(), self._org_id, self.event_id)
            if not any(str(v.id) == self.current for v in found):
                self.current = str(found[0].id) if found else ""
            recent = scans.recent(session, self._principal(), self._org_id, int(self.current),
                                  limit=RECENT) if self.current else []
            clashes = scans.conflicts(session, self._principal(), self._org_id, self.event_id)
        raw_lists = [{
            "id": v.id, "name": v.name, "types": list(v.ticket_type_ids), "opens": v.opens_at.isoformat() if v.opens_at
            else "", "closes": v.closes_at.isoformat() if v.closes_at else "", "reentry": v.allow_reentry,
            "questions": list(v.question_ids), "inside": v.inside, "checked": v.checked_in, "total": v.total,
            "per_type": [{"name": c.name, "inside": c.inside, "checked": c.checked_in, "total": c.total}
                         for c in v.per_type]} for v in found]
        raw_recent = [{"at": r.at.isoformat(), "result": r.result, "name": r.name, "type": r.ticket_type,
                       "device": r.device, "direction": r.direction, "conflict": r.conflict} for r in recent]
        raw_conflicts = [{"list": c.list_name, "name": c.name, "type": c.ticket_type, "first_at": c.first_at.isoformat(),
                          "first_device": c.first_device, "second_at": c.second_at.isoformat(),
                          "second_device": c.second_device} for c in clashes]
        if raw_lists != self._lists:
            self._lists = raw_lists
        if raw_recent != self._recent:
            self._recent = raw_recent
        if raw_conflicts != self._conflicts:
            self._conflicts = raw_conflicts

    def _search(self) -> None:
        if not self.query or not self.current:
            self._people = []
            return
        with session_scope() as session:
            got = scans.search(session, self._principal(), self._org_id, int(self.current), self.query)
        self._people = [{"id": f.ticket_id, "code": f.code, "name": f.name, "email": f.email, "type": f.ticket_type,
                         "status": f.status, "at": f.checked_in_at.isoformat() if f.checked_in_at else "",
                         "device": f.device, "inside": f.inside} for f in got]

    def _options(self, event) -> None:
        """The form's choices (for those who may change lists): the event's ticket types and its questions."""
        if not self.can_manage:
            self.type_options, self.question_options = [], []
            return
        with session_scope() as session:
            types = events.list_ticket_types(session, event.id)
            asked = questions.active_questions(session, event.id)
        self.type_options = [{"id": str(tt.id), "name": tt.name} for tt in types]
        self.question_options = [{"id": str(q.id), "name": q.label} for q in asked]

    @rx.event
    def on_load(self):
        self._lists, self._people, self._recent, self._conflicts, self._result = [], [], [], [], {}
        self.query, self.editing, self.form_errors, self.deleting = "", "", {}, ""
        self.current = (self.router.url.query_parameters.get("list") or "")[:12]
        redirect, event = self._enter(VIEW_CHECKIN)
        if redirect:
            return redirect
        if event is None:
            return
        self._zone = event.time_zone
        self._options(event)
        try:
            self._read()
        except NotFound:
            self.found = False

    @rx.var
    def page_title(self) -> str:
        return self._tab_title("workspace.tab.checkin")

    # --- what the page shows ---------------------------------------------------------------------------------

    @rx.var
    def lists_shown(self) -> list[dict[str, str]]:
        """One card per list: its name, counts, rules in words and its scanner's address."""
        lang, n = self.lang, (lambda v: format_number(v, self.lang))
        out = []
        for v in self._lists:
            if v["types"]:  # the counts name the types the list admits
                types = ", ".join(c["name"] for c in v["per_type"]) or t("checkin_tab.list.some_types", lang)
            else:
                types = t("checkin_tab.list.all_types", lang)
            window = []
            if v["opens"]:
                window.append(t("checkin_tab.list.opens", lang, at=_when(v["opens"], self._zone, lang)))
            if v["closes"]:
                window.append(t("checkin_tab.list.closes", lang, at=_when(v["closes"], self._zone, lang)))
            out.append({
                "id": str(v["id"]), "name": v["name"],
                "inside": t("checkin_tab.count.inside", lang, inside=n(v["inside"]), total=n(v["total"])),
                "checked": t("checkin_tab.count.checked", lang, checked=n(v["checked"]), total=n(v["total"])),
                "types": types, "window": " · ".join(window),
                "reentry": t("checkin_tab.list.reentry_on", lang) if v["reentry"] else "",
                "scanner": f"/scan/{self.org_slug}/{v['id']}",
                "current": "1" if str(v["id"]) == self.current else "",
            })
        return out

    @rx.var
    def type_counts(self) -> list[dict[str, str]]:
        """Each list's counts per ticket type (a row per list and type, named by the list's id)."""
        n = lambda v: format_number(v, self.lang)  # noqa: E731
        return [{"list": str(v["id"]), "name": c["name"], "inside": n(c["inside"]), "checked": n(c["checked"]),
                 "total": n(c["total"])} for v in self._lists for c in v["per_type"]]

    @rx.var
    def current_name(self) -> str:
        return next((v["name"] for v in self._lists if str(v["id"]) == self.current), "")

    @rx.var
    def people(self) -> list[dict[str, str]]:
        """The search's people on the current list: who, which ticket, and where they are at the door."""
        lang = self.lang
        out = []
        for p in self._people:
            if p["status"] != "valid":
                state, note = "off", t(f"ticket.status.{p['status']}", lang)
            elif p["at"] and p["inside"]:
                state = "inside"
                note = t("checkin_tab.person.inside", lang, at=_clock(p["at"], self._zone), device=p["device"] or "—")
            elif p["at"]:
                state, note = "out", t("checkin_tab.person.left", lang, at=_clock(p["at"], self._zone))
            else:
                state, note = "none", t("checkin_tab.person.not_yet", lang)
            out.append({"id": str(p["id"]), "name": p["name"] or t("attendees.no_name", lang), "email": p["email"],
                        "type": p["type"], "code": p["code"], "state": state, "note": note})
        return out

    @rx.var
    def result(self) -> dict[str, str]:
        """The last check-in's answer, big: tone (green, orange, red), headline, and the reason in words."""
        r = self._result
        if not r:
            return {}
        lang, code = self.lang, r["result"]
        tone = "green" if code in GOOD else "orange" if code in WARN else "red"
        if code == "already":
            detail = t("checkin_tab.result.already_detail", lang, at=_clock(r["first_at"], self._zone),
                       device=r["first_device"] or "—")
        elif code == "undone":
            detail = ""
        else:
            detail = t(f"checkin_tab.result.{code}_detail", lang)
        who = " · ".join(x for x in (r["name"], r["type"]) if x)
        return {"tone": tone, "title": t(f"checkin_tab.result.{code}", lang), "who": who, "detail": detail,
                "answers": "; ".join(f"{q}: {a}" for q, a in r.get("answers", []))}

    @rx.var
    def recent_rows(self) -> list[dict[str, str]]:
        lang = self.lang
        return [{"at": _clock(r["at"], self._zone), "name": r["name"] or "—", "device": r["device"] or "—",
                 "result": t(f"checkin_tab.result.{r['result']}", lang)
                 + (" · " + t("checkin_tab.conflict.badge", lang) if r["conflict"] else ""),
                 "tone": "green" if r["result"] in GOOD else "orange" if r["result"] in WARN else "red"}
                for r in self._recent]

    @rx.var
    def conflict_rows(self) -> list[str]:
        lang = self.lang
        return [t("checkin_tab.conflict.text", lang, list=c["list"], second_device=c["second_device"] or "—",
                  name=c["name"] or t("attendees.no_name", lang), second_at=_clock(c["second_at"], self._zone),
                  first_at=_clock(c["first_at"], self._zone), first_device=c["first_device"] or "—")
                for c in self._conflicts]

    @rx.var
    def deleting_text(self) -> str:
        name = next((v["name"] for v in self._lists if str(v["id"]) == self.deleting), "")
        return t("checkin_tab.list.delete_question", self.lang, name=name) if name else ""

    # --- live ------------------------------------------------------------------------------------------------

    @rx.event
    def stop_watching(self):
        self.watching = False

    @rx.event(background=True)
    async def watch(self):
        """While the tab is open: the counts, the latest scans and the conflicts every LIVE_SECONDS."""
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
                if ticks % RECHECK_TICKS == 0 and (not self._load_user() or self._open_event(VIEW_CHECKIN) is None):
                    self.watching = False
                    return
                try:
                    self._read()
                except DomainError:  # the event or the member is gone: stop, the next load says why
                    self.watching = False
                    return
        async with self:
            self.watching = False

    # --- the door: search, check in, undo --------------------------------------------------------------------

    @rx.event
    def choose_list(self, list_id: str):
        if any(str(v["id"]) == list_id for v in self._lists):
            self.current, self._result, self.notice = list_id, {}, ""
            if not self._load_user() or self._open_event(VIEW_CHECKIN) is None:
                return
            self._read()
            self._search()

    @rx.event
    def search(self, form: dict):
        self.query = " ".join(str(form.get("q") or "").split())[:100]
        self._result, self.notice = {}, ""
        if not self._load_user() or self._open_event(VIEW_CHECKIN) is None:
            return
        self._search()

    @rx.event
    def clear_search(self):
        self.query, self._people, self._result = "", [], {}
        self.search_version += 1

    def _door(self, action) -> bool:
        """A check-in or an undo as the signed-in member; a refusal becomes the tab's error message."""
        self.notice = ""
        if exc := self._run(action, CHECK_IN):
            self.error = self.t(exc.message_key, **exc.params)
            return False
        self.error = ""
        return True

    @rx.event
    def check_in(self, ticket_id: str):
        person = next((p for p in self._people if str(p["id"]) == ticket_id), None)
        if person is None or not self.current:
            return
        list_id, got = int(self.current), {}

        def act(session, principal):
            got["answer"] = scans.redeem(session, principal, self._org_id, list_id, person["code"],
                                         client_scan_id=uuid.uuid4().hex, device=DEVICE)
        if not self._door(act):
            return
        a = got["answer"]
        self._result = {"result": a.result, "name": a.attendee_name or person["name"], "type": a.ticket_type,
                        "first_at": a.first_at.isoformat() if a.first_at else "", "first_device": a.first_device,
                        "answers": [list(x) for x in a.answers]}
        self._read()
        self._search()

    @rx.event
    def undo(self, ticket_id: str):
        person = next((p for p in self._people if str(p["id"]) == ticket_id), None)
        if person is None or not self.current:
            return
        list_id = int(self.current)
        if not self._door(lambda s, p: scans.undo(s, p, self._org_id, list_id, int(ticket_id))):
            return
        self._result = {"result": "undone", "name": person["name"], "type": person["type"], "first_at": "",
                        "first_device": "", "answers": []}
        self._read()
        self._search()

    # --- managing the lists ----------------------------------------------------------------------------------

    @rx.event
    def new_list(self):
        if not self.can_manage:
            return
        self.editing, self.form_errors, self.deleting = "new", {}, ""
        self.form_values = {"name": "", "opens_at": "", "closes_at": "", "allow_reentry": ""}
        self.form_types, self.form_questions = [], []
        self.form_version += 1

    @rx.event
    def edit_list(self, list_id: str):
        v = next((v for v in self._lists if str(v["id"]) == list_id), None)
        if v is None or not self.can_manage:
            return
        zone = self._zone
        local = lambda s: fields.local_text(datetime.fromisoformat(s), zone) if s else ""  # noqa: E731
        self.editing, self.form_errors, self.deleting = list_id, {}, ""
        self.form_values = {"name": v["name"], "opens_at": local(v["opens"]), "closes_at": local(v["closes"]),
                            "allow_reentry": "true" if v["reentry"] else ""}
        self.form_types = [str(i) for i in v["types"]]
        self.form_questions = [str(i) for i in v["questions"]]
        self.form_version += 1

    @rx.event
    def close_form(self):
        self.editing, self.form_errors = "", {}

    @rx.event
    def save_list(self, form: dict):
        """Create or change a list. Every bad field is answered next to it; nothing is saved until all are right."""
        editing = self.editing
        if not editing:
            return
        self.form_values = {k: str(form.get(k) or "") for k in ("name", "opens_at", "closes_at")}
        self.form_values["allow_reentry"] = "true" if form.get("allow_reentry") else ""
        self.form_types = [k[len(list_form.TYPE_PREFIX):] for k, v in form.items()
                           if k.startswith(list_form.TYPE_PREFIX) and v]
        self.form_questions = [k[len(list_form.QUESTION_PREFIX):] for k, v in form.items()
                               if k.startswith(list_form.QUESTION_PREFIX) and v]
        zone = self._zone

        def act(session, principal):
            data = list_form.list_input(form, zone)
            if editing == "new":
                made = lists.create_list(session, principal, self._org_id, self.event_id, data)
                self.current = str(made.id)
            else:
                lists.update_list(session, principal, self._org_id, int(editing), data)
        if not self._act(act, "form_errors"):
            return
        self.notice = self.t("checkin_tab.list.saved")
        self.editing = ""
        self._read()

    @rx.event
    def ask_delete(self, list_id: str):
        if self.can_manage and any(str(v["id"]) == list_id for v in self._lists):
            self.deleting, self.editing = list_id, ""

    @rx.event
    def keep_list(self):
        self.deleting = ""

    @rx.event
    def delete_list(self):
        if not self.deleting:
            return
        list_id = int(self.deleting)
        self.deleting = ""
        if not self._act(lambda s, p: lists.delete_list(s, p, self._org_id, list_id)):
            return
        self.notice = self.t("checkin_tab.list.deleted")
        self._read()

    @rx.var
    def can_delete(self) -> bool:
        return len(self._lists) > 1
