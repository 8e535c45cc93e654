"""card_dict: what an event card shows, in each language, from the catalog's EventCard."""
from datetime import datetime, timezone

from aqstream.services.events.catalog import EventCard
from aqstream.state.catalog import card_dict


def card(**kw):
    base = dict(org_slug="volga", org_name="Volga Events", slug="jazz", title="Jazz", time_zone="Europe/Moscow",
                starts_at=datetime(2031, 6, 1, 16, 0, tzinfo=timezone.utc),
                ends_at=datetime(2031, 6, 1, 18, 0, tzinfo=timezone.utc), venue="Main hall", city="Kazan",
                online=False, cover_url="", min_price_minor=0, currency="EUR", tags=["jazz", "music"])
    return EventCard(**{**base, **kw})


def test_card_strings_in_both_languages():
    en = card_dict(card(), "en")
    assert en["href"] == "/e/volga/jazz" and en["org_href"] == "/org/volga"
    assert en["when"] == "Sun, Jun 1, 2031, 7:00\u202fPM"  # 16:00 UTC is 19:00 in Moscow
    assert en["place"] == "Main hall, Kazan" and en["price"] == "Free" and en["tags"] == "jazz, music"
    ru = card_dict(card(min_price_minor=1500, venue="Kazan, Main hall"), "ru")
    assert ru["price"] == "от 15\xa0€" and ru["place"] == "Kazan, Main hall" and ru["when"].startswith("вс, 1 июн")
    assert card_dict(card(min_price_minor=1050), "en")["price"] == "from €10.50"
    assert card_dict(card(online=True, venue="", city=""), "en")["place"] == "Online"
    assert card_dict(card(min_price_minor=None), "en")["price"] == ""
    assert all(isinstance(v, str) for v in en.values())
