"""The public catalog (/events) and an organization's public page (/org/<slug>)."""
import reflex as rx

from aqstream.components.event_card import card_grid
from aqstream.components.ui import T, error_text, field, labelled_select, loading, shell, when_loaded
from aqstream.state.catalog import CatalogState as S
from aqstream.state.catalog import OrgPublicState as O


def _select(name: str, label_key: str, value: rx.Var, *options) -> rx.Component:
    field_id = f"f-{name}"
    return rx.box(
        labelled_select(field_id, T(label_key), *options, name=name, default_value=value,
                        aria_describedby=f"{field_id}-error"),
        error_text(S.errors, name, field_id),
    )


def _option(label_key: str, value: str) -> rx.Component:
    return rx.el.option(T(label_key), value=value)


def filters_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.flex(
                rx.box(field("catalog.search.label", "q", S.errors, type="search", default_value=S.q, max_length=200,
                             enter_key_hint="search"), flex="1 1 200px"),
                rx.button(rx.icon("search", aria_hidden="true"), T("catalog.search.button"), type="submit", size="3",
                          min_height="44px", margin_top="26px"),
                spacing="2",
                align="start",
                width="100%",
            ),
            rx.button(
                rx.icon("sliders-horizontal", aria_hidden="true"),
                T("catalog.filters.toggle"),
                type="button",
                variant="soft",
                on_click=S.toggle_filters,
                aria_expanded=rx.cond(S.filters_open, "true", "false"),
                aria_controls="catalog-filters",
                min_height="44px",
                class_name="filters-toggle",
            ),
            rx.el.div(
                field("catalog.filters.date_from", "from", S.errors, type="date", default_value=S.date_from),
                field("catalog.filters.date_to", "to", S.errors, type="date", default_value=S.date_to),
                _select("mode", "catalog.filters.mode", S.mode, _option("catalog.filters.any", ""),
                        _option("catalog.filters.online", "online"), _option("catalog.filters.offline", "offline")),
                _select("city", "catalog.filters.city", S.city, _option("catalog.filters.any_city", ""),
                        rx.foreach(S.cities, lambda c: rx.el.option(c, value=c))),
                _select("lang", "catalog.filters.language", S.language, _option("catalog.filters.any", ""),
                        _option("event.locale_en", "en"), _option("event.locale_ru", "ru")),
                _select("price", "catalog.filters.price", S.price, _option("catalog.filters.any", ""),
                        _option("catalog.filters.free", "free"), _option("catalog.filters.paid", "paid")),
                rx.button(T("catalog.filters.apply"), type="submit", size="3", variant="outline", min_height="44px",
                          margin_bottom="26px"),
                id="catalog-filters",
                class_name="catalog-filters",
                data_open=rx.cond(S.filters_open, "true", "false"),
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=S.apply,
        no_validate=True,
        reset_on_submit=False,
        width="100%",
        role="search",
        aria_label=T("catalog.search.region"),
        key=S.form_version.to_string(),
    )


def pager(page_text: rx.Var, page: rx.Var, pages: rx.Var, go, label_key: str) -> rx.Component:
    return rx.el.nav(
        rx.flex(
            rx.button(rx.icon("chevron-left", aria_hidden="true"), T("catalog.previous"), variant="soft",
                      on_click=go(-1), disabled=page <= 1, min_height="44px", aria_label=T("catalog.previous_page")),
            rx.text(page_text, aria_live="polite"),
            rx.button(T("catalog.next"), rx.icon("chevron-right", aria_hidden="true"), variant="soft",
                      on_click=go(1), disabled=page >= pages, min_height="44px", aria_label=T("catalog.next_page")),
            spacing="3",
            align="center",
            justify="center",
            wrap="wrap",
            width="100%",
        ),
        aria_label=T(label_key),
        style={"width": "100%"},
    )


def results() -> rx.Component:
    return rx.vstack(
        rx.text(S.total_text, color_scheme="gray", role="status"),
        rx.cond(
            S.total > 0,
            rx.vstack(
                card_grid(S.cards),
                rx.cond(S.pages > 1, pager(S.page_text, S.page, S.pages, S.go_page, "catalog.pages"), rx.fragment()),
                spacing="4",
                width="100%",
            ),
            rx.vstack(
                rx.heading(T("catalog.empty.title"), size="4", as_="h2"),
                rx.text(T("catalog.empty.lead")),
                rx.cond(S.has_filters,
                        rx.button(T("catalog.empty.clear"), on_click=S.clear, variant="outline", min_height="44px"),
                        rx.fragment()),
                spacing="3",
                padding_y="24px",
                width="100%",
                align="start",
            ),
        ),
        id="results",
        spacing="3",
        width="100%",
    )


def catalog_page() -> rx.Component:
    return shell(
        rx.heading(T("catalog.title"), size="8", as_="h1"),
        filters_form(),
        rx.cond(S.loaded, results(), loading()),
    )


def org_page() -> rx.Component:
    return shell(
        when_loaded(
            O.loaded,
            O.found,
            rx.vstack(
                rx.flex(
                    rx.cond(O.logo_url != "", rx.image(src=O.logo_url, alt="", width="72px", height="72px",
                                                       object_fit="contain", border_radius="8px"), rx.fragment()),
                    rx.vstack(
                        rx.heading(O.name, size="8", as_="h1", style={"overflow_wrap": "anywhere"}),
                        rx.cond(O.contact_email != "",
                                rx.link(O.contact_email, href="mailto:" + O.contact_email,
                                        style={"padding_y": "10px", "overflow_wrap": "anywhere"}),
                                rx.fragment()),
                        spacing="1",
                    ),
                    spacing="4",
                    align="center",
                ),
                rx.heading(T("org_page.upcoming"), size="6", as_="h2"),
                rx.cond(O.upcoming.length() > 0, card_grid(O.upcoming, show_org=False),
                        rx.text(T("org_page.no_upcoming"), color_scheme="gray")),
                rx.heading(T("org_page.past"), size="6", as_="h2", id="past-events"),
                rx.cond(
                    O.past_total > 0,
                    rx.vstack(
                        card_grid(O.past, show_org=False),
                        rx.cond(O.past_pages > 1,
                                pager(O.past_page_text, O.past_page, O.past_pages, O.go_past_page, "org_page.pages"),
                                rx.fragment()),
                        spacing="4",
                        width="100%",
                    ),
                    rx.text(T("org_page.no_past"), color_scheme="gray"),
                ),
                rx.link(T("org_page.all_events"), href="/events", style={"padding_y": "10px"}),
                spacing="4",
                width="100%",
            ),
        ),
    )
