"""/api/v1/public/catalog and /api/v1/public/organizations/{slug}, without a token: the event catalogue and an
organization's public page."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlmodel import Session

from aqstream import config
from aqstream.api.deps import PREFIX, db
from aqstream.services.errors import ValidationError
from aqstream.services.events import catalog

router = APIRouter(prefix=f"{PREFIX}/public", tags=["public"])


class EventCardOut(BaseModel):
    organization: str
    organization_name: str
    slug: str
    title: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    venue: str
    city: str
    online: bool
    cover_url: Optional[str]
    min_price_minor: Optional[int]
    currency: str
    tags: list[str]
    locale: str
    url: str


class CatalogOut(BaseModel):
    items: list[EventCardOut]
    total: int
    page: int
    pages: int


class OrganizationPageOut(BaseModel):
    slug: str
    name: str
    contact_email: str
    logo_url: Optional[str]
    upcoming: list[EventCardOut]
    past: list[EventCardOut]
    past_total: int
    past_page: int
    past_pages: int


def _absolute(path: str) -> Optional[str]:
    return f"{config.public_base_url()}{path}" if path else None


def _card_out(card: catalog.EventCard) -> EventCardOut:
    return EventCardOut(
        organization=card.org_slug, organization_name=card.org_name, slug=card.slug, title=card.title,
        starts_at=card.starts_at, ends_at=card.ends_at, time_zone=card.time_zone, venue=card.venue, city=card.city,
        online=card.online, cover_url=_absolute(card.cover_url), min_price_minor=card.min_price_minor,
        currency=card.currency, tags=card.tags, locale=card.locale,
        url=f"{config.public_base_url()}/e/{card.org_slug}/{card.slug}",
    )


@router.get("/catalog", response_model=CatalogOut)
def read_catalog(
    q: str = Query(default="", max_length=200, description="Words; every one must match"),
    date_from: str = Query(default="", max_length=10, description="YYYY-MM-DD, in the event's own time zone"),
    date_to: str = Query(default="", max_length=10, description="YYYY-MM-DD, inclusive"),
    mode: str = Query(default="", max_length=10, description="online | offline"),
    city: str = Query(default="", max_length=120),
    language: str = Query(default="", max_length=5, description="en | ru: the language of the event's page"),
    price: str = Query(default="", max_length=5, description="free | paid"),
    page: str = Query(default="1", max_length=8),
    page_size: str = Query(default=str(catalog.DEFAULT_PAGE_SIZE), max_length=4,
                           description=f"At most {catalog.MAX_PAGE_SIZE}"),
    session: Session = Depends(db),
) -> CatalogOut:
    """Upcoming published events anyone may find, soonest first, a page at a time."""
    query = catalog.CatalogQuery(words=q, date_from=date_from, date_to=date_to, mode=mode, city=city,
                                 language=language, price=price, page=page, page_size=page_size)
    try:
        found = catalog.search_catalog(session, query)
    except ValidationError as exc:
        # The service calls the search words "words"; this route calls them "q".
        raise ValidationError({("q" if name == "words" else name): key for name, key in exc.errors.items()},
                              **exc.params) from None
    return CatalogOut(items=[_card_out(c) for c in found.rows], total=found.total, page=found.page, pages=found.pages)


@router.get("/organizations/{slug}", response_model=OrganizationPageOut)
def read_organization(slug: str, past_page: str = Query(default="1", max_length=8),
                      session: Session = Depends(db)) -> OrganizationPageOut:
    """An active organization's public page: upcoming listed events, and past ones a page at a time."""
    found = catalog.organization_events(session, slug, past_page=past_page)
    return OrganizationPageOut(
        slug=found.slug, name=found.name, contact_email=found.contact_email, logo_url=_absolute(found.logo_url),
        upcoming=[_card_out(c) for c in found.upcoming], past=[_card_out(c) for c in found.past],
        past_total=found.past_total, past_page=found.past_page, past_pages=found.past_pages,
    )
