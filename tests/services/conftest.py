"""Fixtures for the email tests: a real SMTP server on 127.0.0.1 (aiosmtpd) and a database of one's own."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from aqstream.config import SmtpSettings
from aqstream.db import make_engine
from tests.conftest import BACKENDS, alembic_upgrade, new_database_url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An SMTP server's handler that keeps every message it accepts; it can be told to pause per message."""

    def __init__(self, delay: float = 0.0):
        self.messages: list = []
        self.delay = delay
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            time.sleep(self.delay)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append((envelope.rcpt_tos, parsed))
        return "250 OK"

    def ids(self) -> list[str]:
        with self.lock:
            return [m["Message-ID"] for _rcpt, m in self.messages]


@pytest.fixture
def smtp_server():
    servers = []

    def start(port: int | None = None, delay: float = 0.0):
        inbox = Inbox(delay)
        controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port())
        controller.start()
        servers.append(controller)
        return inbox, controller.port

    yield start
    for controller in servers:
        controller.stop()


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
