"""Amounts typed by people, in major units ("12.50", "1 234,5"), read exactly into integer minor units of a
currency (its digits from Babel), and minor units written back the same plain way for a form's field. No float
is used: the text is split into its whole and fractional digits."""
from __future__ import annotations

import re

from babel.numbers import get_currency_precision

from aqstream.services.errors import ValidationError

# Digits, optionally grouped by spaces (a plain, no-break or thin space) or apostrophes, then at most one decimal
# separator ("." or ",") and its digits. A comma followed by exactly three digits is still read as decimals: the
# field asks for an amount, not a thousands-grouped number.
_AMOUNT = re.compile(r"(?P<whole>\d{1,15})(?:[.,](?P<frac>\d*))?", re.ASCII)
_GROUPING = re.compile(r"[\s\u00a0\u202f\u2009']")
MAX_MINOR = 2**31 - 1


REFUND_KEYS = {"invalid": "refund.amount_invalid", "decimals": "refund.amount_decimals", "high": "refund.amount_invalid"}


def parse_amount(text: str | None, currency: str, field: str = "amount", *, blank: int | None = None,
                 high: int = MAX_MINOR, keys: dict[str, str] = REFUND_KEYS) -> int:
    """"12.50" EUR -> 1250, "12,5" -> 1250, "500" JPY -> 500. ValidationError({field: ...}) for anything else:
    empty (unless `blank` says what empty means), negative, letters, more decimals than the currency has
    (keys["decimals"]), or above `high` (keys["high"]). The one reader of typed money: ticket prices
    (services/events/prices.py) and refunds use it with their own messages."""
    raw = _GROUPING.sub("", (text or "").strip())
    if not raw and blank is not None:
        return blank
    for symbol in ("€", "$", "₽", "£", "¥", currency.upper()):
        raw = raw.replace(symbol, "")
    match = _AMOUNT.fullmatch(raw)
    if not raw or match is None:
        raise ValidationError({field: keys["invalid"]})
    digits = get_currency_precision(currency.upper())
    frac = (match.group("frac") or "").rstrip("0")
    if len(frac) > digits:
        raise ValidationError({field: keys["decimals"]}, digits=digits)
    minor = int(match.group("whole")) * 10**digits + (int(frac.ljust(digits, "0")) if digits else 0)
    if minor > high:
        raise ValidationError({field: keys["high"]})
    return minor


def plain(amount_minor: int, currency: str) -> str:
    """Minor units as the plain text a field shows and parse_amount reads back: 1250 EUR -> "12.50", 500 JPY ->
    "500"."""
    digits = get_currency_precision(currency.upper())
    sign = "-" if amount_minor < 0 else ""
    whole, frac = divmod(abs(int(amount_minor)), 10**digits)
    return f"{sign}{whole}" + (f".{frac:0{digits}d}" if digits else "")
