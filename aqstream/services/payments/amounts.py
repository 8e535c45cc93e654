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
_AMOUNT = re.compile(r"(?P<whole>\d{1,15})(?:[.,](?P<frac>\d*))?")
_GROUPING = re.compile(r"[\s\u00a0\u202f\u2009']")
MAX_MINOR = 2**31 - 1


def parse_amount(text: str | None, currency: str, field: str = "amount") -> int:
    """"12.50" EUR -> 1250, "12,5" -> 1250, "500" JPY -> 500. ValidationError({field: ...}) for anything else:
    empty, negative, letters, more decimals than the currency has ("refund.amount_decimals"), or too large."""
    raw = _GROUPING.sub("", (text or "").strip())
    for symbol in ("€", "$", "₽", "£", "¥", currency.upper()):
        raw = raw.replace(symbol, "")
    match = _AMOUNT.fullmatch(raw)
    if not raw or match is None:
        raise ValidationError({field: "refund.amount_invalid"})
    digits = get_currency_precision(currency.upper())
    frac = (match.group("frac") or "").rstrip("0")
    if len(frac) > digits:
        raise ValidationError({field: "refund.amount_decimals"}, digits=digits)
    minor = int(match.group("whole")) * 10**digits + (int(frac.ljust(digits, "0")) if digits else 0)
    if minor > MAX_MINOR:
        raise ValidationError({field: "refund.amount_invalid"})
    return minor


def plain(amount_minor: int, currency: str) -> str:
    """Minor units as the plain text a field shows and parse_amount reads back: 1250 EUR -> "12.50", 500 JPY ->
    "500"."""
    digits = get_currency_precision(currency.upper())
    sign = "-" if amount_minor < 0 else ""
    whole, frac = divmod(abs(int(amount_minor)), 10**digits)
    return f"{sign}{whole}" + (f".{frac:0{digits}d}" if digits else "")
