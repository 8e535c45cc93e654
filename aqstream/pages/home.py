"""Home page and organization creation."""
import reflex as rx

from aqstream.components.time_zone_picker import time_zone_picker
from aqstream.components.ui import T, field, form_error, loading, shell, signout_button
from aqstream.state.base import AppState
from aqstream.state.home import CreateOrgState, HomeState


def home() -> rx.Component:
    visitor = rx.vstack(
        rx.heading(T("home.title"), size="8", as_="h1"),
        rx.text(T("home.lead"), size="4"),
        rx.flex(
            rx.link(rx.button(T("home.cta_signup"), size="3", min_height="44px"), href="/signup"),
            rx.link(rx.button(T("home.cta_signin"), size="3", variant="outline", min_height="44px"), href="/signin"),
            spacing="3",
            wrap="wrap",
        ),
        spacing="4",
    )
    member = rx.vstack(
        rx.heading(AppState.user_name, size="7", as_="h1"),
        rx.cond(HomeState.password_changed,
                rx.callout(T("auth.reset.done"), icon="circle_check", color_scheme="green", role="status", width="100%"),
                rx.fragment()),
        rx.heading(T("home.orgs_title"), size="5", as_="h2"),
        rx.cond(
            HomeState.orgs.length() > 0,
            rx.vstack(
                rx.foreach(
                    HomeState.orgs,
                    lambda o: rx.card(
                        rx.link(rx.text(o["name"], weight="bold", size="4"), href="/o/" + o["slug"]),
                        width="100%",
                    ),
                ),
                width="100%",
            ),
            rx.text(T("home.no_orgs")),
        ),
        rx.link(rx.button(T("home.create_org"), size="3", min_height="44px"), href="/orgs/new"),
        rx.divider(),
        signout_button(everywhere=True),
        spacing="4",
        width="100%",
    )
    return shell(rx.cond(HomeState.loaded, rx.cond(AppState.signed_in, member, visitor), loading()))


def tz_select(name: str, label_key: str, default: rx.Var | str) -> rx.Component:
    """The time-zone choice of the organization and event forms: current zones in the visitor's language,
    searchable (components/time_zone_picker.py)."""
    return time_zone_picker(name, T(label_key), default)


def new_organization() -> rx.Component:
    return shell(
        rx.heading(T("org.new.title"), size="7", as_="h1"),
        rx.text(T("org.new.lead")),
        rx.form(
            rx.vstack(
                form_error(CreateOrgState.errors),
                field("org.name", "name", CreateOrgState.errors, max_length=200),
                field("org.slug", "slug", CreateOrgState.errors, hint_key="org.slug_hint", max_length=63),
                tz_select("time_zone", "org.time_zone", "UTC"),
                rx.button(T("org.create.button"), type="submit", size="3", loading=CreateOrgState.busy, min_height="44px"),
                spacing="4",
                width="100%",
            ),
            on_submit=CreateOrgState.create,
            no_validate=True,
            width="100%",
        ),
        size="2",
    )
