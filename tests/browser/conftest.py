"""Real-browser fixtures: the app served on a free port, Debian's Chromium driven by Playwright.

Never ``playwright install``: the browser is /usr/bin/chromium (DEVELOPERS.md). Tests here are
marked ``browser``; without Chromium they are skipped with the reason (and fail under CI).
"""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

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


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM) and not shutil.which("chromium"):
        missing = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(missing)  # CI must run the browser scenario, never skip it
        pytest.skip(missing)
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
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
def shots():
    """Where to save screenshots (EVALUATOR_SHOTS), or None to take none."""
    folder = os.environ.get("EVALUATOR_SHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
    return folder
