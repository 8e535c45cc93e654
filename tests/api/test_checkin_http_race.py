"""Two devices scanning the same ticket at the same moment, online, through real HTTP requests on PostgreSQL:
exactly one "welcome" and one "already checked in", round after round. The companion switches the guard off
(read, then write, as a naive scanner would) and must see a ticket welcomed twice, so the check can fail."""
from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from aqstream.services.accounts import accounts
from aqstream.services.checkin import scans
from aqstream.services.events import events
from aqstream.services.org import organizations
from aqstream.services.org.permissions import Principal
from aqstream.services.sales import registration
from tests.conftest import BACKENDS
from tests.served_api import fresh_database, serve

pytestmark = pytest.mark.skipif("postgresql" not in BACKENDS, reason="AQSTREAM_SKIP_PG=1")

PASSWORD = "a-good-long-passphrase"
ROUNDS = 12
DEVICES = 2


@pytest.fixture(scope="module")
def door():
    """A fresh PostgreSQL database with an event of ROUNDS * 2 tickets, served by the API on a real socket."""
    with fresh_database() as (url, s):
        owner = accounts.sign_up(s, name="Door Owner", email="door-owner@example.com", password=PASSWORD)
        me = Principal(owner.id)
        org = organizations.create_organization(s, me, name="Door Org", slug="door-org", time_zone="UTC")
        event = events.create_event(s, me, org.id, events.EventInput(
            title="Door night", ticket_types=[events.TicketTypeInput("Entry", ROUNDS * 4)],
            starts_local="2031-09-01T19:00", ends_local="2031-09-01T22:00", time_zone="UTC", venue="Hall"))
        event = events.publish_event(s, me, org.id, event.id)
        entry = events.list_ticket_types(s, event.id)[0]
        codes = [registration.register(
            s, org_slug=org.slug, event_slug=event.slug, buyer_name=f"Guest {i}",
            buyer_email=f"guest{i}@example.com", tickets=[registration.TicketRequest(entry.id, f"Guest {i}")]
        ).tickets[0].code for i in range(ROUNDS * 2)]
        list_id = scans.default_list(s, me, org.id, event.id).id
        with serve() as base:
            with httpx.Client(base_url=base, timeout=30) as client:
                token = client.post("/api/v1/auth/token", json={"email": "door-owner@example.com",
                                                                "password": PASSWORD})
                assert token.status_code == 200, token.text
            yield {"base": base, "token": token.json()["access_token"], "list_id": list_id, "codes": codes}


def _rounds(door, codes: list[str], tag: str) -> list[Counter]:
    """Each round: DEVICES clients, each on its own connection, released together to scan one ticket."""
    headers = {"Authorization": f"Bearer {door['token']}"}
    clients = [httpx.Client(base_url=door["base"], headers=headers, timeout=30) for _ in range(DEVICES)]
    url = f"/api/v1/checkin-lists/{door['list_id']}/scans"
    outcomes = []
    try:
        for c in clients:  # connections open before the race
            assert c.get(f"/api/v1/checkin-lists/{door['list_id']}/stats").status_code == 200
        with ThreadPoolExecutor(max_workers=DEVICES) as pool:
            for n, code in enumerate(codes):
                barrier = threading.Barrier(DEVICES)

                def scan(i, code=code, barrier=barrier, n=n):
                    barrier.wait()
                    response = clients[i].post(url, json={"code": code, "client_scan_id": f"{tag}-{n}-{i}",
                                                          "device": f"Door {i + 1}"})
                    return response.json()["result"] if response.status_code == 200 else response.text
                outcomes.append(Counter(pool.map(scan, range(DEVICES))))
    finally:
        for c in clients:
            c.close()
    return outcomes


def test_two_devices_at_the_same_moment_one_welcome(door):
    outcomes = _rounds(door, door["codes"][:ROUNDS], "guarded")
    assert all(o == {"ok": 1, "already": DEVICES - 1} for o in outcomes), outcomes


def test_with_the_guard_off_the_same_race_welcomes_twice(door, monkeypatch):
    monkeypatch.setattr(scans, "GUARD_ENABLED", False)
    outcomes = _rounds(door, door["codes"][ROUNDS:], "naive")
    assert any(o["ok"] > 1 for o in outcomes), outcomes
