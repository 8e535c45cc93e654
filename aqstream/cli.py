"""`aqstream` command: migrate the database, load demo data, run a worker (scheduled jobs and mail), grant and
revoke platform admins."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["migrate"]:
        from alembic.config import Config

        from alembic import command

        command.upgrade(Config("alembic.ini"), "head")
        return 0
    if args[:1] == ["demo"]:
        from aqstream.demo import main as demo

        demo()
        return 0
    if args[:1] == ["worker"]:
        from aqstream.services.notify.mail_delivery import main_loop

        return main_loop()
    if args[:1] == ["admin"]:
        return _admin(args[1:])
    print("usage: aqstream migrate | aqstream demo | aqstream worker | aqstream admin grant|revoke|list [EMAIL]",
          file=sys.stderr)
    return 2


def _admin(args: list[str]) -> int:
    """`aqstream admin grant EMAIL`, `aqstream admin revoke EMAIL`, `aqstream admin list`: platform admins from
    the command line (whoever can run it can reach the database). Each change is audited as made by the
    command line."""
    from aqstream.db import session_scope
    from aqstream.services.errors import DomainError
    from aqstream.services.platform import admins

    usage = "usage: aqstream admin grant EMAIL | aqstream admin revoke EMAIL | aqstream admin list"
    if args[:1] == ["list"] and len(args) == 1:
        from sqlmodel import select

        from aqstream.models import User

        with session_scope() as session:
            for user in session.exec(select(User).where(User.is_platform_admin.is_(True)).order_by(User.email)):
                print(user.email)
        return 0
    if len(args) != 2 or args[0] not in ("grant", "revoke"):
        print(usage, file=sys.stderr)
        return 2
    action, email = args
    try:
        with session_scope() as session:
            user = (admins.grant if action == "grant" else admins.revoke)(session, None, email)
    except DomainError as exc:
        from aqstream.i18n import t

        print(f"aqstream admin {action}: {t(exc.message_key, 'en', **exc.params)}", file=sys.stderr)
        return 1
    state = "is a platform admin" if user.is_platform_admin else "is not a platform admin"
    print(f"{user.email} {state}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
