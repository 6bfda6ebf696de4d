"""Queue and storage on the real engines of the local production stack: S3-compatible object
storage, RQ jobs (one per key, results in the storage, a crashed job retried, a refusal not),
and the web app under gunicorn rendering a report on a queue worker and serving a photo
from S3."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from evaluator.storage import StorageError

BUNDLE = Path(__file__).parents[1] / "fixtures" / "bundles" / "minimal"


def test_the_stack_is_ready(stack):
    with urllib.request.urlopen(stack.url + "/readyz") as response:
        body = json.loads(response.read())
        assert body["checks"] == {"database": "ok", "queue": "ok", "storage": "ok"}
        assert len(response.headers["X-Request-ID"]) == 32
    # /readyz answers as soon as one worker is up; the second may still be booting on a busy
    # machine, so wait for it (a stack that never starts two fails after 30 s).
    deadline = time.monotonic() + 30
    while len(stack.web_worker_pids()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(stack.web_worker_pids()) == 2


def test_s3_storage_round_trip(stack_app):
    from evaluator.storage.s3 import S3Storage

    storage = stack_app.extensions["evaluator.storage"]
    assert isinstance(storage, S3Storage)
    prefix = f"test-{uuid.uuid4().hex}/"
    storage.put(prefix + "a/one.pdf", b"%PDF-1", "application/pdf")
    storage.put(prefix + "b", b"22")
    assert storage.get(prefix + "a/one.pdf") == b"%PDF-1" and storage.exists(prefix + "b")
    assert [(f.key, f.size) for f in storage.list(prefix)] == [(prefix + "a/one.pdf", 6),
                                                               (prefix + "b", 2)]
    storage.delete(prefix + "b")
    storage.delete(prefix + "b")
    assert not storage.exists(prefix + "b") and storage.get_or_none(prefix + "b") is None
    with pytest.raises(FileNotFoundError):
        storage.get(prefix + "b")
    storage.check()
    with pytest.raises(StorageError):
        S3Storage("no-such-bucket").check()


def _bundle_job(queue, lang: str, out: str, bundle: Path = BUNDLE) -> str:
    return queue.enqueue("report.bundle", {"bundle": str(bundle), "lang": lang, "out": out},
                         {"bundle": str(bundle), "lang": lang, "out": out})


def test_a_bundle_report_job_runs_once_and_matches_the_cli(stack_app, tmp_path):
    queue = stack_app.extensions["evaluator.jobs"]
    out = f"test-{uuid.uuid4().hex}/minimal.pdf"
    job = _bundle_job(queue, "zh", out)
    assert _bundle_job(queue, "zh", out) == job  # the same work: the same job
    state = queue.wait(job, 120)
    assert state.state == "done" and state.result == out and state.attempts == 1, state
    assert _bundle_job(queue, "zh", out) == job  # done and kept: still the same job
    cli = tmp_path / "cli.pdf"
    subprocess.run([sys.executable, "-m", "evaluator", "report", str(BUNDLE), "--out", str(cli)],
                   check=True, capture_output=True)
    assert stack_app.extensions["evaluator.storage"].get(out) == cli.read_bytes()


def test_a_refused_job_fails_once_with_its_reason(stack_app, tmp_path):
    queue = stack_app.extensions["evaluator.jobs"]
    state = queue.wait(_bundle_job(queue, "zh", "test/none.pdf", tmp_path / "missing"), 60)
    assert state.state == "failed" and state.attempts == 1
    assert "missing" in state.error


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_a_job_whose_process_dies_is_retried(stack, stack_app):
    """The work horse rendering the report is killed (as the OOM killer would); the worker
    records the crash and RQ runs the job again."""
    queue = stack_app.extensions["evaluator.jobs"]
    job = _bundle_job(queue, "en", f"test-{uuid.uuid4().hex}/crash.pdf")
    deadline = time.monotonic() + 60
    horses: list[int] = []
    while not horses and time.monotonic() < deadline:
        state = queue.status(job)
        if state.state == "running":
            horses = [c for name in ("queue-0", "queue-1") for c in _children(stack.pid(name))]
        time.sleep(0.02)
    assert horses, "the job never ran"
    for horse in horses:
        subprocess.run(["kill", "-KILL", str(horse)], check=False)
    state = queue.wait(job, 120)
    assert state.state == "done" and state.attempts == 2, state


def _signed_in(stack, username: str):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    page = opener.open(stack.url + "/auth/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": username, "password": "demo-2026",
                                   "csrf_token": token}).encode()
    opener.open(stack.url + "/auth/login", data=data)
    page = opener.open(stack.url + "/assignments").read().decode()
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    return opener, csrf


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c63f8cfc0f00f0004ff01ff5cd3b6b30000000049454e44ae426082")


def test_the_web_app_renders_on_a_queue_worker_and_serves_photos_from_s3(stack, stack_app):
    import base64

    assert "demo logins" in stack.evaluator("setup-demo").stdout
    lead, _ = _signed_in(stack, "lead")
    with lead.open(stack.url + "/evaluations/1/report.pdf", timeout=120) as response:
        assert response.status == 200 and response.headers["Content-Type"] == "application/pdf"
        assert response.read().startswith(b"%PDF-")
    storage = stack_app.extensions["evaluator.storage"]
    assert [f.key for f in storage.list("report-cache/1/")]  # kept in the bucket

    tablet, csrf = _signed_in(stack, "eva1")
    forms = json.loads(tablet.open(stack.url + "/api/v1/assignments").read())["forms"]
    url = next(f["url"] for f in forms if f["open"] and "/collect/household/" in f["url"])
    household = {"household_id": url.rsplit("/", 1)[1]}
    answers = {"household_id": household["household_id"], "consent": "yes",
               "respondent_relation": "self", "door_photo": "door.png",
               "members": [{"member_relation": "self", "member_age": "45",
                            "member_work": "employed", "member_health": "healthy"}],
               "income_wage": "30000", "income_pension": "0", "income_benefit": "2400",
               "income_other": "0", "expense_medical": "3000", "expense_education": "0",
               "hardship_cause": "illness", "needs": "medical", "aid_received": "yes",
               "aid_types": "medical", "aid_amount_total": "3000", "knows_helper": "yes",
               "helper_visits_12m": "4", "plan_known": "yes", "food_secure": "yes",
               "clothing_secure": "yes", "medical_insured": "yes", "education_secure": "na",
               "housing_secure": "yes", "exit_told": "no", "satisfaction": "4"}
    body = json.dumps({"instance_id": str(uuid.uuid4()), "evaluation_id": 1,
                       "source": "household", "household_id": household["household_id"],
                       "answers": answers, "attachments": [
                           {"field": "door_photo", "filename": "door.png",
                            "content_type": "image/png",
                            "data": base64.b64encode(PNG).decode()}]}).encode()
    request = urllib.request.Request(stack.url + "/api/v1/submissions", data=body, headers={
        "Content-Type": "application/json", "X-CSRFToken": csrf})
    try:
        stored = json.loads(tablet.open(request).read())
    except urllib.error.HTTPError as error:
        raise AssertionError(error.read().decode()) from None
    url = stored["attachments"][0]["url"]
    token = url.rsplit("/", 1)[1]
    assert storage.get(f"attachments/1/{token}") == PNG  # in the bucket
    with tablet.open(stack.url + url) as response:
        assert response.read() == PNG


def test_cpu_seconds_count_postgresql_backends_and_the_request_log_gives_cpu(stack):
    """Benchmarks charge the stack's CPU to its parts: a PostgreSQL backend starts a session of
    its own, and its work must still count as the database's (it did not: loadtest printed
    0.0 s of PostgreSQL while it worked); each request's log line gives its CPU."""
    from sqlalchemy import create_engine, text

    engine = create_engine(stack.env["EVALUATOR_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            before = stack.cpu_seconds().get("database", 0.0)
            started = time.process_time()
            connection.execute(text("SELECT count(*) FROM generate_series(1, 4000000)"))
            assert time.process_time() - started < 0.2  # the work was the server's, not ours
            assert stack.cpu_seconds()["database"] - before >= 0.2
    finally:
        engine.dispose()
    with urllib.request.urlopen(stack.url + "/healthz") as response:
        request_id = response.headers["X-Request-ID"]
    deadline = time.monotonic() + 10
    line = None
    while line is None and time.monotonic() < deadline:
        for text_line in (stack.folder / "logs" / "web.log").read_text().splitlines():
            if request_id in text_line and text_line.startswith("{"):
                line = json.loads(text_line)
        time.sleep(0.1)
    assert line is not None and line["path"] == "/healthz" and 0 <= line["cpu_ms"] <= line["ms"] + 1
