"""One event as a card: cover, title linking to its page, time in the event's zone, place, price, organizer.
Its input is a plain dict of strings made by aqstream.state.catalog.card_dict."""
import reflex as rx

from aqstream.components.ui import T


def event_card(card: rx.Var, show_org: bool = True) -> rx.Component:
    """A card for a `card_dict` (a Var of dict[str, str]); used in rx.foreach by every list of events."""
    return rx.el.article(
        rx.cond(
            card["cover_url"] != "",
            rx.image(src=card["cover_url"], alt="", width="100%", height="140px", object_fit="cover",
                     loading="lazy", style={"border_radius": "8px 8px 0 0", "display": "block"}),
            rx.fragment(),
        ),
        rx.vstack(
            rx.heading(
                rx.link(card["title"], href=card["href"], underline="hover", color="inherit",
                        style={"display": "inline-block", "min_height": "44px", "padding_y": "8px",
                               "overflow_wrap": "anywhere"}),
                size="4",
                as_="h3",
                style={"line_height": "1.3"},
            ),
            rx.hstack(rx.icon("calendar", size=16, aria_hidden="true", flex_shrink="0"),
                      rx.text(card["when"], size="2"), align="center", spacing="2"),
            rx.cond(
                card["place"] != "",
                rx.hstack(rx.icon("map-pin", size=16, aria_hidden="true", flex_shrink="0"),
                          rx.text(card["place"], size="2", style={"overflow_wrap": "anywhere"}),
                          align="center", spacing="2"),
                rx.fragment(),
            ),
            rx.flex(
                rx.cond(card["price"] != "", rx.badge(card["price"], size="2", variant="soft"), rx.fragment()),
                *([rx.link(card["org_name"], href=card["org_href"], size="2", color_scheme="gray",
                           style={"padding_y": "12px", "overflow_wrap": "anywhere"})] if show_org else []),
                spacing="3",
                align="center",
                wrap="wrap",
                justify="between",
                width="100%",
            ),
            spacing="1",
            padding="12px 16px 4px" if show_org else "12px 16px 14px",
            width="100%",
            align="start",
        ),
        class_name="event-card",
    )


def card_grid(cards: rx.Var, show_org: bool = True, **props) -> rx.Component:
    """Cards in a responsive grid: one column on a phone, up to three on a wide screen."""
    return rx.el.div(rx.foreach(cards, lambda c: event_card(c, show_org)), class_name="card-grid", **props)


def recommendations(cards: rx.Var, title_key: str) -> rx.Component:
    """A titled section of recommended events, shown only when there are some."""
    return rx.cond(
        cards.length() > 0,
        rx.el.section(
            rx.heading(T(title_key), size="5", as_="h2", id="recommended-title", margin_bottom="12px"),
            card_grid(cards),
            aria_labelledby="recommended-title",
            width="100%",
        ),
        rx.fragment(),
    )
