"""The Reflex app: pages, plus the REST API and the cookie routes mounted into the same backend."""
import contextlib

import reflex as rx

from aqstream import config
from aqstream.api.app import create_api
from aqstream.components.ui import T
from aqstream.pages.account import my_tickets, profile_page, verify_email
from aqstream.pages.admin.admins import admins_page
from aqstream.pages.admin.mail import platform_mail_page
from aqstream.pages.admin.organizations import organization_page, organizations_page
from aqstream.pages.admin.overview import overview_page
from aqstream.pages.auth import forgot_password, reset_password, sign_in, sign_up
from aqstream.pages.home import home, new_organization
from aqstream.pages.not_found import not_found_page
from aqstream.pages.organizer.event_analytics import analytics_tab
from aqstream.pages.organizer.event_attendees import attendees_tab
from aqstream.pages.organizer.event_checkin import checkin_tab
from aqstream.pages.organizer.event_tabs import emails_tab, overview_tab, settings_tab, tickets_tab
from aqstream.pages.organizer.events import attendee_page, dashboard, new_event
from aqstream.pages.organizer.mail import mail_page
from aqstream.pages.organizer.org_analytics import org_analytics_page
from aqstream.pages.organizer.payment_settings import payment_settings_page
from aqstream.pages.organizer.team import audit_page, invite_page, settings_page, team_page
from aqstream.pages.public.catalog import catalog_page, org_page
from aqstream.pages.public.event import event_page
from aqstream.pages.public.order import order_page
from aqstream.services.notify import mail_delivery
from aqstream.state.account import MyTicketsState, ProfileState, VerifyState
from aqstream.state.admin import AdminOrgsState, AdminOrgState, AdminOverviewState
from aqstream.state.admin_actions import AdminsState, TenantActionsState
from aqstream.state.auth import AuthFormState, ForgotState, ResetState
from aqstream.state.base import AppState
from aqstream.state.catalog import CatalogState, OrgPublicState
from aqstream.state.event_analytics import EventAnalyticsState
from aqstream.state.event_attendees import AttendeesTabState
from aqstream.state.event_checkin import EventCheckinState
from aqstream.state.event_tabs import EventEmailsState, EventOverviewState, EventSettingsState, EventTicketsState
from aqstream.state.home import CreateOrgState, HomeState
from aqstream.state.mail import MailLogState
from aqstream.state.org_analytics import OrgAnalyticsState
from aqstream.state.organizer import AttendeeState, DashboardState, EventFormState
from aqstream.state.payment_settings import PaymentSettingsState
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


def titled(key: str) -> rx.Var:
    """A page's title in the visitor's language ("Команда · AqStream"), following the language switch."""
    return T(key) + f" · {SITE}"


def event_page_title() -> rx.Var:
    """The public event page keeps the event's title, as its served HTML head has it ("<event> · <organizer>",
    see api/share.py); before the event is read, and when there is none, "Event · AqStream" in the language."""
    s = PublicEventState
    return rx.cond(s.title != "", s.title + " · " + s.org_name, titled("page_title.event"))


app.add_page(home, route="/", title="AqStream", on_load=HomeState.on_load)
app.add_page(sign_up, route="/signup", title=titled("page_title.sign_up"), on_load=AuthFormState.on_load)
app.add_page(sign_in, route="/signin", title=titled("auth.signin.title"), on_load=AuthFormState.on_load)
app.add_page(forgot_password, route="/forgot", title=titled("page_title.forgot"), on_load=ForgotState.on_load)
app.add_page(reset_password, route="/reset/[token]", title=titled("page_title.new_password"), on_load=ResetState.on_load)
app.add_page(new_organization, route="/orgs/new", title=titled("page_title.new_org"), on_load=CreateOrgState.on_load)
app.add_page(dashboard, route="/o/[org]", title=titled("nav.dashboard"), on_load=DashboardState.on_load)
app.add_page(new_event, route="/o/[org]/events/new", title=titled("event.new.title"), on_load=EventFormState.on_load)
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
app.add_page(attendee_page, route="/o/[org]/tickets/[ticket_id]", title=titled("page_title.attendee"),
             on_load=AttendeeState.on_load)
app.add_page(attendees_tab, route="/o/[org]/events/[event_id]/attendees", title=AttendeesTabState.page_title,
             on_load=AttendeesTabState.on_load)
app.add_page(analytics_tab, route="/o/[org]/events/[event_id]/analytics", title=EventAnalyticsState.page_title,
             on_load=EventAnalyticsState.on_load)
app.add_page(checkin_tab, route="/o/[org]/events/[event_id]/checkin", title=EventCheckinState.page_title,
             on_load=EventCheckinState.on_load)
app.add_page(event_page, route="/e/[org]/[event]", title=event_page_title(), on_load=PublicEventState.on_load)
app.add_page(catalog_page, route="/events", title=titled("nav.catalog"), on_load=CatalogState.on_load)
app.add_page(org_page, route="/org/[org]", title=titled("page_title.organizer"), on_load=OrgPublicState.on_load)
app.add_page(order_page, route="/order/[token]", title=titled("page_title.order"), on_load=OrderState.on_load)
app.add_page(my_tickets, route="/account/tickets", title=titled("account.title"), on_load=MyTicketsState.on_load)
app.add_page(profile_page, route="/account/profile", title=titled("profile.title"), on_load=ProfileState.on_load)
app.add_page(verify_email, route="/verify/[token]", title=titled("verify.title"), on_load=VerifyState.on_load)
app.add_page(team_page, route="/o/[org]/team", title=titled("team.title"), on_load=TeamState.on_load)
app.add_page(settings_page, route="/o/[org]/settings", title=titled("org.settings.title"), on_load=SettingsState.on_load)
app.add_page(payment_settings_page, route="/o/[org]/settings/payments", title=titled("payset.title"),
             on_load=PaymentSettingsState.on_load)
app.add_page(audit_page, route="/o/[org]/audit", title=titled("audit.title"), on_load=AuditState.on_load)
app.add_page(org_analytics_page, route="/o/[org]/analytics", title=titled("workspace.tab.analytics"),
             on_load=OrgAnalyticsState.on_load)
app.add_page(mail_page, route="/o/[org]/mail", title=titled("mail.title"), on_load=MailLogState.on_load)
app.add_page(admins_page, route="/admin/admins", title=titled("admin.admins.title"), on_load=AdminsState.on_load)
app.add_page(platform_mail_page, route="/admin/mail", title=titled("mail.platform.title"),
             on_load=MailLogState.on_load_platform)
app.add_page(overview_page, route="/admin", title=titled("admin.overview.title"), on_load=AdminOverviewState.on_load)
app.add_page(organizations_page, route="/admin/organizations", title=titled("admin.organizations.title"),
             on_load=AdminOrgsState.on_load)
app.add_page(organization_page, route="/admin/organizations/[slug]", title=titled("admin.organization.title"),
             on_load=[AdminOrgState.on_load, TenantActionsState.on_load])
# Reflex serves this page for every address no other page takes (instead of its bare "404: Page not found").
app.add_page(not_found_page, route="404", title=titled("page_title.not_found"), on_load=AppState.on_load_visitor)
app.add_page(invite_page, route="/invite/[token]", title=titled("page_title.invitation"), on_load=InviteState.on_load)


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
