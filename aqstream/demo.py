"""Demo data for a first look: an organizer, an organization with a published event, a few attendees.

Run with `python -m aqstream.demo`; it does nothing if the demo organization exists already."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from aqstream.db import session_scope
from aqstream.models import Organization
from aqstream.services import accounts, events, organizations, registration
from aqstream.services.clock import utcnow
from aqstream.services.permissions import Principal

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-organizer-2026"
DEMO_SLUG = "demo"


def main() -> None:
    with session_scope() as session:
        if session.exec(select(Organization.id).where(Organization.slug == DEMO_SLUG)).first():
            print(f"demo: already there. Sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}")
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
        for name, email in [("Anna Ivanova", "anna@example.com"), ("Boris Petrov", "boris@example.com"),
                            ("Claire Martin", "claire@example.com")]:
            registration.register(session, org_slug=org.slug, event_slug=meetup.slug, ticket_type_id=general.id,
                                  buyer_name=name, buyer_email=email)
        events.create_event(
            session,
            me,
            org.id,
            events.EventInput(
                title="Online workshop: Reflex basics",
                online_url="https://meet.example.org/reflex",
                starts_local=start + timedelta(days=7),
                ends_local=start + timedelta(days=7, hours=2),
                time_zone="Europe/Moscow",
                ticket_types=[events.TicketTypeInput("Participant", 30)],
            ),
        )
    print(f"demo: created. Sign in at http://localhost:3000/signin as {DEMO_EMAIL} / {DEMO_PASSWORD}")
    print("demo: public event page: http://localhost:3000/e/demo/python-meetup-moscow")


if __name__ == "__main__":
    main()
