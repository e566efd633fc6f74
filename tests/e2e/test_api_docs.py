"""The portal's shell in a real browser (issue 8 points 10 and 11): the browsable API documentation renders
the schema's operations from local assets under the Content-Security-Policy; the home page's navigation is
usable from the keyboard and marks the current page. Screenshots go to <pytest tmp>/artifacts/."""

from __future__ import annotations

import pytest
from django.utils import timezone

from contingency.models import AdtFile
from portal.models import Office, OfficeKind, OfficeStatus
from tests.helpers.csp import COLLECT_VIOLATIONS
from tests.portal.factories import PersonFactory


@pytest.fixture
def artifacts(tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "artifacts"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
def watched(page):
    """``page`` with every CSP violation (the browser's event, and the console as a second witness) and every
    uncaught script error collected in ``page.problems``."""
    problems: list[str] = []
    page.add_init_script(COLLECT_VIOLATIONS)
    page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.problems = problems
    return page


def problems_of(page) -> list[str]:
    return page.problems + page.evaluate("window.__cspViolations || []")


def sign_in(page, live_server, member) -> None:
    """The cast member's session (made by their test client) in the browser."""
    page.context.add_cookies([{"name": "sessionid", "value": member.client.cookies["sessionid"].value,
                               "url": live_server.url}])


@pytest.mark.django_db(transaction=True)
@pytest.mark.urls("tests.portal.test_openapi_broken_urls")  # the project's URLs plus two example operations
def test_the_api_documentation_renders_the_operations_with_local_assets_and_no_csp_violation(
        live_server, watched, cast, artifacts):
    page = watched
    local = []
    page.on("request", lambda request: local.append(request.url.startswith(live_server.url)))
    sign_in(page, live_server, cast.srp_aro)
    response = page.goto(f"{live_server.url}/api/docs/")
    assert response.status == 200
    operations = page.locator(".opblock")
    operations.first.wait_for(timeout=15_000)
    assert page.locator(".info .title").inner_text().startswith("SoLR Contingency Service API")
    paths = sorted(page.locator(".opblock-summary-path").all_inner_texts())
    # The example operations, and the service's own (they join as each room adds its endpoints).
    assert {"/api/v1/broken/crash/", "/api/v1/broken/non-conforming/", "/api/v1/adt-files/",
            "/api/v1/offices/"} <= set(paths)
    page.screenshot(path=artifacts / "api-docs.png", full_page=True)
    assert problems_of(page) == []
    assert local and all(local), "every request goes to this site"


@pytest.mark.django_db(transaction=True)
def test_anyone_not_signed_in_is_sent_to_sign_in_from_the_api_documentation(live_server, page):
    page.goto(f"{live_server.url}/api/docs/")
    assert page.url.startswith(f"{live_server.url}/login/")


@pytest.mark.django_db(transaction=True)
def test_the_operators_home_page_shows_what_waits_and_its_navigation_works_from_the_keyboard(
        live_server, watched, cast, artifacts):
    page = watched
    nominee = PersonFactory(username="aro-nominee")
    Office.objects.create(person=nominee, kind=OfficeKind.ARO, party=cast.srp, status=OfficeStatus.NOMINATED)
    AdtFile.objects.create(party=cast.srp, uploaded_by=cast.srp_aro.user, file_name="thresholds.csv",
                           sha256="0" * 64, size=10, uploaded_at=timezone.now())
    sign_in(page, live_server, cast.dcc_operator1)
    page.goto(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "Welcome, cast.dcc1"
    assert "aro-nominee" in page.locator("#panel-portalnominations").inner_text()
    assert "thresholds.csv" in page.locator("#panel-contingencyadt_approvals").inner_text()
    current = page.locator('nav.site-nav a[aria-current="page"]')
    assert current.all_inner_texts() == ["Home"]
    page.screenshot(path=artifacts / "home-dcc-operator.png", full_page=True)

    # Keyboard: the first Tab reaches the skip link, which moves focus to the content; the navigation's
    # links are reached with Tab and followed with Enter.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    page.locator("nav.site-nav a", has_text="API documentation").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/api/docs/")
    assert problems_of(page) == []


@pytest.mark.django_db(transaction=True)
def test_an_aros_home_page_and_navigation(live_server, watched, cast, artifacts):
    page = watched
    sign_in(page, live_server, cast.srp_aro)
    page.goto(f"{live_server.url}/")
    labels = page.locator("nav.site-nav a").all_inner_texts()
    assert "Revocation requests" not in labels and "Lockouts" not in labels and "Admin" not in labels
    assert "Certificates about to expire" in page.locator("main").inner_text()
    page.screenshot(path=artifacts / "home-aro.png", full_page=True)
    assert problems_of(page) == []
