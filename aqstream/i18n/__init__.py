"""Translations (one JSON catalogue per language) and locale formatting with Babel."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, get_date_format, get_datetime_format, get_timezone_name
from babel.numbers import format_currency, format_decimal, get_currency_precision

LOCALES = ("en", "ru")
DEFAULT_LOCALE = "en"
_DIR = Path(__file__).parent


@lru_cache(maxsize=None)
def catalogue(locale: str) -> dict[str, str]:
    if locale not in LOCALES:
        locale = DEFAULT_LOCALE
    return json.loads((_DIR / f"{locale}.json").read_text(encoding="utf-8"))


def t(key: str, locale: str = DEFAULT_LOCALE, **params) -> str:
    text = catalogue(locale).get(key) or catalogue(DEFAULT_LOCALE).get(key) or key
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def tn(key: str, count: int, locale: str = DEFAULT_LOCALE, **params) -> str:
    """A text with a number in the language's plural form (CLDR rules via Babel): "1 ticket", "2 tickets",
    "2 билета", "5 билетов". The catalogue holds key.one, key.few, key.many and key.other."""
    loc = locale if locale in LOCALES else DEFAULT_LOCALE
    form = Locale.parse(loc).plural_form(abs(int(count)))
    found = catalogue(loc).get(f"{key}.{form}") or catalogue(loc).get(f"{key}.other")
    text = found or t(f"{key}.other", loc)
    return text.format(count=format_number(count, loc), **params)


def local_time(dt_utc: datetime, tz_name: str) -> datetime:
    aware = dt_utc if dt_utc.tzinfo else dt_utc.replace(tzinfo=timezone.utc)
    return aware.astimezone(ZoneInfo(tz_name))


def format_datetime(dt_utc: datetime | None, tz_name: str, locale: str) -> str:
    """A stored UTC time in the given zone and language, e.g. "Sat, Dec 12, 2026, 7:00 PM"."""
    if dt_utc is None:
        return ""
    loc = locale if locale in LOCALES else DEFAULT_LOCALE
    local = local_time(dt_utc, tz_name)
    date_part = format_date(local, format="EEE, " + _medium_date_pattern(loc), locale=loc)
    return get_datetime_format("medium", locale=loc).format(format_time(local, format="short", locale=loc), date_part)


def format_range(start_utc: datetime, end_utc: datetime, tz_name: str, locale: str) -> str:
    """Start and end with the zone's name, e.g. "Sat, Dec 12, 2026, 7:00 PM – 9:00 PM (Moscow Time)"."""
    loc = locale if locale in LOCALES else DEFAULT_LOCALE
    start, end = local_time(start_utc, tz_name), local_time(end_utc, tz_name)
    first = format_datetime(start_utc, tz_name, loc)
    if start.date() == end.date():
        second = format_time(end, format="short", locale=loc)
    else:
        second = format_datetime(end_utc, tz_name, loc)
    zone = zone_name(tz_name, start, loc)
    return f"{first} – {second} ({zone})"


def zone_name(tz_name: str, at: datetime, locale: str) -> str:
    """A zone's long name in the language ("Moscow Time"); plain offsets such as UTC keep their short name,
    which reads better than CLDR's "unknown region"."""
    if tz_name in ("UTC", "GMT") or tz_name.startswith("Etc/"):
        return tz_name.split("/")[-1]
    return get_timezone_name(at.tzinfo, width="long", locale=locale)


def _medium_date_pattern(locale: str) -> str:
    return get_date_format("medium", locale=locale).pattern


def format_number(value: int | float, locale: str) -> str:
    return format_decimal(value, locale=locale if locale in LOCALES else "en")


def minor_to_decimal(amount_minor: int, currency: str) -> Decimal:
    """Integer minor units as an exact amount: 1050 EUR -> Decimal("10.50"), 500 JPY -> Decimal("500")."""
    return Decimal(int(amount_minor)).scaleb(-get_currency_precision(currency))


def format_money(amount_minor: int, currency: str, locale: str) -> str:
    """Integer minor units as money in the visitor's language, e.g. 1050 EUR -> "€10.50" / "10,50 €".
    Exact (invariant 5: no floats near money); whole amounts are shown without decimals ("€10")."""
    loc = locale if locale in LOCALES else DEFAULT_LOCALE
    amount = minor_to_decimal(amount_minor, currency)
    if amount == amount.to_integral_value():
        # The locale's own pattern without its fraction digits: "¤#,##0.00" -> "¤#,##0", "#,##0.00 ¤" -> "#,##0 ¤".
        pattern = Locale.parse(loc).currency_formats["standard"].pattern.replace(".00", "")
        return format_currency(amount, currency, format=pattern, locale=loc, currency_digits=False)
    return format_currency(amount, currency, locale=loc)
