"""Browser fixtures: the real production build of the app on a free port with a fresh SQLite database,
and Debian's Chromium driven by Playwright. Screenshots go to test-artifacts/screenshots/."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, proc: subprocess.Popen, log: Path, timeout: float = 900) -> None:
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


@pytest.fixture(scope="session")
def app_data(app_url):
    """The served app's data directory (its SQLite database), for reading what a test cannot see in a page,
    such as the link in an email that has not been sent yet."""
    return Path(os.environ["AQSTREAM_BROWSER_DATA"])


@pytest.fixture(scope="session")
def app_url():
    """Build and serve the app as `reflex run --env prod --single-port` does for a user."""
    port = _free_port()
    data = tempfile.mkdtemp(prefix="aqstream-browser-")
    os.environ["AQSTREAM_BROWSER_DATA"] = data
    base = f"http://localhost:{port}"
    env = {
        **os.environ,
        "AQSTREAM_DATA_DIR": data,
        "AQSTREAM_PORT": str(port),
        "AQSTREAM_BASE_URL": base,
        "REFLEX_USE_SYSTEM_BUN": "1",
        "PATH": f"{ROOT / '.venv' / 'bin'}:{ROOT / 'tools' / 'node_modules' / '.bin'}:{os.environ['PATH']}",
    }
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    log = ROOT / "test-artifacts" / "app.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "reflex", "run", "--env", "prod", "--single-port"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        _wait_for(f"{base}/healthz", proc, log)
        _wait_for(f"{base}/", proc, log)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_call = report.failed


@pytest.fixture
def new_page(browser, request):
    contexts = []

    def _new(viewport=DESKTOP, **kw):
        ctx = browser.new_context(viewport=viewport, **kw)
        ctx.set_default_timeout(20_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield _new
    if getattr(request.node, "failed_call", False):
        for i, ctx in enumerate(contexts):
            for j, page in enumerate(ctx.pages):
                path = shot(page, f"FAILED-{request.node.name}-{i}-{j}")
                path.with_suffix(".url").write_text(page.url)
    for ctx in contexts:
        ctx.close()


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")


AXE = ROOT / "tools" / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2 A/AA checks that matter for these pages: contrast, labels, names, structure.
AXE_RULES = ["color-contrast", "label", "button-name", "link-name", "image-alt", "select-name", "aria-valid-attr",
             "aria-required-attr", "duplicate-id-aria", "html-has-lang", "document-title", "form-field-multiple-labels",
             "input-button-name", "nested-interactive", "target-size"]


def axe_violations(page, rules=AXE_RULES) -> list[str]:
    """Runs axe-core (from npm) in the page and returns one line per violating element, empty when clean."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (rules) => await axe.run(document, {runOnly: {type: 'rule', values: rules}})", rules)
    return [f"{v['id']}: {node['target']} {node.get('failureSummary', '')[:200]}"
            for v in result["violations"] for node in v["nodes"]]
