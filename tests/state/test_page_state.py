"""The page state holds what pages show, not the translation catalogue: texts are compiled into the pages'
JavaScript with both languages and picked by `AppState.lang`; page titles follow the language."""
import json

import pytest
from reflex.state import State

import aqstream.aqstream as app_module
from aqstream.components.ui import T
from aqstream.i18n import LOCALES, catalogue
from aqstream.state.base import AppState
from aqstream.state.event_analytics import EventAnalyticsState
from aqstream.state.event_attendees import AttendeesTabState
from aqstream.state.event_checkin import EventCheckinState
from aqstream.state.event_tabs import EventEmailsState, EventOverviewState, EventSettingsState, EventTicketsState


@pytest.fixture(scope="module")
def hydrated() -> str:
    """The whole state tree as the websocket's hydrate sends it, serialized."""
    return json.dumps(State(_reflex_internal_init=True).dict(), default=str, ensure_ascii=False)


def test_the_state_carries_no_catalogue(hydrated):
    texts = {text for code in LOCALES for text in catalogue(code).values() if len(text) > 25}
    assert [text for text in texts if text in hydrated] == []
    assert "tr" not in AppState.computed_vars and "tr" not in AppState.base_vars
    # Every page's starting state (the catalogue alone was 37 KB); 21,339 bytes with the payment pages (issue 17).
    assert len(hydrated.encode()) < 22_000


def test_a_text_holds_both_languages_and_follows_the_language_var():
    js = str(T("nav.signin"))
    assert "Sign in" in js and "Войти" in js and str(AppState.lang) in js
    # The old way of indexing the translations still gives the same expression.
    assert str(AppState.tr["nav.signin"]) == js
    # A text that is the same in both languages is a plain string; an unknown key shows itself, as t() does.
    assert str(T("no.such.key")) == '"no.such.key"'


def test_a_key_known_only_at_run_time_still_translates():
    js = str(AppState.tr[AppState.user_name])
    assert "Войти" in js and str(AppState.user_name) in js


EVENT_TABS = (EventOverviewState, EventTicketsState, EventEmailsState, EventSettingsState, AttendeesTabState,
              EventAnalyticsState, EventCheckinState)


def test_every_page_title_follows_the_language():
    for route, page in app_module.app._unevaluated_pages.items():
        title = str(page.title)
        if route == "index":
            assert title == "AqStream"
            continue
        tab = next((s for s in EVENT_TABS if str(s.page_title) == title), None)
        if tab is not None:  # a workspace tab: "<event> · <tab> · AqStream", computed by its state from the language
            deps = tab.computed_vars["page_title"]._deps(objclass=tab)
            assert any("lang" in names for names in deps.values()), route
            continue
        assert str(AppState.lang) in title, f"{route}: {title}"
    event_title = str(app_module.app._unevaluated_pages["e/[org]/[event]"].title)
    assert "public_event_state.title" in event_title and "public_event_state.org_name" in event_title
