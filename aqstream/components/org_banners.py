"""What an organization's pages say above their content: the platform admin's support view (read only, every
visit audited), and the suspension its members see (read only, with the admins' reason)."""
import reflex as rx

from aqstream.components.ui import T


def org_banners(state) -> rx.Component:
    return rx.fragment(
        rx.cond(
            state.role == "support",
            rx.callout.root(
                rx.callout.icon(rx.icon("eye", aria_hidden="true")),
                rx.callout.text(rx.text(T("support.banner.title"), weight="bold", as_="span"), " ",
                                T("support.banner.text")),
                color_scheme="amber", high_contrast=True, width="100%", id="support-banner", role="status",
            ),
            rx.fragment(),
        ),
        rx.cond(
            state.org_suspended,
            rx.callout.root(
                rx.callout.icon(rx.icon("octagon_pause", aria_hidden="true")),
                rx.callout.text(
                    rx.text(T("org.suspended.banner.title"), weight="bold", as_="span"), " ",
                    T("org.suspended.banner.text"),
                    rx.cond(state.suspension_reason != "",
                            rx.fragment(" ", T("org.suspended.banner.reason"), " ", state.suspension_reason),
                            rx.fragment()),
                ),
                color_scheme="red", high_contrast=True, width="100%", id="suspended-banner", role="alert",
            ),
            rx.fragment(),
        ),
    )
