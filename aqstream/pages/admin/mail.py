"""The platform admins' mail log (/admin/mail): every organization's emails and the platform's own (address
confirmations, password resets). Anyone else sees "not found"."""
import reflex as rx

from aqstream.components.ui import T, shell, when_loaded
from aqstream.pages.organizer.mail import S, mail_body


def platform_mail_page() -> rx.Component:
    return shell(
        when_loaded(
            S.loaded,
            S.found,
            rx.vstack(
                rx.heading(T("mail.platform.title"), size="7", as_="h1"),
                rx.text(T("mail.platform.lead"), color_scheme="gray"),
                mail_body(),
                spacing="4",
                width="100%",
            ),
        )
    )
