"""Team, organization settings and the audit log: who may do what (every action against every role),
the last owner, admins and owners, invitations from sending to accepting, audit and outbox entries,
and tenant isolation."""
from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, update
from sqlmodel import Session, select

from aqstream import config
from aqstream.i18n import catalogue
from aqstream.models import AuditEntry, Invitation, Membership, Organization, OutboxMessage
from aqstream.services.clock import utcnow
from aqstream.services.errors import Conflict, Forbidden, NotFound, ValidationError
from aqstream.services.org import organizations, team
from aqstream.services.org.permissions import ADMIN, CHECKIN, OWNER, STAFF, Principal
from aqstream.services.reports import audit
from tests.conftest import Factory, unique

P = Principal


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    name: str


@pytest.fixture(scope="module")
def people(engine) -> dict[str, Person]:
    """The accounts, made once per database (password hashing is slow on purpose); each test gets fresh
    organizations for them."""
    with Session(engine, expire_on_commit=False) as s:
        factory = Factory(s)
        names = ("owner", "admin", "staff", "checkin", "outsider", "spare", "newcomer")
        made = {name: factory.user(name=f"{name.title()} {unique()}") for name in names}
        return {name: Person(u.id, u.email, u.name) for name, u in made.items()}


def join(session, org_id: int, inviter: Person, person: Person, role: str) -> None:
    issued = team.invite(session, P(inviter.id), org_id, email=person.email, role=role)
    team.accept_invitation(session, P(person.id), issued.token)


@dataclass
class Team:
    org: Organization
    other: Organization  # the outsider's own organization
    people: dict[str, Person]

    def p(self, name: str) -> Principal:
        return P(self.people[name].id)


@pytest.fixture
def crew(session, people) -> Team:
    org = organizations.create_organization(session, P(people["owner"].id), name=f"Crew {unique()}")
    for name, role in (("admin", ADMIN), ("staff", STAFF), ("checkin", CHECKIN), ("spare", STAFF)):
        join(session, org.id, people["owner"], people[name], role)
    other = organizations.create_organization(session, P(people["outsider"].id), name=f"Other {unique()}")
    return Team(org, other, people)


def fresh(session) -> None:
    """End the session's transaction, so the next read sees what other connections committed."""
    session.commit()
    session.expire_all()


def roles(session, org_id: int) -> dict[int, str]:
    fresh(session)
    return dict(session.exec(select(Membership.user_id, Membership.role)
                             .where(Membership.organization_id == org_id)).all())


def pending(session, org_id: int) -> list[Invitation]:
    fresh(session)
    return list(session.exec(select(Invitation).where(Invitation.organization_id == org_id,
                                                      Invitation.accepted_at.is_(None),
                                                      Invitation.revoked_at.is_(None))).all())


def actions_of(session, org_id: int) -> list[str]:
    return list(session.exec(select(AuditEntry.action).where(AuditEntry.organization_id == org_id)
                             .order_by(AuditEntry.id)).all())


def png(color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(out, format="PNG")
    return out.getvalue()


def settings_args(org: Organization, **changes) -> dict:
    return {"name": org.name, "slug": org.slug, "default_locale": org.default_locale, "currency": org.currency,
            "time_zone": org.time_zone, "contact_email": org.contact_email, **changes}


# --- who may do what -----------------------------------------------------------------------------------

def _invite_someone(s, c, me):
    return team.invite(s, me, c.org.id, email=f"{unique('new')}@example.com", role=STAFF)


def _revoke(s, c, me):
    victim = team.invite(s, c.p("owner"), c.org.id, email=f"{unique('r')}@example.com", role=STAFF)
    return team.revoke_invitation(s, me, c.org.id, victim.invitation.id)


ACTIONS = {
    "list_members": lambda s, c, me: team.list_members(s, me, c.org.id),
    "list_invitations": lambda s, c, me: team.list_invitations(s, me, c.org.id),
    "invite": _invite_someone,
    "revoke_invitation": _revoke,
    "change_role": lambda s, c, me: team.change_role(s, me, c.org.id, c.people["spare"].id, CHECKIN),
    "remove_member": lambda s, c, me: team.remove_member(s, me, c.org.id, c.people["spare"].id),
    "get_settings": lambda s, c, me: organizations.get_settings(s, me, c.org.id),
    "update_settings": lambda s, c, me: organizations.update_settings(
        s, me, c.org.id, **settings_args(s.get(Organization, c.org.id), name="Renamed by someone")),
    "audit_log": lambda s, c, me: audit.list_entries(s, me, c.org.id),
}
EXPECTED = {"owner": None, "admin": None, "staff": Forbidden, "checkin": Forbidden, "outsider": NotFound}


@pytest.mark.parametrize("actor", list(EXPECTED))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_role_matrix(session, crew, action, actor):
    """Owners and admins manage the team, settings and audit log; staff and check-in are refused; a
    stranger to the organization is told it does not exist. A refusal changes nothing."""
    before = (roles(session, crew.org.id), len(pending(session, crew.org.id)),
              session.get(Organization, crew.org.id).name)
    entries_before = len(actions_of(session, crew.org.id))
    expected = EXPECTED[actor]
    if expected is None:
        ACTIONS[action](session, crew, crew.p(actor))
        return
    if action == "revoke_invitation":  # the owner's invitation exists before the refused revoke
        before = (before[0], before[1] + 1, before[2])
        entries_before += 1
    with pytest.raises(expected):
        ACTIONS[action](session, crew, crew.p(actor))
    session.rollback()
    after = (roles(session, crew.org.id), len(pending(session, crew.org.id)),
             session.get(Organization, crew.org.id).name)
    assert after == before
    assert len(actions_of(session, crew.org.id)) == entries_before


def test_allowed_actions_really_happen(session, crew):
    spare = crew.people["spare"].id
    assert team.change_role(session, crew.p("admin"), crew.org.id, spare, CHECKIN).role == CHECKIN
    assert roles(session, crew.org.id)[spare] == CHECKIN
    team.remove_member(session, crew.p("admin"), crew.org.id, spare)
    assert spare not in roles(session, crew.org.id)
    members = team.list_members(session, crew.p("owner"), crew.org.id)
    assert [m.role for m in members] == [OWNER, ADMIN, STAFF, CHECKIN]  # owners first
    assert {m.email for m in members} == {crew.people[n].email for n in ("owner", "admin", "staff", "checkin")}


def test_anyone_may_leave_but_not_remove_others(session, crew):
    me = crew.people["checkin"].id
    with pytest.raises(Forbidden):
        team.remove_member(session, crew.p("checkin"), crew.org.id, crew.people["staff"].id)
    session.rollback()
    team.remove_member(session, crew.p("checkin"), crew.org.id, me)
    assert me not in roles(session, crew.org.id)
    assert actions_of(session, crew.org.id)[-1] == "team.leave"
    with pytest.raises(NotFound):  # gone: the organization is a stranger's now
        team.remove_member(session, crew.p("checkin"), crew.org.id, me)


# --- owners --------------------------------------------------------------------------------------------

def test_admin_cannot_make_change_or_remove_an_owner(session, crew):
    owner, staff = crew.people["owner"].id, crew.people["staff"].id
    admin = crew.p("admin")
    refused = [
        lambda: team.change_role(session, admin, crew.org.id, owner, ADMIN),
        lambda: team.change_role(session, admin, crew.org.id, staff, OWNER),
        lambda: team.change_role(session, admin, crew.org.id, admin.user_id, OWNER),
        lambda: team.remove_member(session, admin, crew.org.id, owner),
        lambda: team.invite(session, admin, crew.org.id, email="boss@example.com", role=OWNER),
    ]
    for call in refused:
        with pytest.raises(Forbidden) as caught:
            call()
        assert caught.value.message_key == "team.owner_only"
        session.rollback()
    owner_invite = team.invite(session, crew.p("owner"), crew.org.id, email="boss@example.com", role=OWNER)
    with pytest.raises(Forbidden):
        team.revoke_invitation(session, admin, crew.org.id, owner_invite.invitation.id)
    session.rollback()
    assert roles(session, crew.org.id)[owner] == OWNER and roles(session, crew.org.id)[staff] == STAFF
    # An owner may do all of it.
    team.change_role(session, crew.p("owner"), crew.org.id, staff, OWNER)
    team.change_role(session, crew.p("owner"), crew.org.id, staff, ADMIN)
    team.revoke_invitation(session, crew.p("owner"), crew.org.id, owner_invite.invitation.id)


def test_the_last_owner_can_be_neither_removed_nor_demoted(session, crew):
    owner = crew.people["owner"].id
    for call in (lambda: team.change_role(session, crew.p("owner"), crew.org.id, owner, ADMIN),
                 lambda: team.remove_member(session, crew.p("owner"), crew.org.id, owner)):
        with pytest.raises(Conflict) as caught:
            call()
        assert caught.value.message_key == "team.last_owner"
        session.rollback()
    assert roles(session, crew.org.id)[owner] == OWNER
    # With a second owner, the first may step down; then the second is the last one.
    admin = crew.people["admin"].id
    team.change_role(session, crew.p("owner"), crew.org.id, admin, OWNER)
    team.change_role(session, crew.p("owner"), crew.org.id, owner, STAFF)
    with pytest.raises(Conflict, match="team.last_owner"):
        team.remove_member(session, crew.p("admin"), crew.org.id, admin)
    session.rollback()
    assert [u for u, r in roles(session, crew.org.id).items() if r == OWNER] == [admin]


def _race(engine, calls) -> list:
    """Run each call in its own thread and connection, all at once; returns results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        with Session(engine, expire_on_commit=False) as s:
            barrier.wait()
            try:
                results[i] = call(s)
            except Exception as exc:  # noqa: BLE001 - the test inspects it
                results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    return results


@pytest.mark.parametrize("how", ["demote", "remove"])
def test_two_owners_stepping_each_other_down_at_once_leave_one_owner(engine, session, crew, how):
    a, b, org_id = crew.people["owner"].id, crew.people["admin"].id, crew.org.id
    team.change_role(session, P(a), org_id, b, OWNER)
    for _ in range(5):
        if how == "demote":
            calls = [lambda s: team.change_role(s, P(a), org_id, b, ADMIN),
                     lambda s: team.change_role(s, P(b), org_id, a, ADMIN)]
        else:
            calls = [lambda s: team.remove_member(s, P(a), org_id, b),
                     lambda s: team.remove_member(s, P(b), org_id, a)]
        results = _race(engine, calls)
        refused = [r for r in results if isinstance(r, Exception)]
        assert len(refused) == 1 and isinstance(refused[0], (Conflict, Forbidden, NotFound)), results
        now = roles(session, org_id)
        owners = [u for u in (a, b) if now.get(u) == OWNER]
        assert len(owners) == 1
        # Put the second owner back for the next round.
        survivor = owners[0]
        other = b if survivor == a else a
        if other in now:
            team.change_role(session, P(survivor), org_id, other, OWNER)
        else:
            by_id = {person.id: person for person in crew.people.values()}
            join(session, org_id, by_id[survivor], by_id[other], OWNER)


# --- invitations ---------------------------------------------------------------------------------------

def test_invitation_stores_only_a_hash_and_writes_one_email(session, crew):
    issued = team.invite(session, crew.p("admin"), crew.org.id, email="  New.Person@Example.COM ", role=STAFF,
                         locale="ru")
    assert issued.invitation.email == "new.person@example.com"
    assert issued.accept_url == f"{config.public_base_url()}/invite/{issued.token}"
    stored = session.get(Invitation, issued.invitation.id)
    assert stored.token_hash == team.token_hash(issued.token) and issued.token not in stored.token_hash
    assert stored.expires_at - stored.created_at == timedelta(days=7)
    assert stored.invited_by_user_id == crew.people["admin"].id
    mails = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == "new.person@example.com")).all()
    assert len(mails) == 1
    mail = mails[0]
    assert mail.kind == "email.team_invitation" and mail.organization_id == crew.org.id
    assert mail.payload["organization_name"] == crew.org.name and mail.payload["role"] == STAFF
    assert mail.payload["accept_url"] == issued.accept_url and mail.payload["locale"] == "ru"
    assert actions_of(session, crew.org.id)[-1] == "team.invite"
    preview = team.invitation_preview(session, issued.token)
    assert (preview.organization_name, preview.role, preview.email) == (crew.org.name, STAFF, "new.person@example.com")


def test_bad_invitation_reports_both_fields_and_writes_nothing(session, crew):
    mails = session.exec(select(func.count(OutboxMessage.id))).one()
    with pytest.raises(ValidationError) as caught:
        team.invite(session, crew.p("owner"), crew.org.id, email="not-an-email", role="boss")
    assert caught.value.errors == {"email": "field.email_invalid", "role": "team.role_invalid"}
    session.rollback()
    assert pending(session, crew.org.id) == []
    assert session.exec(select(func.count(OutboxMessage.id))).one() == mails


def test_inviting_a_member_is_refused_on_the_email_field(session, crew):
    with pytest.raises(ValidationError) as caught:
        team.invite(session, crew.p("owner"), crew.org.id, email=crew.people["staff"].email.upper(), role=ADMIN)
    assert caught.value.errors == {"email": "team.already_member"}
    session.rollback()
    assert pending(session, crew.org.id) == []


def test_inviting_again_replaces_the_pending_invitation(session, crew):
    email = crew.people["newcomer"].email
    first = team.invite(session, crew.p("owner"), crew.org.id, email=email, role=CHECKIN)
    second = team.invite(session, crew.p("owner"), crew.org.id, email=email, role=STAFF)
    assert [i.id for i in team.list_invitations(session, crew.p("owner"), crew.org.id)] == [second.invitation.id]
    with pytest.raises(Conflict, match="team.invitation_revoked"):
        team.accept_invitation(session, crew.p("newcomer"), first.token)
    session.rollback()
    joined = team.accept_invitation(session, crew.p("newcomer"), second.token)
    assert joined.role == STAFF and joined.organization_slug == crew.org.slug
    assert roles(session, crew.org.id)[crew.people["newcomer"].id] == STAFF


def test_accepting_with_the_invited_address_joins_with_the_role(session, crew):
    issued = team.invite(session, crew.p("owner"), crew.org.id, email=crew.people["newcomer"].email.upper(),
                         role=ADMIN)
    team.accept_invitation(session, crew.p("newcomer"), issued.token)
    assert roles(session, crew.org.id)[crew.people["newcomer"].id] == ADMIN
    stored = session.get(Invitation, issued.invitation.id)
    assert stored.accepted_at is not None and stored.accepted_by_user_id == crew.people["newcomer"].id
    assert team.list_invitations(session, crew.p("owner"), crew.org.id) == []
    assert actions_of(session, crew.org.id)[-1] == "team.join"
    # The same link again: used.
    with pytest.raises(Conflict) as caught:
        team.accept_invitation(session, crew.p("newcomer"), issued.token)
    assert caught.value.message_key == "team.invitation_used"
    session.rollback()
    with pytest.raises(Conflict, match="team.invitation_used"):
        team.invitation_preview(session, issued.token)


def test_another_address_cannot_use_the_link(session, crew):
    issued = team.invite(session, crew.p("owner"), crew.org.id, email=crew.people["newcomer"].email, role=ADMIN)
    with pytest.raises(Forbidden) as caught:
        team.accept_invitation(session, crew.p("outsider"), issued.token)
    assert caught.value.message_key == "team.invitation_wrong_email"
    assert caught.value.params == {"email": crew.people["newcomer"].email}
    session.rollback()
    assert crew.people["outsider"].id not in roles(session, crew.org.id)
    assert session.get(Invitation, issued.invitation.id).accepted_at is None
    team.accept_invitation(session, crew.p("newcomer"), issued.token)  # still good for the right person


def test_expired_revoked_and_unknown_links(session, crew):
    newcomer = crew.p("newcomer")
    email = crew.people["newcomer"].email
    expired = team.invite(session, crew.p("owner"), crew.org.id, email=email, role=STAFF)
    session.exec(update(Invitation).where(Invitation.id == expired.invitation.id)
                 .values(expires_at=utcnow() - timedelta(minutes=1)))
    session.commit()
    with pytest.raises(Conflict, match="team.invitation_expired"):
        team.accept_invitation(session, newcomer, expired.token)
    session.rollback()
    assert team.list_invitations(session, crew.p("owner"), crew.org.id) == []  # expired ones are not pending
    revoked = team.invite(session, crew.p("owner"), crew.org.id, email=email, role=STAFF)
    team.revoke_invitation(session, crew.p("admin"), crew.org.id, revoked.invitation.id)
    assert actions_of(session, crew.org.id)[-1] == "team.invitation_revoke"
    with pytest.raises(Conflict, match="team.invitation_revoked"):
        team.accept_invitation(session, newcomer, revoked.token)
    session.rollback()
    with pytest.raises(Conflict, match="team.invitation_revoked"):
        team.revoke_invitation(session, crew.p("admin"), crew.org.id, revoked.invitation.id)
    session.rollback()
    for token in ("", "nope", revoked.token[:-1] + "x", "x" * 500):
        with pytest.raises(NotFound, match="team.invitation_invalid"):
            team.accept_invitation(session, newcomer, token)
        session.rollback()
        with pytest.raises(NotFound):
            team.invitation_preview(session, token)
    assert crew.people["newcomer"].id not in roles(session, crew.org.id)


def test_a_member_accepting_again_is_a_conflict(session, crew):
    issued = team.invite(session, crew.p("owner"), crew.org.id, email=crew.people["newcomer"].email, role=STAFF)
    team.accept_invitation(session, crew.p("newcomer"), issued.token)
    # Made while they were not yet a member, accepted after they joined by another link.
    session.add(Invitation(organization_id=crew.org.id, email=crew.people["newcomer"].email, role=ADMIN,
                           token_hash=team.token_hash("second-link"), created_at=utcnow(),
                           expires_at=utcnow() + timedelta(days=1)))
    session.commit()
    with pytest.raises(Conflict, match="team.already_member"):
        team.accept_invitation(session, crew.p("newcomer"), "second-link")
    session.rollback()
    assert roles(session, crew.org.id)[crew.people["newcomer"].id] == STAFF


def test_team_changes_are_audited_with_who_and_what(session, crew):
    spare = crew.people["spare"].id
    team.change_role(session, crew.p("admin"), crew.org.id, spare, CHECKIN)
    team.remove_member(session, crew.p("admin"), crew.org.id, spare)
    entries = session.exec(select(AuditEntry).where(AuditEntry.organization_id == crew.org.id)
                           .order_by(AuditEntry.id.desc()).limit(2)).all()
    removal, change = entries
    assert (change.action, change.actor_user_id, change.data) == (
        "team.role_change", crew.people["admin"].id, {"user_id": spare, "from": STAFF, "to": CHECKIN})
    assert (removal.action, removal.data) == ("team.remove", {"user_id": spare, "role": CHECKIN})


# --- settings ------------------------------------------------------------------------------------------

def test_settings_are_saved_and_audited(session, crew):
    org = organizations.get_settings(session, crew.p("admin"), crew.org.id)
    saved = organizations.update_settings(session, crew.p("admin"), crew.org.id, **settings_args(
        org, name="Moscow Devs", slug=f"moscow-{unique()}", default_locale="ru", currency="rub",
        time_zone="Europe/Moscow", contact_email="Hello@Example.com"))
    session.expire_all()
    stored = session.get(Organization, crew.org.id)
    assert (stored.name, stored.slug, stored.default_locale, stored.currency, stored.time_zone,
            stored.contact_email) == ("Moscow Devs", saved.slug, "ru", "RUB", "Europe/Moscow", "hello@example.com")
    entry = session.exec(select(AuditEntry).where(AuditEntry.organization_id == crew.org.id)
                         .order_by(AuditEntry.id.desc())).first()
    assert entry.action == "organization.settings_update" and entry.data["name"] == "Moscow Devs"
    # The contact address is optional.
    organizations.update_settings(session, crew.p("owner"), crew.org.id, **settings_args(stored, contact_email=""))
    session.expire_all()
    assert session.get(Organization, crew.org.id).contact_email == ""


def test_bad_settings_name_every_field_and_save_nothing(session, crew):
    org = session.get(Organization, crew.org.id)
    before = settings_args(org)
    with pytest.raises(ValidationError) as caught:
        organizations.update_settings(session, crew.p("owner"), crew.org.id, name="", slug="Bad Slug!",
                                      default_locale="de", currency="euro", time_zone="Mars/Olympus",
                                      contact_email="nope")
    assert caught.value.errors == {"name": "field.required", "slug": "org.slug_invalid",
                                   "default_locale": "org.locale_invalid", "currency": "field.currency_invalid",
                                   "time_zone": "field.time_zone_invalid", "contact_email": "field.email_invalid"}
    session.rollback()
    session.expire_all()
    assert settings_args(session.get(Organization, crew.org.id)) == before


@pytest.mark.parametrize("slug", ["api", "admin", "o", "other"])
def test_slug_must_not_shadow_the_app_or_another_organization(session, crew, slug):
    wanted = crew.other.slug if slug == "other" else slug
    org = session.get(Organization, crew.org.id)
    with pytest.raises(ValidationError) as caught:
        organizations.update_settings(session, crew.p("owner"), crew.org.id, **settings_args(org, slug=wanted))
    assert caught.value.errors == {"slug": "org.slug_taken"}
    session.rollback()
    session.expire_all()
    assert session.get(Organization, crew.org.id).slug == crew.org.slug


def test_logo_is_stored_replaced_and_removed(session, crew):
    org = session.get(Organization, crew.org.id)
    saved = organizations.update_settings(session, crew.p("owner"), crew.org.id, **settings_args(org), logo=png())
    first = saved.logo_path
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.png", first) and (config.media_dir() / first).is_file()
    org = session.get(Organization, crew.org.id)
    second = organizations.update_settings(session, crew.p("owner"), crew.org.id, **settings_args(org),
                                           logo=png((0, 0, 200))).logo_path
    assert second != first and (config.media_dir() / second).is_file()
    assert not (config.media_dir() / first).exists()  # the replaced file is gone
    org = session.get(Organization, crew.org.id)
    organizations.update_settings(session, crew.p("owner"), crew.org.id, **settings_args(org), remove_logo=True)
    session.expire_all()
    assert session.get(Organization, crew.org.id).logo_path == ""
    assert not (config.media_dir() / second).exists()


def test_a_bad_logo_or_a_bad_field_keeps_nothing(session, crew):
    files_before = set(Path(config.media_dir()).iterdir())
    org = session.get(Organization, crew.org.id)
    with pytest.raises(ValidationError) as caught:
        organizations.update_settings(session, crew.p("owner"), crew.org.id, **settings_args(org, name="New name"),
                                      logo=b"GIF89a not really")
    assert caught.value.errors == {"logo": "media.not_an_image"}
    session.rollback()
    with pytest.raises(ValidationError):
        organizations.update_settings(session, crew.p("owner"), crew.org.id, **settings_args(org, currency="x"),
                                      logo=png())
    session.rollback()
    with pytest.raises(ValidationError, match="org.slug_taken"):  # found only in the database
        organizations.update_settings(session, crew.p("owner"), crew.org.id,
                                      **settings_args(org, slug=crew.other.slug), logo=png())
    session.rollback()
    session.expire_all()
    stored = session.get(Organization, crew.org.id)
    assert (stored.name, stored.logo_path) == (crew.org.name, "")
    assert set(Path(config.media_dir()).iterdir()) == files_before


# --- audit log -----------------------------------------------------------------------------------------

def test_audit_log_lists_newest_first_with_names_and_filters(session, crew):
    spare = crew.people["spare"]
    team.change_role(session, crew.p("admin"), crew.org.id, spare.id, CHECKIN)
    org = session.get(Organization, crew.org.id)
    organizations.update_settings(session, crew.p("owner"), crew.org.id, **settings_args(org, name="Renamed"))
    owner = crew.p("owner")
    everything = audit.list_entries(session, owner, crew.org.id)
    assert everything.entries[0].action == "organization.settings_update"
    assert everything.entries[0].actor == crew.people["owner"].name
    assert everything.entries[0].actor_email == crew.people["owner"].email
    assert [e.at for e in everything.entries] == sorted((e.at for e in everything.entries), reverse=True)
    assert everything.entries[-1].action == "organization.create"
    assert everything.total == len(everything.entries)
    team_only = audit.list_entries(session, owner, crew.org.id, action_prefix="team.")
    assert {e.action for e in team_only.entries} == {"team.invite", "team.join", "team.role_change"}
    by_admin = audit.list_entries(session, owner, crew.org.id, actor=crew.people["admin"].name.upper())
    assert {e.action for e in by_admin.entries} == {"team.join", "team.role_change"}
    by_email = audit.list_entries(session, owner, crew.org.id, actor=crew.people["admin"].email.split("@")[0])
    assert [e.id for e in by_email.entries] == [e.id for e in by_admin.entries]
    assert audit.list_entries(session, owner, crew.org.id, actor="100%_nobody").entries == []
    newest = everything.entries[0].at
    assert [e.action for e in audit.list_entries(session, owner, crew.org.id, since=newest).entries] == [
        "organization.settings_update"]
    assert "organization.settings_update" not in [
        e.action for e in audit.list_entries(session, owner, crew.org.id, until=newest).entries]
    with pytest.raises(ValidationError, match="audit.until_before_since"):
        audit.list_entries(session, owner, crew.org.id, since=newest, until=newest - timedelta(days=1))
    session.rollback()
    audit.record(session, action="order.create", object_type="order", object_id=-1, organization_id=crew.org.id,
                 actor_label="Анна Петрова")  # a guest, known only by the label
    session.commit()
    guest = audit.list_entries(session, owner, crew.org.id, actor="АННА")
    assert [(e.action, e.actor, e.actor_email) for e in guest.entries] == [("order.create", "Анна Петрова", "")]


def test_audit_log_pages(session, crew):
    owner = crew.p("owner")
    total = audit.list_entries(session, owner, crew.org.id).total
    first = audit.list_entries(session, owner, crew.org.id, per_page=3)
    second = audit.list_entries(session, owner, crew.org.id, page=2, per_page=3)
    assert first.total == total and first.pages == -(-total // 3)
    assert len(first.entries) == 3 and not {e.id for e in first.entries} & {e.id for e in second.entries}
    assert first.entries[-1].id > second.entries[0].id
    assert audit.list_entries(session, owner, crew.org.id, page=99).entries == []
    assert audit.list_entries(session, owner, crew.org.id, per_page=10_000).per_page == audit.MAX_PER_PAGE


# --- tenant isolation ----------------------------------------------------------------------------------

def test_an_admin_of_one_organization_cannot_reach_another(session, crew, people):
    """The outsider owns organization B; as its admin, nothing of A can be seen or changed (NotFound), and
    A's admin cannot use B's ids through A either."""
    b_invite = team.invite(session, crew.p("outsider"), crew.other.id, email="b-guest@example.com", role=STAFF)
    a_admin, a_invite = crew.p("admin"), team.invite(session, crew.p("owner"), crew.org.id,
                                                     email="a-guest@example.com", role=STAFF)
    outsider = crew.p("outsider")
    org_a = session.get(Organization, crew.org.id)
    calls = [
        lambda: team.list_members(session, outsider, crew.org.id),
        lambda: team.list_invitations(session, outsider, crew.org.id),
        lambda: team.invite(session, outsider, crew.org.id, email="x@example.com", role=STAFF),
        lambda: team.revoke_invitation(session, outsider, crew.org.id, a_invite.invitation.id),
        lambda: team.revoke_invitation(session, outsider, crew.other.id, a_invite.invitation.id),  # A's id via B
        lambda: team.change_role(session, outsider, crew.org.id, people["staff"].id, ADMIN),
        lambda: team.change_role(session, outsider, crew.other.id, people["staff"].id, ADMIN),  # A's member via B
        lambda: team.remove_member(session, outsider, crew.org.id, people["staff"].id),
        lambda: team.remove_member(session, outsider, crew.other.id, people["staff"].id),
        lambda: organizations.get_settings(session, outsider, crew.org.id),
        lambda: organizations.update_settings(session, outsider, crew.org.id, **settings_args(org_a, name="Hijack")),
        lambda: audit.list_entries(session, outsider, crew.org.id),
        lambda: team.list_members(session, a_admin, crew.other.id),
        lambda: team.revoke_invitation(session, a_admin, crew.org.id, b_invite.invitation.id),  # B's id via A
        lambda: team.change_role(session, a_admin, crew.org.id, people["outsider"].id, STAFF),
        lambda: audit.list_entries(session, a_admin, crew.other.id),
        lambda: organizations.get_settings(session, a_admin, crew.other.id),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
        session.rollback()
    assert {i.email for i in team.list_invitations(session, crew.p("owner"), crew.org.id)} == {"a-guest@example.com"}
    assert {i.email for i in team.list_invitations(session, outsider, crew.other.id)} == {"b-guest@example.com"}
    assert roles(session, crew.org.id)[people["staff"].id] == STAFF
    a_log = audit.list_entries(session, a_admin, crew.org.id, per_page=200).entries
    assert "b-guest@example.com" not in str([e.data for e in a_log])
    assert session.get(Organization, crew.org.id).name == crew.org.name


# --- texts ---------------------------------------------------------------------------------------------

def test_every_team_settings_and_audit_text_is_translated():
    """tests/test_i18n.py checks the older prefixes; these are the ones the team pages brought."""
    root = Path(__file__).resolve().parents[2] / "aqstream"
    files = [root / "services" / "org" / "team.py", root / "services" / "org" / "organizations.py",
             root / "services" / "reports" / "audit.py",
             root / "state" / "team.py", root / "pages" / "organizer" / "team.py", root / "api" / "organizations.py"]
    used = set()
    for path in files:
        text = re.sub(r"action=[^,\n]*", "", path.read_text(encoding="utf-8"))
        used |= set(re.findall(r'["\']((?:team|invite|audit|org|media|field|error)\.[a-z_.]+[a-z_])["\']', text))
    for lang in ("en", "ru"):
        assert sorted(k for k in used if k not in catalogue(lang)) == []
    roles_and_filters = [f"team.role.{r}" for r in (OWNER, ADMIN, STAFF, CHECKIN)] + [
        f"audit.filter.{p}" for p in ("all", "team", "organization", "event", "ticket_type", "question", "order",
                                      "ticket")]
    assert all(k in catalogue("ru") and k in catalogue("en") for k in roles_and_filters)
