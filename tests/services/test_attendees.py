"""The organizer's attendee list: search, filters, sorting, pages; details with answers and history; adding
someone by hand; sending a confirmation again; CSV and XLSX exports."""
import csv
import io
import threading
import zipfile
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import update
from sqlmodel import Session, select

from aqstream.models import OutboxMessage, Ticket, TicketType
from aqstream.services.clock import utcnow
from aqstream.services.errors import ExportsBusy, Forbidden, NotFound, SoldOut, ValidationError
from aqstream.services.events import events, questions
from aqstream.services.org.permissions import Principal
from aqstream.services.reports import exports
from aqstream.services.sales import attendees, orders, registration
from aqstream.services.sales.attendees import AttendeeQuery as Q
from aqstream.services.sales.registration import TicketRequest as TR
from tests.services.test_event_lifecycle import member


def people(make, session, quantities=(50, 10)):
    owner, org = make.org()
    event, types = make.event(owner, org, quantities=quantities)
    names = ["Анна Смирнова", "Boris Becker", "Carla Bruni", "Dmitri Orlov", "Eva Green"]
    results = []
    for i, name in enumerate(names):
        results.append(registration.register(
            session, org_slug=org.slug, event_slug=event.slug, buyer_name=name,
            buyer_email=f"buyer{i}@example.com", tickets=[TR(types[i % 2].id, name)]))
    return owner, org, event, types, results


def test_search_filters_and_sorts_on_the_server(make, session):
    owner, org, event, (ga, vip), results = people(make, session)
    p = Principal(owner.id)
    everyone = attendees.search(session, p, org.id, event.id, Q(sort="name", descending=False))
    assert [r.attendee_name for r in everyone.rows] == ["Boris Becker", "Carla Bruni", "Dmitri Orlov", "Eva Green",
                                                       "Анна Смирнова"]
    assert everyone.total == 5 and everyone.pages == 1
    assert [r.attendee_name for r in attendees.search(session, p, org.id, event.id, Q(search="анна")).rows] == [
        "Анна Смирнова"]
    assert [r.attendee_name for r in attendees.search(session, p, org.id, event.id, Q(search="BUYER3@")).rows] == [
        "Dmitri Orlov"]
    code = results[2].tickets[0].code
    assert [r.code for r in attendees.search(session, p, org.id, event.id, Q(search=code)).rows] == [code]
    vip_only = attendees.search(session, p, org.id, event.id, Q(ticket_type_id=vip.id, sort="name", descending=False))
    assert [r.attendee_name for r in vip_only.rows] == ["Boris Becker", "Dmitri Orlov"]
    orders.cancel_by_token(session, results[0].order.access_token)
    session.exec(update(Ticket).where(Ticket.id == results[4].tickets[0].id).values(checked_in_at=utcnow()))
    session.commit()
    assert attendees.search(session, p, org.id, event.id, Q(status="cancelled")).total == 1
    assert [r.attendee_name for r in attendees.search(session, p, org.id, event.id, Q(checked_in="yes")).rows] == [
        "Eva Green"]
    assert attendees.search(session, p, org.id, event.id, Q(checked_in="no", status="valid")).total == 3


def test_pages_cover_everyone_once(make, session):
    owner, org, event, _, _ = people(make, session)
    p = Principal(owner.id)
    seen = []
    for page in (1, 2, 3):
        got = attendees.search(session, p, org.id, event.id, Q(per_page=2, page=page, sort="name"))
        assert got.pages == 3 and got.page == page
        seen += [r.ticket_id for r in got.rows]
    assert len(seen) == len(set(seen)) == 5
    assert attendees.search(session, p, org.id, event.id, Q(per_page=2, page=99)).page == 3  # clamped to the last


def many(session, make, n=23):
    """An event with `n` tickets made quickly (names "P00".."P22", every third cancelled, two types)."""
    owner, org = make.org()
    event, types = make.event(owner, org, quantities=(100, 100))
    for i in range(n):
        result = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name=f"B{i:02}",
                                       buyer_email=f"b{(i * 7) % n:02}@example.com",
                                       tickets=[TR(types[i % 2].id, f"P{(i * 5) % n:02}")])
        if i % 3 == 0:
            orders.cancel_ticket(session, Principal(owner.id), org.id, result.tickets[0].id)
    return owner, org, event, types


@pytest.mark.parametrize("sort,descending", [("registered", True), ("registered", False), ("name", False),
                                             ("name", True), ("email", False), ("type", False), ("status", False)])
def test_every_page_of_every_sort_is_the_slice_of_the_whole_order(make, session, sort, descending):
    """Pages past the middle are read from the end; each page is still exactly its slice of the full order,
    with a count given (a page step) or not, for every sort and with filters."""
    owner, org, event, types = many(session, make)
    p = Principal(owner.id)
    for extra in ({}, {"status": "valid"}, {"ticket_type_id": types[1].id}, {"search": "example.com"}):
        whole = attendees.search(session, p, org.id, event.id, Q(sort=sort, descending=descending, per_page=200,
                                                                 **extra))
        expected = [r.ticket_id for r in whole.rows]
        per_page = 4
        pages = -(-len(expected) // per_page)
        for page in range(1, pages + 1):
            query = Q(sort=sort, descending=descending, per_page=per_page, page=page, **extra)
            for total in (None, whole.total):
                got = attendees.search(session, p, org.id, event.id, query, total=total)
                assert (got.page, got.pages, got.total) == (page, pages, len(expected))
                assert [r.ticket_id for r in got.rows] == expected[(page - 1) * per_page:page * per_page], (page, extra)
        # Next and Previous by key: from each page to its neighbours, the same slices as by position.
        shown = attendees.search(session, p, org.id, event.id, Q(sort=sort, descending=descending, per_page=per_page,
                                                                 **extra))
        for page in range(2, pages + 1):
            shown = attendees.search(session, p, org.id, event.id, Q(sort=sort, descending=descending,
                                                                     per_page=per_page, page=page, **extra),
                                     total=whole.total, after=shown.last_key)
            assert [r.ticket_id for r in shown.rows] == expected[(page - 1) * per_page:page * per_page], (page, extra)
        for page in range(pages - 1, 0, -1):
            shown = attendees.search(session, p, org.id, event.id, Q(sort=sort, descending=descending,
                                                                     per_page=per_page, page=page, **extra),
                                     total=whole.total, before=shown.first_key)
            assert [r.ticket_id for r in shown.rows] == expected[(page - 1) * per_page:page * per_page], (page, extra)


def test_a_stale_count_never_gives_an_empty_page(make, session):
    """The count a page step passes may be a moment old (tickets cancelled since): a page read short is read
    again after a fresh count, and a page past the real end shows the last tickets, never nothing."""
    owner, org, event, _ = many(session, make, n=9)
    p = Principal(owner.id)
    valid = [r.ticket_id for r in attendees.search(session, p, org.id, event.id, Q(status="valid", per_page=50)).rows]
    assert len(valid) == 6
    got = attendees.search(session, p, org.id, event.id, Q(status="valid", per_page=4, page=2), total=100)
    assert (got.total, got.page, got.pages) == (6, 2, 2) and [r.ticket_id for r in got.rows] == valid[4:]
    got = attendees.search(session, p, org.id, event.id, Q(status="valid", per_page=4, page=3), total=11)
    assert [r.ticket_id for r in got.rows] == valid[-3:]


def test_next_page_by_key_skips_no_rows(make, session, monkeypatch):
    """Stepping to the next page reads from the last row shown (by key), not from the list's start: no OFFSET."""
    owner, org, event, _ = many(session, make, n=12)
    p = Principal(owner.id)
    first = attendees.search(session, p, org.id, event.id, Q(sort="name", descending=False, per_page=4))
    monkeypatch.setattr(attendees, "_page_ids", lambda *a: pytest.fail("read by position"))
    second = attendees.search(session, p, org.id, event.id, Q(sort="name", descending=False, per_page=4, page=2),
                              total=first.total, after=first.last_key)
    assert [r.attendee_name for r in second.rows] == ["P04", "P05", "P06", "P07"]


def test_a_page_step_with_the_count_known_does_not_count_again(make, session, monkeypatch):
    owner, org, event, _ = many(session, make, n=9)
    calls = []
    real = attendees.count
    monkeypatch.setattr(attendees, "count", lambda *a: calls.append(1) or real(*a))
    page = attendees.search(session, Principal(owner.id), org.id, event.id, Q(per_page=4, page=2), total=9)
    assert calls == [] and len(page.rows) == 4


def test_the_list_gives_the_attendees_own_email_and_the_buyers_apart(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Anna",
                          buyer_email="anna@example.com", tickets=[TR(tt.id, "Anna"), TR(tt.id, "Guest")])
    rows = attendees.search(session, Principal(owner.id), org.id, event.id, Q(sort="name", descending=False)).rows
    assert [(r.attendee_name, r.attendee_email, r.buyer_email) for r in rows] == [
        ("Anna", "", "anna@example.com"), ("Guest", "", "anna@example.com")]


def test_bad_filters_are_refused_with_the_field_named(make, session):
    owner, org, event, _, _ = people(make, session)
    with pytest.raises(ValidationError) as err:
        attendees.search(session, Principal(owner.id), org.id, event.id,
                         Q(sort="password_hash", per_page=10_000, status="paid"))
    assert set(err.value.errors) == {"sort", "per_page", "status"}


def test_detail_shows_answers_other_tickets_and_history(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    p = Principal(owner.id)
    company = questions.add_question(session, p, org.id, event.id,
                                     questions.QuestionInput(label="Company", kind="short_text"))
    result = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Buyer",
                                   buyer_email="b@example.com", tickets=[TR(tt.id, "One"), TR(tt.id, "Two")],
                                   answers={str(company.id): "ACME"})
    attendees.resend_confirmation(session, p, org.id, result.order.id)
    orders.cancel_ticket(session, p, org.id, result.tickets[1].id)
    seen = attendees.detail(session, p, org.id, result.tickets[0].id)
    assert seen.row.attendee_name == "One" and seen.answers == [("Company", "ACME")]
    assert [o.attendee_name for o in seen.others] == ["Two"] and seen.others[0].status == "cancelled"
    assert [h.action for h in seen.history] == ["order.create", "order.resend_confirmation", "ticket.cancel"]


def test_organizer_adds_a_speaker_to_a_hidden_type_quietly_but_never_past_the_limit(make, session):
    owner, org = make.org()
    event, _ = make.event(owner, org, publish=False)
    p = Principal(owner.id)
    crew = events.add_ticket_type(session, p, org.id, event.id, events.TicketTypeInput("Speakers", 1, hidden=True))
    added = attendees.add_attendee(session, p, org.id, event.id, name="Grace Hopper", email="grace@example.com",
                                   ticket_type_id=crew.id, notify=False)
    assert added.tickets[0].ticket_type_id == crew.id and added.order.status == "confirmed"
    session.rollback()
    assert session.exec(select(OutboxMessage).where(OutboxMessage.recipient == "grace@example.com")).all() == []
    with pytest.raises(SoldOut):
        attendees.add_attendee(session, p, org.id, event.id, name="Ada", email="ada@example.com",
                               ticket_type_id=crew.id)
    history = attendees.detail(session, p, org.id, added.tickets[0].id).history
    assert history[0].action == "order.create" and history[0].data["by_organizer"] is True
    assert history[0].actor == owner.name
    session.rollback()
    assert session.get(TicketType, crew.id).sold == 1


def test_added_with_notice_gets_the_confirmation_email(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    attendees.add_attendee(session, Principal(owner.id), org.id, event.id, name="Linus", email="linus@example.com",
                           ticket_type_id=tt.id)
    session.rollback()
    sent = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == "linus@example.com")).all()
    assert [m.kind for m in sent] == [registration.CONFIRMATION_EMAIL]


def test_csv_export_has_a_bom_answers_and_no_formulas(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    p = Principal(owner.id)
    q = questions.add_question(session, p, org.id, event.id, questions.QuestionInput(label="Город", kind="short_text"))
    registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Пётр Чайковский",
                          buyer_email="pyotr@example.com", ticket_type_id=tt.id, answers={str(q.id): "=HYPERLINK(1)"})
    export = attendees.export_rows(session, p, org.id, event.id, {"name": "Имя"})
    data = b"".join(exports.csv_chunks(export))
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "Имя" and rows[0][-1] == "Город"
    assert rows[1][0] == "Пётр Чайковский" and rows[1][-1] == "'=HYPERLINK(1)"


def test_xlsx_export_opens_with_every_row(make, session, tmp_path):
    owner, org, event, _, _ = people(make, session)
    export = attendees.export_rows(session, Principal(owner.id), org.id, event.id, {})
    data = b"".join(exports.xlsx_chunks(export))
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 6 and rows[1][0] == "Анна Смирнова" and rows[1][5] == "Valid"
    assert isinstance(rows[1][8], datetime) and abs(rows[1][8] - datetime.now()) < timedelta(days=1)


def test_exports_give_the_attendees_own_email_the_buyers_apart_and_status_in_words(make, session):
    """An attendee who gave no email is not given the buyer's without saying so: the email column is theirs
    (blank), the buyer's has a column of its own; statuses are words in the export's language, in CSV and XLSX."""
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    p = Principal(owner.id)
    result = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Анна Петрова",
                                   buyer_email="anna@example.com",
                                   tickets=[TR(tt.id, "Анна Петрова", "anna.work@example.com"), TR(tt.id, "Пётр")])
    orders.cancel_ticket(session, p, org.id, result.tickets[1].id)
    labels = {"name": "Имя", "email": "Email", "buyer_email": "Email покупателя", "status": "Статус"}
    export = attendees.export_rows(session, p, org.id, event.id, labels, locale="ru")
    rows = list(csv.reader(io.StringIO(b"".join(exports.csv_chunks(export)).decode("utf-8-sig"))))
    assert rows[0][:3] == ["Имя", "Email", "Email покупателя"] and rows[0][5] == "Статус"
    assert [(r[0], r[1], r[2], r[5]) for r in rows[1:]] == [
        ("Анна Петрова", "anna.work@example.com", "anna@example.com", "Действителен"),
        ("Пётр", "", "anna@example.com", "Отменён")]
    book = load_workbook(io.BytesIO(b"".join(exports.xlsx_chunks(
        attendees.export_rows(session, p, org.id, event.id, {}, locale="en")))), read_only=True)
    got = [r[:6] for r in book.active.iter_rows(values_only=True)][1:]
    assert [(r[1], r[2], r[5]) for r in got] == [("anna.work@example.com", "anna@example.com", "Valid"),
                                                 (None, "anna@example.com", "Cancelled")]


def test_xlsx_keeps_values_typed_and_quotes_what_excel_would_run():
    when = datetime(2031, 6, 1, 18, 30)
    header = ["Name", "Checked in", "Note", "Count", "Flag"]
    rows = [["=HYPERLINK(1)", when, "bell\x07 & <tag> ", 3, True], ["  spaced  ", None, "x" * 40000, 2.5, False]]
    data = b"".join(exports.xlsx_chunks(attendees.Export(header, iter(rows)), "Участники: [все]"))
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet.title == "Участники   все" and sheet.freeze_panes == "A2" and sheet["A1"].font.b
    got = [[c.value for c in row] for row in sheet.iter_rows()]
    assert got[0] == header
    assert got[1] == ["'=HYPERLINK(1)", when, "bell & <tag> ", 3, True]
    assert got[2][0] == "  spaced  " and got[2][1] is None and len(got[2][2]) == 32767 and got[2][3:] == [2.5, False]
    assert sheet["B2"].number_format == "yyyy-mm-dd hh:mm"


@pytest.mark.parametrize("chunk_sessions", [True, False], ids=["own-short-sessions", "one-held-session"])
def test_export_rows_hold_no_connection_between_chunks(make, session, engine, monkeypatch, chunk_sessions):
    """Between the rows it hands out, an export has given its connection back; the old way (one session for the
    whole export) kept one, and the same check sees it."""
    monkeypatch.setattr(attendees, "EXPORT_CHUNK", 2)
    monkeypatch.setattr(attendees, "EXPORT_CHUNK_SESSIONS", chunk_sessions)
    owner, org, event, _, _ = people(make, session)
    with Session(engine) as own:
        export = attendees.export_rows(own, Principal(owner.id), org.id, event.id, {})
    session.rollback()
    idle = engine.pool.checkedout()
    held = []
    names = []
    for row in export.rows:
        held.append(engine.pool.checkedout() - idle)
        names.append(row[0])
    assert names == ["Анна Смирнова", "Boris Becker", "Carla Bruni", "Dmitri Orlov", "Eva Green"]
    assert held == ([0] * 5 if chunk_sessions else [1] * 5)
    assert engine.pool.checkedout() == idle


def test_export_slots_are_bounded_and_always_given_back(monkeypatch):
    monkeypatch.setattr(exports, "_slots", threading.BoundedSemaphore(1))
    one = exports.stream(attendees.Export(["Name"], iter([["A"], ["B"]])), "csv")
    monkeypatch.setattr(exports, "EXPORT_WAIT_SECONDS", 0.05)
    with pytest.raises(ExportsBusy):
        exports.stream(attendees.Export(["Name"], iter([])), "csv")
    assert b"".join(one).decode("utf-8-sig").splitlines() == ["Name", "A", "B"]  # ends: its slot is free again
    two = exports.stream(attendees.Export(["Name"], iter([["C"]])), "xlsx")
    two.close()  # closed before a byte was read (the client went away at once): the slot is free too
    three = exports.stream(attendees.Export(["Name"], iter([["D"]] * 2000)), "csv")
    next(three)
    three.close()  # closed halfway
    three.close()
    exports.take_slot(wait=0).release()


@pytest.mark.parametrize("role", ["checkin", "outsider"])
def test_check_in_staff_and_outsiders_see_no_attendee_list(make, session, role):
    """Check-in staff find people at the door through the check-in lists (services/checkin), not the attendee
    list, its details or its exports; outsiders do not even learn the event exists."""
    owner, org, event, (ga, _), results = people(make, session)
    if role == "outsider":
        _, other = make.org()
        who, error = member(session, other, "owner"), NotFound
    else:
        who, error = member(session, org, "checkin"), Forbidden
    with pytest.raises(error):
        attendees.search(session, who, org.id, event.id)
    with pytest.raises(error):
        attendees.detail(session, who, org.id, results[0].tickets[0].id)
    with pytest.raises(error):
        attendees.export_rows(session, who, org.id, event.id, {})
    with pytest.raises(error):
        attendees.add_attendee(session, who, org.id, event.id, name="X", email="x@example.com", ticket_type_id=ga.id)
    with pytest.raises(error):
        attendees.resend_confirmation(session, who, org.id, results[0].order.id)
    # A ticket of another organization is not found even through one's own organization.
    _, mine = make.org(owner=None)
    with pytest.raises(NotFound):
        attendees.detail(session, Principal(owner.id), mine.id, results[0].tickets[0].id)
