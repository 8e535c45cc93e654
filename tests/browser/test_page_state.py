"""What a page's state carries and what its tab says, in the real app: the organizer dashboard pages its
events (the page in the URL, each section counted) at desktop and phone width with a small state and no
translation catalogue in it; the language switch changes every text and the title at once; the public event
page keeps the event's title in the tab, in both languages."""
import json
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from aqstream.db import make_engine
from aqstream.i18n import LOCALES, catalogue
from aqstream.services.accounts import accounts
from aqstream.services.clock import utcnow
from aqstream.services.events import events
from aqstream.services.org import organizations
from aqstream.services.org.permissions import Principal
from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll, shot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world(app_url, app_data):
    """An organization with 30 upcoming events, 8 drafts and 3 past ones, straight into the served app's
    database, and a signed-in session of its owner."""
    engine = make_engine(f"sqlite:///{app_data}/aqstream.db")
    with Session(engine) as session:
        owner = accounts.sign_up(session, name="Paula Pages", email="paula.pages@example.com",
                                 password="a-good-long-passphrase")
        me = Principal(owner.id)
        org = organizations.create_organization(session, me, name="Paged Org", slug="paged-org",
                                                time_zone="Europe/Moscow")
        start = (utcnow() + timedelta(days=10)).replace(hour=15, minute=0, second=0, microsecond=0)

        def add(title, day, publish=True):
            begins = start + timedelta(days=day)
            event = events.create_event(session, me, org.id, events.EventInput(
                title=title, venue="Main hall", starts_local=begins, ends_local=begins + timedelta(hours=2),
                time_zone="Europe/Moscow", ticket_types=[events.TicketTypeInput("Entry", 40)]))
            if publish:
                events.publish_event(session, me, org.id, event.id)
            return event

        first = add("Upcoming talk 01", 0)
        for i in range(1, 30):
            add(f"Upcoming talk {i + 1:02d}", i)
        for i in range(8):
            add(f"Draft idea {i + 1}", 40 + i, publish=False)
        token = accounts.create_session(session, owner.id, "browser test")
        slug = first.slug
    engine.dispose()
    return {"dashboard": f"{app_url}/o/paged-org", "token": token, "event": f"{app_url}/e/paged-org/{slug}",
            "base": app_url}


def signed_in(new_page, world, viewport=DESKTOP, **kw):
    page = new_page(viewport, **kw)
    page.context.add_cookies([{"name": "aq_session", "value": world["token"], "url": world["base"]}])
    return page


def state_frames(page) -> list[str]:
    """The websocket's event frames (socket.io "42..."), as they arrive: the page's state."""
    frames: list[str] = []

    def on_ws(ws):
        ws.on("framereceived", lambda payload: frames.append(payload if isinstance(payload, str)
                                                             else payload.decode("utf-8", "replace")))
    page.on("websocket", on_ws)
    return frames


def section(page, heading: str):
    return page.get_by_role("region", name=heading)


def test_the_dashboard_pages_each_section_with_a_small_state(world, new_page):
    page = signed_in(new_page, world)
    frames = state_frames(page)
    page.goto(world["dashboard"])
    upcoming = section(page, "Upcoming")
    expect(upcoming.get_by_role("link", name="Upcoming talk 01")).to_be_visible()
    # The overview: the first six of each section, and a link to all of them with their number.
    expect(upcoming.get_by_role("link", name=re.compile(r"^Upcoming talk"))).to_have_count(6)
    expect(section(page, "Drafts").get_by_role("link", name=re.compile(r"^Draft idea"))).to_have_count(6)
    expect(section(page, "Drafts").get_by_role("link", name="All drafts (8)")).to_be_visible()
    state = "".join(f for f in frames if f.startswith("42"))
    assert len(state.encode()) < 50_000
    long_texts = {t for code in LOCALES for t in catalogue(code).values() if len(t) > 25}
    assert [t for t in long_texts if json.dumps(t)[1:-1] in state or t in state] == []  # no catalogue
    shot(page, "dashboard-overview-desktop")

    upcoming.get_by_role("link", name="All upcoming events (30)").click()
    expect(page).to_have_url(re.compile(r"/o/paged-org\?section=upcoming$"))
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    expect(upcoming.get_by_role("link", name=re.compile(r"^Upcoming talk"))).to_have_count(20)
    expect(page.get_by_role("region", name="Drafts")).to_have_count(0)
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"section=upcoming&page=2$"))
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    expect(upcoming.get_by_role("link", name=re.compile(r"^Upcoming talk"))).to_have_count(10)
    expect(upcoming.get_by_role("link", name="Upcoming talk 30")).to_be_visible()
    expect(page.get_by_role("link", name="Next page")).to_have_count(0)  # the last page
    shot(page, "dashboard-section-page-2-desktop")
    page.get_by_role("link", name="Previous page").click()
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    page.get_by_role("link", name="All sections").click()
    expect(section(page, "Drafts")).to_be_visible()

    # A page number from a hand-written URL never breaks the page: out of range is the last page, junk the first.
    page.goto(world["dashboard"] + "?section=upcoming&page=99")
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    page.goto(world["dashboard"] + "?section=upcoming&page=abc")
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()


def test_the_dashboard_on_a_phone(world, new_page):
    page = signed_in(new_page, world, PHONE, is_mobile=True, has_touch=True)
    page.goto(world["dashboard"])
    expect(section(page, "Upcoming").get_by_role("link", name="Upcoming talk 01")).to_be_visible()
    assert no_horizontal_scroll(page)
    shot(page, "dashboard-overview-phone")
    page.goto(world["dashboard"] + "?section=upcoming&page=2")
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    assert no_horizontal_scroll(page)
    shot(page, "dashboard-section-page-2-phone")


def test_the_language_switch_changes_every_text_and_the_title(world, new_page):
    page = signed_in(new_page, world)
    page.goto(world["dashboard"] + "?section=upcoming")
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    expect(page).to_have_title("Dashboard · AqStream")
    page.get_by_role("button", name="Русский").click()
    # Texts of the page (compiled in), of the state (formatted on the server) and the tab's title.
    expect(page.get_by_role("heading", name="События", exact=True)).to_be_visible()
    expect(page.get_by_role("region", name="Предстоящие")).to_be_visible()
    expect(page.get_by_text("Страница 1 из 2")).to_be_visible()
    expect(page.get_by_role("link", name="Все разделы")).to_be_visible()
    expect(page.get_by_text("Зарегистрировано: 0").first).to_be_visible()
    expect(page).to_have_title("Кабинет · AqStream")
    shot(page, "dashboard-russian-desktop")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Events", exact=True)).to_be_visible()
    expect(page.get_by_text("0 registered").first).to_be_visible()
    expect(page).to_have_title("Dashboard · AqStream")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_event_page_keeps_the_event_title_in_the_tab(world, new_page, lang):
    accept = {"en": "en-US,en;q=0.9", "ru": "ru-RU,ru;q=0.9"}[lang]
    page = new_page(DESKTOP, locale="ru-RU" if lang == "ru" else "en-US", extra_http_headers={"Accept-Language": accept})
    page.goto(world["event"])
    expect(page.get_by_role("heading", name={"en": "Register", "ru": "Регистрация"}[lang])).to_be_visible()
    page.wait_for_timeout(500)  # past the state's arrival: the title must not flip to a generic one
    expect(page).to_have_title("Upcoming talk 01 · Paged Org")
    # Other pages' titles are in the visitor's language.
    page.goto(world["base"] + "/events")
    expect(page).to_have_title({"en": "Events · AqStream", "ru": "События · AqStream"}[lang])
