"""Paged lists (the audit log, the mail log, the account's orders, the attendee list, the catalog): how many
pages a count of rows fills. One rule, here only."""
from __future__ import annotations


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` rows fill at `per_page` a page: at least one (an empty list is one empty page)."""
    return max(1, -(-total // per_page))


class Paged:
    """A page's dataclass that has `total` and `per_page` gets its `pages` from them."""

    total: int
    per_page: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)
