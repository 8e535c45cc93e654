"""The zones a person picks from (services/events/time_zones.py): current zones only, named in the visitor's
language with their UTC offset, sorted by offset then name, searchable by a city in either language; an
alias stays valid for the services."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from aqstream.services.events import time_zones
from aqstream.services.validation import Checker, valid_time_zones

WINTER = datetime(2031, 1, 15, 12, tzinfo=timezone.utc)
SUMMER = datetime(2031, 7, 15, 12, tzinfo=timezone.utc)


def by_name(lang: str, now=WINTER) -> dict[str, time_zones.ZoneChoice]:
    return {c.name: c for c in time_zones.choices(lang, now)}


def test_only_current_zones_are_offered_and_each_loads():
    names = time_zones.current_zones()
    assert 350 < len(names) < len(valid_time_zones())
    for current in ("Europe/Moscow", "America/New_York", "Asia/Kolkata", "Europe/Kyiv", "UTC", "Europe/Oslo"):
        assert current in names
    for alias in ("US/Eastern", "Asia/Calcutta", "Europe/Kiev", "Etc/GMT+3", "GMT", "W-SU"):
        assert alias not in names
    for name in names:
        ZoneInfo(name)


def test_each_zone_is_named_in_the_visitors_language_with_its_offset():
    ru, en = by_name("ru"), by_name("en")
    assert ru["Europe/Moscow"].label == "UTC+03:00 · Москва (Россия)"
    assert en["Europe/Moscow"].label == "UTC+03:00 · Moscow (Russia)"
    assert en["America/New_York"].label == "UTC−05:00 · New York (United States)"
    assert ru["Asia/Kolkata"].label == "UTC+05:30 · Калькутта (Индия)"  # CLDR keys its name by the old id
    assert en["UTC"].label == "UTC · UTC"
    assert by_name("en", SUMMER)["America/New_York"].offset == "UTC−04:00"
    assert by_name("de")["Europe/Moscow"].city == "Moscow"  # another language: English


def test_sorted_by_offset_then_city():
    found = time_zones.choices("ru", WINTER)
    keys = [(c.offset_minutes, c.city.lower().replace("ё", "е")) for c in found]
    assert [k[0] for k in keys] == sorted(k[0] for k in keys)
    moscow_row = [c.city for c in found if c.offset_minutes == 180]
    assert moscow_row.index("Волгоград") < moscow_row.index("Москва")


def test_typing_a_city_in_either_language_or_an_offset_finds_the_zone():
    assert [c.name for c in time_zones.search("ru", "Москва", WINTER)] == ["Europe/Moscow"]
    assert [c.name for c in time_zones.search("ru", "москва", WINTER)] == ["Europe/Moscow"]
    assert [c.name for c in time_zones.search("en", "new york", WINTER)] == ["America/New_York"]
    assert [c.name for c in time_zones.search("ru", "Нью-Йорк", WINTER)] == ["America/New_York"]
    assert [c.name for c in time_zones.search("ru", "New York", WINTER)] == ["America/New_York"]
    assert [c.name for c in time_zones.search("en", "Moskva Москва", WINTER)] == []
    assert "Europe/Moscow" in [c.name for c in time_zones.search("en", "utc+3", WINTER)]
    assert "Asia/Yekaterinburg" in [c.name for c in time_zones.search("ru", "Россия", WINTER)]
    assert "Europe/Zurich" in [c.name for c in time_zones.search("en", "zürich", WINTER)]
    assert "Europe/Zurich" in [c.name for c in time_zones.search("en", "zurich", WINTER)]
    assert len(time_zones.search("en", "  ", WINTER)) == len(time_zones.current_zones())


def test_the_list_is_made_once_per_language_and_hour():
    first = time_zones.choices("ru", WINTER)
    assert time_zones.choices("ru", WINTER.replace(minute=40)) is first
    assert time_zones.choices("en", WINTER) is not first


def test_an_alias_is_still_a_valid_zone_for_the_services():
    for alias in ("US/Eastern", "Europe/Kiev", "Asia/Calcutta"):
        checker = Checker()
        assert checker.time_zone("time_zone", alias) == alias and not checker.errors
    assert time_zones.canonical_name("Europe/Kiev") == "Europe/Kyiv"
