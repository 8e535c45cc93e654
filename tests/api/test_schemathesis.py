"""The API against its own OpenAPI document, as an outside client sees it: the API served by uvicorn on
PostgreSQL, fuzzed by schemathesis with an organizer's token over every documented operation (examples,
boundary values, random and stateful sequences), bounded to a couple of minutes. It must find no 5xx, no
answer with an undocumented status, content type, header or body shape, no error that is not the JSON
error shape, and no request the document forbids that the server accepts."""
import os
import subprocess
import sys
import time
import urllib.request

import httpx
import pytest
from sqlmodel import Session

from aqstream.db import make_engine
from aqstream.services.accounts import accounts
from aqstream.services.events import events, questions
from aqstream.services.org import organizations
from aqstream.services.org.permissions import Principal
from tests.conftest import ROOT, alembic_upgrade, new_database_url
from tests.services.conftest import free_port

CHECKS = ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_headers_conformance",
    "response_schema_conformance", "negative_data_rejection", "unsupported_method", "allow_header_conformance",
    "error_has_json_shape",
])
EXAMPLES = int(os.environ.get("AQSTREAM_FUZZ_EXAMPLES", "25"))


def _seed(url: str) -> None:
    """An organizer with a published event (two ticket types, questions) for the fuzzer to find."""
    engine = make_engine(url)
    with Session(engine) as s:
        owner = accounts.sign_up(s, name="Fuzz Organizer", email="fuzz@example.com", password="a-good-long-passphrase")
        org = organizations.create_organization(s, Principal(owner.id), name="Fuzz org")
        event = events.create_event(s, Principal(owner.id), org.id, events.EventInput(
            title="Fuzzed evening", starts_local="2031-06-01T18:00", ends_local="2031-06-01T21:00",
            time_zone="Europe/Moscow", venue="Main hall", capacity=50,
            ticket_types=[events.TicketTypeInput("Standard", 30), events.TicketTypeInput("Student", 20)]))
        questions.add_question(s, Principal(owner.id), org.id, event.id, questions.QuestionInput(
            label="Company", kind="short_text", options=[], required=False, scope="order"))
        events.publish_event(s, Principal(owner.id), org.id, event.id)
    engine.dispose()


@pytest.fixture
def served_api(tmp_path):
    url, drop = new_database_url("postgresql")
    alembic_upgrade(url)
    _seed(url)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "AQSTREAM_DATA_DIR": str(tmp_path)}
    log = open(tmp_path / "api.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "aqstream.api.app:create_api",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        yield base, tmp_path / "api.log"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
        drop()


def test_the_api_keeps_to_its_openapi_document_under_fuzzing(served_api):
    base, log = served_api
    token = httpx.post(f"{base}/api/v1/auth/token",
                       json={"email": "fuzz@example.com", "password": "a-good-long-passphrase"}).json()["access_token"]
    run = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "--no-color", "run", f"{base}/api/v1/openapi.json",
         "--header", f"Authorization: Bearer {token}", "--checks", CHECKS, "--max-examples", str(EXAMPLES),
         "--workers", "2", "--continue-on-failure", "--seed", os.environ.get("AQSTREAM_FUZZ_SEED", "20261202"),
         "--suppress-health-check", "all"],
        cwd=ROOT, env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks"},
        capture_output=True, text=True, timeout=900)
    report = run.stdout + run.stderr
    print(report[-6000:])
    summary = report[report.find("SUMMARY"):]
    assert "Tested: " in summary, report[-4000:]
    assert run.returncode == 0, report[-12000:] + "\n--- server log ---\n" + log.read_text()[-4000:]
