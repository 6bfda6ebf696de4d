"""Real-browser fixtures: the app served on a free port, Debian's Chromium driven by Playwright.

Never ``playwright install``: the browser is /usr/bin/chromium (DEVELOPERS.md). Tests here are
marked ``browser``; without Chromium they are skipped with the reason (and fail under CI).

No signal is simulated at the server, never with Playwright's ``set_offline`` (in this Chromium
it does not cover the service worker's own requests): ``network`` stops the server (connections
refused) or makes it answer the way bad networks do, for the pages and the worker alike.
"""

from __future__ import annotations

import json
import os
import shutil
import threading

import pytest
from tablet_steps import HOUSEHOLD, poll, wait_until
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture
def live_server(app):
    """The test app on 127.0.0.1 (a secure context, so the service worker may register)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


class _OneRequestPerConnection(WSGIRequestHandler):
    """HTTP/1.0: no kept-alive connection outlives a stopped server, so "down" is really down."""

    protocol_version = "HTTP/1.0"


class Network:
    """The test server behind a switch, for the pages and the service worker alike.

    ``down()`` closes the listening socket (the tablet sees connection refused), ``up()`` opens
    it again on the same port. While up, ``mode`` makes the server answer as a bad network does:
    ``portal`` (a captive Wi-Fi portal: 200 HTML to every request), ``portal_post`` (only to
    uploads), ``redirect`` (API requests sent to the sign-in page), ``truncate`` (the upload is
    stored, its JSON acknowledgement cut in half), ``wrong_id`` (stored, acknowledged as another
    record), ``hang`` (uploads wait until ``release()`` or ``hang_seconds``, then are stored).
    ``log`` lists (method, path, status, bytes, prefetch) of every request that reached it."""

    PORTAL = b"<!doctype html><html><body><h1>Free Wi-Fi</h1><form>Accept the terms</form></body></html>"

    def __init__(self, app):
        self.app = app
        self.mode = "up"
        self.hang_seconds = 60.0
        self.log: list[tuple[str, str, int, int, bool]] = []
        self._release = threading.Event()
        self._lock = threading.Lock()
        self.server = None
        self.thread = None
        self.port = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- the switch -------------------------------------------------------------------------
    def up(self):
        self.server = make_server("127.0.0.1", self.port, self.wsgi, threaded=True,
                                  request_handler=_OneRequestPerConnection)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def down(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=10)
            self.server = None

    def release(self):
        self._release.set()

    def requests(self, since: int = 0, path_contains: str = "", method: str = ""):
        with self._lock:
            return [r for r in self.log[since:] if path_contains in r[1]
                    and (not method or r[0] == method)]

    # -- the middleware -----------------------------------------------------------------------
    def wsgi(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        upload = method == "POST" and path == "/api/v1/submissions"
        mode = self.mode
        if mode == "portal" or (mode == "portal_post" and upload):
            return self._answer(start_response, method, path, "200 OK",
                                [("Content-Type", "text/html; charset=utf-8")], self.PORTAL)
        if mode == "redirect" and path.startswith("/api/"):
            return self._answer(start_response, method, path, "302 FOUND",
                                [("Location", "/auth/login?next=" + path)], b"")
        if mode == "hang" and upload:
            self._release.wait(self.hang_seconds)
        if upload and mode in ("truncate", "wrong_id"):
            environ.pop("HTTP_ACCEPT_ENCODING", None)  # the answer is rewritten here: plain JSON
            captured = {}

            def capture(status, headers, exc_info=None):
                captured["status"], captured["headers"] = status, headers

            body = b"".join(self.app(environ, capture))
            if mode == "truncate":
                body = body[: len(body) // 2]
            else:
                answer = json.loads(body)
                answer["instance_id"] = "00000000-0000-4000-8000-000000000000"
                body = json.dumps(answer).encode()
            headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
            return self._answer(start_response, method, path, captured["status"], headers, body)
        status_seen = {}

        def counting(status, headers, exc_info=None):
            status_seen["status"] = int(status.split()[0])
            return start_response(status, headers, exc_info)

        chunks = list(self.app(environ, counting))
        with self._lock:
            self.log.append((method, path, status_seen.get("status", 0),
                             sum(len(c) for c in chunks), bool(environ.get("HTTP_X_PREFETCH"))))
        return chunks

    def _answer(self, start_response, method, path, status, headers, body):
        headers = [*headers, ("Content-Length", str(len(body)))]
        start_response(status, headers)
        with self._lock:
            self.log.append((method, path, int(status.split()[0]), len(body), False))
        return [body]


@pytest.fixture
def network(app):
    """The app on a free port behind a ``Network`` switch (see there); started up."""
    switch = Network(app)
    switch.up()
    yield switch
    switch.release()
    switch.down()


@pytest.fixture(scope="session")
def playwright():
    if not os.path.exists(CHROMIUM) and not shutil.which("chromium"):
        missing = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(missing)  # CI must run the browser scenario, never skip it
        pytest.skip(missing)
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright):
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def tablet(browser):
    """A touch tablet context, landscape 1024x768, Chinese first.

    Playwright's ``wait_for_function`` evaluates its string with ``new Function``, which the
    app's Content-Security-Policy forbids; contexts bypass the CSP unless ``enforce_csp``
    (tests/browser/test_csp.py runs the pages under the real policy)."""
    contexts = []

    def make(width=1024, height=768, enforce_csp=False):
        context = browser.new_context(viewport={"width": width, "height": height},
                                      has_touch=True, is_mobile=True, locale="zh-CN",
                                      service_workers="allow", bypass_csp=not enforce_csp)
        context.set_default_timeout(15000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def persistent_tablet(playwright, tmp_path):
    """A tablet with a profile on disk (launch_persistent_context): IndexedDB, caches and the
    service worker survive closing it, as on a real tablet switched off and on again.
    ``make(name)`` opens (or reopens) the profile ``name``; ``close(context)`` closes it."""
    open_contexts = []

    def make(name="tablet", width=1024, height=768, locale="zh-CN"):
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / f"profile-{name}"), executable_path=CHROMIUM, args=ARGS,
            viewport={"width": width, "height": height}, has_touch=True, is_mobile=True,
            locale=locale, service_workers="allow", bypass_csp=True)  # see ``tablet``
        context.set_default_timeout(20000)
        open_contexts.append(context)
        return context

    def close(context):
        open_contexts.remove(context)
        context.close()

    make.close = close
    yield make
    for context in open_contexts:
        context.close()


@pytest.fixture
def shots():
    """Where to save screenshots (EVALUATOR_SHOTS), or None to take none."""
    folder = os.environ.get("EVALUATOR_SHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
    return folder


class FieldDay:
    """What an evaluator does on a tablet, and what the server and the tablet then hold."""

    HOUSEHOLD = HOUSEHOLD
    poll = staticmethod(poll)
    wait_until = staticmethod(wait_until)

    def __init__(self, app, field):
        self.app = app
        self.field = field

    def form_url(self, household: str, source: str = "household") -> str:
        return f"/evaluations/{self.field.evaluation_id}/collect/{source}/{household}"

    def sign_in(self, page, base: str, role: str = "evaluator"):
        page.goto(base + "/auth/login")
        page.fill("#username", self.field.username(role))
        page.fill("#password", self.field.password)
        with page.expect_navigation():
            page.tap("button[type=submit]")

    @staticmethod
    def answer(page, kind, name, value):
        if kind in ("radio", "check"):
            page.tap(f'input[name="{name}"][value="{value}"]')
        elif kind == "add":
            page.tap(f'section[data-repeat="{name}"] > [data-add]')
        else:
            page.fill(f'[name="{name}"]', value)

    def open_form(self, page, base: str, household: str):
        """Open a household's form and wait until this window owns it and read the tablet."""
        page.goto(base + self.form_url(household))
        page.wait_for_selector("#questionnaire[data-ready]", state="attached")

    def wait_cached(self, page, paths: list[str], timeout: float = 60.0):
        """Wait until the service worker keeps every page in ``paths`` (in any of its caches)."""
        self.poll(page, """paths => caches.keys().then(names => Promise.all(names.map(n =>
            caches.open(n).then(c => c.keys())))).then(lists => [].concat(...lists))
            .then(keys => paths.every(p => keys.some(k => new URL(k.url).pathname === p)))""",
                  paths, timeout=timeout, what=f"{len(paths)} pages kept offline")

    def fill_forum(self, page, dimension: str, notes: str = "座谈要点：帮扶干部每月走访"):
        page.fill('[name="forum_id"]', "HC-01")
        page.fill('[name="forum_date"]', "2026-11-03")
        page.fill('[name="township"]', "城关镇")
        page.tap('input[name="participant_types"][value="workers"]')
        page.fill('[name="participant_count"]', "8")
        page.tap(f'input[name="dimension"][value="{dimension}"]')
        page.fill('[name="notes"]', notes)
        page.wait_for_function("document.querySelector('[data-save-state]').textContent.includes('草稿已保存')")

    def fill(self, page, changes: dict | None = None):
        for kind, name, value in self.HOUSEHOLD:
            self.answer(page, kind, name, (changes or {}).get(name, value))
        page.wait_for_function("document.querySelector('[data-save-state]').textContent.includes('草稿已保存')"
                               " || document.querySelector('[data-save-state]').textContent.includes('Draft saved')")

    @staticmethod
    def outcome(page, state: str, after: int, timeout: float = 45000):
        """Wait for a notice in state ``state`` shown after notice number ``after``."""
        page.wait_for_function(
            """([state, after]) => { const p = document.querySelector('[data-record]');
               return Number(p.getAttribute('data-seq') || 0) > after &&
                      !!p.querySelector(`[data-record-state="${state}"]`); }""",
            arg=[state, after], timeout=timeout)

    @staticmethod
    def seq(page) -> int:
        return int(page.get_attribute("[data-record]", "data-seq") or 0)

    def submit(self, page, outcome: str = ""):
        before = self.seq(page)
        page.tap("button.big[type=submit]")
        if outcome:
            self.outcome(page, outcome, before)

    def tap(self, page, selector: str, outcome: str):
        """Tap an action on the record notice and wait for the notice it leads to."""
        before = self.seq(page)
        page.tap(selector)
        self.outcome(page, outcome, before)

    @staticmethod
    def badge(page) -> int:
        return int(page.inner_text("header [data-queue-count]"))

    def rows(self) -> list[dict]:
        from sqlalchemy import select

        from evaluator.auth.models import User
        from evaluator.fieldwork.models import Submission

        with self.app.extensions["evaluator.sessionmaker"]() as db:
            return [{"household_id": s.household_id, "instance_id": s.instance_id,
                     "submitter": name, "current": s.current, "state": s.review_state,
                     "deprecated_id": s.deprecated_id, "data": s.data}
                    for s, name in db.execute(select(Submission, User.username)
                                              .join(User, User.id == Submission.submitter_id)
                                              .order_by(Submission.id))]

    @staticmethod
    def local(page) -> list[dict]:
        return page.evaluate("() => Store.all()")

    def assert_zero_loss(self, page, entered: dict[str, dict]):
        """Every record entered is on the server exactly once, as the current record of its
        household, with the answers entered (``entered``: household -> answers to compare)."""
        current = [r for r in self.rows() if r["current"]]
        households = [r["household_id"] for r in current]
        assert sorted(households) == sorted(entered), (households, sorted(entered))  # 0 lost
        assert len(set(households)) == len(households)  # 0 duplicated
        for row in current:
            for name, value in entered[row["household_id"]].items():
                assert row["data"].get(name) == value, (row["household_id"], name)
        # The server commits before the tablet has read its acknowledgement: give the tablet
        # the moment it needs to let the records go, then nothing may still wait.
        try:
            self.poll(page, "() => Store.waiting().then(w => w.length === 0)", timeout=20,
                      what="an empty queue on the tablet")
        except AssertionError:
            waiting = [r for r in self.local(page) if r["status"] in ("queued", "conflict", "invalid")]
            raise AssertionError(f"records still waiting on the tablet: {waiting}") from None


@pytest.fixture
def fieldday(app, field):
    return FieldDay(app, field)
