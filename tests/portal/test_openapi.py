"""The people's API against its OpenAPI schema (issue 8 point 10): the schema validates without a warning,
the browsable documentation is served from local files, and schemathesis runs every operation with generated
data as a signed-in DCC operator, expecting no 5xx and answers that conform to the schema."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from io import StringIO

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from drf_spectacular.drainage import reset_generator_stats
from drf_spectacular.management.commands.spectacular import SchemaGenerationError
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup, ServerError
from schemathesis.openapi.checks import JsonSchemaError
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from portal.wsgi import application
from tests.helpers.permissions import assert_access

MAX_EXAMPLES = 8  # per operation: the whole run stays well under a minute (see test_the_run_is_bounded)


# --- the schema ------------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def fresh_generator_stats():
    """drf-spectacular counts warnings in a process-wide object that the command never clears: start and
    end each test with none, so one test's warnings cannot fail (or pass) another."""
    reset_generator_stats()
    yield
    reset_generator_stats()


def test_the_schema_validates_without_warnings(db):
    out = StringIO()
    # --fail-on-warn: a view drf-spectacular cannot describe (no serializer, an unknown field type) fails here.
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out)
    assert out.getvalue().lstrip().startswith("{") and '"openapi": "3.0.3"' in out.getvalue()


@pytest.mark.urls("tests.portal.test_openapi_warning_urls")
def test_a_view_the_schema_cannot_describe_fails_the_validation(db):
    with pytest.raises(SchemaGenerationError):  # raised for the warnings, as --fail-on-warn asks
        call_command("spectacular", "--validate", "--fail-on-warn", stdout=StringIO(), stderr=StringIO())


def test_the_schema_and_its_documentation_are_for_signed_in_people(cast):
    assert_access(cast, "get", "/api/schema/", {}, others=200, api=True)
    assert_access(cast, "get", "/api/docs/", {}, others=200)  # anonymous: sent to sign in


def test_the_documentation_page_loads_swagger_ui_from_this_site_with_no_inline_script(cast):
    html = cast.srp_aro.client.get("/api/docs/").content.decode()
    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert scripts, "the page loads Swagger UI"
    assert all('src="/' in attrs for attrs in scripts), scripts  # every script a file of this site
    assert re.search(r'src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle\.js"', html)
    assert "<style" not in html and "style=" not in html
    assert "cdn." not in html and "https://" not in html
    # The split view's start-up script is a second request, which a signed-in person gets.
    script = cast.srp_aro.client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


# --- schemathesis --------------------------------------------------------------------------------------

@contextmanager
def app_in_the_test_transaction():
    """The WSGI app called in-process, like Django's test client does: the request signals must not close
    the test's database connection (and with it the test's transaction and data)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def signed_in(app, member):
    """``app`` as ``member`` sees it: every request carries their test client's session cookie and a CSRF
    token, so DRF's SessionAuthentication accepts unsafe methods too. (A WSGI wrapper, because the
    werkzeug client schemathesis uses keeps its own cookie jar and drops a hand-set Cookie header.)"""
    session = member.client.cookies["sessionid"].value
    csrf = get_random_string(32)

    def wrapped(environ, start_response):
        environ["HTTP_COOKIE"] = f"sessionid={session}; csrftoken={csrf}"
        environ["HTTP_X_CSRFTOKEN"] = csrf
        return app(environ, start_response)

    return wrapped


def run_schemathesis(member, max_examples: int = MAX_EXAMPLES, path_prefix: str = "/") -> list[str]:
    """Runs every operation of /api/schema/ (under ``path_prefix``) with generated (valid) data as ``member``;
    returns the operations run. Raises schemathesis' FailureGroup on the first operation that answers 5xx
    or breaks its own schema."""
    with app_in_the_test_transaction() as app:
        schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", signed_in(app, member))
        ran = []
        for result in schema.get_all_operations():
            operation = result.ok()
            if not operation.path.startswith(path_prefix):
                continue

            @given(case=operation.as_strategy())
            @hypothesis_settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
                                 suppress_health_check=list(HealthCheck))
            def check(case):
                case.call_and_validate(checks=[not_a_server_error, response_schema_conformance,
                                               content_type_conformance])

            check()
            ran.append(operation.label)
        return ran


def test_every_operation_answers_generated_requests_without_5xx_and_as_its_schema_says(cast):
    started = time.monotonic()
    ran = run_schemathesis(cast.dcc_operator1)
    elapsed = time.monotonic() - started
    # The time is printed, not asserted: speed belongs to benchmarks, and on a loaded machine this took 75 s.
    print(f"schemathesis: {len(ran)} operations in {elapsed:.1f} s: {ran}")


# The run can fail: an API with a crashing and a lying endpoint (tests/portal/test_openapi_broken_urls.py).

@pytest.mark.urls("tests.portal.test_openapi_broken_urls")
@pytest.mark.parametrize(("path", "failure"), [
    ("/api/v1/broken/crash/", ServerError),
    ("/api/v1/broken/non-conforming/", JsonSchemaError),
])
def test_the_run_fails_on_a_server_error_and_on_an_answer_that_breaks_the_schema(cast, path, failure):
    with pytest.raises(FailureGroup) as raised:
        run_schemathesis(cast.dcc_operator1, max_examples=3, path_prefix=path)
    assert [type(e) for e in raised.value.exceptions] == [failure]
