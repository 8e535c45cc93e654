"""Browser fixtures: the real production build of the app on a free port with a fresh SQLite database,
and Debian's Chromium driven by Playwright. Screenshots go to test-artifacts/screenshots/."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.server import CHROMIUM, CHROMIUM_ARGS, ROOT, serve_app

# A loaded CI machine (2 cores, a build and a database on them) can take longer than Playwright's 5 s to
# answer an event; assertions wait up to 15 s (they return as soon as the page is right).
expect.set_options(timeout=15_000)

SHOTS = ROOT / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def app_data(app_url):
    """The served app's data directory (its SQLite database), for reading what a test cannot see in a page,
    such as the link in an email that has not been sent yet."""
    return Path(os.environ["AQSTREAM_BROWSER_DATA"])


@pytest.fixture(scope="session")
def app_url():
    """Build and serve the app as `reflex run --env prod --single-port` does for a user."""
    data = tempfile.mkdtemp(prefix="aqstream-browser-")
    os.environ["AQSTREAM_BROWSER_DATA"] = data
    with serve_app(data, ROOT / "test-artifacts" / "app.log") as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
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
    page.wait_for_load_state("load")  # a document still loading may never give the screenshot its frame
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
