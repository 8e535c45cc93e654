"""A platform admin's export of a whole organization (a ZIP of CSV files, streamed) and its deletion (personal data
removed or anonymized, platform totals kept, gone from every public page)."""
import csv
import io
import zipfile

import pytest
from sqlalchemy import JSON, String, Text, TypeDecorator, cast, func
from sqlmodel import SQLModel, select

from aqstream.models import Answer, AuditEntry, DomainEvent, Event, Membership, Order, Organization, Ticket
from aqstream.services.errors import Conflict, ExportsBusy, NotFound, ValidationError
from aqstream.services.events import catalog, events, questions
from aqstream.services.org import team
from aqstream.services.org.permissions import Principal
from aqstream.services.platform import admins, tenants
from aqstream.services.platform import export as org_export
from aqstream.services.sales import registration
from aqstream.services.sales.registration import TicketRequest as TR
from tests.conftest import unique


def world(make, session):
    """An admin, an organization with an event, a question, two orders, a pending invitation; another
    organization with one order of its own."""
    admin = make.user(name="Platform Admin")
    admins.grant(session, None, admin.email)
    owner, org = make.org()
    event, (ga,) = make.event(owner, org, quantities=(20,))
    note = questions.add_question(session, Principal(owner.id), org.id, event.id,
                                  questions.QuestionInput(label="Note", kind="short_text"))
    buyers = [f"{unique('buyer')}@example.com" for _ in range(2)]
    anna, boris = f"Анна Смирнова {unique('')}", f"Boris {unique('')}"  # the database is shared by the tests
    first = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name=anna,
                                  buyer_email=buyers[0], tickets=[TR(ga.id, anna), TR(ga.id, boris)],
                                  answers={str(note.id): "=SUM(A1:A9)"})
    second = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Carla",
                                   buyer_email=buyers[1], tickets=[TR(ga.id, "Carla")])
    invited = f"{unique('invitee')}@example.com"
    team.invite(session, Principal(owner.id), org.id, email=invited, role="staff")
    other_owner, other = make.org()
    other_event, (other_ga,) = make.event(other_owner, other, quantities=(5,))
    other_buyer = f"{unique('other')}@example.com"
    registration.register(session, org_slug=other.slug, event_slug=other_event.slug, buyer_name="Other Person",
                          buyer_email=other_buyer, tickets=[TR(other_ga.id, "Other Person")])
    return dict(admin=admin, owner=owner, org=org, event=event, note=note, buyers=buyers, invited=invited, anna=anna,
                boris=boris,
                orders=[first.order, second.order], other=other, other_buyer=other_buyer, other_event=other_event)


def read_zip(stream) -> tuple[zipfile.ZipFile, list[bytes]]:
    pieces = list(stream)
    return zipfile.ZipFile(io.BytesIO(b"".join(pieces))), pieces


def table(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    text = archive.read(name).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_export_is_a_zip_of_every_table_of_the_organization_only(make, session):
    w = world(make, session)
    org, admin = w["org"], w["admin"]
    archive, _ = read_zip(org_export.export_organization(session, Principal(admin.id), org.id))
    assert archive.namelist() == [*org_export.FILES, "README.txt"]
    assert archive.testzip() is None
    events_csv = table(archive, "events.csv")
    assert events_csv[0][:4] == ["id", "slug", "title", "status"]
    assert [r[1] for r in events_csv[1:]] == [w["event"].slug]
    types = table(archive, "ticket_types.csv")
    assert types[0][:3] == ["id", "event_id", "name"] and len(types) == 2
    orders_csv = table(archive, "orders.csv")
    assert orders_csv[0][:5] == ["id", "event_id", "buyer_name", "buyer_email", "user_id"]
    assert sorted(r[3] for r in orders_csv[1:]) == sorted(w["buyers"])
    assert w["anna"] in {r[2] for r in orders_csv[1:]}
    tickets_csv = table(archive, "tickets.csv")
    assert tickets_csv[0][:6] == ["id", "order_id", "event_id", "ticket_type_id", "attendee_name", "attendee_email"]
    assert sorted(r[4] for r in tickets_csv[1:]) == sorted([w["anna"], w["boris"], "Carla"])
    assert all(r[9].endswith("Z") for r in tickets_csv[1:])  # created_at, UTC ISO 8601
    answers_csv = table(archive, "answers.csv")
    assert answers_csv[0] == ["id", "order_id", "ticket_id", "event_id", "question_id", "question", "value"]
    assert [r[5:] for r in answers_csv[1:]] == [["Note", "'=SUM(A1:A9)"]]  # a formula is quoted, not run
    members = table(archive, "members.csv")
    assert members[0] == ["id", "user_id", "name", "email", "role", "joined_at"]
    assert [(r[3], r[4]) for r in members[1:]] == [(w["owner"].email, "owner")]
    audit = table(archive, "audit.csv")
    assert audit[0][:3] == ["id", "at", "action"]
    assert {"event.create", "platform.export"} <= {r[2] for r in audit[1:]}
    everything = b"".join(archive.read(n) for n in archive.namelist()).decode("utf-8")
    assert w["other_buyer"] not in everything and w["other"].slug not in everything
    readme = archive.read("README.txt").decode()
    assert org.slug in readme and "tickets.csv: 3" in readme and "orders.csv: 2" in readme
    # Recorded, and audited for the platform.
    assert [e.payload for e in session.exec(select(DomainEvent).where(
        DomainEvent.name == "organization.exported")).all() if e.organization_id == org.id] == [
        {"organization_id": org.id}]
    assert session.exec(select(AuditEntry).where(AuditEntry.organization_id == org.id,
                                                 AuditEntry.action == "platform.export")).first().actor_user_id == admin.id


def test_export_streams_in_pieces_read_page_by_page(make, session):
    w = world(make, session)
    manifest = org_export._Manifest(w["org"], w["org"].created_at)
    pieces = list(org_export.zip_chunks(session.get_bind(), w["org"].id, manifest, chunk=1, piece_bytes=64))
    assert len(pieces) > len(org_export.FILES)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(pieces)))
    assert len(table(archive, "tickets.csv")) == 4 and manifest.counts["tickets.csv"] == 3


def test_export_and_delete_are_for_platform_admins_only(make, session):
    w = world(make, session)
    org = w["org"]
    tenants.suspend(session, Principal(w["admin"].id), org.id, "Checking")
    stranger = make.user()
    for who in (w["owner"], stranger):  # the organization's own owner included
        with pytest.raises(NotFound):
            org_export.export_organization(session, Principal(who.id), org.id)
        with pytest.raises(NotFound):
            org_export.delete_organization(session, Principal(who.id), org.id, org.slug)
    with pytest.raises(NotFound):
        org_export.export_organization(session, Principal(w["admin"].id), 10 ** 9)
    assert session.get(Organization, org.id).status == "suspended"


def test_a_busy_export_records_nothing(make, session, monkeypatch):
    w = world(make, session)

    def busy():
        raise ExportsBusy(seconds=30)

    monkeypatch.setattr(org_export, "take_slot", busy)
    with pytest.raises(ExportsBusy):
        org_export.export_organization(session, Principal(w["admin"].id), w["org"].id)
    assert not session.exec(select(DomainEvent).where(DomainEvent.name == "organization.exported",
                                                      DomainEvent.organization_id == w["org"].id)).all()


def test_delete_is_refused_unless_suspended_and_the_slug_is_typed_exactly(make, session):
    w = world(make, session)
    org, admin = w["org"], Principal(w["admin"].id)
    with pytest.raises(Conflict) as err:
        org_export.delete_organization(session, admin, org.id, org.slug)
    assert err.value.message_key == "admin.delete.not_suspended"
    tenants.suspend(session, admin, org.id, "Asked to leave")
    for typed in ("", org.slug.upper(), org.slug + " ", org.slug[:-1]):
        with pytest.raises(ValidationError) as err:
            org_export.delete_organization(session, admin, org.id, typed)
        assert err.value.errors == {"confirm_slug": "admin.delete.confirm_slug"}
    assert session.get(Organization, org.id).status == "suspended"
    assert session.exec(select(func.count()).select_from(Order).where(Order.organization_id == org.id,
                                                                      Order.buyer_email != "")).one() == 2


def _mentions(session, needle: str) -> list[str]:
    """Every table.column (text or JSON) holding `needle` anywhere."""
    found = []
    for tbl in SQLModel.metadata.sorted_tables:
        for column in tbl.columns:
            kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type  # sqlmodel's AutoString
            if not isinstance(kind, (String, Text, JSON)):
                continue
            text = cast(column, Text) if isinstance(column.type, JSON) else column
            if session.exec(select(func.count()).select_from(tbl).where(text.contains(needle))).one():
                found.append(f"{tbl.name}.{column.name}")
    session.rollback()
    return found


def _totals(session) -> tuple[int, int, int, int]:
    count = lambda model: session.exec(select(func.count()).select_from(model)).one()  # noqa: E731
    return count(Event), count(Ticket), count(Order), count(Organization)


def test_delete_removes_personal_data_keeps_totals_and_the_organization_is_gone(make, session):
    w = world(make, session)
    org, admin, event = w["org"], Principal(w["admin"].id), w["event"]
    tenants.suspend(session, admin, org.id, "Asked to leave")
    archive, _ = read_zip(org_export.export_organization(session, admin, org.id))  # the last copy, while suspended
    assert len(table(archive, "tickets.csv")) == 4
    old_tokens = [o.access_token for o in w["orders"]]
    old_codes = set(session.exec(select(Ticket.code).where(Ticket.event_id == event.id)).all())
    for needle in (*w["buyers"], w["invited"], w["anna"]):
        assert _mentions(session, needle)
    before = _totals(session)

    gone = org_export.delete_organization(session, admin, org.id, org.slug)

    assert (gone.orders, gone.tickets, gone.slug) == (2, 3, org.slug)
    for needle in (*w["buyers"], w["invited"], w["anna"], w["boris"], *old_tokens, *old_codes):
        assert _mentions(session, needle) == [], needle
    assert _mentions(session, w["other_buyer"])  # another organization's people stay
    assert not session.exec(select(Answer).where(Answer.order_id.in_([o.id for o in w["orders"]]))).all()
    assert _totals(session) == before
    kept = session.get(Event, event.id)
    assert (kept.status, kept.sold) == ("published", 3)
    assert session.exec(select(func.count()).select_from(Ticket).where(Ticket.event_id == event.id,
                                                                       Ticket.status == "valid")).one() == 3
    assert not session.exec(select(Membership).where(Membership.organization_id == org.id)).all()
    stored = session.get(Organization, org.id)
    assert (stored.status, stored.slug) == ("deleted", org.slug)  # the slug stays reserved
    deleted = session.exec(select(DomainEvent).where(DomainEvent.name == "organization.deleted",
                                                     DomainEvent.organization_id == org.id)).all()
    assert [e.payload for e in deleted] == [{"organization_id": org.id, "slug": org.slug}]
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "platform.delete",
                                                  AuditEntry.organization_id == org.id)).one()
    assert (entry.organization_id, entry.object_id, entry.data, entry.actor_user_id) == (
        org.id, org.id, {"slug": org.slug}, w["admin"].id)
    assert session.exec(select(AuditEntry).where(AuditEntry.organization_id == org.id,
                                                 AuditEntry.action == "platform.suspend")).first() is not None
    # Gone from every public page; the other organization is still there.
    with pytest.raises(NotFound):
        events.get_public_event(session, org.slug, event.slug)
    with pytest.raises(NotFound):
        catalog.organization_events(session, org.slug)
    found = catalog.search_catalog(session, catalog.CatalogQuery(words=event.title)).rows
    assert event.id not in {card.event_id for card in found}
    assert catalog.search_catalog(session, catalog.CatalogQuery(words=w["other_event"].title)).total == 1
    events.get_public_event(session, w["other"].slug, w["other_event"].slug)
    for who in (w["owner"], w["admin"]):  # from the owner's dashboard, and no support view of it either
        with pytest.raises(NotFound):
            events.list_events(session, Principal(who.id), org.id)
    # Nothing more to export, delete, suspend or reactivate.
    with pytest.raises(NotFound):
        org_export.export_organization(session, admin, org.id)
    with pytest.raises(NotFound):
        org_export.delete_organization(session, admin, org.id, org.slug)
    with pytest.raises(NotFound):
        tenants.suspend(session, admin, org.id, "Again")
    with pytest.raises(NotFound):
        tenants.reactivate(session, admin, org.id)
    assert session.get(Organization, org.id).status == "deleted"


def test_a_deletion_that_fails_part_way_leaves_everything_as_it_was(make, session, monkeypatch):
    w = world(make, session)
    org, admin = w["org"], Principal(w["admin"].id)
    tenants.suspend(session, admin, org.id, "Asked to leave")
    real = org_export.domain_events.record

    def fail_last(session_, name, *args, **kwargs):
        if name == "organization.deleted":  # every UPDATE and DELETE has run by now
            raise RuntimeError("the database went away")
        return real(session_, name, *args, **kwargs)

    monkeypatch.setattr(org_export.domain_events, "record", fail_last)
    with pytest.raises(RuntimeError):
        org_export.delete_organization(session, admin, org.id, org.slug)
    assert session.get(Organization, org.id).status == "suspended"
    assert sorted(session.exec(select(Order.buyer_email).where(Order.organization_id == org.id)).all()) == sorted(
        w["buyers"])
    assert session.exec(select(Membership).where(Membership.organization_id == org.id)).first() is not None
    assert session.exec(select(Answer).where(Answer.order_id == w["orders"][0].id)).first() is not None
