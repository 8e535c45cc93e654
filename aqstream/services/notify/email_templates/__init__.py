"""Building blocks of the emails: each adds the same content to the plain-text and the HTML part, so the two
never drift apart. Every value is escaped here; callers pass plain text, never markup."""
from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from html import escape

FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
BUTTON = ("display:inline-block;padding:12px 20px;background:#1f5fbf;color:#ffffff;text-decoration:none;"
          "border-radius:6px;font-weight:600")


@dataclass
class Image:
    data: bytes
    subtype: str  # png, jpeg, ...
    cid: str  # with angle brackets, as in the Content-ID header


@dataclass
class Attachment:
    data: bytes
    maintype: str
    subtype: str
    filename: str


@dataclass
class Mail:
    """One email being composed: blocks go to both parts in order."""

    subject: str
    sender_name: str  # the organization (or the platform) shown at the top and in the footer
    text: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    logo_cid: str = ""

    def image(self, data: bytes, subtype: str) -> str:
        """An inline image for the HTML part; returns the cid: URL to put in an <img src>."""
        cid = make_msgid(domain="aqstream")
        self.images.append(Image(data, subtype, cid))
        return "cid:" + cid[1:-1]

    def logo(self, data: bytes, subtype: str) -> None:
        self.logo_cid = self.image(data, subtype)

    def heading(self, text: str) -> None:
        self.text.append(text + "\n" + "=" * min(len(text), 60))
        self.html.append(f'<h1 style="font-size:22px;margin:0 0 16px">{escape(text)}</h1>')

    def para(self, text: str) -> None:
        """A paragraph; line breaks in the text (an organizer's message) are kept."""
        self.text.append(text)
        self.html.append(f'<p style="margin:0 0 16px;white-space:pre-line">{escape(text)}</p>')

    def facts(self, rows: list[tuple[str, str]]) -> None:
        """Label and value pairs (when, where, ...)."""
        rows = [(label, value) for label, value in rows if value]
        if not rows:
            return
        self.text.append("\n".join(f"{label}: {value}" for label, value in rows))
        cells = "".join(
            f'<tr><th style="text-align:left;vertical-align:top;padding:4px 12px 4px 0;color:#555">{escape(label)}'
            f'</th><td style="padding:4px 0">{escape(value)}</td></tr>' for label, value in rows)
        self.html.append(f'<table role="presentation" style="border-collapse:collapse;margin:0 0 16px">{cells}</table>')

    def quote(self, label: str, text: str) -> None:
        """Someone's own words (an organizer's message), set apart, line breaks kept."""
        if not text.strip():
            return
        self.text.append(f"{label}\n{text.strip()}")
        self.html.append(f'<div style="margin:0 0 16px;padding:12px 16px;border-left:4px solid #1f5fbf;'
                         f'background:#f4f7fc"><div style="font-size:13px;color:#555;margin:0 0 4px">{escape(label)}'
                         f'</div><div style="white-space:pre-line">{escape(text.strip())}</div></div>')

    def bullets(self, items: list[str]) -> None:
        if not items:
            return
        self.text.append("\n".join(f"- {item}" for item in items))
        self.html.append('<ul style="margin:0 0 16px;padding-left:20px">'
                         + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>")

    def button(self, label: str, url: str) -> None:
        self.text.append(f"{label}:\n{url}")
        self.html.append(f'<p style="margin:0 0 16px"><a href="{escape(url)}" style="{BUTTON}">{escape(label)}</a>'
                         f'<br><span style="font-size:12px;color:#555;word-break:break-all">{escape(url)}</span></p>')

    def ticket(self, title: str, attendee: str, code_label: str, code: str, qr_png: bytes) -> None:
        """One ticket: its type, who it is for, the code, and the code's QR image (HTML part only)."""
        src = self.image(qr_png, "png")
        # A ticket whose holder gave no name shows its type alone (no dangling dash, no invented name).
        self.text.append((f"{title} — {attendee}" if attendee else title) + f"\n{code_label}: {code}")
        self.html.append(
            '<table role="presentation" style="border:1px solid #ddd;border-radius:8px;margin:0 0 16px;'
            'border-collapse:separate;width:100%"><tr>'
            f'<td style="padding:12px;vertical-align:top"><strong>{escape(title)}</strong>'
            + (f"<br>{escape(attendee)}" if attendee else "") +
            f'<br><span style="font-size:12px;color:#555">{escape(code_label)}:</span><br>'
            f'<code style="font-size:12px;word-break:break-all">{escape(code)}</code></td>'
            f'<td style="padding:12px;width:200px"><img src="{src}" width="200" height="200" '
            f'alt="{escape(code_label)} {escape(code)}" style="display:block"></td></tr></table>')

    def note(self, text: str) -> None:
        self.text.append(text)
        self.html.append(f'<p style="margin:0 0 16px;font-size:13px;color:#555;white-space:pre-line">{escape(text)}</p>')

    def attach(self, data: bytes, maintype: str, subtype: str, filename: str) -> None:
        self.attachments.append(Attachment(data, maintype, subtype, filename))

    def build(self, lang: str, footer: str) -> EmailMessage:
        """multipart/alternative (text, HTML with its inline images related to it), inside multipart/mixed
        when there are attachments."""
        email = EmailMessage()
        email["Subject"] = " ".join(self.subject.split())  # a header must not break lines
        email["Content-Language"] = lang
        sender = escape(self.sender_name)
        top = (f'<img src="{self.logo_cid}" alt="{sender}" style="max-height:64px;max-width:240px;display:block;'
               f'margin:0 0 8px">' if self.logo_cid else "")
        email.set_content("\n\n".join([self.sender_name, *self.text, "--", footer]) + "\n")
        page = (f'<!DOCTYPE html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width,initial-scale=1">'
                f"<title>{escape(self.subject)}</title></head>"
                f'<body style="margin:0;padding:0;background:#f4f5f7;{FONT};color:#1a1a1a;line-height:1.5">'
                '<div style="max-width:600px;margin:0 auto;padding:24px 16px">'
                f'<div style="margin:0 0 16px">{top}<div style="font-weight:600;color:#333">{sender}</div></div>'
                '<div style="background:#ffffff;border-radius:8px;padding:24px">' + "".join(self.html) + "</div>"
                f'<p style="font-size:12px;color:#777;margin:16px 0 0">{escape(footer)}</p>'
                "</div></body></html>")
        email.add_alternative(page, subtype="html")
        html_part = email.get_payload()[1]
        for image in self.images:
            html_part.add_related(image.data, maintype="image", subtype=image.subtype, cid=image.cid,
                                  disposition="inline")
        for item in self.attachments:
            email.add_attachment(item.data, maintype=item.maintype, subtype=item.subtype, filename=item.filename)
        return email
