"""Ticket prices as organizers type them: "15.50" in the event's currency, read into integer minor units (1550)
exactly, never through a float; and minor units written back for an edit form. The digits a currency has come
from Babel (`get_currency_precision`: 2 for EUR, 0 for JPY, 3 for BHD)."""
from __future__ import annotations

from aqstream.services.errors import ValidationError
from aqstream.services.payments import amounts

MAX_PRICE_MINOR = 100_000_000  # what the ticket types service accepts


PRICE_KEYS = {"invalid": "price.invalid", "decimals": "price.too_many_decimals", "high": "price.too_high"}


def parse_price(text: str | None, currency: str, field: str = "price") -> int:
    """Minor units of `text` ("15.50", "15,50", "1 500", "" or "0" for free), read by the one reader of typed money
    (`amounts.parse_amount`). Raises ValidationError naming `field`: "price.invalid" for anything that is not a
    plain non-negative amount, "price.too_many_decimals" when the currency has fewer digits, "price.too_high"
    above the limit."""
    return amounts.parse_amount(text, currency, field, blank=0, high=MAX_PRICE_MINOR, keys=PRICE_KEYS)


def format_price(amount_minor: int, currency: str) -> str:
    """Minor units as an edit form shows them: "15.50" (EUR), "1500" (JPY), "" for free."""
    return amounts.plain(amount_minor, currency) if amount_minor else ""


def check_price(checker, field: str, text: str | None, currency: str) -> int:
    """`parse_price` for a service collecting every error of a form (services/validation.Checker): the
    error is recorded under `field` and 0 returned."""
    try:
        return parse_price(text, currency, field)
    except ValidationError as exc:
        for name, key in exc.errors.items():
            checker.fail(name, key)
        return 0
