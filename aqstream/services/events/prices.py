"""Ticket prices as organizers type them: "15.50" in the event's currency, read into integer minor units (1550)
exactly, never through a float; and minor units written back for an edit form. The digits a currency has come
from Babel (`get_currency_precision`: 2 for EUR, 0 for JPY, 3 for BHD)."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_precision

from aqstream.services.errors import ValidationError

MAX_PRICE_MINOR = 100_000_000  # what the ticket types service accepts


def parse_price(text: str | None, currency: str, field: str = "price") -> int:
    """Minor units of `text` ("15.50", "15,50", "1 500", "" or "0" for free). Raises ValidationError naming
    `field`: "price.invalid" for anything that is not a plain non-negative amount, "price.too_many_decimals"
    when the currency has fewer digits, "price.too_high" above the limit."""
    raw = (text or "").strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if not raw:
        return 0
    if raw.count(",") == 1 and "." not in raw:  # a decimal comma, as Russian writes it
        raw = raw.replace(",", ".")
    if not all(c.isdigit() or c == "." for c in raw) or raw.count(".") > 1 or raw in (".",) or not raw.isascii():
        raise ValidationError({field: "price.invalid"})
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise ValidationError({field: "price.invalid"}) from None
    digits = get_currency_precision(currency)
    minor = amount.scaleb(digits)
    if minor != minor.to_integral_value():
        raise ValidationError({field: "price.too_many_decimals"})
    value = int(minor)
    if value > MAX_PRICE_MINOR:
        raise ValidationError({field: "price.too_high"})
    return value


def format_price(amount_minor: int, currency: str) -> str:
    """Minor units as an edit form shows them: "15.50" (EUR), "1500" (JPY), "" for free."""
    if not amount_minor:
        return ""
    digits = get_currency_precision(currency)
    return f"{Decimal(int(amount_minor)).scaleb(-digits):.{digits}f}"


def check_price(checker, field: str, text: str | None, currency: str) -> int:
    """`parse_price` for a service collecting every error of a form (services/validation.Checker): the
    error is recorded under `field` and 0 returned."""
    try:
        return parse_price(text, currency, field)
    except ValidationError as exc:
        for name, key in exc.errors.items():
            checker.fail(name, key)
        return 0
