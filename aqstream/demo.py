"""Demo data for a first look: an organizer, an organization with a published event, a few attendees.

Run with `python -m aqstream.demo`; it does nothing if the demo organization exists already."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import select

from aqstream import config
from aqstream.db import session_scope
from aqstream.models import Event, Organization, TicketType
from aqstream.services.accounts import accounts
from aqstream.services.checkin import scans
from aqstream.services.clock import utcnow
from aqstream.services.events import events
from aqstream.services.org import organizations, team
from aqstream.services.org.permissions import Principal
from aqstream.services.payments import payments, settings
from aqstream.services.platform import admins
from aqstream.services.sales import registration

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-organizer-2026"
DEMO_SLUG = "demo"
ADMIN_EMAIL = "admin@example.com"  # the demo's platform admin: runs /admin, is no member of any organization
ADMIN_PASSWORD = "demo-platform-admin-2026"
STEWARD_EMAIL = "door@example.com"  # check-in staff of the demo organization: the scanner and the lists, nothing else
STEWARD_PASSWORD = "demo-door-steward-2026"


def main() -> None:
    with session_scope() as session:
        if session.exec(select(Organization.id).where(Organization.slug == DEMO_SLUG)).first():
            print(f"demo: already there. Sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}")
            print(f"demo: platform admin: {ADMIN_EMAIL} / {ADMIN_PASSWORD} ({config.public_base_url()}/admin)")
            print(f"demo: check-in steward: {STEWARD_EMAIL} / {STEWARD_PASSWORD}")
            return
        user = accounts.sign_up(session, name="Demo Organizer", email=DEMO_EMAIL, password=DEMO_PASSWORD)
        me = Principal(user.id)
        org = organizations.create_organization(session, me, name="AqStream Demo", slug=DEMO_SLUG,
                                                time_zone="Europe/Moscow")
        start = (utcnow() + timedelta(days=14)).replace(hour=16, minute=0, second=0, microsecond=0)
        meetup = events.create_event(
            session,
            me,
            org.id,
            events.EventInput(
                title="Python Meetup Moscow",
                description="Three talks on Python in production, then pizza and conversation.\n"
                            "Три доклада о Python в продакшене, потом пицца и общение.",
                venue="Moscow, Tverskaya 1",
                city="Moscow",
                tags="python, backend",
                starts_local=start,
                ends_local=start + timedelta(hours=3),
                time_zone="Europe/Moscow",
                capacity=120,
                ticket_types=[events.TicketTypeInput("General admission", 100),
                              events.TicketTypeInput("Speaker", 20)],
            ),
        )
        events.publish_event(session, me, org.id, meetup.id)
        general = events.list_ticket_types(session, meetup.id)[0]
        bought = [registration.register(session, org_slug=org.slug, event_slug=meetup.slug,
                                        ticket_type_id=general.id, buyer_name=name, buyer_email=email)
                  for name, email in [("Anna Ivanova", "anna@example.com"), ("Boris Petrov", "boris@example.com"),
                                      ("Claire Martin", "claire@example.com")]]
        _door(session, me, org.id, meetup.id, bought[0].tickets[0].code)
        events.create_event(
            session,
            me,
            org.id,
            events.EventInput(
                title="Online workshop: Reflex basics",
                online_url="https://meet.example.org/reflex",
                tags="python, web",
                locale="en",
                starts_local=start + timedelta(days=7),
                ends_local=start + timedelta(days=7, hours=2),
                time_zone="Europe/Moscow",
                ticket_types=[events.TicketTypeInput("Participant", 30)],
            ),
        )
        _more_events(session, me, org.id, start)
        _paid(session, me, org.id, org.slug)
        accounts.sign_up(session, name="Platform Admin", email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
        admins.grant(session, None, ADMIN_EMAIL)
    print(f"demo: platform admin: {ADMIN_EMAIL} / {ADMIN_PASSWORD} ({config.public_base_url()}/admin)")
    print(f"demo: created. Sign in at {config.public_base_url()}/signin as {DEMO_EMAIL} / {DEMO_PASSWORD}")
    print(f"demo: public event page: {config.public_base_url()}/e/demo/python-meetup-moscow")
    print(f"demo: the catalog: {config.public_base_url()}/events")
    print(f"demo: check-in steward: {STEWARD_EMAIL} / {STEWARD_PASSWORD} (the event's Check-in tab and scanner)")
    print("demo: paid tickets (bank transfer): the jazz evening; connect Stripe or YooKassa on the Payments settings")


def _door(session, me: Principal, org_id: int, event_id: int, first_code: str) -> None:
    """A check-in steward who joined by invitation, and one attendee already let in at the door."""
    steward = accounts.sign_up(session, name="Door Steward", email=STEWARD_EMAIL, password=STEWARD_PASSWORD)
    issued = team.invite(session, me, org_id, email=STEWARD_EMAIL, role="checkin")
    team.accept_invitation(session, Principal(steward.id), issued.token)
    door = scans.default_list(session, me, org_id, event_id)
    scans.redeem(session, me, org_id, door.id, first_code, client_scan_id="demo-1", device="Demo door")


def _paid(session, me: Principal, org_id: int, org_slug: str) -> None:
    """Payments: the organization takes bank transfers; the jazz evening sells tickets at 1,500 RUB (one paid and
    one awaiting its transfer). Card providers need the organizer's own keys (the Payments settings page)."""
    settings.update_settings(session, me, org_id, settings.SettingsInput(
        bank_enabled=True, bank_instructions="Bank: Demo Bank\nAccount: 40702810000000000001\nBIK: 044525000\n"
                                             "Recipient: AqStream Demo. Write the reference in the payment details."))
    event = session.exec(select(Event).where(Event.organization_id == org_id, Event.slug.startswith("vecher"))).first() \
        or session.exec(select(Event).where(Event.organization_id == org_id, Event.title == MORE[0][0])).one()
    session.exec(update(Event).where(Event.id == event.id).values(currency="RUB", pay_bank=True, bank_transfer_days=3))
    session.exec(update(TicketType).where(TicketType.event_id == event.id).values(price_minor=150000, currency="RUB"))
    session.commit()
    tt = session.exec(select(TicketType).where(TicketType.event_id == event.id)).first()
    for name, email, paid in (("Дарья Смирнова", "daria@example.com", True), ("Егор Орлов", "egor@example.com", False)):
        order = registration.register(session, org_slug=org_slug, event_slug=event.slug, ticket_type_id=tt.id,
                                      buyer_name=name, buyer_email=email, payment_method="bank", locale="ru").order
        payments.start(session, order.access_token, "bank", config.public_base_url())
        if paid:
            payments.mark_paid(session, me, org_id, order.id)


# A few more published events so the catalog (/events) has something to search, filter and recommend.
MORE = [
    # title, description, venue, city, online link, tags, page language, days after the meetup
    ("Вечер джаза на крыше", "Квартет, закат и лимонад.", "Крыша на Покровке", "Moscow", "", "jazz, music", "ru", 3),
    ("Data science breakfast", "Short talks on data pipelines over coffee.", "IT Park", "Kazan", "",
     "data, python", "en", 5),
    ("Лекция: история джаза", "От Нового Орлеана до бибопа.", "Дом музыки", "Kazan", "", "jazz, history", "ru", 9),
    ("Frontend meetup", "Web components, CSS and accessibility.", "Loft Hall", "Saint Petersburg", "",
     "javascript, web", "en", 11),
    ("Online: testing with pytest", "Fixtures, parametrization and property-based tests.", "", "",
     "https://meet.example.org/pytest", "python, testing", "en", 12),
]


def _more_events(session, me: Principal, org_id: int, start) -> None:
    for title, description, venue, city, online_url, tags, locale, days in MORE:
        begins = start + timedelta(days=days)
        event = events.create_event(session, me, org_id, events.EventInput(
            title=title, description=description, venue=venue, city=city, online_url=online_url, tags=tags,
            locale=locale, starts_local=begins, ends_local=begins + timedelta(hours=2), time_zone="Europe/Moscow",
            ticket_types=[events.TicketTypeInput("General admission", 50)]))
        events.publish_event(session, me, org_id, event.id)


if __name__ == "__main__":
    main()
