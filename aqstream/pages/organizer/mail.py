"""The mail log: an organization's emails (/o/<org>/mail) for its owners and admins, and the pieces the
platform admins' page (pages/admin/mail.py) shares: the list with its filter, a message as it is sent,
"send again" for a failed one, and the banner when no SMTP server is set up."""
import reflex as rx

from aqstream.components.ui import T, shell, when_loaded
from aqstream.pages.organizer.team import messages, page_top
from aqstream.state.mail import MailLogState

S = MailLogState
BUTTON = {"min_height": "44px"}


def smtp_banner() -> rx.Component:
    return rx.cond(
        S.smtp_configured,
        rx.fragment(),
        rx.callout.root(
            rx.callout.icon(rx.icon("info")),
            rx.callout.text(
                rx.text(T("mail.no_smtp.title"), weight="bold", as_="span"),
                " ",
                T("mail.no_smtp.lead"),
                " ",
                rx.code("AQSTREAM_SMTP_HOST", high_contrast=True),
                " ",
                T("mail.no_smtp.how"),
            ),
            color_scheme="blue",
            high_contrast=True,
            width="100%",
            id="smtp-banner",
        ),
    )


def status_badge(status: rx.Var, text: rx.Var) -> rx.Component:
    return rx.badge(
        text,
        color_scheme=rx.match(status, ("sent", "green"), ("failed", "red"), ("pending", "amber"), ("sending", "amber"),
                              "gray"),
        high_contrast=True,
        size="2",
    )


def filters() -> rx.Component:
    return rx.flex(
        rx.foreach(
            S.filter_buttons,
            lambda f: rx.button(
                f["text"],
                rx.badge(f["count"], variant="solid",
                         color_scheme=rx.cond((f["value"] == "failed") & (f["count"] != "0"), "red", "gray"),
                         high_contrast=True, radius="full"),
                variant=rx.cond(f["current"] != "", "solid", "outline"),
                aria_pressed=rx.cond(f["current"] != "", "true", "false"),
                on_click=S.show(f["value"]),
                **BUTTON,
            ),
        ),
        role="group",
        aria_label=T("mail.filter.label"),
        spacing="2",
        wrap="wrap",
    )


def mail_row(r: rx.Var) -> rx.Component:
    failed = r["failed"] != ""
    return rx.el.li(
        rx.box(
            rx.vstack(
                rx.text(r["subject_text"], weight="bold", word_break="break-word"),
                rx.text(r["kind"], size="2", color_scheme="gray"),
                spacing="1",
                min_width="0",
            ),
            rx.vstack(
                rx.text(r["recipient"], size="2", overflow_wrap="anywhere"),
                rx.cond(S.platform, rx.text(r["org_text"], size="2", color_scheme="gray"), rx.fragment()),
                spacing="1",
                min_width="0",
            ),
            rx.vstack(
                status_badge(r["status"], r["status_text"]),
                rx.text(r["when"], size="1", color_scheme="gray"),
                rx.cond(r["details"] != "", rx.text(r["details"], size="1", color_scheme="gray"), rx.fragment()),
                spacing="1",
                min_width="0",
            ),
            rx.flex(
                rx.button(rx.icon("eye"), T("mail.view"), variant="soft", on_click=S.view(r["id"]),
                          aria_label=r["view_label"], **BUTTON),
                rx.cond(
                    failed,
                    rx.button(rx.icon("refresh-cw"), T("mail.send_again"), on_click=S.send_again(r["id"]),
                              aria_label=r["again_label"], **BUTTON),
                    rx.fragment(),
                ),
                spacing="2",
                wrap="wrap",
                justify_content=["flex-start", "flex-start", "flex-start", "flex-end"],
            ),
            display="grid",
            grid_template_columns=["minmax(0, 1fr)", "minmax(0, 1fr)", "minmax(0, 1fr)",
                                   "minmax(0, 1.6fr) minmax(0, 1.5fr) minmax(0, 1fr) 236px"],
            gap="8px 16px",
            align_items="start",
            width="100%",
        ),
        rx.cond(
            r["render_error"] != "",
            rx.text(T("mail.render_error"), " ", r["render_error"], size="2", color_scheme="red", margin_top="8px",
                    word_break="break-word"),
            rx.fragment(),
        ),
        rx.cond(
            r["reason"] != "",
            rx.box(
                rx.text(r["reason_label"], weight="bold", size="2", as_="span"),
                " ",
                rx.code(r["reason"], color_scheme=rx.cond(failed, "red", "gray"), variant="ghost",
                        word_break="break-word"),
                margin_top="8px",
            ),
            rx.fragment(),
        ),
        padding="12px 0",
        border_bottom="1px solid var(--gray-a5)",
        list_style="none",
    )


def mail_list() -> rx.Component:
    return rx.cond(
        S.rows.length() > 0,
        rx.el.ul(rx.foreach(S.rows, mail_row), id="mail-list", aria_label=T("mail.list_label"),
                 style={"padding": "0", "margin": "0", "width": "100%", "border_top": "1px solid var(--gray-a5)"}),
        rx.text(S.empty_text, color_scheme="gray", id="mail-list"),
    )


def pager() -> rx.Component:
    return rx.flex(
        rx.button(T("mail.previous"), variant="soft", on_click=S.go_page(-1), disabled=S.page <= 1, **BUTTON),
        rx.text(S.page_text, size="2", role="status"),
        rx.button(T("mail.next"), variant="soft", on_click=S.go_page(1), disabled=S.page >= S.pages, **BUTTON),
        spacing="3",
        align="center",
        wrap="wrap",
    )


def preview_dialog() -> rx.Component:
    p = S.preview
    return rx.dialog.root(
        rx.dialog.content(
            rx.vstack(
                rx.dialog.title(rx.cond(p["subject"] != "", p["subject"], T("mail.no_subject")), size="5",
                                margin="0", word_break="break-word", as_="h2"),
                rx.dialog.description(T("mail.to"), " ", rx.text(p["recipients"], as_="span", word_break="break-all"),
                                      size="3"),
                rx.text(p["kind"], " · ", p["status_text"], " · ", p["when"],
                        rx.cond(S.platform, rx.text(" · ", p["org"], as_="span"), rx.fragment()),
                        size="2", color_scheme="gray"),
                rx.cond(
                    p["error"] != "",
                    rx.callout(T("mail.render_error") + " " + p["error"], icon="triangle_alert", color_scheme="red",
                               role="alert", width="100%"),
                    rx.vstack(
                        rx.cond(
                            S.preview_attachments.length() > 0,
                            rx.vstack(
                                rx.heading(T("mail.attachments"), size="3", as_="h3"),
                                rx.el.ul(
                                    rx.foreach(S.preview_attachments, lambda f: rx.el.li(
                                        rx.icon("paperclip", size=14, flex_shrink="0", margin_top="4px"),
                                        rx.text(rx.text(f["name"], as_="span", weight="medium"),
                                                " (", f["type"], ", ", f["size_text"], ")", overflow_wrap="anywhere"),
                                        style={"display": "flex", "gap": "6px", "align_items": "start"})),
                                    id="mail-attachments",
                                    style={"margin": "0", "padding_left": "4px", "list_style": "none"},
                                ),
                                spacing="1",
                                width="100%",
                            ),
                            rx.fragment(),
                        ),
                        rx.heading(T("mail.text_part"), size="3", as_="h3"),
                        rx.el.pre(
                            p["text"],
                            id="mail-text",
                            style={"white_space": "pre-wrap", "overflow_wrap": "anywhere", "margin": "0",
                                   "padding": "12px", "background": "var(--gray-a3)", "border_radius": "6px",
                                   "font_size": "14px", "width": "100%", "box_sizing": "border-box"},
                        ),
                        rx.heading(T("mail.html_part"), size="3", as_="h3"),
                        rx.text(T("mail.html_hint"), size="1", color_scheme="gray"),
                        # No scripts, forms or navigation in the frame, and a unique origin: an email's HTML is
                        # shown as a mail client would, never run as part of the app.
                        rx.el.iframe(
                            src_doc=p["html"],
                            sandbox="",
                            title=T("mail.html_frame"),
                            id="mail-html",
                            style={"width": "100%", "height": "480px", "border": "1px solid var(--gray-a6)",
                                   "border_radius": "6px", "background": "#f4f5f7"},
                        ),
                        spacing="2",
                        width="100%",
                    ),
                ),
                rx.flex(
                    rx.dialog.close(rx.button(T("mail.close"), variant="soft", **BUTTON)),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            max_width="860px",
            width="calc(100vw - 24px)",
            padding="16px",
        ),
        open=S.preview_open,
        on_open_change=S.preview_open_change,
    )


def mail_body() -> rx.Component:
    return rx.vstack(
        smtp_banner(),
        messages(S.error, S.notice),
        filters(),
        mail_list(),
        rx.cond(S.pages > 1, pager(), rx.text(S.page_text, size="2", color_scheme="gray")),
        preview_dialog(),
        spacing="4",
        width="100%",
    )


def mail_page() -> rx.Component:
    return shell(
        when_loaded(
            S.loaded,
            S.found,
            rx.vstack(
                page_top(S, "mail", "mail.title"),
                rx.text(T("mail.lead"), color_scheme="gray"),
                mail_body(),
                spacing="4",
                width="100%",
            ),
        )
    )

