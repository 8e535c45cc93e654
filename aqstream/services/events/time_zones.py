"""The time zones a person chooses from: the current zones only (no aliases or backward links), each with its
city and country in the visitor's language and its UTC offset now, sorted by offset then name, and searchable.

Which zones are current comes from the CLDR data Babel ships (one zone per place people live, named as IANA
names it today: Europe/Kyiv, not Europe/Kiev or US/Eastern); UTC is added. A name outside this list stays
valid for the services (`validation.valid_time_zones`), so an alias an API client sends is still accepted.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.core import get_global

from aqstream.i18n import DEFAULT_LOCALE, LOCALES
from aqstream.services.clock import utcnow
from aqstream.services.validation import valid_time_zones

UTC_NAME = "UTC"


@dataclass(frozen=True)
class ZoneChoice:
    name: str  # the IANA name, the value a form submits
    city: str  # localized: "Москва", "New York"; "UTC" for UTC
    country: str  # localized territory name; "" when the zone has none
    offset_minutes: int  # the UTC offset at the moment the list was made
    offset: str  # "UTC+03:00", "UTC−05:00", "UTC"
    label: str  # what the list shows: "UTC+03:00 · Москва (Россия)"
    search_text: str  # lower-case text a query is matched against (both languages, the IANA name, the offset)


@lru_cache(maxsize=1)
def current_zones() -> tuple[str, ...]:
    """The IANA names of the current zones, sorted; every one loadable here."""
    available = valid_time_zones()
    names = {z for z in get_global("zone_territories") if not z.startswith("Etc/") and z in available}
    names.add(UTC_NAME)
    out = []
    for name in sorted(names):
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        out.append(name)
    return tuple(out)


@lru_cache(maxsize=1)
def _cldr_ids() -> dict[str, tuple[str, ...]]:
    """IANA name -> the older ids CLDR may key its city names by (Asia/Kolkata -> Asia/Calcutta)."""
    out: dict[str, list[str]] = {}
    for old, new in get_global("zone_aliases").items():
        out.setdefault(new, []).append(old)
    return {k: tuple(v) for k, v in out.items()}


def canonical_name(name: str) -> str:
    """The current zone an alias stands for (US/Eastern -> America/New_York), else the name itself."""
    return get_global("zone_aliases").get(name, name)


def _city(name: str, locale: Locale) -> str:
    if name == UTC_NAME:
        return UTC_NAME
    for key in (name, *_cldr_ids().get(name, ())):
        found = locale.time_zones.get(key, {}).get("city")
        if found:
            return found
    return name.rsplit("/", 1)[-1].replace("_", " ")


def _country(name: str, locale: Locale) -> str:
    territory = get_global("zone_territories").get(name, "")
    if not territory or territory in ("001", "ZZ"):
        return ""
    return locale.territories.get(territory, "")


def format_offset(minutes: int) -> str:
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "\u2212"  # a real minus sign, as typeset
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def _short_offset(minutes: int) -> str:
    """"utc+3", "utc-5", "utc+5:30": how people type an offset."""
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"utc{sign}{hours}" + (f":{mins:02d}" if mins else "")


def _fold(text: str) -> str:
    """Lower case, no accents, ё as е, "_" and "-" as spaces: what a search compares."""
    text = unicodedata.normalize("NFKD", text.lower().replace("ё", "е"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.replace("_", " ").replace("-", " ").replace("\u2212", "-").split())


def _offset_minutes(name: str, now: datetime) -> int:
    offset = now.astimezone(ZoneInfo(name)).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


@lru_cache(maxsize=8)
def _choices(lang: str, hour: datetime) -> tuple[ZoneChoice, ...]:
    locale = Locale.parse(lang)
    others = [Locale.parse(code) for code in LOCALES if code != lang]
    out = []
    for name in current_zones():
        minutes = _offset_minutes(name, hour)
        city, country = _city(name, locale), _country(name, locale)
        offset = format_offset(minutes)
        label = f"{offset} · {city}" + (f" ({country})" if country and country != city else "")
        words = [city, country, name, offset, _short_offset(minutes), *(_city(name, o) for o in others),
                 *(_country(name, o) for o in others)]
        out.append(ZoneChoice(name, city, country, minutes, offset, label, _fold(" | ".join(words))))
    out.sort(key=lambda c: (c.offset_minutes, _fold(c.city), c.name))
    return tuple(out)


def choices(lang: str, now: datetime | None = None) -> tuple[ZoneChoice, ...]:
    """Every current zone with its localized names and offset, sorted by offset then city. Made once per
    language per hour (offsets move when summer time starts or ends)."""
    lang = lang if lang in LOCALES else DEFAULT_LOCALE
    moment = (now or utcnow()).astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    return _choices(lang, moment)


def search(lang: str, query: str, now: datetime | None = None) -> list[ZoneChoice]:
    """The zones whose city, country (in either language), IANA name or offset hold every word of the query."""
    words = _fold(query or "").split()
    found = choices(lang, now)
    if not words:
        return list(found)
    return [c for c in found if all(w in c.search_text for w in words)]
