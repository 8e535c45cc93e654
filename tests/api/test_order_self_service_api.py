"""The attendee's public order routes: correcting a ticket's name, and the event as an .ics file."""
from datetime import timedelta

import icalendar

from aqstream.models import Event
from aqstream.services.clock import utcnow
from aqstream.services.sales import registration
from aqstream.services.sales.registration import TicketRequest as TR


def order(session, org, event, tt, *names):
    return registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Buyer",
                                 buyer_email="buyer@example.com", tickets=[TR(tt.id, n) for n in names])


def test_rename_a_ticket_by_the_order_link(client, make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    mine = order(session, org, event, tt, "Anna", "Boris")
    theirs = order(session, org, event, tt, "Vera")
    url = f"/api/v1/public/orders/{mine.order.access_token}/tickets"
    ok = client.put(f"{url}/{mine.tickets[1].id}", json={"attendee_name": "Борис Петров"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["attendee_name"] == "Борис Петров" and ok.json()["code"] == mine.tickets[1].code
    shown = client.get(f"/api/v1/public/orders/{mine.order.access_token}").json()
    assert [t["attendee_name"] for t in shown["tickets"]] == ["Anna", "Борис Петров"]

    empty = client.put(f"{url}/{mine.tickets[0].id}", json={"attendee_name": "  "})
    assert empty.status_code == 422 and "attendee_name" in empty.json()["error"]["fields"]
    assert client.put(f"{url}/{mine.tickets[0].id}", json={}).status_code == 422
    assert client.put(f"{url}/{theirs.tickets[0].id}", json={"attendee_name": "X"}).status_code == 404
    assert client.put(f"/api/v1/public/orders/nope/tickets/{mine.tickets[0].id}",
                      json={"attendee_name": "X"}).status_code == 404

    row = session.get(Event, event.id)
    row.attendees_can_edit_names = False
    session.add(row)
    session.commit()
    refused = client.put(f"{url}/{mine.tickets[0].id}", json={"attendee_name": "Anna K"},
                         headers={"Accept-Language": "ru"})
    assert refused.status_code == 403 and refused.json()["error"]["message"].startswith("Организатор не разрешает")
    row = session.get(Event, event.id)
    row.attendees_can_edit_names, row.starts_at = True, utcnow() - timedelta(minutes=1)
    session.add(row)
    session.commit()
    assert client.put(f"{url}/{mine.tickets[0].id}", json={"attendee_name": "Anna K"}).status_code == 409


def test_calendar_file_of_an_order(client, make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org, starts="2031-06-01T18:00", ends="2031-06-01T21:00",
                              time_zone="Europe/Moscow")
    mine = order(session, org, event, tt, "Anna")
    response = client.get(f"/api/v1/public/orders/{mine.order.access_token}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.headers["content-disposition"] == f'attachment; filename="{event.slug}.ics"'
    (vevent,) = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    start = vevent.decoded("DTSTART")
    assert (start.hour, start.minute, str(start.tzinfo)) == (18, 0, "Europe/Moscow")
    assert str(vevent["SUMMARY"]) == event.title and str(vevent["LOCATION"]) == "Main hall"
    assert str(vevent["URL"]).endswith(f"/e/{org.slug}/{event.slug}")
    assert mine.order.access_token not in response.text  # the secret link stays out of shareable calendars
    assert client.get("/api/v1/public/orders/not-a-token/calendar.ics").status_code == 404
