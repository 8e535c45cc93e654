"""Fixtures for the email tests: a real SMTP server on 127.0.0.1 (aiosmtpd) and a database of one's own."""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from aqstream.config import SmtpSettings
from aqstream.db import make_engine
from tests.conftest import BACKENDS, alembic_upgrade, new_database_url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An SMTP server's handler that keeps every message it accepts; it can be told to pause per message, to
    answer with a reply code instead of accepting (`answer`), and to go away in the middle of a message
    (`vanish_at`)."""

    def __init__(self, delay: float = 0.0):
        self.messages: list = []
        self.delay = delay
        self.lock = threading.Lock()
        self.rules: list[tuple[str, str, int | None, str | None]] = []
        self.tries: Counter[tuple[str, str]] = Counter()  # (stage, address) -> how often it came
        self.vanish_at: int | None = None
        self.controller: Controller | None = None
        self.gone: threading.Thread | None = None

    def answer(self, stage: str, reply: str, first: int | None = None, to: str | None = None) -> None:
        """Answer `reply` (e.g. "451 4.7.1 Greylisted, try again later") instead of accepting, at "MAIL" (keyed
        by the sender), "RCPT", "DATA command" (before the content) or "DATA" (after it; both keyed by the
        recipient): for the address `to` or any, the first `first` tries of each address or every try."""
        self.rules.append((stage, reply, first, to))

    def refusal(self, stage: str, address: str) -> str | None:
        with self.lock:
            seen = self.tries[(stage, address)]
            self.tries[(stage, address)] += 1
        for rule_stage, reply, first, to in self.rules:
            if rule_stage == stage and to in (None, address) and (first is None or seen < first):
                return reply
        return None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if reply := self.refusal("MAIL", address):
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if reply := self.refusal("RCPT", address):
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            time.sleep(self.delay)
        if reply := self.refusal("DATA", ",".join(envelope.rcpt_tos)):
            return reply
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append((envelope.rcpt_tos, parsed))
            vanish = len(self.messages) == self.vanish_at
        if vanish:  # the server has the message, and goes away before it says so
            server.transport.abort()
            self.gone = threading.Thread(target=self.controller.stop)
            self.gone.start()
            await asyncio.sleep(60)  # cancelled by the stop
        return "250 OK"

    def ids(self) -> list[str]:
        with self.lock:
            return [m["Message-ID"] for _rcpt, m in self.messages]


class _Server(SMTP):
    """aiosmtpd's server, with one more place to refuse: the DATA command itself, before the content."""

    async def smtp_DATA(self, arg: str) -> None:
        if self.envelope.rcpt_tos and (reply := self.event_handler.refusal("DATA command", ",".join(self.envelope.rcpt_tos))):
            await self.push(reply)
            return
        await super().smtp_DATA(arg)


class _Controller(Controller):
    def factory(self):
        return _Server(self.handler, **self.SMTP_kwargs)


@pytest.fixture
def smtp_server():
    inboxes = []

    def start(port: int | None = None, delay: float = 0.0):
        inbox = Inbox(delay)
        inbox.controller = _Controller(inbox, hostname="127.0.0.1", port=port or free_port())
        inbox.controller.start()
        inboxes.append(inbox)
        return inbox, inbox.controller.port

    yield start
    for inbox in inboxes:
        if inbox.gone:
            inbox.gone.join()
        else:
            inbox.controller.stop()


@pytest.fixture(params=BACKENDS)
def fresh(request):
    """A migrated database of its own: delivery takes every due message, so none from other tests may be there."""
    url, drop = new_database_url(request.param)
    alembic_upgrade(url)
    engine = make_engine(url)
    yield url, engine
    engine.dispose()
    drop()


def settings(port: int) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=port, security="none", user="", password="",
                        from_address="AqStream <no-reply@example.com>", timeout=5)


ROOT = Path(__file__).resolve().parents[2]


def worker_process(url: str, port: int, lease: float = 300, **extra_env: str) -> subprocess.Popen:
    """A real `aqstream worker` process sending to the test's SMTP server."""
    env = {**os.environ, **extra_env, "DATABASE_URL": url, "AQSTREAM_SMTP_HOST": "127.0.0.1",
           "AQSTREAM_SMTP_PORT": str(port), "AQSTREAM_SMTP_SECURITY": "none", "AQSTREAM_MAIL_LEASE_SECONDS": str(lease),
           "AQSTREAM_MAIL_IDLE_SECONDS": "0.2"}
    return subprocess.Popen([sys.executable, "-m", "aqstream.cli", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def wait_until(condition, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")
