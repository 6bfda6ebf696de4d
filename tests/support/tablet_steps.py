"""What the browser tests share with each other: waiting without fixed sleeps (on the server
side and on the page) and the answers of one complete household questionnaire."""

from __future__ import annotations

import time


def wait_until(predicate, timeout=30.0, step=0.1, what="condition"):
    """Poll a Python-side condition (rows on the server, a log entry) without fixed sleeps."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def poll(page, expression, arg=None, timeout=20.0, what=""):
    """Evaluate an (async) expression on the page until it yields a truthy value, and return it.

    Not ``page.wait_for_function``: that treats a returned Promise as truthy, so an
    asynchronous check (``Store.get(id).then(r => r.status === 'sent')``) would pass at once
    whatever it resolves to. ``evaluate`` awaits the promise."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = page.evaluate(expression, arg)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s: {what or expression} (last {value!r})")


#: One household completed on the tablet: (widget kind, field name, value) in the order asked.
HOUSEHOLD = [
    ("radio", "consent", "yes"),
    ("radio", "respondent_relation", "self"),
    ("add", "members", None),
    ("radio", "members-0-member_relation", "self"),
    ("text", "members-0-member_age", "45"),
    ("radio", "members-0-member_work", "employed"),
    ("radio", "members-0-member_health", "healthy"),
    ("text", "income_wage", "30000"),
    ("text", "income_pension", "0"),
    ("text", "income_benefit", "2400"),
    ("text", "income_other", "0"),
    ("text", "expense_medical", "3000"),
    ("text", "expense_education", "0"),
    ("check", "hardship_cause", "illness"),
    ("check", "needs", "medical"),
    ("radio", "aid_received", "no"),
    ("radio", "knows_helper", "no"),
    ("radio", "plan_known", "yes"),
    ("radio", "food_secure", "yes"),
    ("radio", "clothing_secure", "yes"),
    ("radio", "medical_insured", "yes"),
    ("radio", "education_secure", "na"),
    ("radio", "housing_secure", "yes"),
    ("radio", "exit_told", "no"),
    ("radio", "satisfaction", "4"),
]


def sign_in_browser(page, base, username, password):
    """Sign in through the login page and wait for the page it leads to."""
    page.goto(base + "/auth/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


def form_url(field, household):
    return f"/evaluations/{field.evaluation_id}/collect/household/{household}"


def open_precached_form(page, base, field, household, query=""):
    """Sign in as the field's evaluator, wait until the service worker has precached the
    household's form (every cache is searched: the worker keeps pages under a versioned cache
    name), then open it."""
    sign_in_browser(page, base, field.username("evaluator"), field.password)
    page.goto(base + "/assignments")
    poll(page, """url => caches.keys().then(names => Promise.all(names.map(n =>
        caches.open(n).then(c => c.keys())))).then(lists => [].concat(...lists)
        .some(k => k.url.endsWith(url)))""", form_url(field, household), timeout=60.0,
         what="the form precached")
    page.goto(base + form_url(field, household) + query)


def watch(page, expected_errors=()):
    """Collect what the page reports going wrong: script errors, Content-Security-Policy and
    Permissions-Policy violations, and console errors — but those of the favicon and of the
    pages named in ``expected_errors`` (URL endings), which answer 4xx on purpose."""
    ignored = ("/favicon.ico", *expected_errors)
    problems = []
    page.on("pageerror", lambda e: problems.append(f"error: {e}"))
    page.on("console", lambda m: problems.append(f"console: {m.text} {m.location['url']}")
            if "Content Security Policy" in m.text or "Permissions-Policy" in m.text or (
                m.type == "error" and not m.location["url"].endswith(ignored)) else None)
    return problems
