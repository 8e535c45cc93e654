"""Emails rendered from real outbox rows: each kind made through its service, in the recipient's language,
with plain-text and HTML parts, working links, ticket QR codes, a calendar file, and escaped organizer text."""
import io
import re
from html import unescape

import icalendar
import pytest
from PIL import Image
from sqlmodel import select

from aqstream import config
from aqstream.models import Event, Organization, OutboxMessage, Ticket
from aqstream.services.accounts import accounts, password_reset
from aqstream.services.checkin import signing
from aqstream.services.events import event_lifecycle as lifecycle
from aqstream.services.events import events
from aqstream.services.notify import email_render
from aqstream.services.org import organizations, team
from aqstream.services.org.permissions import Principal
from aqstream.services.sales import orders, registration
from aqstream.services.sales.registration import TicketRequest as TR
from tests.conftest import unique

EVIL = "<script>alert(1)</script> Jazz & Blues"


def png(color=(20, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(out, format="PNG")
    return out.getvalue()


def outbox(session, kind, recipient=None):
    session.rollback()
    query = select(OutboxMessage).where(OutboxMessage.kind == kind)
    if recipient:
        query = query.where(OutboxMessage.recipient == recipient)
    return session.exec(query.order_by(OutboxMessage.id.desc())).first()


def evil_event(make, session, owner, org, *, publish=True, **fields):
    data = events.EventInput(title=EVIL, starts_local="2031-06-01T18:00", ends_local="2031-06-01T21:00",
                             time_zone="Europe/Moscow", venue="Main hall", ticket_types=[
                                 events.TicketTypeInput("Standard <b>", 10), events.TicketTypeInput("VIP", 5)],
                             **fields)
    event = events.create_event(session, Principal(owner.id), org.id, data)
    if publish:
        event = events.publish_event(session, Principal(owner.id), org.id, event.id)
    return event, events.list_ticket_types(session, event.id)


def parts(email):
    """(plain text, HTML, {content id: (content type, bytes)}, [(file name, content type, bytes)])"""
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    inline, files = {}, []
    for part in email.walk():
        if part.get("Content-ID"):
            inline[part["Content-ID"].strip("<>")] = (part.get_content_type(), part.get_payload(decode=True))
        elif part.get_filename():
            files.append((part.get_filename(), part.get_content_type(), part.get_payload(decode=True)))
    return text, html, inline, files


def assert_escaped(html):
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_confirmation_in_russian_with_tickets_qr_codes_calendar_and_logo(make, session):
    owner, org = make.org()
    org = organizations.update_settings(session, Principal(owner.id), org.id, name="Клуб <i>джаза</i>", slug=org.slug,
                                        default_locale="en", currency="EUR", time_zone="UTC", logo=png())
    event, (standard, vip) = evil_event(make, session, owner, org)
    done = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Анна",
                                 buyer_email="anna@example.com", locale="ru",
                                 tickets=[TR(standard.id, "Анна"), TR(vip.id, "Борис <b>")])
    message = outbox(session, registration.CONFIRMATION_EMAIL, "anna@example.com")
    email = email_render.render(session, message)
    assert email["Subject"] == f"Вы зарегистрированы: {EVIL}"
    assert email.get_content_type() == "multipart/mixed"
    assert email.get_body(("related",)).get_content_type() == "multipart/related"
    text, html, inline, files = parts(email)
    manage = f"{config.public_base_url()}/order/{done.order.access_token}"
    assert manage in text and f'href="{manage}"' in html
    assert "Когда" in text and "1 июн" in text and "Main hall" in text
    assert_escaped(html)
    assert "Борис &lt;b&gt;" in html and "Standard &lt;b&gt;" in html and "Клуб &lt;i&gt;джаза&lt;/i&gt;" in html
    cids = re.findall(r'src="cid:([^"]+)"', html)
    assert set(cids) == set(inline) and len(cids) == 3  # the logo and one QR code per ticket
    logo_cid = cids[0]
    assert inline[logo_cid] == ("image/png", png())
    for ticket, cid in zip(done.tickets, cids[1:]):
        assert ticket.code in text
        content_type, data = inline[cid]
        assert content_type == "image/png" and data == email_render.qr_png(
            signing.qr_payload(session, session.get(Ticket, ticket.id), session.get(Event, event.id)))
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "PNG" and image.size[0] == image.size[1] > 100
    [(name, content_type, ics)] = files
    assert name.endswith(".ics") and content_type == "text/calendar"
    vevent = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
    assert str(vevent["summary"]) == EVIL
    assert vevent.decoded("dtstart").isoformat() == "2031-06-01T18:00:00+03:00"


def test_english_order_gets_english_and_a_cancelled_ticket_is_left_out(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    done = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Ann",
                                 buyer_email="ann@example.com", tickets=[TR(tt.id, "Ann"), TR(tt.id, "Bob")])
    message = outbox(session, registration.CONFIRMATION_EMAIL, "ann@example.com")
    orders.cancel_by_token(session, done.order.access_token, done.tickets[1].id)
    email = email_render.render(session, message)
    assert email["Subject"] == f"You are registered: {event.title}"
    text, html, inline, _ = parts(email)
    assert done.tickets[0].code in text and done.tickets[1].code not in text
    assert len(inline) == 1 and org.name in text and org.name in html


def test_a_ticket_without_a_name_shows_its_type_alone(make, session):
    """A ticket sent without a name keeps none (not the buyer's): its block in the confirmation has no empty
    name line and no dangling dash."""
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    done = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Ann",
                                 buyer_email="ann-blank@example.com", tickets=[TR(tt.id, "Ann"), TR(tt.id, "")])
    assert [t.attendee_name for t in done.tickets] == ["Ann", ""]
    text, html, _, _ = parts(email_render.render(session, outbox(session, registration.CONFIRMATION_EMAIL,
                                                                  "ann-blank@example.com")))
    assert f"{tt.name} — Ann\n" in text
    assert f"\n{tt.name}\n" in text and f"{tt.name} — \n" not in text
    assert f"<strong>{tt.name}</strong><br><span" in html


def test_language_falls_back_to_the_event_then_the_organization(make, session):
    owner, org = make.org()
    event, (tt,) = make.event(owner, org)
    registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Ann",
                          buyer_email="ann@example.com", tickets=[TR(tt.id)])
    # The first ticket email of an event makes its signing key (a write that ends the session's transaction):
    # made here first, so the unsaved changes below stay for the renders that follow.
    signing.public_key(session, event.id)
    message = outbox(session, registration.CONFIRMATION_EMAIL, "ann@example.com")
    message.payload = {k: v for k, v in message.payload.items() if k != "locale"}
    assert email_render.render(session, message)["Subject"].startswith("You are registered")
    session.get(Organization, org.id).default_locale = "ru"
    assert email_render.render(session, message)["Subject"].startswith("Вы зарегистрированы")
    found = session.get(Event, event.id)
    found.locale = "en"
    assert email_render.render(session, message)["Subject"].startswith("You are registered")
    session.rollback()


def test_order_cancelled_by_organizer_names_tickets_and_reason(make, session):
    owner, org = make.org()
    event, (standard, _) = evil_event(make, session, owner, org)
    done = registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Анна",
                                 buyer_email="anna@example.com", locale="ru",
                                 tickets=[TR(standard.id, "Анна"), TR(standard.id, "Борис")])
    orders.cancel_ticket(session, Principal(owner.id), org.id, done.tickets[1].id, reason="Дубль <img src=x>")
    email = email_render.render(session, outbox(session, orders.CANCELLATION_EMAIL, "anna@example.com"))
    assert email["Subject"] == f"Билеты отменены: {EVIL}"
    text, html, _, _ = parts(email)
    assert f"Борис: {done.tickets[1].code}" in text and done.tickets[0].code not in text
    assert "Дубль <img src=x>" in text and "Дубль &lt;img src=x&gt;" in html and "<img src=x>" not in html
    assert f"{config.public_base_url()}/order/{done.order.access_token}" in text
    assert_escaped(html)

    orders.cancel_by_token(session, done.order.access_token)
    email = email_render.render(session, outbox(session, orders.CANCELLATION_EMAIL, "anna@example.com"))
    assert email["Subject"] == f"Регистрация отменена: {EVIL}"
    text, html, _, _ = parts(email)
    assert f"{config.public_base_url()}/e/{org.slug}/{event.slug}" in text


def test_event_changed_shows_the_new_time_and_place(make, session):
    owner, org = make.org()
    event, (standard, _) = evil_event(make, session, owner, org)
    registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Ann",
                          buyer_email="ann@example.com", tickets=[TR(standard.id, "Ann")])
    lifecycle.update_event(session, Principal(owner.id), org.id, event.id, events.EventInput(
        title=EVIL, starts_local="2031-06-02T19:30", ends_local="2031-06-02T22:00", time_zone="Europe/Moscow",
        venue="Small <hall>"))
    email = email_render.render(session, outbox(session, lifecycle.EVENT_CHANGED_EMAIL, "ann@example.com"))
    assert email["Subject"] == f"Changed: {EVIL}"
    text, html, _, files = parts(email)
    assert "New time: Mon, Jun 2, 2031, 7:30" in text and "New place: Small <hall>" in text
    assert "Small &lt;hall&gt;" in html
    assert_escaped(html)
    vevent = icalendar.Calendar.from_ical(files[0][2]).walk("VEVENT")[0]
    assert vevent.decoded("dtstart").isoformat() == "2031-06-02T19:30:00+03:00"


def test_event_cancelled_carries_the_organizers_message(make, session):
    owner, org = make.org()
    event, (standard, _) = evil_event(make, session, owner, org, locale="ru")
    registration.register(session, org_slug=org.slug, event_slug=event.slug, buyer_name="Ann",
                          buyer_email="ann@example.com", locale="ru", tickets=[TR(standard.id, "Ann")])
    lifecycle.cancel_event(session, Principal(owner.id), org.id, event.id, "Зал затопило.\n<a href=x>Возврат</a>")
    email = email_render.render(session, outbox(session, lifecycle.EVENT_CANCELLED_EMAIL, "ann@example.com"))
    assert email["Subject"] == f"Отменено: {EVIL}"
    text, html, _, _ = parts(email)
    assert "Зал затопило.\n<a href=x>Возврат</a>" in text
    assert "Зал затопило.\n&lt;a href=x&gt;Возврат&lt;/a&gt;" in html and "<a href=x>" not in html
    assert_escaped(html)


def test_team_invitation_link_role_and_inviter(make, session):
    owner, org = make.org()
    issued = team.invite(session, Principal(owner.id), org.id, email="new@example.com", role="staff", locale="ru")
    email = email_render.render(session, outbox(session, team.INVITATION_EMAIL, "new@example.com"))
    assert email["Subject"] == f"Приглашение в команду {org.name}"
    text, html, _, _ = parts(email)
    assert issued.accept_url.startswith(config.public_base_url())
    assert issued.accept_url in text and f'href="{issued.accept_url}"' in html
    assert "Ваша роль: Сотрудник" in text
    assert owner.name in text and "Ваша роль" in text


def test_verify_address_link(session):
    email_address = f"{unique('v')}@example.com"
    user = accounts.sign_up(session, name="Vera <b>", email=email_address, password="a-good-long-passphrase")
    message = outbox(session, accounts.VERIFY_EMAIL, email_address)
    email = email_render.render(session, message)
    assert email["Subject"] == "Confirm your email address for AqStream"
    text, html, inline, files = parts(email)
    link = config.public_base_url() + message.payload["verify_path"]
    assert link in text and unescape(re.search(r'href="([^"]+)"', html).group(1)) == link
    assert "Vera &lt;b&gt;" in html and not inline and not files
    assert user.id == message.payload["user_id"]


@pytest.mark.parametrize("locale, subject, button, valid, ignore", [
    ("en", "Reset your AqStream password", "Choose a new password", "The link works for 1 hour and only once.",
     "If you did not ask for this, ignore this email: your password stays as it is."),
    ("ru", "Смена пароля в AqStream", "Задать новый пароль", "Ссылка действует 1 час и только один раз.",
     "Если вы не просили об этом, просто не обращайте внимания на письмо: ваш пароль останется прежним."),
])
def test_password_reset_in_the_accounts_language_with_a_link_on_the_current_address(
        session, monkeypatch, locale, subject, button, valid, ignore):
    email_address = f"{unique('p')}@example.com"
    accounts.sign_up(session, name="Polina <b>", email=email_address, password="a-good-long-passphrase", locale=locale)
    password_reset.request_password_reset(session, email_address, address=unique("client-"))
    message = outbox(session, password_reset.RESET_EMAIL, email_address)
    # The site moved to another address after the request: the link follows it.
    monkeypatch.setenv("AQSTREAM_BASE_URL", "https://tickets.example.org")
    email = email_render.render(session, message)
    assert email["Subject"] == subject
    text, html, inline, files = parts(email)
    link = "https://tickets.example.org" + message.payload["reset_path"]
    assert config.public_base_url() == "https://tickets.example.org"
    assert f"{button}:\n{link}" in text and unescape(re.search(r'href="([^"]+)"', html).group(1)) == link
    assert valid in text and ignore in text and valid in unescape(html)
    assert "Polina <b>" in text and "Polina &lt;b&gt;" in html and "<b>" not in html
    assert not inline and not files


def test_unknown_kind_is_refused(session):
    with pytest.raises(ValueError):
        email_render.render(session, OutboxMessage(kind="email.nonsense", recipient="a@example.com", payload={},
                                                   next_attempt_at=None, created_at=None))


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_owners_emails_about_suspension_and_reactivation(make, session, lang):
    from aqstream.services.notify import email_kinds
    from aqstream.services.platform import admins, tenants

    owner, org = make.org()
    accounts.set_locale(session, owner.id, lang)
    root = make.user("Root")
    admins.grant(session, None, root.email)
    tenants.suspend(session, Principal(root.id), org.id, "<b>Fake</b> events & refunds")
    text, html, _, _ = parts(email_render.render(session, outbox(session, email_kinds.ORGANIZATION_SUSPENDED,
                                                                 owner.email)))
    reason = "<b>Fake</b> events & refunds"
    assert reason in text and "&lt;b&gt;Fake&lt;/b&gt; events &amp; refunds" in html and "<b>Fake</b>" not in html
    words = {"en": ("is suspended", "Reason"), "ru": ("приостановлена", "Причина")}[lang]
    assert all(w in text for w in words) and org.name in text
    tenants.reactivate(session, Principal(root.id), org.id)
    text, _html, _, _ = parts(email_render.render(session, outbox(session, email_kinds.ORGANIZATION_REACTIVATED,
                                                                  owner.email)))
    assert {"en": "active again", "ru": "снова работает"}[lang] in text and reason not in text
