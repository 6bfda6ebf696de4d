"""A server killed (kill -9, as the OOM killer or a power cut would) between writing a photo
to storage and committing its record leaves a file no row names; ``evaluator storage sweep``
removes it, and the tablet's retry (the record was never acknowledged) stores the record and
its photo once. The server runs in a process of its own; its storage pauses once a photo is
written, so the kill lands exactly between the write and the commit."""

from __future__ import annotations

import base64
import contextlib
import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.parse
import urllib.request

from sqlalchemy import func, select

from evaluator.fieldwork.models import Attachment, Submission

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

SERVER = textwrap.dedent('''
    import sys, time
    from pathlib import Path
    from werkzeug.serving import make_server
    from evaluator.app import create_app

    url, instance, port, marker = sys.argv[1:5]
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": instance, "SECRET_KEY": "kill",
                      "WTF_CSRF_ENABLED": False})
    storage = app.extensions["evaluator.storage"]
    real_put = storage.put

    def put_then_hang(key, data, content_type="application/octet-stream"):
        real_put(key, data, content_type)
        Path(marker).write_text(key)
        time.sleep(600)  # the commit never comes: the test kills this process now

    storage.put = put_then_hang
    make_server("127.0.0.1", int(port), app, threaded=True).serve_forever()
''')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def count(app, model) -> int:
    with app.extensions["evaluator.sessionmaker"]() as db:
        return db.scalar(select(func.count()).select_from(model))


def sweep(app) -> list[str]:
    """``evaluator storage sweep`` as an operator runs it: its own process, configured from
    the environment, every orphan however young."""
    env = dict(os.environ, EVALUATOR_DATABASE_URL=app.config["DATABASE_URL"],
               EVALUATOR_INSTANCE_PATH=app.instance_path, EVALUATOR_SECRET_KEY="kill")
    done = subprocess.run([sys.executable, "-m", "evaluator", "storage", "sweep",
                           "--older-than", "0"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def post_in_background(opener, url: str, record: dict) -> None:
    """The request never gets an answer (the server dies): send it from a thread."""
    request = urllib.request.Request(url, method="POST", data=json.dumps(record).encode(),
                                     headers={"Content-Type": "application/json"})

    def send():
        with contextlib.suppress(OSError):  # the server dies mid-request: no answer
            opener.open(request, timeout=30)

    threading.Thread(target=send, daemon=True).start()


def test_a_kill_between_photo_and_commit_is_swept_and_the_retry_stores_once(
        app, client, field, sign_in, household_record, tmp_path):
    port, marker = free_port(), tmp_path / "written"
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    server = subprocess.Popen([sys.executable, str(script), app.config["DATABASE_URL"],
                               app.instance_path, str(port), str(marker)])
    record = household_record(field.sample[0], door_photo="door.png")
    record["attachments"] = [{"field": "door_photo", "filename": "door.png",
                              "content_type": "image/png",
                              "data": base64.b64encode(PNG).decode()}]
    try:
        base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        for _ in range(300):
            try:
                opener.open(base + "/auth/login", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        form = urllib.parse.urlencode({"username": field.username("evaluator"),
                                       "password": field.password}).encode()
        opener.open(urllib.request.Request(base + "/auth/login", data=form, method="POST"),
                    timeout=10)
        post_in_background(opener, base + "/api/v1/submissions", record)
        for _ in range(600):
            if marker.exists() or server.poll() is not None:
                break
            time.sleep(0.05)
        assert marker.exists(), "the server never wrote the photo"
        os.kill(server.pid, signal.SIGKILL)  # between the write and the commit
        server.wait(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
    key = marker.read_text()
    storage = app.extensions["evaluator.storage"]
    assert key.startswith(f"attachments/{field.evaluation_id}/") and storage.exists(key)
    assert count(app, Attachment) == 0 and count(app, Submission) == 0  # a file no row names

    assert sweep(app) == [key]
    assert not storage.exists(key)

    sign_in("evaluator")  # the tablet retries the record it never saw acknowledged
    stored = client.post("/api/v1/submissions", json=record)
    assert stored.status_code == 201 and stored.get_json()["status"] == "created"
    replay = client.post("/api/v1/submissions", json=record)  # its acknowledgement lost too
    assert replay.status_code == 200 and replay.get_json()["status"] == "already_stored"
    assert count(app, Attachment) == 1 and count(app, Submission) == 1
    stored = [f.key for f in storage.list("attachments/")]
    assert len(stored) == 1 and storage.get(stored[0]) == PNG
    assert sweep(app) == []  # the photo a row names stays
    assert storage.exists(stored[0])
