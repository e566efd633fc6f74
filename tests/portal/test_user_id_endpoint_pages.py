"""The User ID pages (issue 9 point 8): the list and one User ID with the endpoint form, for the whole cast."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal import user_ids
from portal.models import AuditRecord, UserID
from tests.helpers.permissions import assert_access
from tests.portal.factories import UserIDFactory

SRP_EUI = "90-B3-D5-1F-50-00-00-01"
OTHER_EUI = "90-B3-D5-1F-50-00-00-02"
GOOD = "https://srp.example.com/duis/responses"


@pytest.fixture
def world(cast):
    UserIDFactory(eui=SRP_EUI, party=cast.srp, roles=["SC"])
    UserIDFactory(eui=OTHER_EUI, party=cast.other_party, roles=["IS"])
    return cast


def detail(eui: str = SRP_EUI) -> str:
    return reverse("user-id-detail", args=[eui])


def test_the_list_shows_each_person_their_partys_user_ids(world):
    cast = world
    for member, shown, hidden in [(cast.dcc_operator1, {SRP_EUI, OTHER_EUI}, set()),
                                  (cast.srp_sro, {SRP_EUI}, {OTHER_EUI}), (cast.srp_aro, {SRP_EUI}, {OTHER_EUI}),
                                  (cast.outsider, {OTHER_EUI}, {SRP_EUI}),
                                  (cast.authority_officer, set(), {SRP_EUI, OTHER_EUI})]:
        html = member.client.get(reverse("user-ids")).content.decode()
        assert all(f'data-eui="{e}"' in html for e in shown), member.name
        assert not any(f'data-eui="{e}"' in html for e in hidden), member.name


def test_the_detail_page_is_the_partys_officers_and_the_dccs(world):
    assert_access(world, "get", detail(), {"dcc_operator1": 200, "dcc_operator2": 200, "srp_sro": 200,
                                           "srp_aro": 200}, others=404, anonymous=302)


def test_only_the_sro_and_dcc_operators_get_the_form(world):
    cast = world
    assert 'id="set-endpoint"' in cast.srp_sro.client.get(detail()).content.decode()
    assert 'id="set-endpoint"' in cast.dcc_operator2.client.get(detail()).content.decode()
    assert 'id="set-endpoint"' not in cast.srp_aro.client.get(detail()).content.decode()


def test_posting_the_form(world):
    cast = world
    outcomes = assert_access(
        cast, "post", lambda m: detail(), {"srp_sro": 302, "dcc_operator1": 302, "dcc_operator2": 302,
                                           "srp_aro": 403}, others=404, data={"endpoint_url": GOOD})
    assert outcomes["srp_sro"].location == detail()
    assert UserID.objects.get(eui=SRP_EUI).endpoint_url == GOOD
    # The cast posts in its order: dcc_operator1 sets it; the others post the same URL: no change, no record.
    assert list(AuditRecord.objects.filter(action=user_ids.AUDIT_ACTION).values_list("actor", flat=True)) == [
        cast.dcc_operator1.username]


def test_the_aros_post_shows_the_refusal_code_and_changes_nothing(world):
    response = world.srp_aro.client.post(detail(), {"endpoint_url": GOOD})
    assert response.status_code == 403
    assert 'data-code="user-id-endpoint-not-allowed"' in response.content.decode()
    assert UserID.objects.get(eui=SRP_EUI).endpoint_url == ""


@pytest.mark.parametrize(("url", "code"), [("ftp://srp.example.com/in", "endpoint-url-scheme"),
                                           ("https://a:b@srp.example.com/in", "endpoint-url-credentials")])
def test_a_refused_url_is_shown_with_its_code(world, url, code):
    response = world.srp_sro.client.post(detail(), {"endpoint_url": url})
    assert response.status_code == 400
    assert f'data-code="{code}"' in response.content.decode()
    assert UserID.objects.get(eui=SRP_EUI).endpoint_url == ""


def test_http_needs_the_setting_on_the_page_too(world, settings):
    settings.SOLR_ALLOW_INSECURE_ENDPOINTS = False
    response = world.srp_sro.client.post(detail(), {"endpoint_url": "http://127.0.0.1:9000/in"})
    assert 'data-code="endpoint-url-insecure"' in response.content.decode()
    settings.SOLR_ALLOW_INSECURE_ENDPOINTS = True
    assert world.srp_sro.client.post(detail(), {"endpoint_url": "http://127.0.0.1:9000/in"}).status_code == 302
    assert UserID.objects.get(eui=SRP_EUI).endpoint_url == "http://127.0.0.1:9000/in"


def test_any_spelling_of_the_eui_leads_to_the_user_id(world):
    response = world.srp_sro.client.get("/user-ids/90b3d51f50000001/")
    assert (response.status_code, response["Location"]) == (302, detail())
    assert world.srp_sro.client.get("/user-ids/not-an-eui/").status_code == 404


def test_the_admin_shows_the_endpoint_url_but_does_not_set_it(world):
    """The admin would skip the URL rules and the audit record: there the field is read-only."""
    uid = UserID.objects.get(eui=SRP_EUI)
    operator = world.dcc_operator1.client
    page = operator.get(reverse("admin:portal_userid_change", args=[uid.pk]))
    assert page.status_code == 200
    assert 'name="endpoint_url"' not in page.content.decode()
    saved = operator.post(reverse("admin:portal_userid_change", args=[uid.pk]), {
        "eui": uid.eui, "party": uid.party_id, "status": "active", "endpoint_url": "ftp://x.example/",
        "roles-TOTAL_FORMS": "0", "roles-INITIAL_FORMS": "0", "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000"})
    assert saved.status_code == 302  # the form saved; the URL it carried was not a field of it
    assert UserID.objects.get(pk=uid.pk).endpoint_url == ""
