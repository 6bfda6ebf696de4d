"""The job interface on its embedded engine (worker threads): one job per key, progress,
retries after an unexpected error but not after a task's own refusal, the state endpoint's
permissions, and the report download through a job. The same interface on RQ and Redis is
tested against the local production stack (tests/stack)."""

import threading

import pytest

from evaluator.jobs import JobFailed, job_id
from evaluator.jobs import base as jobs_base
from evaluator.jobs.local import ThreadQueue


@pytest.fixture
def tasks(monkeypatch):
    """Test tasks registered as job kinds; ``calls`` counts their runs."""
    calls: list[str] = []
    gate = threading.Event()

    def counting(app, params, progress):
        calls.append(params["name"])
        progress(0.5, "half way")
        gate.wait(5)
        return f"results/{params['name']}"

    def flaky(app, params, progress):
        calls.append("flaky")
        if len(calls) < 2:
            raise RuntimeError("the worker fell over")
        return "results/flaky"

    def refusing(app, params, progress):
        calls.append("refusing")
        raise JobFailed("the data cannot be scored")

    def broken(app, params, progress):
        calls.append("broken")
        raise RuntimeError("always")

    import sys
    module = sys.modules[__name__]
    for name, function in (("counting", counting), ("flaky", flaky), ("refusing", refusing),
                           ("broken", broken)):
        setattr(module, f"_task_{name}", function)
        monkeypatch.setitem(jobs_base.TASKS, f"test.{name}", f"{__name__}:_task_{name}")
    return calls, gate


def test_job_ids_follow_kind_and_key():
    key = {"data": "sha256:a", "rubric": "r", "lang": "zh", "version": "1"}
    assert job_id("report.pdf", key) == job_id("report.pdf", dict(reversed(key.items())))
    assert job_id("report.pdf", key) != job_id("report.pdf", {**key, "lang": "en"})
    assert job_id("report.pdf", key) != job_id("report.bundle", key)
    with pytest.raises(ValueError, match="unknown job kind"):
        job_id("no.such", key)


def test_the_same_work_is_one_job_with_progress(app, tasks):
    calls, gate = tasks
    queue = ThreadQueue(app, threads=2)
    first = queue.enqueue("test.counting", {"k": 1}, {"name": "one"})
    assert queue.enqueue("test.counting", {"k": 1}, {"name": "one"}) == first
    state = queue.wait(first, 0.5)
    assert state.state == "running" and state.progress == 0.5 and state.message == "half way"
    gate.set()
    done = queue.wait(first, 5)
    assert (done.state, done.progress, done.result) == ("done", 1.0, "results/one")
    assert queue.enqueue("test.counting", {"k": 1}, {"name": "one"}) == first
    assert calls == ["one"]  # enqueued three times, ran once
    assert queue.status("test-counting-unknown") is None


def test_unexpected_errors_are_retried_refusals_are_not(app, tasks):
    calls, _ = tasks
    queue = ThreadQueue(app)
    flaky = queue.wait(queue.enqueue("test.flaky", {}, {}), 5)
    assert (flaky.state, flaky.result, flaky.attempts) == ("done", "results/flaky", 2)
    refused = queue.wait(queue.enqueue("test.refusing", {}, {}), 5)
    assert (refused.state, refused.error, refused.attempts) == (
        "failed", "the data cannot be scored", 1)
    broken = queue.wait(queue.enqueue("test.broken", {}, {}), 5)
    assert broken.state == "failed" and broken.attempts == jobs_base.RETRIES + 1
    assert "RuntimeError: always" in broken.error
    assert calls.count("broken") == jobs_base.RETRIES + 1
    again = queue.wait(queue.enqueue("test.broken", {}, {}), 5)  # a failed job may be re-run
    assert again.state == "failed" and calls.count("broken") == 2 * (jobs_base.RETRIES + 1)


def test_job_state_is_shown_only_to_who_may_see_its_evaluation(app, client, field, sign_in,
                                                               tasks):
    calls, gate = tasks
    gate.set()
    queue = app.extensions["evaluator.jobs"]
    job = queue.enqueue("test.counting", {"k": 2},
                        {"name": "two", "evaluation_id": field.evaluation_id})
    queue.wait(job, 5)
    sign_in("lead")
    body = client.get(f"/jobs/{job}").get_json()
    assert body["state"] == "done" and body["done"] is True and body["progress"] == 1.0
    assert "result" not in body  # the file itself is served by the view that checks access
    for role in ("viewer", "evaluator", "author"):  # not finished: leads only
        sign_in(role)
        assert client.get(f"/jobs/{job}").status_code == 404, role
    sign_in("lead")
    assert client.get("/jobs/report-pdf-0000").status_code == 404
