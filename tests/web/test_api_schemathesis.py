"""Schemathesis against /api/v1/openapi.json as a signed-in evaluator, in process (WSGI), with
data that fits the schema and data that does not: no server error, every status code and body
as documented, JSON where JSON is promised, 405 with Allow for the methods not documented.

Bounded: ``EXAMPLES`` cases per operation and mode (a few seconds each), derandomized so a run
is repeatable; ``EVALUATOR_SCHEMATHESIS_EXAMPLES`` raises it for a longer hunt."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi import checks as openapi_checks

EXAMPLES = int(os.environ.get("EVALUATOR_SCHEMATHESIS_EXAMPLES", "40"))
CHECKS = [schemathesis.checks.not_a_server_error, openapi_checks.status_code_conformance,
          openapi_checks.content_type_conformance, openapi_checks.response_schema_conformance,
          openapi_checks.response_headers_conformance, openapi_checks.unsupported_method]


@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE,
                                  schemathesis.GenerationMode.NEGATIVE])
def test_the_api_keeps_its_openapi_promises(app, client, field, sign_in, mode):
    sign_in("evaluator")
    cookies = {"session": client.get_cookie("session").value}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {f"{o.method.upper()} {o.path}" for o in operations} >= {
        "POST /submissions", "GET /submissions/{instance_id}", "GET /assignments"}
    calls = []
    for operation in operations:
        @settings(max_examples=EXAMPLES, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            # The JSON is compressed for clients that ask (Flask-Compress); schemathesis reads
            # the body as the WSGI client hands it, not decoded, so this client does not ask.
            response = case.call_and_validate(cookies=cookies, checks=CHECKS,
                                              headers={"Accept-Encoding": "identity"})
            calls.append(response.status_code)

        run()
    assert calls and all(status < 500 for status in calls)
