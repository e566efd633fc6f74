"""In a real browser: a DCC operator lets the SoLR Contingency role send SRV 6.2.9 on the service matrix page
(issue 10 point 3), and the SRP's SRO sets its User ID's endpoint URL (issue 9 point 8). No page breaks the
Content-Security-Policy. Screenshots under the pytest base temp folder, in artifacts/service-matrix/."""

from __future__ import annotations

import pytest

from contingency.service_matrix import may_send
from contingency.service_matrix.seeding import seed_solr_default
from portal.models import UserID
from tests.helpers.signin import sign_in, sign_in_operator
from tests.portal.factories import UserIDFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def artifacts(tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "artifacts" / "service-matrix"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_an_operator_enables_6_2_9_for_the_solr_role(live_server, page, csp_violations, artifacts):
    from tests.helpers.cast import make_cast

    cast = make_cast()
    seed_solr_default()  # a transactional test may find the tables flushed by the one before
    base = live_server.url
    assert not may_send(["SC"], "6.2.9", 1)

    sign_in_operator(page, base, cast.dcc_operator1.username)
    page.get_by_role("navigation").get_by_role("link", name="Service matrix").click()
    page.wait_for_url(f"{base}/service-matrix/")
    page.get_by_role("link", name="SoLR Contingency", exact=True).click()
    page.wait_for_url(f"{base}/service-matrix/SC/")
    assert page.locator("tr[data-srv]").all_inner_texts()[0].startswith("1.6")
    page.get_by_label("Service Reference Variant").fill("6.2.9")
    page.get_by_label("1: Command via the SM WAN").check()
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{base}/service-matrix/SC/")
    assert page.locator('tr[data-srv="6.2.9"] .cvs').inner_text() == "1"
    page.screenshot(path=artifacts / "01-sc-with-6.2.9.png", full_page=True)
    assert may_send(["SC"], "6.2.9", 1)
    assert csp_violations == []


def test_the_sro_sets_the_endpoint_url(live_server, page, csp_violations, artifacts):
    from tests.helpers.cast import make_cast

    cast = make_cast()
    UserIDFactory(eui="90-B3-D5-1F-50-00-00-01", party=cast.srp, roles=["SC"])
    base = live_server.url

    sign_in(page, base, cast.srp_sro.username)
    page.get_by_role("navigation").get_by_role("link", name="User IDs").click()
    page.wait_for_url(f"{base}/user-ids/")
    page.get_by_role("link", name="90-B3-D5-1F-50-00-00-01").click()
    page.get_by_label("Endpoint URL").fill("ftp://srp.example.com/in")
    page.get_by_role("button", name="Save").click()
    assert page.locator("[data-code]").get_attribute("data-code") == "endpoint-url-scheme"
    page.get_by_label("Endpoint URL").fill("https://srp.example.com/duis")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{base}/user-ids/90-B3-D5-1F-50-00-00-01/")
    assert page.locator("#endpoint-url").inner_text() == "https://srp.example.com/duis"
    page.screenshot(path=artifacts / "02-user-id-endpoint.png", full_page=True)
    assert UserID.objects.get(eui="90-B3-D5-1F-50-00-00-01").endpoint_url == "https://srp.example.com/duis"
    assert csp_violations == []
