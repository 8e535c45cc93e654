"""The event workspace's frame: the event's header and the tab bar, around one tab's content."""
import reflex as rx

from aqstream.components.org_banners import org_banners
from aqstream.components.ui import T, shell, when_loaded


def status_badge(status: rx.Var, text: rx.Var) -> rx.Component:
    return rx.badge(
        text,
        color_scheme=rx.match(status, ("published", "green"), ("draft", "gray"), ("cancelled", "red"), "gray"),
        size="2",
        high_contrast=True,
    )


def tab_bar(state, current: str) -> rx.Component:
    """The tabs as links (each tab is its own page); the current one is marked for screen readers."""
    def tab(item) -> rx.Component:
        here = item["name"] == current
        return rx.link(
            item["label"],
            href=item["href"],
            padding_x="12px",
            padding_y="10px",
            weight=rx.cond(here, "bold", "regular"),
            border_bottom=rx.cond(here, "3px solid var(--accent-9)", "3px solid transparent"),
            white_space="nowrap",
            aria_current=rx.cond(here, "page", None),
        )

    return rx.el.nav(
        # Wrapped, not scrolled: on a phone every tab stays in sight (two rows rather than hidden ones).
        rx.flex(rx.foreach(state.tabs, tab), spacing="1", wrap="wrap", width="100%",
                border_bottom="1px solid var(--gray-a5)"),
        aria_label=T("workspace.tabs"),
        width="100%",
    )


def workspace(state, current: str, *content: rx.Component, fresh: bool = False) -> rx.Component:
    """One tab of an event's workspace: back to the events, the event's title, status, time and place,
    the tab bar, then the tab's own content."""
    return shell(
        when_loaded(
            state.loaded,
            state.found,
            rx.vstack(
                org_banners(state),
                rx.link(T("event.back"), href="/o/" + state.org_slug),
                rx.flex(
                    rx.heading(state.title, size="7", as_="h1", word_break="break-word"),
                    status_badge(state.status, state.status_text),
                    spacing="3",
                    align="center",
                    wrap="wrap",
                ),
                rx.text(state.when),
                rx.cond(state.where != "", rx.text(state.where, color_scheme="gray", word_break="break-all"),
                        rx.fragment()),
                tab_bar(state, current),
                rx.cond(state.error != "", rx.callout(state.error, color_scheme="red", role="alert", width="100%",
                                                                high_contrast=True),
                        rx.fragment()),
                rx.cond(state.notice != "", rx.callout(state.notice, color_scheme="green", role="status",
                                                       width="100%", high_contrast=True), rx.fragment()),
                *content,
                spacing="4",
                width="100%",
            ),
            fresh=fresh,
        )
    )
