"""The controls on a platform admin's page of one organization: suspend with a reason or reactivate, its limits,
and a link to its dashboard read-only (the support view). Placed in the detail page's #admin-org-actions."""
import reflex as rx

from aqstream.components.ui import T, field
from aqstream.state.admin_actions import TenantActionsState as S

BUTTON = {"min_height": "44px"}


def _messages() -> rx.Component:
    return rx.fragment(
        rx.cond(S.action_errors.contains("form"), rx.callout(S.action_errors["form"], color_scheme="red",
                                                            role="alert", width="100%"), rx.fragment()),
        rx.cond(S.action_notice != "", rx.callout(S.action_notice, color_scheme="green", role="status",
                                                 width="100%"), rx.fragment()),
    )


def _suspension() -> rx.Component:
    return rx.cond(
        S.tenant_suspended,
        rx.vstack(
            rx.text(rx.text(T("admin.suspended_since"), weight="bold", as_="span"), " ", S.suspended_since),
            rx.text(rx.text(T("org.suspended.banner.reason"), weight="bold", as_="span"), " ", S.tenant_reason,
                    word_break="break-word"),
            rx.button(T("admin.reactivate"), on_click=S.reactivate, color_scheme="green", **BUTTON),
            spacing="2", width="100%",
        ),
        rx.form(
            rx.vstack(
                rx.el.label(T("admin.suspend_reason"), html_for="f-reason", style={"font_weight": "500"}),
                rx.text_area(id="f-reason", name="reason", rows="3", width="100%", max_length=500,
                             aria_describedby="f-reason-hint f-reason-error",
                             aria_invalid=rx.cond(S.action_errors.contains("reason"), "true", "false")),
                rx.text(T("admin.suspend_hint"), id="f-reason-hint", size="2", color_scheme="gray"),
                rx.text(rx.cond(S.action_errors.contains("reason"), S.action_errors["reason"], ""),
                        id="f-reason-error", size="2", color_scheme="red", role="alert"),
                rx.button(T("admin.suspend"), type="submit", color_scheme="red", **BUTTON),
                spacing="2", width="100%",
            ),
            on_submit=S.suspend,
            reset_on_submit=True,
            width="100%",
        ),
    )


def _limits() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(T("admin.limits"), size="3", as_="h3"),
            rx.flex(
                rx.box(field("admin.limit.events_label", "max_published_events", S.action_errors,
                             default_value=S.limit_events, key=S.limit_events, input_mode="numeric",
                             hint_key="admin.limit.empty_hint"), flex="1 1 220px"),
                rx.box(field("admin.limit.tickets_label", "max_tickets_per_event", S.action_errors,
                             default_value=S.limit_tickets, key=S.limit_tickets, input_mode="numeric",
                             hint_key="admin.limit.empty_hint"), flex="1 1 220px"),
                spacing="3", wrap="wrap", width="100%",
            ),
            rx.button(T("admin.limits_save"), type="submit", variant="outline", **BUTTON),
            spacing="2", width="100%",
        ),
        on_submit=S.save_limits,
        reset_on_submit=False,
        width="100%",
    )


def _export_and_delete() -> rx.Component:
    """Everything the organization holds as a ZIP of CSV files; deletion only once suspended, with its slug typed."""
    return rx.vstack(
        rx.heading(T("admin.export_delete"), size="3", as_="h3"),
        rx.link(rx.icon("download", aria_hidden="true"), T("admin.export"),
                href="/admin-export/organizations/" + S.tenant_slug + ".zip", is_external=True, **BUTTON,
                display="inline-flex", align_items="center", gap="6px"),
        rx.cond(
            S.tenant_suspended,
            rx.form(
                rx.vstack(
                    rx.text(T("admin.delete_lead"), size="2", color_scheme="gray"),
                    field("admin.delete_confirm", "confirm_slug", S.action_errors, autocomplete="off",
                          spell_check=False),
                    rx.button(T("admin.delete"), type="submit", color_scheme="red", variant="solid", **BUTTON),
                    spacing="2", width="100%",
                ),
                on_submit=S.delete,
                reset_on_submit=False,
                width="100%",
            ),
            rx.text(T("admin.delete_needs_suspension"), size="2", color_scheme="gray"),
        ),
        spacing="2", width="100%",
    )


def tenant_actions() -> rx.Component:
    return rx.cond(
        S.tenant_found,
        rx.card(rx.vstack(
            rx.heading(T("admin.actions"), size="4", as_="h2"),
            _messages(),
            _suspension(),
            rx.separator(),
            _limits(),
            rx.separator(),
            rx.link(T("admin.support_view"), href="/o/" + S.tenant_slug, **BUTTON),
            rx.separator(),
            _export_and_delete(),
            spacing="3", width="100%",
        ), width="100%"),
        rx.fragment(),
    )
