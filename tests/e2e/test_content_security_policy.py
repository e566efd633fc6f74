"""The Content-Security-Policy (django-csp, portal/settings.py) holds in a real browser: the pages break no rule.

Chromium fires a `securitypolicyviolation` event for everything the policy blocks (an inline script or style,
an asset from elsewhere); the test collects them from the first moment of each page and wants none.
"""

import pytest

from portal.models import Office, OfficeKind, PartyKind
from tests.helpers.csp import violations, watch
from tests.portal.factories import PartyFactory, PersonFactory


@pytest.mark.django_db(transaction=True)
def test_the_login_home_and_repository_pages_break_no_rule_of_the_policy(live_server, page):
    person = PersonFactory(username="csp-carol")
    Office.objects.create(person=person, kind=OfficeKind.SRO, party=PartyFactory(kind=PartyKind.SRP, name="Ops"))
    console = watch(page)

    response = page.goto(f"{live_server.url}/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("load")
    assert violations(page) == []

    page.fill("#id_username", "csp-carol")
    page.fill("#id_password", "correct-horse-battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "Welcome, csp-carol"
    assert violations(page) == []

    # The public SMKI repository index, with its search form.
    assert page.goto(f"{live_server.url}/smki/").status == 200
    page.wait_for_load_state("load")
    assert violations(page) == []
    assert console == []


@pytest.mark.django_db(transaction=True)
def test_the_watcher_sees_a_violation(live_server, page):
    """Control: a page under the site's policy with an inline style and script is reported, so [] above means
    something."""
    policy = page.request.get(f"{live_server.url}/login/").headers["content-security-policy"]
    console = watch(page)
    page.route(f"{live_server.url}/csp-probe", lambda route: route.fulfill(
        status=200, headers={"Content-Type": "text/html", "Content-Security-Policy": policy},
        body="<!doctype html><style>p{color:red}</style><p>x</p><script>document.title='ran'</script>"))
    page.goto(f"{live_server.url}/csp-probe")
    page.wait_for_load_state("load")
    found = violations(page)
    assert any(v.startswith("style-src") for v in found) and any(v.startswith("script-src") for v in found), found
    assert page.title() != "ran"
    assert console
