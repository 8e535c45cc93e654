"""Start the production build of the app, as `reflex run --env prod --single-port` does for a user, on a free
port with its own data directory. Used by the browser tests' `app_url` fixture and by bench/page_speed.py."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from aqstream import config

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, log: Path, timeout: float = 900) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"the app did not answer at {url} in {timeout}s:\n{log.read_text()[-4000:]}")


def app_env(data_dir: str | Path, port: int) -> dict[str, str]:
    """The environment the app runs with: SQLite in `data_dir`, served at http://localhost:<port>."""
    env = {
        **os.environ,
        "AQSTREAM_DATA_DIR": str(data_dir),
        "AQSTREAM_PORT": str(port),
        "AQSTREAM_BASE_URL": f"http://localhost:{port}",
        "REFLEX_USE_SYSTEM_BUN": "1",
        # The test process's own secret: what it signs or encrypts (tickets' QR payloads, events' keys) and what
        # the app does are then readable by both, whichever made an event's key first.
        "AQSTREAM_SECRET_KEY": config.secret_key(),
        "PATH": f"{ROOT / '.venv' / 'bin'}:{ROOT / 'tools' / 'node_modules' / '.bin'}:{os.environ['PATH']}",
    }
    env.pop("DATABASE_URL", None)
    env.pop("AQSTREAM_MEDIA_DIR", None)
    return env


@contextmanager
def serve_app(data_dir: str | Path, log: Path, port: int | None = None) -> Iterator[str]:
    """Migrate the SQLite database in `data_dir`, build and serve the production app, yield its base URL;
    stop it (its whole process group) on exit. The server's output goes to `log`."""
    port = port or free_port()
    env = app_env(data_dir, port)
    base = env["AQSTREAM_BASE_URL"]
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "reflex", "run", "--env", "prod", "--single-port"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        wait_for(f"{base}/healthz", proc, log)
        wait_for(f"{base}/", proc, log)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
