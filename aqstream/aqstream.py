"""The Reflex app: pages, plus the REST API and the cookie routes mounted into the same backend."""
import contextlib

import reflex as rx

from aqstream import config
from aqstream.api.app import create_api
from aqstream.components.ui import T
from aqstream.i18n import catalogue
from aqstream.pages.account import my_tickets, profile_page, verify_email
from aqstream.pages.admin.mail import platform_mail_page
from aqstream.pages.auth import forgot_password, reset_password, sign_in, sign_up
from aqstream.pages.home import home, new_organization
from aqstream.pages.not_found import not_found_page
from aqstream.pages.organizer.event_attendees import attendees_tab
from aqstream.pages.organizer.event_tabs import emails_tab, overview_tab, settings_tab, tickets_tab
from aqstream.pages.organizer.events import attendee_page, dashboard, new_event
from aqstream.pages.organizer.mail import mail_page
from aqstream.pages.organizer.team import audit_page, invite_page, settings_page, team_page
from aqstream.pages.public.catalog import catalog_page, org_page
from aqstream.pages.public.event import event_page
from aqstream.pages.public.order import order_page
from aqstream.services.notify import mail_delivery
from aqstream.state.account import MyTicketsState, ProfileState, VerifyState
from aqstream.state.auth import AuthFormState, ForgotState, ResetState
from aqstream.state.base import AppState
from aqstream.state.catalog import CatalogState, OrgPublicState
from aqstream.state.event_attendees import AttendeesTabState
from aqstream.state.event_tabs import EventEmailsState, EventOverviewState, EventSettingsState, EventTicketsState
from aqstream.state.home import CreateOrgState, HomeState
from aqstream.state.mail import MailLogState
from aqstream.state.organizer import AttendeeState, DashboardState, EventFormState
from aqstream.state.public import OrderState, PublicEventState
from aqstream.state.team import AuditState, InviteState, SettingsState, TeamState

# A wrong AQSTREAM_TRUSTED_PROXIES stops the start here, rather than failing every sign-in later.
config.trusted_proxies()

app = rx.App(
    api_transformer=create_api(),
    head_components=[rx.el.meta(name="theme-color", content="#3e63dd")],
    stylesheets=["/aqstream.css"],
)

SITE = "AqStream"
# The catalogue key of each page's title, by its English words ("Team · AqStream" is shown as T("team.title")
# + " · AqStream"). A title not listed here takes the first key whose English text it is (see title_key).
TITLE_KEYS = {
    "Sign up": "page_title.sign_up", "Sign in": "auth.signin.title", "Forgotten password": "page_title.forgot",
    "New password": "page_title.new_password", "New organization": "page_title.new_org",
    "Dashboard": "nav.dashboard", "New event": "event.new.title", "Edit event": "event.edit_title",
    "Attendee": "page_title.attendee", "Event": "page_title.event", "Events": "nav.catalog",
    "Organizer": "page_title.organizer", "Your tickets": "page_title.order", "My tickets": "account.title",
    "Profile": "profile.title", "Email confirmation": "verify.title", "Team": "team.title",
    "Settings": "org.settings.title", "Audit log": "audit.title", "Mail": "mail.title",
    "Platform mail": "mail.platform.title", "Not found": "page_title.not_found", "Invitation": "page_title.invitation",
}


def title_key(words: str) -> str | None:
    """The catalogue key of a page title's English words: TITLE_KEYS, else the first key with that text."""
    if words in TITLE_KEYS:
        return TITLE_KEYS[words]
    return next((key for key, text in catalogue("en").items() if text == words), None)


def page_title(title):
    """A page's title in the visitor's language: "Team · AqStream" becomes "Команда · AqStream" in Russian and
    follows the language switch. A Var (a page with a title of its own) is kept as it is."""
    if not isinstance(title, str):
        return title
    words, dot, site = title.rpartition(" · ")
    key = title_key(words) if dot else None
    return T(key) + f" · {site}" if key else title


_add_page = app.add_page


def add_page(component=None, route=None, title=None, **kwargs):
    """app.add_page with the title translated (page_title)."""
    return _add_page(component, route=route, title=page_title(title), **kwargs)


app.add_page = add_page


def event_page_title() -> rx.Var:
    """The public event page keeps the event's title, as its served HTML head has it ("<event> · <organizer>",
    see api/share.py); before the event is read, and when there is none, "Event · AqStream" in the language."""
    s = PublicEventState
    return rx.cond(s.title != "", s.title + " · " + s.org_name, page_title(f"Event · {SITE}"))


app.add_page(home, route="/", title="AqStream", on_load=HomeState.on_load)
app.add_page(sign_up, route="/signup", title="Sign up · AqStream", on_load=AuthFormState.on_load)
app.add_page(sign_in, route="/signin", title="Sign in · AqStream", on_load=AuthFormState.on_load)
app.add_page(forgot_password, route="/forgot", title="Forgotten password · AqStream", on_load=ForgotState.on_load)
app.add_page(reset_password, route="/reset/[token]", title="New password · AqStream", on_load=ResetState.on_load)
app.add_page(new_organization, route="/orgs/new", title="New organization · AqStream", on_load=CreateOrgState.on_load)
app.add_page(dashboard, route="/o/[org]", title="Dashboard · AqStream", on_load=DashboardState.on_load)
app.add_page(new_event, route="/o/[org]/events/new", title="New event · AqStream", on_load=EventFormState.on_load)
# The event workspace: a page per tab, titled with the event and the tab. /edit is the Settings tab's old address.
app.add_page(overview_tab, route="/o/[org]/events/[event_id]", title=EventOverviewState.page_title,
             on_load=EventOverviewState.on_load)
app.add_page(tickets_tab, route="/o/[org]/events/[event_id]/tickets", title=EventTicketsState.page_title,
             on_load=EventTicketsState.on_load)
app.add_page(emails_tab, route="/o/[org]/events/[event_id]/emails", title=EventEmailsState.page_title,
             on_load=EventEmailsState.on_load)
app.add_page(settings_tab, route="/o/[org]/events/[event_id]/settings", title=EventSettingsState.page_title,
             on_load=EventSettingsState.on_load)
app.add_page(settings_tab, route="/o/[org]/events/[event_id]/edit", title=EventSettingsState.page_title,
             on_load=EventSettingsState.on_load)
app.add_page(attendee_page, route="/o/[org]/tickets/[ticket_id]", title="Attendee · AqStream",
             on_load=AttendeeState.on_load)
app.add_page(attendees_tab, route="/o/[org]/events/[event_id]/attendees", title=AttendeesTabState.page_title,
             on_load=AttendeesTabState.on_load)
app.add_page(event_page, route="/e/[org]/[event]", title=event_page_title(), on_load=PublicEventState.on_load)
app.add_page(catalog_page, route="/events", title="Events · AqStream", on_load=CatalogState.on_load)
app.add_page(org_page, route="/org/[org]", title="Organizer · AqStream", on_load=OrgPublicState.on_load)
app.add_page(order_page, route="/order/[token]", title="Your tickets · AqStream", on_load=OrderState.on_load)
app.add_page(my_tickets, route="/account/tickets", title="My tickets · AqStream", on_load=MyTicketsState.on_load)
app.add_page(profile_page, route="/account/profile", title="Profile · AqStream", on_load=ProfileState.on_load)
app.add_page(verify_email, route="/verify/[token]", title="Email confirmation · AqStream", on_load=VerifyState.on_load)
app.add_page(team_page, route="/o/[org]/team", title="Team · AqStream", on_load=TeamState.on_load)
app.add_page(settings_page, route="/o/[org]/settings", title="Settings · AqStream", on_load=SettingsState.on_load)
app.add_page(audit_page, route="/o/[org]/audit", title="Audit log · AqStream", on_load=AuditState.on_load)
app.add_page(mail_page, route="/o/[org]/mail", title="Mail · AqStream", on_load=MailLogState.on_load)
app.add_page(platform_mail_page, route="/admin/mail", title="Platform mail · AqStream",
             on_load=MailLogState.on_load_platform)
# Reflex serves this page for every address no other page takes (instead of its bare "404: Page not found").
app.add_page(not_found_page, route="404", title="Not found · AqStream", on_load=AppState.on_load_visitor)
app.add_page(invite_page, route="/invite/[token]", title="Invitation · AqStream", on_load=InviteState.on_load)


@contextlib.asynccontextmanager
async def mail_worker():
    """Runs the scheduled jobs (reminders, ...) and, when SMTP is configured, sends the outbox's emails from
    inside the app process (see README)."""
    stop = mail_delivery.start_in_process()
    try:
        yield
    finally:
        if stop is not None:
            stop.set()


app.register_lifespan_task(mail_worker)
