"""Small input checks shared by services. Each returns the cleaned value or records a message key."""
from __future__ import annotations

import re
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from email_validator import EmailNotValidError, validate_email

from aqstream.services.errors import ValidationError


class Checker:
    """Collects per-field errors so a form can show all of them at once."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def fail(self, field: str, key: str) -> None:
        self.errors.setdefault(field, key)

    def text(self, field: str, value: str | None, *, max_len: int, required: bool = True, min_len: int = 1) -> str:
        cleaned = (value or "").strip()
        if not cleaned:
            if required:
                self.fail(field, "field.required")
            return ""
        if len(cleaned) < min_len:
            self.fail(field, "field.too_short")
        if len(cleaned) > max_len:
            self.fail(field, "field.too_long")
        if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in cleaned):
            self.fail(field, "field.invalid_characters")
        return cleaned

    def email(self, field: str, value: str | None, *, required: bool = True) -> str:
        raw = (value or "").strip()
        if not raw:
            if required:
                self.fail(field, "field.required")
            return ""
        if len(raw) > 254:
            self.fail(field, "field.too_long")
            return raw
        address = normalized_email(raw)
        if address is None:
            self.fail(field, "field.email_invalid")
            return raw
        return address

    def email_list(self, field: str, value: str | None, *, max_count: int) -> str:
        """Several addresses, separated by commas, semicolons or spaces: each checked, repeats dropped, stored
        as "a@x.org, b@y.org" ("" for none)."""
        out: list[str] = []
        parts = split_emails(value or "")
        if len(parts) > max_count:
            self.fail(field, "field.emails_too_many")
            return value or ""
        for part in parts:
            address = normalized_email(part)
            if address is None:
                self.fail(field, "field.emails_invalid")
                return value or ""
            if address not in out:
                out.append(address)
        return ", ".join(out)

    def url(self, field: str, value: str | None, *, required: bool = False, max_len: int = 500) -> str:
        raw = (value or "").strip()
        if not raw:
            if required:
                self.fail(field, "field.required")
            return ""
        parsed = urlparse(raw)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or len(raw) > max_len:
            self.fail(field, "field.url_invalid")
        return raw

    def int_range(self, field: str, value, *, low: int, high: int, required: bool = True) -> int | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(field, "field.required")
            return None
        try:
            number = int(str(value).strip()) if not isinstance(value, int) or isinstance(value, bool) else value
        except ValueError:
            self.fail(field, "field.number_invalid")
            return None
        if isinstance(number, bool):
            self.fail(field, "field.number_invalid")
            return None
        if number < low or number > high:
            self.fail(field, "field.number_range")
        return number

    def time_zone(self, field: str, value: str | None) -> str:
        name = (value or "").strip()
        if not name or name not in valid_time_zones():
            self.fail(field, "field.time_zone_invalid")
            return name
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.fail(field, "field.time_zone_invalid")
        return name

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(dict(self.errors))


_ZONES: frozenset[str] | None = None


def valid_time_zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def split_emails(value: str) -> list[str]:
    """The addresses of a list `Checker.email_list` stored (or a person typed)."""
    return [part for part in re.split(r"[,;\s]+", value) if part]


def normalized_email(address: str) -> str | None:
    """The address as stored (normalized, lower-cased), or None when it is not a valid address."""
    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None
