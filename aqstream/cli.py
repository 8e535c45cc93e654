"""`aqstream` command: migrate the database, load demo data, run a worker (scheduled jobs and mail)."""
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
    print("usage: aqstream migrate | aqstream demo | aqstream worker", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
